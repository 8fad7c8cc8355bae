"""
What the optimiser does to a graph
==================================

Dask does not run the plan you wrote: before computing, it rewrites it. For DataFrames it moves
column selections and filters towards the files; ``optimize()`` and ``persist()`` also fuse
chains of steps into single tasks, which a DataFrame's ``compute()`` does not; for arrays,
``compute()`` fuses the tasks of each chunk. This lesson makes those rewrites visible, before
and after, counts the tasks the cluster really runs, and measures the one place where, for CSV
files, you must help.

**You will be able to:** draw a DataFrame's expression graph before and after ``optimize()``,
find which columns its read step carries, see task fusion in DataFrame and array graphs, count
the tasks a computation ran, and know when to pass ``usecols=`` yourself.

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners expect the graph they drew to be the one that runs;
#      for CSV they expect column selection to skip reading.
#    - **Do not skip:** The optimiser rewrites the plan (column projection, fusion); for CSV files,
#      pass ``usecols=`` yourself.
#    - **Ask the room:** Why can Parquet skip columns that a CSV reader cannot?

# %%
# A cluster to compute on
# -----------------------
# This lesson counts the tasks that computations really run, which a ``dask.distributed``
# cluster records, so it starts one. Its workers run as threads of this Python process, so the
# same cell works in a notebook and in a script; ``granted_cores()`` counts the cores this job
# may use.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)

# %%
# A query as written
# ------------------
# Long rides from three months, and two of their fifteen columns. ``visualize()`` draws the
# :term:`expression graph` exactly as the code built it, read from the bottom:
# ``FromMapProjectable`` is ``read_csv``'s step, ``ArrowStringConversion`` turns text columns
# into Arrow strings, then come the filter and the column selection.
import dask.dataframe as dd
from tutorial_helpers import bikes

months = bikes.trip_files()[:3]
trip_dtypes = {"birth year": "float64", "end station id": "float64"}
trips = dd.read_csv(months, dtype=trip_dtypes, parse_dates=["starttime", "stoptime"])

long_rides = trips[trips["tripduration"] > 30 * 60]
query = long_rides[["start station name", "tripduration"]]
query.visualize()

# %%
# The same query, optimised
# -------------------------
# ``optimize()`` returns the rewritten plan (``fuse=False`` keeps the steps apart so that they
# can be read; it is also what ``compute()`` runs, as the task counts below show). Two rewrites show: the filter now sits directly on the read, below the
# string conversion, which therefore converts only the rows kept (*filter pushdown*); and the
# selection of ``tripduration`` for the condition reads from the file step itself.
query.optimize(fuse=False).visualize()

# %%
# Which columns each step carries
# -------------------------------
# The drawing does not say how many columns flow along each edge. A Dask DataFrame's plan is
# its ``expr`` attribute; ``walk()`` goes through its steps, from the result down to the files,
# and each step knows its ``columns``. As written, the read produces all fifteen; optimised, the
# column selection has been pushed into the read step (*projection pushdown*).


def columns_per_step(df):
    for step in df.expr.walk():
        print(f"  {type(step).__name__:<22}{len(step.columns):>3} columns")


print("as written:")
columns_per_step(query)
print("optimised:")
columns_per_step(query.optimize(fuse=False))

# %%
# Two spellings, the same read
# ----------------------------
# Because the optimiser moves column selections to the read, the order you write selections and
# filters in matters much less. Selecting first and filtering second gives a read step that
# carries the same two columns; only the order of the cheap steps after it differs.
select_first = trips[["start station name", "tripduration"]]
select_first = select_first[select_first["tripduration"] > 30 * 60]
columns_per_step(select_first.optimize(fuse=False))

# %%
# Fusion: one task per partition
# ------------------------------
# Lowered to a :term:`task graph`, the unfused plan has a task for every step of every
# partition. Fusion joins each chain of steps that work partition by partition into one task, so
# no intermediate result is stored or sent between workers: in ``optimize()``'s graph, one
# ``read-fused-getitem`` task per file does all of it.
tasks_unfused = len(query.optimize(fuse=False).dask)
tasks_fused = len(query.optimize().dask)
print(f"{tasks_unfused} tasks unfused, {tasks_fused} fused")
query.optimize().visualize(tasks=True)

# %%
# Which graph runs?
# -----------------
# Not always the fused one. In Dask 2026.8 a DataFrame's ``compute()`` (and ``dask.compute``)
# optimises the plan with ``fuse=False``: it runs one task per step and partition. ``persist()``
# and ``optimize()`` fuse. The cluster records every task its workers finish inside a
# ``get_task_stream()`` block, so the two can be counted; ``key_split`` turns each task's key
# into the name of its step.
from dask.distributed import get_task_stream, wait
from dask.utils import key_split

with get_task_stream() as stream:
    query.compute()
tasks_computed = len(stream.data)
steps_computed = sorted({key_split(task["key"]) for task in stream.data})

with get_task_stream() as stream:
    wait(query.persist())
tasks_persisted = len(stream.data)
print(f"compute() ran {tasks_computed} tasks: {', '.join(steps_computed)}")
print(f"persist() ran {tasks_persisted} tasks")

# %%
# ``compute()`` ran the unfused graph's tasks, plus one (``repartitiontofewer``) that
# concatenates the partitions into the single pandas DataFrame it returns; ``persist()`` ran the fused graph, one task per file,
# and kept the partitions on the worker. The results are the same either way; the unfused run
# keeps each intermediate result as a task's output for a moment, and pays the scheduler's
# small cost per task more often.

# %%
# For CSV files, pass ``usecols=`` yourself
# -----------------------------------------
# The read step carries two columns, but what does it read? For Parquet files, only those two
# (:ref:`lesson 7 <io>`): columns are stored apart, and the others are never touched. A CSV file
# stores rows, so every byte of every line must be read and split into fields, whatever you
# select. What a column selection can save there is the rest of the work: turning the fields of
# the other columns into numbers, strings and dates, and holding them. Dask 2026.8's
# ``read_csv`` does not pass its column list on to pandas (it would only for a read without
# keywords, and it always adds ``header=`` itself): pandas converts all fifteen columns, dates
# included, and Dask drops the unused ones right after. ``usecols=`` tells pandas which columns
# to convert.
#
# Measured on the same question, three ways that differ in one thing at a time: the read as
# written above, with its dates parsed; the same read without ``parse_dates`` (the question
# needs no dates); and that read with ``usecols=`` naming the two columns. The files are read
# once more for each run, so ``compare`` skips its warm-up run (``warmup=0``).
from tutorial_helpers.timing import compare


def long_ride_seconds(**read_options):
    trips = dd.read_csv(months, dtype=trip_dtypes, **read_options)
    long_rides = trips[trips["tripduration"] > 30 * 60]
    return long_rides.groupby("start station name")["tripduration"].sum().compute()


two_columns = ["start station name", "tripduration"]
reading = compare(
    {
        "all columns, dates parsed": lambda: long_ride_seconds(parse_dates=["starttime", "stoptime"]),
        "all columns, no dates": lambda: long_ride_seconds(),
        "usecols=, no dates": lambda: long_ride_seconds(usecols=two_columns),
    },
    warmup=0,
)
reading

# %%
# What ``usecols=`` saves on its own, and what parsing two unused date columns cost:
print(
    reading.verdict(
        "usecols=, no dates",
        "all columns, no dates",
        otherwise="Reading and splitting every line, which usecols= cannot skip, is most of the "
        "work here; on a busy machine the noise can exceed the rest.",
    )
)
print(
    reading.verdict(
        "all columns, no dates",
        "all columns, dates parsed",
        otherwise="Parsing two date columns is a small share of reading these files; on a busy "
        "machine the noise can exceed it.",
    )
)
long_seconds = long_ride_seconds(usecols=two_columns)
print("start stations with the most long-ride minutes:")
print((long_seconds.sort_values().tail(3) / 60).round().to_string())

# %%
# Arrays: the high-level graph
# ----------------------------
# Dask Arrays keep a two-level plan too. ``x.dask`` is a *high-level graph*: one layer per
# operation, each knowing how to make its tasks for every :term:`chunk`. ``x.dask.visualize()``
# draws the layers.
import dask
import dask.array as da

x = da.random.default_rng(42).random((2000, 2000), chunks=(1000, 1000))
column_sums = ((x + 1) * 2).sum(axis=0)
column_sums.dask.visualize()

# %%
# Arrays: fusion, before and after
# --------------------------------
# ``visualize()`` draws the tasks as written: four layers of four tasks, one per chunk, before
# the partial sums of each column of chunks are combined. ``dask.optimize`` returns the
# optimised collection, here with fewer tasks (an Array's ``optimize`` fuses):
(optimized,) = dask.optimize(column_sums)
print(f"{len(column_sums.dask)} tasks as written, {len(optimized.dask)} after optimisation")
column_sums.visualize()

# %%
# ``visualize(optimize_graph=True)`` draws the optimised tasks: ``random``, ``add``, ``mul`` and
# the per-chunk ``sum`` have fused into one ``random-sum`` task per chunk, so the intermediate
# chunks are never kept, or sent between workers, as results of their own. (The small ``sum``
# nodes left above them are aliases: they only pass the fused result on under its old name.)
column_sums.visualize(optimize_graph=True)

# %%
# For arrays, ``compute()`` runs that optimised, fused graph; the task stream shows it, with
# one more task that joins the two column chunks into one NumPy array:
with get_task_stream() as stream:
    sums = column_sums.compute()
array_tasks_computed = len(stream.data)
array_steps_computed = sorted({key_split(task["key"]) for task in stream.data})
print(f"compute() ran {array_tasks_computed} tasks: {', '.join(array_steps_computed)}")
print(f"{len(optimized.dask)} tasks in the optimised graph")
sums[:5]

# %%
# Key points
# ----------
# - ``visualize()`` draws a DataFrame's expression graph as written;
#   ``optimize(fuse=False).visualize()`` draws the plan Dask will run, and
#   ``optimize().visualize(tasks=True)`` its tasks.
# - The optimiser pushes column selections and filters towards the files, so a selection
#   written late still shrinks the read. ``optimize()`` and ``persist()`` also fuse
#   per-partition chains into one task each; a DataFrame's ``compute()`` (Dask 2026.8) does
#   not, an Array's does. ``get_task_stream()`` counts the tasks a computation ran.
# - ``df.expr.walk()`` lists the plan's steps; each step's ``columns`` shows what it carries.
# - For CSV files, the optimiser narrows the read step, but pandas still converts every column
#   (dates included) and Dask drops the unused ones: pass ``usecols=`` when you need few of
#   many columns. Every byte of a CSV file is read either way; Parquet reads only the columns
#   asked for.
# - Arrays: ``x.dask.visualize()`` draws the layers of the high-level graph;
#   ``x.visualize(optimize_graph=True)`` the fused tasks.
#
# Exercise
# --------
# ``map_partitions`` runs your own function on every partition, and the optimiser cannot see
# inside it. The plan ``blind`` below computes the mean long-ride time in minutes per user type;
# use ``columns_per_step`` to find how many columns its read step carries, then rewrite it as
# ``plan``, so that the read carries only the two columns the answer needs, and compute it. Put
# the computed result in ``answer`` (a pandas Series of mean minutes, indexed by user type) and
# run the check below with ``plan=plan``: it compares with pandas on the same three files, counts
# the columns your plan's read step produces once optimised, and says what is wrong, without
# giving the answer away.


def in_minutes(df):
    return df.assign(minutes=df["tripduration"] / 60)


blind = long_rides.map_partitions(in_minutes).groupby("usertype")["minutes"].mean()
plan = None  # your rewritten plan, a Dask Series: replace None
answer = None  # your answer, the plan computed: replace None

# %%
from tutorial_helpers.exercises import check

check("optimized_graphs", answer, plan=plan)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       columns_per_step(blind.optimize(fuse=False))
#
#       narrow = long_rides[["usertype", "tripduration"]].map_partitions(in_minutes)
#       plan = narrow.groupby("usertype")["minutes"].mean()
#       columns_per_step(plan.optimize(fuse=False))
#       answer = plan.compute()
#       print(answer)
#       check("optimized_graphs", answer, plan=plan)

# %%
# Close the cluster
# -----------------
# Closing the client and the cluster stops the workers and frees everything they still hold.
client.close()
cluster.close()
