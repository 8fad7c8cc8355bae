"""
compute(), persist() and sharing work
=====================================

A line of Dask code adds a step to a plan; nothing runs until you ask for a result. This lesson
takes the workshop's "compute twice, or persist?" example onto two months of trips and goes
further: which calls run a plan, how ``dask.compute`` answers two questions in one pass, what
``persist()`` does to a graph, and what each choice costs in time *and* in memory on the
cluster, measured side by side. It ends with the case where persisting makes things worse.

**You will be able to:** name the calls that run a Dask graph, answer several questions in one
pass with ``dask.compute``, read what ``persist()`` leaves in a graph, and decide from measured
time and memory when persisting pays and when it hurts.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** On a cluster, ``persist()`` returns at once while the work
#      continues: a timing that stops there measures nothing.
#    - **Do not skip:** Two questions from the same data: one ``dask.compute`` call, or
#      ``persist()`` when many follow; persisting costs memory on the workers.
#    - **Ask the room:** When would you not persist, even though you reuse the data?

# %%
# A cluster to compute on
# -----------------------
# What ``persist()`` keeps, and where, depends on where Dask computes, so this lesson starts its
# own ``dask.distributed`` cluster first. The workers run as threads of this Python process, so
# the same cell works in a notebook and in a script; ``granted_cores()`` counts the cores this
# job may use. Every ``compute()`` and ``persist()`` below runs on this cluster, and the
# client's dashboard link shows its tasks live.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)

# %%
# A plan, not a result
# --------------------
# The workshop's example reads some files, drops incomplete rows, keeps the interesting ones and
# asks two questions. On the trips: rides longer than 30 minutes, their median duration, and the
# total long-ride time per start station. Two months, one partition each, keep the graphs small
# and the measurements quick; the ``dtype`` argument is the one :ref:`lesson 2 <dask-dataframe>`
# explained.
import dask.dataframe as dd
from tutorial_helpers import bikes

months = bikes.trip_files()[:2]
trip_dtypes = {"birth year": "float64", "end station id": "float64"}

trips = dd.read_csv(months, dtype=trip_dtypes)
trips = trips.dropna()
rides = trips[trips["tripduration"] > 30 * 60]

median = rides["tripduration"].median_approximate()
per_station = rides.groupby("start station name")["tripduration"].sum()
print(f"a Dask {type(per_station).__name__} of {per_station.dtype} sums in "
      f"{per_station.npartitions} partition(s), and no values")

# %%
# ``per_station`` knows its type and how many partitions it will have, and holds the plan that
# produces it, but no values: no file has been read yet (:term:`lazy evaluation`).
#
# Calls that run the plan
# -----------------------
# ``compute()`` runs the whole graph (:term:`compute`) and returns an ordinary result: a pandas object, a NumPy
# array, a Python number. ``head()`` runs straight away too, but only on the first partition: a
# cheap look at a few rows, here from January alone.
median_seconds = median.compute()
print(f"median long ride: {median_seconds / 60:.1f} minutes, a {type(median_seconds).__name__}")
rides[["starttime", "start station name", "tripduration"]].head(3)

# %%
# ``take()``: the head of a Bag
# -----------------------------
# Dask Bags, parallel lists of Python objects, have ``take(n)`` in place of ``head()``: the first
# ``n`` elements, computed from the first partition. Dask Arrays have neither: slice, then
# compute (``x[:5].compute()`` computes only the chunks the slice touches); ``dask.array.take``
# is NumPy's ``take``, a lazy selection, not a peek.
#
# Like everything else here, it runs on the cluster started above:
import dask
import dask.bag as db

lines = db.read_text(months)  # one element per line of text, one partition per file
first_lines = lines.take(2)
for line in first_lines:
    print(line[:72], "...")

# %%
# Two questions, one pass
# -----------------------
# Each ``compute()`` runs its graph from the files, so ``median.compute()`` followed by
# ``per_station.compute()`` reads and cleans both months twice. ``dask.compute(median,
# per_station)`` optimises both together and runs *one* graph, in which the steps they share
# appear once. Here is that graph, read from the bottom: per file, ``read-csv``,
# ``to_string_dtype`` (text to Arrow strings) and ``dropna`` run once; then it splits into the
# median's branch and the per-station sum's branch. (The ``dropna`` high in the median's branch
# is the median's own: it skips missing durations.)
#
# ``dask.visualize(median, per_station)`` fails on DataFrame reductions in this Dask version, so
# optimise them first. ``fuse=False`` keeps every step visible, and it is also what a
# DataFrame's ``compute()`` runs: ``dask.compute`` optimises the plan but does not fuse its
# steps into fewer tasks (in Dask 2026.8, its final ``optimize()`` runs with ``fuse=False``).
dask.visualize(median.optimize(fuse=False), per_station.optimize(fuse=False))

# %%
# The cluster can tell which tasks it ran: ``get_task_stream()`` records every task the workers
# finish inside its ``with`` block. Counted against the drawing (the two graphs share their
# reading steps, so a task that appears in both counts once):
from dask.distributed import get_task_stream

with get_task_stream() as stream:
    dask.compute(median, per_station)
tasks_together = len(stream.data)
unfused = {**median.optimize(fuse=False).dask, **per_station.optimize(fuse=False).dask}
fused = {**median.optimize().dask, **per_station.optimize().dask}
print(f"dask.compute ran {tasks_together} tasks; the graphs drawn hold {len(unfused)}, "
      f"fused they would hold {len(fused)}")

# %%
# Measured: compute twice, compute together, or persist
# -----------------------------------------------------
# Three ways to get both answers. Each function builds everything afresh, so that no run profits
# from an earlier one. ``compare`` runs each once to warm up, then three times, and reports the
# median time; for collections a function returns (the persisted rides) it also reports the
# memory they hold on the cluster.
from tutorial_helpers.timing import compare


def long_rides():
    trips = dd.read_csv(months, dtype=trip_dtypes).dropna()
    return trips[trips["tripduration"] > 30 * 60]


def compute_twice():
    rides = long_rides()
    median = rides["tripduration"].median_approximate().compute()
    per_station = rides.groupby("start station name")["tripduration"].sum().compute()
    return median, per_station


def compute_together():
    rides = long_rides()
    median = rides["tripduration"].median_approximate()
    per_station = rides.groupby("start station name")["tripduration"].sum()
    return dask.compute(median, per_station)


def persist_then_compute_twice():
    rides = long_rides().persist()
    median = rides["tripduration"].median_approximate().compute()
    per_station = rides.groupby("start station name")["tripduration"].sum().compute()
    return rides, median, per_station


# %%
sharing = compare(
    {
        "compute() twice": compute_twice,
        "dask.compute(median, per_station)": compute_together,
        "persist(), then compute() twice": persist_then_compute_twice,
    }
)
sharing

# %%
# Both ways of sharing the reading read the files once instead of twice, so expect both to beat
# reading twice. In this run:
print(
    sharing.verdict(
        "dask.compute(median, per_station)",
        "compute() twice",
        otherwise="Two months are quick to read: when other programs keep the cores busy, the "
        "saving of one read can drown in the noise.",
    )
)
print(
    sharing.verdict(
        "persist(), then compute() twice",
        "compute() twice",
        otherwise="Persisting adds work of its own: the rides are stored on the workers before "
        "either question starts, and the first question waits for all of them. With two "
        "quickly read months, that can cost more than the read it saves.",
    )
)

# %%
# The memory column is the difference between them. ``dask.compute`` holds nothing once it has
# answered; the persisted rides stay on the workers for as long as a Python name refers to them.
# When all the questions are known up front, ask them together. ``persist()`` is for questions
# that come one at a time: in an interactive session, or when the next question depends on the
# last answer.
#
# What persist() does to the graph
# --------------------------------
# Before persisting, the task graph of ``rides`` starts at the files. Per file: read, convert the
# text, drop incomplete rows, and filter (``gt`` computes the condition, ``getitem`` applies it).
rides.optimize(fuse=False).visualize(tasks=True)

# %%
# ``persist()`` hands that graph to the cluster and returns at once with a :term:`collection` of the same
# kind whose graph is one layer deep: one task per partition, each standing for a partition that
# is being, or has been, computed on a worker. Every later question starts from these instead of
# from the files. (Without a cluster, ``persist()`` computes in your session first, and the graph
# holds the pandas DataFrames themselves.) Unlike ``compute()``, ``persist()`` fuses: it runs
# ``optimize()``, so each partition's chain of steps is one task. ``wait`` blocks until the
# workers are done, so that the task stream has seen them all:
from dask.distributed import wait

tasks_rides_unfused = len(rides.optimize(fuse=False).dask)
tasks_rides_fused = len(rides.optimize().dask)
with get_task_stream() as stream:
    rides = rides.persist()
    wait(rides)
tasks_persisted = len(stream.data)
print(f"persist() ran {tasks_persisted} tasks for {rides.npartitions} partitions; the graph "
      f"above holds {tasks_rides_unfused}, fused {tasks_rides_fused}")
rides.visualize(tasks=True)

# %%
# The workshop's two questions now read only the persisted rides. ``memory_usage`` adds up what
# the partitions hold, pandas' view of the figure in the table's memory column.
median_minutes = rides["tripduration"].median_approximate().compute() / 60
per_station = rides.groupby("start station name")["tripduration"].sum().compute()
held = rides.memory_usage(deep=True).sum().compute()
print(f"median long ride: {median_minutes:.1f} minutes")
print(f"persisted long rides: {len(rides):,} rows, {held / 2**20:.1f} MiB")
per_station.sort_values(ascending=False).head()

# %%
# When persist() hurts
# --------------------
# Persisting is a bet that the data will be used again, and the price is memory for as long as
# the collection lives. Persisting too early raises the price: straight after reading, every
# row and all fifteen columns stay on the workers, although the questions above needed a small
# share of the rows and two columns. It also hides the plan from the optimiser, which can no longer
# leave out what the question does not use (the next lesson shows what it leaves out).
everything = dd.read_csv(months, dtype=trip_dtypes).persist()
held_everything = everything.memory_usage(deep=True).sum().compute()
print(f"all trips persisted: {held_everything / 2**20:.1f} MiB on the workers, "
      f"{held_everything / held:.0f}× what the persisted long rides hold")

# %%
# Persisted data also competes with the work itself for the workers' memory (the limit per
# worker is stated under the table above). A worker close to its limit :term:`spills <spill>`
# data to disk, and reading it back can be slower than reading the CSV files again. Release
# persisted data you no longer need by dropping the names that refer to it: when the last
# reference to a persisted partition goes, the workers free it.
#
# One wrinkle in this Dask version: ``median_approximate`` and ``quantile`` cache a small
# function on their plan that refers back to the plan itself, a reference cycle, and the plan
# refers to the persisted partitions it started from. Python frees objects in a cycle only when
# its cyclic garbage collector runs, which may be much later. So after the median above, ``del
# rides`` alone can leave the long rides on the workers; ``gc.collect()`` runs the collector
# now.
# (``everything`` was only counted, so ``del`` frees it at once.)
import gc

del everything, rides
_ = gc.collect()  # the median's reference cycle still held the persisted rides

# %%
# Key points
# ----------
# - Operations on Dask collections build a plan. ``compute()``, ``head()`` (DataFrames),
#   ``take()`` (Bags) and ``persist()`` run it; ``head()`` and ``take()`` only on the first
#   partition.
# - A DataFrame's ``compute()`` runs the optimised but unfused plan, one task per step and
#   partition; ``persist()`` fuses each partition's chain into one task. ``get_task_stream()``
#   counts what the cluster really ran.
# - ``dask.compute(a, b)`` optimises several results together and runs the steps they share
#   once, holding nothing afterwards: the first choice when the questions are known up front.
# - ``persist()`` runs the graph so far and keeps the result on the workers. Its graph collapses
#   to one task per ready partition, so later questions start from memory: faster follow-ups,
#   paid for in memory, as the measured tables show.
# - Persist late and small: after filtering and selecting, not straight after reading, or the
#   optimiser cannot skip what you never use. ``del`` the collection to free its memory (after
#   a ``median_approximate`` or ``quantile`` in this Dask version, ``gc.collect()`` too).
#
# Exercise
# --------
# Starting again from the files with ``fresh = long_rides()``, count the long rides of each user
# type and find the longest ride in minutes. Read the files only once, and hold nothing on the
# cluster afterwards. Put your answer in ``answer`` (a pair: a pandas Series of long rides
# indexed by user type, and the longest ride in minutes as a float), computed inside the
# ``get_task_stream()`` block below, and run the check: it compares with pandas on the same two
# files, counts the reads among the tasks the cluster ran, looks for persisted partitions in
# ``fresh``, and says what is wrong, without giving the answer away.
fresh = long_rides()
with get_task_stream() as stream:
    answer = None  # your answer, computed from fresh: replace None

# %%
from tutorial_helpers.exercises import check

check("compute_and_persist", answer, tasks=stream.data, rides=fresh)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       fresh = long_rides()
#       with get_task_stream() as stream:
#           long_per_usertype, longest = dask.compute(
#               fresh["usertype"].value_counts(), fresh["tripduration"].max()
#           )
#           answer = (long_per_usertype, longest / 60)
#       print(long_per_usertype)
#       print(f"longest: {longest / 60:.0f} minutes")
#       check("compute_and_persist", answer, tasks=stream.data, rides=fresh)

# %%
# Close the cluster
# -----------------
# Closing the client and the cluster stops the workers and frees everything they still hold.
client.close()
cluster.close()
