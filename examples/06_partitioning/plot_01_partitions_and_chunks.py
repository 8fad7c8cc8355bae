"""
Partitions, divisions and chunks
================================

A Dask DataFrame is a sequence of pandas DataFrames, its :term:`partitions <partition>`; a Dask
Array is a grid of NumPy arrays, its :term:`chunks <chunk>`. Every task works on one piece, so
the way data is cut decides how much can run in parallel, how much each task holds in memory,
and how many tasks the scheduler must handle. This lesson shows how ``read_csv`` cuts files,
what Dask knows about each partition (its *divisions*), how to re-cut data that a filter has
thinned out, and how to re-chunk an array.

**You will be able to:** predict ``npartitions`` from ``blocksize``, make divisions known and
use them, inspect partition lengths and sizes, use ``repartition`` after a filter (to a number
of partitions or to a size), and read and change an array's ``chunks``.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners confuse ``npartitions`` with the number of files, or
#      forget to repartition after a filter leaves many tiny partitions.
#    - **Do not skip:** Divisions: when Dask knows them, ``loc`` and joins on the index touch only
#      the partitions they need.
#    - **Ask the room:** After a filter that keeps 1% of the rows, what happens to the number of
#      partitions, and what would you do?

# %%
# A cluster to compute on
# -----------------------
# Partitions decide how work spreads over workers, so this lesson computes on a
# ``dask.distributed`` cluster of its own. Its workers run as threads of this Python process,
# so the same cell works in a notebook and in a script; ``granted_cores()`` counts the cores
# this job may use.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)

# %%
# How ``read_csv`` cuts files
# ---------------------------
# ``read_csv`` never puts two files in one partition, and cuts each file into byte ranges of
# about ``blocksize`` bytes: ``size // blocksize`` pieces, at least one, so each piece is
# between one and two blocksizes long. The default is 64 MB at most (less on machines with
# little memory per core). The sizes of the twelve monthly files, and what each blocksize makes
# of them:
import dask
import dask.dataframe as dd
import pandas as pd
from tutorial_helpers import bikes

files = bikes.trip_files()
trip_dtypes = {"birth year": "float64", "end station id": "float64"}
print("file sizes, MB:", [round(f.stat().st_size / 1e6, 1) for f in files])

blocksizes = [None, "default", "16MB", "10MB", "4MB"]
partition_counts = pd.DataFrame(
    {
        "blocksize": [str(b) for b in blocksizes],
        "npartitions": [dd.read_csv(files, dtype=trip_dtypes, blocksize=b).npartitions for b in blocksizes],
    }
)
partition_counts

# %%
# ``blocksize=None`` gives one partition per file, whatever its size. Otherwise a file splits
# only once it holds two blocksizes, so as the blocksize shrinks the large summer files split
# first. None of this read the data: the file sizes are enough.
#
# Divisions: what Dask knows about each partition
# -----------------------------------------------
# Each partition holds a range of the index, and a DataFrame's :term:`divisions` are the boundaries
# of these ranges, when Dask knows them. After ``read_csv`` it does not: the index is just a row
# number that restarts in every partition, so ``divisions`` holds only ``None``.
trips = dd.read_csv(files, dtype=trip_dtypes, parse_dates=["starttime", "stoptime"])
print(trips.known_divisions, trips.divisions[:3], "...")

# %%
# Sorting by a column makes divisions known. ``set_index("starttime")`` alone reads the column
# once as soon as Dask plans the work (to optimise it, compute it, or tell its ``divisions``),
# to find every partition's smallest and largest value (and quantiles to choose boundaries
# from). If those ranges come in order and do not overlap, Dask keeps the
# partitions as they are, sorts inside each one, and takes each partition's first start time
# as a boundary; only otherwise does it shuffle every row into place, a second pass. The steps
# of the plan it builds, here for the first three months:
from dask.distributed import get_task_stream
from dask.utils import key_split

with get_task_stream() as stream:
    first_months = dd.read_csv(files[:3], dtype=trip_dtypes, parse_dates=["starttime", "stoptime"])
    sorted_plan = first_months.set_index("starttime").optimize(fuse=False)
plan_steps = sorted({type(step).__name__ for step in sorted_plan.expr.walk()})
print("steps:", ", ".join(plan_steps))
print(f"{len(stream.data)} tasks ran while planning: "
      f"{', '.join(sorted({key_split(task['key']) for task in stream.data}))}")

# %%
# ``SetIndexBlockwise`` and ``SortIndexBlockwise`` work partition by partition: no shuffle step.
# Finding that out cost a pass over the files (the ``min``, ``max`` and quantile tasks), before
# any question was asked. Here each file is one month, already in time order, so we can tell Dask
# the boundaries and save even that pass: ``sorted=True`` says no row has to move, and
# ``divisions=`` gives the month starts (Dask trusts them, so they must be right).
month_starts = list(pd.date_range("2019-01-01", "2020-01-01", freq="MS"))
by_time = trips.set_index("starttime", sorted=True, divisions=month_starts)
print(by_time.known_divisions, by_time.divisions[:3], "...")

# %%
# Known divisions pay off in selections: a date range maps to the partitions that can hold it,
# and the others are never read. One day in July touches one of the twelve partitions:
july_4th = by_time.loc["2019-07-04"]
print(f"partitions to read: {july_4th.npartitions} of {by_time.npartitions}")
july_4th = july_4th.compute()
print(f"{len(july_4th):,} trips on July 4th")
july_4th[["tripduration", "start station name"]].head(3)

# %%
# Partition lengths after a filter
# --------------------------------
# Filtering keeps the partitions and shrinks each one. Read January to March in 2 MB pieces and
# keep only rides longer than an hour, a small share of all trips: pieces that held thousands of
# rows now hold few. ``persist()`` starts computing the result on the cluster and keeps it in
# the worker's memory, and ``map_partitions(len)`` counts the rows of every partition.
winter = dd.read_csv(files[:3], dtype=trip_dtypes, blocksize="2MB")
long_rides = winter[winter["tripduration"] > 60 * 60].persist()
lengths = long_rides.map_partitions(len).compute()
print(f"{long_rides.npartitions} partitions, {lengths.min()} to {lengths.max()} rows each")
lengths.tolist()

# %%
# ``repartition(npartitions=...)``
# --------------------------------
# ``repartition`` re-cuts a collection. Asking for fewer partitions concatenates neighbours, so
# no row moves far, and from data already on the cluster it is cheap.
fewer = long_rides.repartition(npartitions=2)
fewer.map_partitions(len).compute().tolist()

# %%
# The task graph shows what that means, drawn for the first four pieces of the filter asked to
# become two (all of them would make the drawing too wide to read). At the bottom, one task per
# piece reads and filters it (``read-fused``): the four partitions before. Above, each new
# partition is one ``repartitiontofewer`` task that concatenates two neighbours. No other data
# moves, and no new partition waits for any but its own two.
first_four = winter[winter["tripduration"] > 60 * 60].partitions[:4]
first_four.repartition(npartitions=2).optimize().visualize(tasks=True)

# %%
# Why bother? Every partition is at least one task, and every task costs the scheduler about the
# same whatever its size (the next lesson measures how much). Partitions can also change the
# algorithm: a groupby aggregation over more than 15 partitions on one key splits its result
# into one partition per 15 in (``split_out``) and shuffles rows between partitions to build it,
# a plan made for large results; for a small one it is mostly overhead. On a
# ``dask.distributed`` cluster such a shuffle uses Dask's P2P method by default. Optimising
# shows the plan without running it; the table measures both.
import dask.utils

from tutorial_helpers.timing import compare


def mean_per_station(rides):
    return rides.groupby("start station name")["tripduration"].mean()


out_partitions = {}
for rides in [long_rides, fewer]:
    out_partitions[rides.npartitions] = mean_per_station(rides).optimize().npartitions
    print(f"{rides.npartitions:>2} partitions in -> "
          f"{out_partitions[rides.npartitions]} partition(s) out")
shuffle_method = dask.utils.get_default_shuffle_method()
print("shuffle method:", shuffle_method)

as_filtered = f"{long_rides.npartitions} partitions, as filtered"
groupby_timings = compare(
    {
        as_filtered: lambda: mean_per_station(long_rides).compute(),
        "repartition(npartitions=2) first": lambda: mean_per_station(long_rides.repartition(npartitions=2)).compute(),
    }
)
groupby_timings

# %%
# On this cluster:
print(groupby_timings.verdict(
    "repartition(npartitions=2) first", as_filtered,
    otherwise="With many workers, or much larger partitions, the work spread over more "
    "partitions can outweigh the cost of their tasks and the shuffle.",
))

# %%
# Repartition by size
# -------------------
# A number of partitions is easy to ask for, but what you usually want is a size:
# ``repartition(partition_size="100MB")`` combines neighbouring partitions, and splits large
# ones, into pieces of at most about that size in memory. To do so it must know every
# partition's size first, so it measures them: a computation of its own, run as soon as Dask
# needs the new number of partitions.
#
# **A known hang on Python 3.11 and older.** When the scheduler runs inside your own Python
# process, that measurement never finishes
# (`dask/distributed#9101 <https://github.com/dask/distributed/issues/9101>`_). The cause is
# in Python: before 3.12, a ``functools.cached_property`` could be computed by only one thread
# at a time, for all objects of a class together
# (`python/cpython#87634 <https://github.com/python/cpython/issues/87634>`_). Dask works out
# the new partitions inside such a property and waits there for the measurement, while the
# scheduler, in another thread of the same process, needs the same property of another
# object to plan that measurement: each waits for the other. Python 3.12 removed the lock.
# The cluster this lesson started is such a case: a ``LocalCluster`` always runs its scheduler
# in your process (whether its workers are threads or processes), and so does a plain
# ``Client()``. Dask's local threaded scheduler, and a scheduler in a process of its own
# (``dask scheduler``, a cluster started by a batch job), are not affected on any version.
#
# So here it runs on the local threaded scheduler, named in a ``with`` block that takes
# precedence over the cluster for the code inside it, so that the lesson works on every Python
# version. The threads cannot reach the rides persisted on the cluster: the long rides are read
# and filtered anew, and combined into pieces of at most 200 KB (tiny, to suit this small
# result; around 100 MB suits real work).
with dask.config.set(scheduler="threads"):
    by_size = winter[winter["tripduration"] > 60 * 60].repartition(partition_size="200KB")
    by_size_lengths = by_size.map_partitions(len).compute().tolist()
print(f"{long_rides.npartitions} partitions -> {len(by_size_lengths)}, of {by_size_lengths} rows")

# %%
# The same two steps by hand work with any scheduler and any Python, including this lesson's
# cluster: measure with ``memory_usage_per_partition(deep=True)``, then ask for
# the number of partitions that gives the size you want.
import math

from dask.utils import parse_bytes

sizes = long_rides.memory_usage_per_partition(deep=True).compute()
print(f"{sizes.sum() / 1e3:.0f} KB in {long_rides.npartitions} partitions "
      f"of {sizes.min() / 1e3:.0f} to {sizes.max() / 1e3:.0f} KB")
target = parse_bytes("200KB")  # bytes per partition
by_hand = long_rides.repartition(npartitions=math.ceil(sizes.sum() / target))
by_hand.map_partitions(len).compute().tolist()

# %%
# Arrays: chunks
# --------------
# A Dask Array is cut along every dimension. ``chunks`` lists the block sizes along each axis,
# ``numblocks`` counts the blocks, and the HTML repr draws the grid. Left to itself, Dask picks
# chunks of about ``array.chunk-size`` (128 MiB); here we choose blocks of 500 whole rows.
import dask.array as da

x = da.random.default_rng(0).random((4000, 1000), chunks=(500, 1000))
print("chunks:", x.chunks, "blocks:", x.numblocks)
print("automatic chunks of a 40,000 × 10,000 array:", da.ones((40_000, 10_000)).chunksize,
      "for", dask.config.get("array.chunk-size"))
x

# %%
# ``rechunk``: cut along another axis
# -----------------------------------
# Row blocks suit work along rows. Some operations need a whole axis inside one chunk: a
# Fourier transform down each column needs every row of that column at once, and Dask says so
# rather than guess.
try:
    da.fft.fft(x, axis=0)
except ValueError as error:
    print(error)

# %%
# ``rechunk`` moves the data into a new grid: here all 4,000 rows in one chunk (``-1``), and the
# columns cut into four blocks of 250. Each new block gathers pieces of several old ones, so a
# rechunk is a small shuffle: do it once, and keep working in the new layout.
columns = x.rechunk({0: -1, 1: 250})
print("chunks:", columns.chunks)
spectrum = da.fft.fft(columns, axis=0)
spectrum

# %%
# A DataFrame column turned into an array keeps one chunk per partition. Its lengths are not
# known without reading the data, so they show as ``nan``; ``to_dask_array(lengths=True)``
# counts them, with a pass over the data.
trips["tripduration"].to_dask_array().chunks

# %%
# Key points
# ----------
# - ``npartitions`` counts a DataFrame's pandas pieces; ``chunks`` gives an array's block sizes
#   along each axis. One piece is one task's work.
# - ``read_csv`` makes at least one partition per file and cuts files into ``blocksize`` pieces
#   (``size // blocksize`` of them).
# - ``divisions`` are the index boundaries of the partitions: unknown after ``read_csv``, known
#   after ``set_index``. Known divisions let selections such as ``.loc`` skip partitions.
# - Filters keep the number of partitions and shrink them; ``map_partitions(len)`` and
#   ``memory_usage_per_partition`` show it, and ``repartition`` re-cuts: to a number
#   (``npartitions=``) or a size (``partition_size=``). Too many partitions cost tasks, and past
#   15 a groupby aggregation on one key switches to a shuffle, measured above.
# - ``set_index`` reads the column once to find the partitions' ranges; on data already in
#   order it sorts within partitions and shuffles nothing. ``sorted=True`` with ``divisions=``
#   saves even that pass.
# - ``repartition(partition_size=...)`` hangs on Python 3.11 and older when the scheduler runs
#   in your own process (a ``LocalCluster``, ``Client()``): use Python 3.12 or newer, the
#   threaded scheduler, or the two steps by hand.
# - ``rechunk`` re-cuts an array, for operations that need a whole axis in one chunk.
#
# Exercise
# --------
# How many trips started on each day of the first week of July (the 1st to the 7th)? Select the
# week from ``by_time`` as ``week``, check how many partitions that reads, and count the trips per
# day of the month (hint: ``.index.to_series().dt.day``). Put your answer in ``answer`` (a pandas
# Series of trips per day, indexed by the day of the month) and run the check below with
# ``week=week``: it compares with pandas on the same files, looks at the divisions and the
# partitions of your selection, and says what is wrong, without giving the answer away.
week = None  # your selection of the week, a Dask DataFrame: replace None
answer = None  # your answer, computed: replace None

# %%
from tutorial_helpers.exercises import check

check("partitions_and_chunks", answer, week=week)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       week = by_time.loc["2019-07-01":"2019-07-07"]
#       print(f"partitions to read: {week.npartitions}")
#       days = week.index.to_series().dt.day
#       answer = days.value_counts().compute().sort_index()
#       print(answer)
#       check("partitions_and_chunks", answer, week=week)

# %%
# Close the cluster
# -----------------
# Closing the client and the cluster stops the worker and frees the partitions it still holds.
client.close()
cluster.close()
