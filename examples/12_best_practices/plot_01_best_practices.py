"""
Best practices, measured, and finding the slow part
===================================================

Dask's documentation lists a handful of best practices: load data with Dask, keep graphs small,
persist only what you reuse, size partitions sensibly, and reduce on the cluster before bringing
results back. Here each one is measured, before and after, on the bike trips. Then you will use
Dask's local diagnostics to see where time goes: a progress bar, a profile of every task drawn
as a task stream that shows a bottleneck at a glance, and the cost of a single task under each
of Dask's schedulers on this machine.

**You will be able to:** recognise the common Dask anti-patterns and their fixes, measure
graph sizes and the data a computation moves, profile a computation with ``Profiler`` and
``ResourceProfiler``, read a task stream to find a bottleneck, and estimate how small a task
can be before overhead dominates.

**Estimated time:** 30 minutes.
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
# Load data with Dask, not with pandas first
# ------------------------------------------
# A common first attempt reads the files with pandas, concatenates them, and hands the result to
# Dask with ``dd.from_pandas``. The data is then read by one process, one file after another,
# and the whole table becomes part of the task graph: on a cluster it travels from your
# process to the scheduler and on to the workers. ``dd.read_csv`` instead sends only the file
# names; each worker reads its own part.


def pandas_then_dask():
    frame = pd.concat([pd.read_csv(path) for path in few], ignore_index=True)
    trips = dd.from_pandas(frame, npartitions=len(few))
    return trips.groupby("usertype")["tripduration"].mean().compute()


def dask_reads():
    trips = dd.read_csv(few, dtype=trip_dtypes)
    return trips.groupby("usertype")["tripduration"].mean().compute()


# %%
# On a ``dask.distributed`` cluster, Dask itself warns when a graph is this large; the warnings
# are recorded here so that they show on the page (run without a cluster, nothing is sent and
# nothing is printed).
import warnings

with warnings.catch_warnings(record=True) as caught:
    load_timings = compare(
        {"pandas, then from_pandas": pandas_then_dask, "dd.read_csv": dask_reads}
    )
for message in sorted({str(w.message).splitlines()[0] for w in caught}):
    print("Dask warned:", message)
load_timings

# %%
# How much this costs in time depends on the data and the machine. Here pandas reads a few tens
# of megabytes of CSV quickly, and the table travels over this machine's loopback interface,
# not a network, so for two months the gap is modest and noisy: on this busy shared machine it
# went either way while the lesson was written.
ratio = load_timings.speedup("pandas, then from_pandas", "dd.read_csv")
print(f"pandas, then from_pandas took {ratio:.2f}× as long as dd.read_csv")

# %%
# What does not stay small is what the pandas route holds in your process, and puts into the
# graph: every row. With a year of trips that is twelve months at once, and with data larger
# than your machine's memory the pandas route cannot even start. ``dd.read_csv`` never holds
# more than the partitions its workers are busy with.
frame = pd.concat([pd.read_csv(path) for path in few], ignore_index=True)
print(f"{frame.memory_usage(deep=True).sum() / 2**20:.1f} MiB in this process and in the graph")
del frame
mean_by_usertype = dask_reads()
mean_by_usertype

# %%
# Avoid very large graphs
# -----------------------
# Every task costs the scheduler some bookkeeping, whatever the work inside it (the last
# section measures how much). A graph with one task per row spends its time on that
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
# Per trip, the two are worlds apart: most of the per-row time is scheduling, not arithmetic.
# Both compute the same distances: the first trips agree with the vectorised function.
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
# ``persist()`` keeps a result in the workers' memory (the
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
# Persist the small frame, ask both questions, then drop the reference: the workers free the
# memory as soon as no Python variable points at the persisted data.
needed = needed.persist()
customer_minutes = needed[needed["usertype"] == "Customer"]["tripduration"].mean() / 60
trips_per_hour = needed.groupby(needed["starttime"].dt.hour)["tripduration"].count()
customer_minutes, trips_per_hour = dask.compute(customer_minutes, trips_per_hour)
del needed
print(f"customers ride {customer_minutes:.1f} minutes on average")

# %%
# Right-size partitions
# ---------------------
# ``read_csv`` cuts files into blocks of at most 64 MB of text by default, so each monthly file
# here becomes one partition. The `DataFrame best practices
# <https://docs.dask.org/en/stable/dataframe-best-practices.html#repartition-to-reduce-overhead>`_
# say "You should aim for partitions that have around 100MB of data each"; the `general ones
# <https://docs.dask.org/en/stable/best-practices.html#avoid-very-large-partitions>`_ ask for
# partitions small enough that many fit in a worker's memory at once, because each worker
# thread holds one or more while it works. Too small is the other trap: hundreds of partitions
# of a megabyte make hundreds of tasks per step, the large-graph problem again. The
# Partitioning lesson measures both sides.
year = dd.read_csv(files, dtype=trip_dtypes)
tiny = dd.read_csv(files, dtype=trip_dtypes, blocksize="1MB")
print(f"default blocks: {year.npartitions} partitions; 1 MB blocks: {tiny.npartitions} partitions")
print(f"January and February in memory: about {all_bytes / len(few) / 2**20:.0f} MiB per partition")

# %%
# Reduce on the cluster, then compute
# -----------------------------------
# ``compute()`` brings its result into your process. Calling it on the whole table and then
# grouping with pandas moves every row from the workers to you; grouping with Dask first moves
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
# run, and the table crosses the loopback interface quickly. What grows with the data, and must
# fit in this process's memory, is what comes back:
whole_table = dd.read_csv(files[0], dtype=trip_dtypes).compute()
mean_by_station = reduce_with_dask()
print(f"compute(), then pandas:  {whole_table.memory_usage(deep=True).sum() / 2**10:9,.0f} KiB")
print(f"groupby, then compute(): {mean_by_station.memory_usage(deep=True) / 2**10:9,.0f} KiB")
del whole_table

# %%
# Watch progress with a progress bar
# ----------------------------------
# On a ``dask.distributed`` cluster the dashboard shows progress. Dask's local schedulers have
# diagnostics of their own in ``dask.diagnostics``; they see only the local schedulers, so we
# ask for the threaded one explicitly. ``ProgressBar`` redraws one line in place every ``dt``
# seconds; printed to a page, each redraw shows up after the previous one.
#
# One trap when a ``Client`` is open at the same time (as when this page is built): operations
# that shuffle data, such as ``value_counts`` over many partitions, are then planned as a
# peer-to-peer shuffle that runs only on the cluster, and ``compute(scheduler="threads")``
# fails. A groupby mean, as here, needs no shuffle.
import sys

from dask.diagnostics import ProgressBar

winter = dd.read_csv(few, dtype=trip_dtypes, blocksize="4MB")
with ProgressBar(out=sys.stdout, dt=0.1):
    by_station = winter.groupby("start station name")["tripduration"].mean()
    duration = by_station.compute(scheduler="threads")
(duration / 60).sort_values().tail(3)

# %%
# Profile a computation: which task ran when?
# -------------------------------------------
# ``Profiler`` records the start and end of every task and the thread that ran it;
# ``ResourceProfiler`` samples the CPU and memory use of the process. Let us profile a small
# pipeline with a flaw: find the busiest route (start station → end station) of three months.
# Each month is read by its own task, but the counting happens in one task, in a Python loop
# over every trip.
from collections import Counter

route = ["start station name", "end station name"]


@dask.delayed
def load(path):
    return pd.read_csv(path, usecols=route)


@dask.delayed
def count_in_a_loop(months):
    counts = Counter()
    for month in months:
        counts.update(zip(month["start station name"], month["end station name"]))
    return counts.most_common(1)[0]


# %%
# Run it with both profilers switched on:
from dask.diagnostics import Profiler, ResourceProfiler

slow = count_in_a_loop([load(path) for path in files[:3]])
with Profiler() as slow_profile, ResourceProfiler(dt=0.05) as slow_resources:
    slow_route = slow.compute(scheduler="threads")
slow_route

# %%
# Read the task stream
# --------------------
# ``slow_profile.results`` holds one record per task: its key, start and end times, and the
# thread (``worker_id``) that ran it. ``dask.diagnostics.visualize`` draws these with Bokeh as an
# interactive page; here we draw the same records with matplotlib, which keeps the page light:
# one row per thread, one box per task, coloured by the task's name, and the process's CPU use
# from ``slow_resources`` as a black line. This is a *task stream*, like the one on the
# dashboard of a ``dask.distributed`` cluster.
import matplotlib.pyplot as plt
from dask.utils import key_split

task_names = ["load", "count_in_a_loop", "count_routes", "busiest_route"]
colours = dict(zip(task_names, plt.cm.tab10.colors))


def plot_task_stream(profile, resources, title):
    fig, ax = plt.subplots(figsize=(9, 2.4))
    start = min(task.start_time for task in profile.results)
    thread_ids = sorted({task.worker_id for task in profile.results})
    threads = {thread_id: row for row, thread_id in enumerate(thread_ids)}
    for task in profile.results:
        box = [(task.start_time - start, task.end_time - task.start_time)]
        colour = colours[key_split(task.key)]
        ax.broken_barh(box, (threads[task.worker_id] - 0.4, 0.8), color=colour, edgecolor="white")
    ax.set(yticks=list(threads.values()), yticklabels=[f"thread {r}" for r in threads.values()])
    ax.set(xlabel="seconds since the first task started", title=title)
    names = sorted({key_split(task.key) for task in profile.results})
    ax.legend([plt.Rectangle((0, 0), 1, 1, color=colours[n]) for n in names], names,
              loc="upper left", bbox_to_anchor=(1.08, 1))
    cpu = ax.twinx()
    cpu.plot([r.time - start for r in resources.results], [r.cpu for r in resources.results], "k")
    cpu.set(ylabel="CPU %", ylim=(0, 210))
    plt.tight_layout()
    return ax


before_axes = plot_task_stream(slow_profile, slow_resources, "Before: a Python loop in one task")

# %%
# The picture answers "why is this slow?" without reading any code: both threads read files,
# then one long ``count_in_a_loop`` box runs alone while the other thread has nothing to do,
# and the process's CPU use stays at or below one core (100 % on a scale that goes to 200 %
# for two cores). That single serial task is the bottleneck. The fix follows the large-graph
# section: a vectorised task per month counts its routes with pandas, the months in parallel,
# and only a small sum is left for the end.


@dask.delayed
def count_routes(month):
    return month.value_counts(route)


@dask.delayed
def busiest_route(counts):
    total = pd.concat(counts).groupby(level=[0, 1]).sum()
    return total.idxmax(), int(total.max())


fast = busiest_route([count_routes(load(path)) for path in files[:3]])
with Profiler() as fast_profile, ResourceProfiler(dt=0.05) as fast_resources:
    fast_route = fast.compute(scheduler="threads")
fast_route

# %%
# The same drawing, on the same time scale as before:
after_axes = plot_task_stream(fast_profile, fast_resources, "After: a vectorised count per month")
after_axes.set_xlim(before_axes.get_xlim())


def wall_time(profile):
    return max(t.end_time for t in profile.results) - min(t.start_time for t in profile.results)


print(f"before: {wall_time(slow_profile):.2f} s, after: {wall_time(fast_profile):.2f} s")
print("same answer:", slow_route == fast_route)

# %%
# On a cluster: the performance report
# ------------------------------------
# ``dask.diagnostics`` sees only the local schedulers. On a ``dask.distributed`` cluster the same
# questions are answered by the dashboard's task stream, and by a *performance report*: one HTML
# file with the task stream, worker profiles and data transfers of everything computed inside a
# ``with`` block. It needs a ``Client`` in your Python session, and this page opens none, so the
# snippet below is shown, not run; the :ref:`dask.distributed lessons <dask-distributed>` start a
# cluster and record one.
#
# .. container:: not-run-here
#
#    .. code-block:: python
#
#       from distributed import performance_report
#
#       with performance_report(filename="report.html", mode="inline"):
#           result.compute()

# %%
# What one task costs
# -------------------
# Much of the above comes back to one number: the overhead of a single task, which sets how
# much work a task must hold to be worth it. We measure it with tiny tasks that do nothing,
# under each of Dask's schedulers. The processes scheduler and ``dask.distributed`` start
# worker *processes*, which re-import the script that started them, so the benchmark is a
# script of its own with an ``if __name__ == "__main__":`` guard, run in a fresh Python
# process. The process pool and the cluster each have two workers, running before the clock
# starts.
benchmark = '''
import json, multiprocessing, statistics, sys, time
from concurrent.futures import ProcessPoolExecutor

import dask
from distributed import Client, LocalCluster


def tiny(i):
    return i


def seconds_per_task(n, **scheduler):
    dask.compute(*[dask.delayed(tiny)(i) for i in range(20)], **scheduler)  # warm up
    runs = []
    for _ in range(3):
        tasks = [dask.delayed(tiny)(i) for i in range(n)]  # new tasks every run
        start = time.perf_counter()
        dask.compute(*tasks, **scheduler)
        runs.append((time.perf_counter() - start) / n)
    return statistics.median(runs)


if __name__ == "__main__":  # worker processes re-import this file
    n, cluster_address = int(sys.argv[1]), sys.argv[2:]
    seconds = {
        "synchronous": seconds_per_task(n, scheduler="synchronous"),
        "threads": seconds_per_task(n, scheduler="threads", num_workers=2),
    }
    spawn = multiprocessing.get_context("spawn")  # how Dask starts processes by default
    with ProcessPoolExecutor(2, mp_context=spawn) as pool:
        seconds["processes"] = seconds_per_task(n, scheduler="processes", pool=pool)
    if cluster_address:  # measure the cluster we were given
        with Client(cluster_address[0]) as client:
            seconds["distributed"] = seconds_per_task(n, scheduler=client)
    else:  # or start one like the process pool: two workers, one thread each
        with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                          dashboard_address="127.0.0.1:0") as cluster, Client(cluster) as client:
            seconds["distributed"] = seconds_per_task(n, scheduler=client)
    print(json.dumps(seconds))
'''

# %%
# Run it from a temporary folder that is removed afterwards: three runs of 400 tasks per
# scheduler. If this page runs on a ``dask.distributed`` cluster (as when the course site is
# built), the script measures that cluster; otherwise it starts one of its own.
import json
import subprocess
import tempfile
from pathlib import Path

from distributed import default_client

try:
    cluster_address = [default_client().scheduler.address]
except ValueError:  # no client, no cluster
    cluster_address = []
n_tasks = 400
with tempfile.TemporaryDirectory() as folder:
    script = Path(folder, "task_overhead.py")
    script.write_text(benchmark)
    command = [sys.executable, str(script), str(n_tasks), *cluster_address]
    run = subprocess.run(command, capture_output=True, text=True, check=True)
seconds_per_task = json.loads(run.stdout)

# %%
# Set against what the Dask documentation says. The `Best Practices page
# <https://docs.dask.org/en/stable/best-practices.html#avoid-very-large-graphs>`_ says of every
# task: "This is somewhere between 200us and 1ms." The `Scheduling page
# <https://docs.dask.org/en/stable/scheduling.html#local-threads>`_ says the threaded scheduler
# "introduces very little task overhead (around 50us per task)", and the `dask.distributed
# documentation <https://distributed.dask.org/en/stable/#motivation>`_ says "Each task suffers
# about 1ms of overhead." (An older page, `Shared Memory
# <https://docs.dask.org/en/stable/shared.html#performance>`_, puts the threaded scheduler at
# "200us overhead per task".) The documentation gives no figure of its own for the synchronous
# and processes schedulers.
docs_say = {
    "synchronous": "–",
    "threads": "around 50 µs (Scheduling)",
    "processes": "–",
    "distributed": "about 1 ms (dask.distributed)",
}
overhead = pd.DataFrame({
    "measured, µs per task": {name: round(s * 1e6) for name, s in seconds_per_task.items()},
    "measured, tasks per second": {name: round(1 / s) for name, s in seconds_per_task.items()},
    "Dask documentation": docs_say,
})
overhead

# %%
# These numbers come from a 2-core machine that other people share, so treat them as orders of
# magnitude. They still say how big a task must be: at a millisecond of overhead, a task should
# do well over a millisecond of work, tens or hundreds of milliseconds, for the overhead not to
# matter. The per-row graph above broke that rule; ``map_partitions`` kept it. The
# :ref:`Schedulers lesson <schedulers>` compares the schedulers on real work.
distributed_vs_threads = seconds_per_task["distributed"] / seconds_per_task["threads"]
print(f"a distributed task cost {distributed_vs_threads:.1f}× a threaded one here")

# %%
# Key points
# ----------
# - Load data with Dask (``dd.read_csv``, ``dd.read_parquet``): data read with pandas and handed
#   over with ``from_pandas`` is read serially and shipped inside the graph.
# - Every task costs scheduler time (measured above, per scheduler); keep graphs small by
#   giving each task real work, e.g. ``map_partitions`` instead of a ``delayed`` per row.
# - Persist the smallest thing you will reuse, and ``del`` it when done.
# - Partitions: small enough that several fit in a worker's memory, big enough that overhead
#   does not dominate (the docs suggest around 100 MB for DataFrames).
# - Reduce with Dask before ``compute()``: only the answer should travel to your process.
# - ``ProgressBar``, ``Profiler`` and ``ResourceProfiler`` diagnose the local schedulers; a
#   task stream shows a bottleneck as a long box with idle threads beside it. On a cluster, use
#   the dashboard and ``performance_report``.
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
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       usertypes = ["Subscriber", "Customer"]
#
#
#       def one_compute_each():
#           trips = dd.read_csv(few, dtype=trip_dtypes)
#           duration = trips["tripduration"]
#           return {u: duration[trips["usertype"] == u].mean().compute() for u in usertypes}
#
#
#       def one_compute_for_all():
#           trips = dd.read_csv(few, dtype=trip_dtypes)
#           duration = trips["tripduration"]
#           lazy = [duration[trips["usertype"] == u].mean() for u in usertypes]
#           return dict(zip(usertypes, dask.compute(*lazy)))
#
#
#       exercise_timings = compare(
#           {"compute() per type": one_compute_each, "one dask.compute()": one_compute_for_all}
#       )
#       means = one_compute_for_all()
#       print(exercise_timings)
#       print(means)
