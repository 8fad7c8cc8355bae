"""
Best practices, measured
========================

Dask's documentation lists a handful of best practices: load data with Dask, keep graphs small,
persist only what you reuse, size partitions sensibly, and reduce on the cluster before bringing
results back. Here each one is measured, before and after, on the bike trips, and the page says
what the measurement showed on the machine that ran it, and why another machine, or more
data, can show something else. The next lesson finds where the time goes when a computation is
slow.

**You will be able to:** recognise the common Dask anti-patterns and their fixes, measure
graph sizes and the memory and data a computation moves, and judge when a practice pays off
at the size of your data.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners load data with pandas first and hand it to Dask, which
#      puts all of it in the graph.
#    - **Do not skip:** Measure before optimising: the progress bar, the profiler and the
#      performance report show where the time goes.
#    - **Ask the room:** Which practice would have helped most in the last analysis you ran?

# %%
# The data, and a way to measure
# ------------------------------
# Most comparisons below use the first two months of trips: enough to show each effect, and
# quick to repeat. ``compare`` times each alternative as in the earlier lessons (a warm-up run,
# then the median of three), and every alternative builds its Dask collections afresh. The
# ``dtype`` argument is the one from the :ref:`Dask DataFrame lesson <dask-dataframe>`: the
# start of the files cannot tell Dask that these two columns have missing values further on.
import dask
import dask.dataframe as dd
import pandas as pd
from tutorial_helpers import bikes
from tutorial_helpers.timing import compare

files = bikes.trip_files()
trip_dtypes = {"birth year": "float64", "end station id": "float64"}
few = files[:2]
[f.name for f in few]

# %%
# A cluster to compute on
# -----------------------
# Several practices are about what travels between your Python session and the workers: the
# graph, the data, the results. To see that, the lesson computes on a ``dask.distributed``
# cluster it starts here: one worker whose threads, as many as the cores this job was granted,
# run the tasks, in this Python process. The client makes it the default for every
# ``compute()`` and ``persist()`` below. Its workers are threads, so a script needs no
# ``if __name__ == "__main__":`` guard; the client still talks to the scheduler and the worker
# over TCP on this machine, so graphs and results are serialised and sent as they would be to
# another machine.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)

# %%
# Reading the data: pandas first, or Dask?
# ----------------------------------------
# A common first attempt reads the files with pandas, concatenates them, and hands the result to
# Dask with ``dd.from_pandas``. The data is then read by one process, one file after another,
# and the whole table becomes part of the task graph: it travels from your process to the
# scheduler and on to the worker. ``dd.read_csv`` instead sends only the file names and byte
# ranges; each task reads its own part on the worker.


def pandas_then_dask():
    frame = pd.concat([pd.read_csv(path) for path in few], ignore_index=True)
    trips = dd.from_pandas(frame, npartitions=len(few))
    return trips.groupby("usertype")["tripduration"].mean().compute()


def dask_reads():
    trips = dd.read_csv(few, dtype=trip_dtypes)
    return trips.groupby("usertype")["tripduration"].mean().compute()


# %%
# The client warns when the graph it sends to the scheduler is larger than the setting
# ``distributed.admin.large-graph-warning-threshold`` (printed); the warnings are recorded here
# so that they show on the page, each different one once.
import warnings

print("warning threshold:", dask.config.get("distributed.admin.large-graph-warning-threshold"))

with warnings.catch_warnings(record=True) as caught:
    load_timings = compare(
        {"pandas, then from_pandas": pandas_then_dask, "dd.read_csv": dask_reads}
    )
load_warnings = sorted({str(w.message).splitlines()[0] for w in caught})
for message in load_warnings:
    print("Dask warned:", message)
load_timings

# %%
# How much this costs in time depends on the data and the machine. Two months are a few tens of
# megabytes of CSV, which pandas reads quickly, and on one machine the table travels over the
# loopback interface, not a network, so the gap is small and can go either way from one build
# to the next:
print(load_timings.verdict(
    "dd.read_csv", "pandas, then from_pandas",
    otherwise="Two months of CSV are small: one process reads them quickly, and the table "
    "travels to the worker over this machine's loopback interface, not a network.",
))

# %%
# What does not stay small is what the pandas route holds in your process, and puts into the
# graph: every row. With a year of trips that is twelve months at once, and with data larger
# than your machine's memory the pandas route cannot even start. ``dd.read_csv`` never holds
# more than the partitions its workers are busy with.
frame = pd.concat([pd.read_csv(path) for path in few], ignore_index=True)
frame_bytes = frame.memory_usage(deep=True).sum()
print(f"{frame_bytes / 2**20:.1f} MiB in this process and in the graph")
del frame
mean_by_usertype = dask_reads()
mean_by_usertype

# %%
# Avoid very large graphs
# -----------------------
# Every task costs the scheduler some bookkeeping, whatever the work inside it (the
# :ref:`next lesson <sphx_glr_lessons_12_best_practices_plot_02_diagnosing_performance.py>` measures how much). A graph with one task per row spends its time on that
# bookkeeping. The fix is to put more work into each task: one call per partition with
# ``map_partitions``, running vectorised NumPy code on a whole pandas DataFrame at once.
#
# The question: how far do the trips go, start station to end station, in a straight line?
import numpy as np

coordinates = [
    "start station latitude", "start station longitude",
    "end station latitude", "end station longitude",
]


def distance_km(lat1, lon1, lat2, lon2):
    """Great-circle distance; works on single numbers and on whole columns alike."""
    lat1, lon1, lat2, lon2 = (np.radians(v) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2
    a += np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 6371 * 2 * np.arcsin(np.sqrt(a))


def trip_distances(trips):
    return distance_km(*(trips[column] for column in coordinates))


# %%
# One ``delayed`` call per trip, for only the first 100 trips of January, against one
# ``map_partitions`` over every trip of January. ``len(x.__dask_graph__())`` counts the tasks
# each would run.
sample = pd.read_csv(files[0], usecols=coordinates, nrows=100).dropna()  # with an end station
n_rows = len(sample)
rows = sample.itertuples(index=False)
per_row = dask.delayed(sum)([dask.delayed(distance_km)(*row) for row in rows])
january = dd.read_csv(files[0], dtype=trip_dtypes, usecols=coordinates)
per_partition = january.map_partitions(trip_distances, meta=("distance", "float64")).sum()
print(f"a delayed per row: {len(per_row.__dask_graph__()):>4} tasks, {n_rows:,} trips")
n_january = len(january)
print(f"map_partitions:    {len(per_partition.__dask_graph__()):>4} tasks, {n_january:,} trips")

# %%
# The per-row graph, drawn for the first four trips only: one ``distance_km`` task per trip,
# all feeding one ``sum``. A hundred trips make it a hundred tasks wide, a million trips a
# million: the graph grows with the data instead of with the number of partitions.
first_four = sample.head(4).itertuples(index=False)
dask.delayed(sum)([dask.delayed(distance_km)(*row) for row in first_four]).visualize()

# %%
# Time both; each run builds its graph afresh.


def one_delayed_per_row():
    rows = sample.itertuples(index=False)
    return dask.delayed(sum)([dask.delayed(distance_km)(*row) for row in rows]).compute()


def one_task_per_partition():
    january = dd.read_csv(files[0], dtype=trip_dtypes, usecols=coordinates)
    return january.map_partitions(trip_distances, meta=("distance", "float64")).sum().compute()


graph_timings = compare({
    f"a delayed per row ({n_rows} trips)": one_delayed_per_row,
    "map_partitions (all of January)": one_task_per_partition,
})
graph_timings

# %%
# ``map_partitions`` handles every trip of January, the per-row graph only a hundred:
print(graph_timings.verdict(
    "map_partitions (all of January)", f"a delayed per row ({n_rows} trips)",
    otherwise="Reading and parsing a whole month of CSV can take longer than scheduling a "
    "hundred tiny tasks, on a fast scheduler or with a small month; per trip, below, the "
    "per-row graph still costs far more.",
))

# %%
# What matters is the time per trip: the per-row time is mostly scheduling, not arithmetic,
# and it grows with every trip. Both compute the same distances: the first trips agree with
# the vectorised function.
trips_done = {
    f"a delayed per row ({n_rows} trips)": n_rows,
    "map_partitions (all of January)": n_january,
}
for label, n_trips in trips_done.items():
    print(f"{label}: {graph_timings[label].median / n_trips * 1e6:,.1f} µs per trip")
per_row_km = per_row.compute()
vectorised_km = trip_distances(sample).sum()
print(f"first {n_rows} trips: {per_row_km:.3f} km row by row, {vectorised_km:.3f} km vectorised")
total_km = per_partition.compute()
print(f"all of January: {total_km:,.0f} km in a straight line")

# %%
# Persist only what you will reuse
# --------------------------------
# ``persist()`` keeps a result in the cluster workers' memory (the
# :ref:`Dask DataFrame lesson <dask-dataframe>` measured the time it saves). That memory is the
# price, so persist the smallest thing that answers your questions: the columns and rows you
# need, after filtering, not the raw files. Here are both sizes, measured in memory.
all_columns = dd.read_csv(few, dtype=trip_dtypes, parse_dates=["starttime", "stoptime"])
needed = all_columns[["starttime", "usertype", "tripduration"]]
needed = needed[needed["tripduration"] > 0]
all_bytes, needed_bytes = dask.compute(
    all_columns.memory_usage(deep=True).sum(), needed.memory_usage(deep=True).sum()
)
print(f"every column: {all_bytes / 2**20:6.1f} MiB")
print(f"what we need: {needed_bytes / 2**20:6.1f} MiB ({needed_bytes / all_bytes:.0%})")

# %%
# Persist the small frame, ask both questions, then drop the reference: the cluster frees the
# memory once no Python variable points at the persisted data. ``persist()`` returns at once,
# while the worker computes, so wait for it before asking the cluster what it holds.
import time

from dask.distributed import wait

needed = needed.persist()
wait(needed)
held_persisted = sum(client.nbytes(summary=False).values())
customer_minutes = needed[needed["usertype"] == "Customer"]["tripduration"].mean() / 60
trips_per_hour = needed.groupby(needed["starttime"].dt.hour)["tripduration"].count()
customer_minutes, trips_per_hour = dask.compute(customer_minutes, trips_per_hour)
del needed
deadline = time.monotonic() + 5  # the client tells the scheduler in the background
while client.nbytes(summary=False) and time.monotonic() < deadline:
    time.sleep(0.05)
held_after_del = sum(client.nbytes(summary=False).values())
print(f"held on the cluster: {held_persisted / 2**20:.1f} MiB persisted, "
      f"{held_after_del / 2**20:.1f} MiB after del")
print(f"customers ride {customer_minutes:.1f} minutes on average")

# %%
# Right-size partitions
# ---------------------
# ``read_csv`` cuts files into blocks of at most 64 MB of text by default (less on a machine
# with little memory per core: its default is the smaller of 64 MB and a tenth of the memory
# per core, printed below), so each monthly file here becomes one partition. The `DataFrame
# best practices
# <https://docs.dask.org/en/stable/dataframe-best-practices.html#repartition-to-reduce-overhead>`_
# say "You should aim for partitions that have around 100MB of data each"; the `general ones
# <https://docs.dask.org/en/stable/best-practices.html#avoid-very-large-partitions>`_ ask for
# partitions small enough that many fit in a worker's memory at once, because each worker
# thread holds one or more while it works. Too small is the other trap: hundreds of partitions
# of a megabyte make hundreds of tasks per step, the large-graph problem again. The
# Partitioning lesson measures both sides.
from dask.dataframe.io.csv import AUTO_BLOCKSIZE

year = dd.read_csv(files, dtype=trip_dtypes)
tiny = dd.read_csv(files, dtype=trip_dtypes, blocksize="1MB")
largest_file = max(path.stat().st_size for path in files)
print(f"default block size here: {AUTO_BLOCKSIZE / 1e6:.0f} MB; "
      f"largest file: {largest_file / 1e6:.1f} MB")
print(f"{len(files)} files; default blocks: {year.npartitions} partitions; "
      f"1 MB blocks: {tiny.npartitions} partitions")
print(f"January and February in memory: about {all_bytes / len(few) / 2**20:.0f} MiB per partition")

# %%
# Where to reduce: in Dask, or in pandas after ``compute()``?
# -----------------------------------------------------------
# ``compute()`` brings its result into your process. Calling it on the whole table and then
# grouping with pandas moves every row from the worker to you; grouping with Dask first moves
# only the answer. One month is enough to see it.


def compute_then_pandas():
    trips = dd.read_csv(files[0], dtype=trip_dtypes).compute()
    return trips.groupby("start station name")["tripduration"].mean()


def reduce_with_dask():
    trips = dd.read_csv(files[0], dtype=trip_dtypes)
    return trips.groupby("start station name")["tripduration"].mean().compute()


reduce_timings = compare(
    {"compute(), then pandas": compute_then_pandas, "groupby, then compute()": reduce_with_dask}
)
reduce_timings

# %%
# On one machine and one month, time is a noisy judge: parsing the CSV takes most of either
# run, and the table crosses the loopback interface quickly.
print(reduce_timings.verdict(
    "groupby, then compute()", "compute(), then pandas",
    otherwise="For one month, parsing the CSV takes most of either run, the whole table "
    "crosses this machine's loopback interface quickly, and pandas groups a small table in "
    "one process without any scheduling; over a network, and with more data, the gap turns.",
))

# %%
# What grows with the data, and must fit in this process's memory, is what comes back:
whole_table = dd.read_csv(files[0], dtype=trip_dtypes).compute()
mean_by_station = reduce_with_dask()
print(f"compute(), then pandas:  {whole_table.memory_usage(deep=True).sum() / 2**10:9,.0f} KiB")
print(f"groupby, then compute(): {mean_by_station.memory_usage(deep=True) / 2**10:9,.0f} KiB")
del whole_table

# %%
# Key points
# ----------
# - Load data with Dask (``dd.read_csv``, ``dd.read_parquet``): data read with pandas and handed
#   over with ``from_pandas`` is read serially and shipped inside the graph.
# - Every task costs scheduler time (the next lesson measures how much); keep graphs small by
#   giving each task real work, e.g. ``map_partitions`` instead of a ``delayed`` per row.
# - Persist the smallest thing you will reuse, and ``del`` it when done.
# - Partitions: small enough that several fit in a worker's memory, big enough that overhead
#   does not dominate (the docs suggest around 100 MB for DataFrames).
# - Reduce with Dask before ``compute()``: only the answer should travel to your process.
# - Judge a practice by what it saves at *your* data's size: at two months on one machine some
#   of these gaps are within run-to-run variation; memory held and data moved grow with the data.
#
# Exercise
# --------
# The Dask best practices also warn against calling ``compute()`` repeatedly. A colleague
# computes the mean trip duration of each user type with one ``compute()`` per user type, so
# the files are read once per type. Rewrite it so they are read once for all types, and
# measure both with ``compare``.
#
# .. code-block:: python
#
#    usertypes = ["Subscriber", "Customer"]
#    trips = dd.read_csv(few, dtype=trip_dtypes)
#    means = {u: trips[trips["usertype"] == u]["tripduration"].mean().compute() for u in usertypes}
#
# Put the means of your version in ``answer`` (a dict from user type to mean duration in
# seconds, floats, over every trip of ``few``) and run it once more inside
# ``with get_task_stream() as exercise_stream:`` (from ``dask.distributed``), which records every
# task the cluster runs, then run the check below: it compares with pandas on the same two
# files, counts in the task stream how often each block of CSV was read, and says what is
# wrong, without giving the answer away.
answer = None  # your answer, computed: replace None
exercise_stream = None  # the get_task_stream() of your run: replace None

# %%
from tutorial_helpers.exercises import check

check("best_practices", answer, stream=exercise_stream)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       from dask.distributed import get_task_stream
#
#       usertypes = ["Subscriber", "Customer"]
#
#
#       def one_compute_each():
#           trips = dd.read_csv(few, dtype=trip_dtypes)
#           duration = trips["tripduration"]
#           return {u: float(duration[trips["usertype"] == u].mean().compute()) for u in usertypes}
#
#
#       def one_compute_for_all():
#           trips = dd.read_csv(few, dtype=trip_dtypes)
#           duration = trips["tripduration"]
#           lazy = [duration[trips["usertype"] == u].mean() for u in usertypes]
#           return {u: float(mean) for u, mean in zip(usertypes, dask.compute(*lazy))}
#
#
#       exercise_timings = compare(
#           {"compute() per type": one_compute_each, "one dask.compute()": one_compute_for_all}
#       )
#       with get_task_stream() as exercise_stream:
#           means = one_compute_for_all()
#       print(exercise_timings)
#       print(exercise_timings.verdict(
#           "one dask.compute()", "compute() per type",
#           otherwise="Two months are read quickly, so reading them twice costs little.",
#       ))
#       print(means)
#       answer = means
#       check("best_practices", answer, stream=exercise_stream)

# %%
# Close the cluster
# -----------------
# Every answer above is a pandas or Python object in this process now, so the cluster and its
# client can go.
client.close()
cluster.close()
