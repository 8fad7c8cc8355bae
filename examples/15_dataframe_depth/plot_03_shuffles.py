"""
Shuffles: moving rows between partitions
========================================

Most DataFrame work happens partition by partition: filters, new columns, sums and means. Some
operations need all rows with the same key in one place: sorting, joining two large tables,
grouping into many output partitions. Then Dask *shuffles*: every partition sends each of its
rows to the partition that will own it. This lesson shows which operations shuffle, what a
shuffle looks like in a graph, how Dask's two ways of shuffling compare, and how to avoid a
shuffle that is not needed.

**You will be able to:** tell from an operation and its arguments whether it will shuffle, read
a peer-to-peer shuffle in a task graph, choose between ``shuffle_method="p2p"`` and
``"tasks"``, and use ``split_out=1`` where a small result needs no shuffle.

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** ``value_counts`` and groupbys with ``split_out`` plan a P2P shuffle on
#      a cluster; the graph surprises learners who expected a tree of partial results.
#    - **Do not skip:** A shuffle moves every row between workers: its memory and disk needs grow with
#      the data.
#    - **Ask the room:** When would you ask for ``split_out=1``, and when not?

# %%
# A cluster to shuffle on
# -----------------------
# The fast way to shuffle, *peer-to-peer* (P2P), runs only on a ``dask.distributed`` cluster: the
# workers send rows straight to each other. This page was built on one, and ``get_client()``
# finds it. Without one, this starts a small cluster inside this Python process
# (``processes=False``: two workers as threads, talking in memory), with its dashboard on this
# machine's loopback address only.
import distributed

try:
    client = distributed.get_client()
    own_cluster = None
except ValueError:  # no cluster yet: start one here, and close it at the end
    own_cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0",
        silence_logs="error",  # no log line for every shuffle
    )
    client = distributed.Client(own_cluster)
print(f"{len(client.scheduler_info()['workers'])} workers")

# %%
# January's trips in three partitions, kept on the workers with ``persist()`` so that what is
# timed below is the shuffling, not reading the file.
import dask.dataframe as dd
from tutorial_helpers import bikes

january = bikes.trip_files()[0]
columns = ["tripduration", "starttime", "start station id", "start station name", "usertype"]
trips = dd.read_csv(january, usecols=columns, parse_dates=["starttime"], blocksize="3.5MB").persist()
print(f"{len(trips):,} trips in {trips.npartitions} partitions")

# %%
# Which operations shuffle?
# -------------------------
# An operation shuffles when its output partitions must each hold *all* rows of some keys.
# Optimising a collection gives the plan Dask will run, without running it; a P2P shuffle shows
# in it as a ``shuffle-barrier`` task (or ``hash-join`` for a merge). Five questions:


def shuffles(collection):
    keys = collection.optimize().__dask_graph__().keys()
    return any("barrier" in str(key) for key in keys)


questions = {
    "groupby(...).mean()": trips.groupby("start station name")["tripduration"].mean(),
    "groupby(...).mean(split_out=4)": trips.groupby("start station name")["tripduration"].mean(split_out=4),
    "value_counts()": trips["start station name"].value_counts(),
    "value_counts(split_out=1)": trips["start station name"].value_counts(split_out=1),
    'set_index("start station id")': trips.set_index("start station id"),
}
plans = {name: "shuffles" if shuffles(collection) else "no shuffle" for name, collection in questions.items()}
for name, plan in plans.items():
    print(f"{name:<32} {plan}")

# %%
# A groupby aggregation into one partition builds a *tree*: each partition is reduced to one
# row per group, and the small partial results are combined. That suits few groups. With
# ``split_out`` (the result in several partitions), each group's partial results must meet in
# one output partition: a shuffle. ``value_counts`` asks for one by default (``split_out=True``
# lets Dask choose, and it chooses to split). ``set_index`` and ``sort_values`` always shuffle,
# and so does a ``merge`` of two tables in several partitions.
#
# A P2P shuffle, drawn
# --------------------
# Read from the bottom: each partition is counted, then its ``shuffle-transfer`` task sends
# every partial count to the worker that owns its output partition. The ``shuffle-barrier``
# waits until all transfers are done, and then each ``shuffle-unpack`` task collects one
# output partition, which is summed.
station_counts = trips["start station name"].value_counts()
station_counts.optimize().visualize(tasks=True)

# %%
# The transfers do not run through the scheduler, and the graph grows with the partitions,
# not with their square: *n* transfers, one barrier, *n* unpacks. While it runs, each worker
# buffers what it receives and writes it to its local disk when memory runs short, so a P2P
# shuffle can move more data than the workers hold in memory, at the price of disk traffic.
#
# The older way: shuffling with tasks
# -----------------------------------
# ``shuffle_method="tasks"`` (or, for a whole block of code, the ``dask.config.set`` block in
# the key points) shuffles with ordinary tasks instead: each partition is split into groups,
# and the groups are passed through the scheduler in stages. It works on every scheduler, also
# without a cluster, but its graph grows faster than the data. Here it is for the first *two*
# of the three partitions (``trips.partitions[:2]``): with three, the drawing is already too
# wide to read, while the P2P graph above has room for more.
sorted_tasks = trips.partitions[:2].set_index("start station id", shuffle_method="tasks")
sorted_tasks.optimize().visualize(tasks=True)

# %%
# The same sort with P2P has a graph like the value counts' above: transfers, barrier, unpacks.
# Measured on all three partitions, each run building the sort afresh and keeping the result
# on the workers until timed:
from tutorial_helpers.timing import compare

method_timings = compare(
    {
        method: lambda method=method: trips.set_index("start station id", shuffle_method=method).persist()
        for method in ["p2p", "tasks"]
    }
)
method_timings

# %%
print(method_timings.verdict(
    "p2p", "tasks",
    otherwise="With three small partitions, the tasks shuffle has few tasks to run, and P2P's "
    "fixed cost of setting up its transfers is not yet paid back.",
))

# %%
# The memory column is the same for both: a shuffle moves the data, it does not shrink it. P2P
# is Dask's default on a cluster because its cost grows in proportion to the data, where the
# tasks shuffle's number of tasks grows faster than the number of partitions. ``tasks`` is
# the choice without a cluster (and Dask's default there).
#
# The shuffle you do not need
# ---------------------------
# 80 stations make 80 counts: a result that fits in any partition. Asking for it in one
# partition, with ``split_out=1``, replaces the shuffle by a tree of partial counts.
count_timings = compare(
    {
        "value_counts(split_out=1)": lambda: trips["start station name"].value_counts(split_out=1).compute(),
        "value_counts()": lambda: trips["start station name"].value_counts().compute(),
    }
)
count_timings

# %%
print(count_timings.verdict(
    "value_counts(split_out=1)", "value_counts()",
    otherwise="The tree and the shuffle each run a handful of tasks here; the shuffle's price "
    "shows with more partitions.",
))

# %%
# Keep the shuffle for results that are large: a groupby with a group per trip or per bike and
# day, a sort, a join of two large tables. For a small result, ``split_out=1``.
#
# If this lesson started its own cluster, close it:
if own_cluster is not None:
    client.close()
    own_cluster.close()

# %%
# Key points
# ----------
# - A shuffle sends every row to the partition that owns its key. ``set_index``,
#   ``sort_values``, a ``merge`` of two multi-partition tables, and groupby aggregations with
#   ``split_out`` > 1 (``value_counts`` by default) shuffle; filters, new columns and
#   aggregations into one partition do not.
# - On a cluster Dask shuffles peer-to-peer: ``shuffle-transfer`` tasks, one
#   ``shuffle-barrier``, ``shuffle-unpack`` tasks. Workers buffer received data and spill it to
#   disk if needed.
# - ``shuffle_method="tasks"`` shuffles with ordinary tasks on any scheduler; its graph grows
#   faster than the number of partitions. Choose per call, or in a
#   ``with dask.config.set({"dataframe.shuffle.method": ...}):`` block.
# - For small results, ``split_out=1`` turns a shuffle into a tree reduction.
#
# Exercise
# --------
# Count the trips of each (start station, user type) pair in January without a shuffle, and
# check with ``shuffles`` that your plan has none. (Any cluster this lesson started is closed,
# and the persisted trips with it: read the file again.)
#
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       fresh = dd.read_csv(january, usecols=columns, blocksize="3.5MB")
#       pairs = fresh.groupby(["start station name", "usertype"]).size(split_out=1)
#       print("shuffles:", shuffles(pairs))
#       pair_counts = pairs.compute()
#       print(pair_counts.sort_values().tail(3))
