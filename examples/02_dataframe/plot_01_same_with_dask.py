"""
The same analysis with Dask DataFrame
=====================================

Run the pandas analysis of the previous lesson over all twelve months at once with
``dask.dataframe``: nearly the same code, but lazy. You will see the plan Dask builds (its
graph), run it with ``compute()``, and measure what ``persist()`` saves when two follow-up
questions start from the same cleaned data. The next lesson asks whether Dask is faster than
pandas at all.

**You will be able to:** turn pandas code into Dask DataFrame code, tell a lazy result from a
computed one, read a small task graph, and decide between computing twice and persisting.

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners print a Dask result and see a lazy object instead of
#      numbers; or call ``compute()`` on every line out of habit.
#    - **Do not skip:** Nothing runs until ``compute()``: the code is the same as pandas, the
#      timing is not.
#    - **Ask the room:** Before ``compute()``: how many tasks do you expect, and why that many?

# %%
# A cluster to compute on
# -----------------------
# Dask computes wherever its scheduler runs. This lesson starts a small :term:`cluster` on this
# machine, so that ``compute()`` and ``persist()`` run on its worker, exactly as they would on a
# bigger one: one worker whose threads run inside this Python process (so a script needs no
# ``if __name__ == "__main__":`` line), as many threads as this job's cores, and every service on
# the loopback address. ``Client(cluster)`` makes it the default for everything below.
# (``silence_logs`` hides the warning Dask logs each time a P2P shuffle starts and ends.)
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
    silence_logs="error",
)
client = Client(cluster)

# %%
# Read every month, lazily
# ------------------------
# ``dask.dataframe.read_csv`` takes a list of files (or a glob pattern) and returns at once:
# it reads only the start of the first file to guess the columns and their types. Each file
# becomes at least one :term:`partition`, a pandas DataFrame that Dask will load when needed.
#
# That guess is the first trap of real data. The first rows of January all have a birth year
# and an end station, so Dask guesses whole numbers (``int64``) for those columns; rows further
# on have them missing, which pandas can only hold as ``float64``, and the computation would
# stop with "Mismatched dtypes found". pandas never guesses: it reads the whole file first. With
# Dask, name the types that the start of the data cannot tell.
import dask.dataframe as dd
from tutorial_helpers import bikes

files = bikes.trip_files()
trip_dtypes = {"birth year": "float64", "end station id": "float64"}
trips = dd.read_csv(files, dtype=trip_dtypes, parse_dates=["starttime", "stoptime"])
print(f"{len(files)} files -> {trips.npartitions} partitions")
trips

# %%
# The same cleaning and questions, unchanged
# ------------------------------------------
# The pandas lines from the previous lesson work as they are. Nothing is read yet: each line
# adds a step to a plan (:term:`lazy evaluation`). A Dask result knows its type and how many
# partitions it will have, but holds no values.
clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
trips_per_station = clean["start station name"].value_counts()
minutes_by_usertype = clean.groupby("usertype")["tripduration"].mean() / 60
trips_per_hour = clean["starttime"].dt.hour.value_counts()
print(f"a Dask {type(trips_per_station).__name__} of {trips_per_station.dtype} counts, "
      f"in {trips_per_station.npartitions} partitions, not computed yet")

# %%
# The plan, drawn
# ---------------
# ``visualize()`` on a Dask DataFrame draws its :term:`expression graph`: the operations you
# asked for, read from the bottom up. Dask optimises this plan before running it.
trips_per_station.visualize()

# %%
# The tasks that will run
# -----------------------
# ``visualize(tasks=True)`` draws the :term:`task graph` instead: one node per piece of work.
# Reductions such as ``value_counts`` are turned into tasks during optimisation, so optimise
# first to see them. Twelve partitions make a graph too wide to read, so here are the first
# three (``partitions[:3]``). Read from the bottom: in this optimised graph, one task per
# partition reads it, filters it and counts its stations (``optimize()`` *fuses* the steps a
# partition goes through into one task); a ``valuecounts-tree`` task then adds the three
# partial counts up. With more partitions, the partial counts are added up in a tree, a few at
# a time.
#
# That tree is what ``split_out=1`` asks for: all the counts in one partition, plenty for a few
# hundred stations. By default, ``value_counts`` keeps its result split over as many
# partitions as its input (the 12 printed above), in case there are too many distinct values
# for one; with a cluster's client, that is a :term:`shuffle` in which the workers send each
# other their partial counts, station by station (Dask's shuffle method here, printed below,
# is ``p2p``): a graph several times bigger.
from dask.utils import get_default_shuffle_method

shuffle_method = get_default_shuffle_method()
print("shuffle method with this client:", shuffle_method)
first_three = clean.partitions[:3]["start station name"].value_counts(split_out=1)
optimized = first_three.optimize()
tasks_in_optimized = len(optimized.dask)
print(f"{tasks_in_optimized} tasks in the optimised graph")
optimized.visualize(tasks=True)

# %%
# Fused or not: what actually runs
# --------------------------------
# The drawing is the graph ``persist()`` runs. ``compute()`` optimises too, but in this version
# of Dask it does not fuse a DataFrame's graph: every step of every partition runs as a task of
# its own, and the results pass from one to the next on the worker. The scheduler's task
# stream records the tasks each call ran on the cluster, and their names say which step each
# one was:
from dask.distributed import get_task_stream, wait
from dask.utils import key_split

with get_task_stream() as stream:
    first_three.compute()
tasks_run_by_compute = len(stream.data)
steps_run_by_compute = sorted({key_split(task["key"]) for task in stream.data})
with get_task_stream() as stream:
    wait(first_three.persist())
tasks_run_by_persist = len(stream.data)
print(f"compute() ran {tasks_run_by_compute} tasks, persist() {tasks_run_by_persist}, "
      f"the optimised graph has {tasks_in_optimized}")
print("the steps compute() ran:", ", ".join(steps_run_by_compute))

# %%
# ``compute()`` runs the plan
# ---------------------------
# ``compute()`` executes the graph on the :term:`cluster` and returns ordinary pandas objects.
# ``dask.compute`` runs several results in one pass, so the files are read once for all of
# them. One more question needs the whole year: how many trips start in each month.
import dask

trips_per_month = clean["starttime"].dt.month.value_counts()
trips_per_station, minutes_by_usertype, trips_per_hour, trips_per_month = dask.compute(
    trips_per_station, minutes_by_usertype, trips_per_hour, trips_per_month
)
trips_per_station.nlargest(10)  # Dask returns the counts unsorted

# %%
# The answers are pandas objects now, and the year shows what one month could not: the
# seasons, in the trips per month, and the commuting peaks, in the trips per hour below.
print(minutes_by_usertype.round(1).to_string())
trips_per_month.sort_index().rename_axis("month").to_frame("trips").T

# %%
import matplotlib.pyplot as plt

ax = trips_per_hour.sort_index().plot.bar(
    xlabel="hour of the day", ylabel="trips", figsize=(8, 3), rot=0
)
ax.set_title("Trips by starting hour, all months")
plt.tight_layout()

# %%
# pandas and Dask, side by side
# -----------------------------
# The whole conversion so far. Two things changed: ``read_csv`` takes every file and is told the
# column types it cannot guess, and the results are computed explicitly, in one pass, at the end.
#
# .. tab-set::
#
#    .. tab-item:: pandas: one month (lesson 1)
#
#       .. code-block:: python
#
#          import pandas as pd
#
#          trips = pd.read_csv(files[0], parse_dates=["starttime", "stoptime"])
#          clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
#          trips_per_station = clean["start station name"].value_counts()
#          minutes_by_usertype = clean.groupby("usertype")["tripduration"].mean() / 60
#          trips_per_hour = clean["starttime"].dt.hour.value_counts().sort_index()
#
#    .. tab-item:: Dask: all months
#
#       .. code-block:: python
#
#          import dask
#          import dask.dataframe as dd
#
#          trip_dtypes = {"birth year": "float64", "end station id": "float64"}
#          trips = dd.read_csv(files, dtype=trip_dtypes, parse_dates=["starttime", "stoptime"])
#          clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
#          trips_per_station = clean["start station name"].value_counts()
#          minutes_by_usertype = clean.groupby("usertype")["tripduration"].mean() / 60
#          trips_per_hour = clean["starttime"].dt.hour.value_counts()
#          trips_per_station, minutes_by_usertype, trips_per_hour = dask.compute(
#              trips_per_station, minutes_by_usertype, trips_per_hour
#          )

# %%
# Two follow-up questions: compute twice, or persist once?
# ---------------------------------------------------------
# Say we now study long summer rides (June to August, over 30 minutes): their median duration,
# and the total long-ride time per start station. Each ``compute()`` runs the whole graph from
# the CSV files. With :term:`persist() <persist>`, the cluster runs the graph up to the long
# rides once and keeps that result in its :term:`workers' <worker>` memory; both questions then
# start from there.
#
# Each function below builds everything afresh, so that no run profits from an earlier one.
# ``compare`` runs each three times and reports the median. Its usual warm-up run is skipped
# (``warmup=0``): if a first run is slow (files not yet in the operating system's cache, a cold
# worker), the median of three discards it anyway. It also waits for persisted data to be
# complete (``persist()`` returns before the work is done) and reports the memory the persisted
# rides hold on the cluster.
from tutorial_helpers.timing import compare

summer = files[5:8]
print("summer:", [path.name for path in summer])


def long_rides():
    trips = dd.read_csv(summer, dtype=trip_dtypes)  # no dates needed: durations only
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    return clean[clean["tripduration"] > 30 * 60]


def compute_twice():
    rides = long_rides()
    median = rides["tripduration"].median_approximate().compute()
    per_station = rides.groupby("start station name")["tripduration"].sum().compute()
    return median, per_station


def persist_then_compute_twice():
    rides = long_rides().persist()
    median = rides["tripduration"].median_approximate().compute()
    per_station = rides.groupby("start station name")["tripduration"].sum().compute()
    return rides, median, per_station


persist_timings = compare(
    {"compute() twice": compute_twice, "persist(), then compute() twice": persist_then_compute_twice},
    warmup=0,
)
persist_timings

# %%
# Persisting trades memory for time: the long rides stay on the workers for as long as
# ``rides`` is referenced, and the second question starts from them instead of from the files.
# That is worth it when several questions share an expensive start, and wasteful for data you
# use once. On this run:
print(
    persist_timings.verdict(
        "persist(), then compute() twice",
        "compute() twice",
        otherwise="Persisting adds work of its own: the rides are stored on the workers "
        "before either question starts. When a second read of the files is cheap (they sit in "
        "the operating system's cache, many cores share the reading) or other programs keep "
        "the cores busy, that can cost more than the read it saves.",
    )
)

# %%
# Key points
# ----------
# - ``dask.dataframe`` mirrors the pandas API; most pandas lines carry over unchanged.
# - Dask collections are lazy: operations build a graph, and ``compute()`` (or
#   ``dask.compute`` for several results at once) runs it and returns pandas objects.
# - ``visualize()`` draws the expression graph; ``optimize().visualize(tasks=True)`` draws the
#   optimised task graph, one fused task per partition, which ``persist()`` runs (draw a few
#   partitions: ``partitions[:3]``). A DataFrame's ``compute()`` runs the same steps unfused,
#   one task per step: the task stream counts them.
# - ``value_counts(split_out=1)`` combines partial counts in a tree, into one partition; the
#   default keeps the result in many partitions, with a (P2P, on a cluster) shuffle between the
#   workers.
# - :term:`persist() <persist>` computes up to a point and keeps the result in the cluster's
#   memory: faster follow-up questions, paid for in memory. The tables above measured both sides.
# - Some operations are approximate or missing in parallel: an exact ``median`` over many
#   partitions is one, so Dask offers ``median_approximate``.

# %%
# Exercise
# --------
# Which start station has the highest share of customer (non-subscriber) trips, among the
# stations where at least 1 % of all clean trips start? Compute it from ``clean`` with one
# ``compute()`` call. Put your answer in ``answer`` (the station's name, a ``str``) and run the
# check below: it compares with a reference computed with pandas from the same files and says
# what is wrong, without giving the answer away.
answer = None  # your answer, computed: replace None

# %%
from tutorial_helpers.exercises import check

check("same_with_dask", answer)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       is_customer = (clean["usertype"] == "Customer").astype("int64")
#       by_station = is_customer.groupby(clean["start station name"]).agg(["sum", "count"])
#       by_station = by_station.compute()
#       # Every clean trip has a start station: the counts add up to all clean trips.
#       busy = by_station[by_station["count"] >= 0.01 * by_station["count"].sum()]
#       customer_share = busy["sum"] / busy["count"]
#       print(customer_share.sort_values().tail(3))
#       answer = customer_share.idxmax()
#       check("same_with_dask", answer)

# %%
# Close the cluster
# -----------------
# Closing the client and the cluster stops the worker's threads and frees what it held.
client.close()
cluster.close()
