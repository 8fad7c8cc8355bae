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
# workers send rows straight to each other. A shuffle needs more than one worker to move
# anything, so this cluster has *two* workers, each with half of the cores this job may use.
# They are threads of this Python process (``processes=False``), but they talk to each other
# over TCP on this machine's loopback address, as workers on two machines would over the
# network; the dashboard listens on loopback only.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Two workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=2, threads_per_worker=max(1, granted_cores() // 2), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
    silence_logs="error",  # P2P logs its shuffles' bookkeeping as warnings
)
client = Client(cluster)

# %%
# With a client, Dask's default way to shuffle is P2P; without one (on the local threaded
# scheduler) it is ``"disk"``, which shuffles through files on this machine's disk. The
# ``dataframe.shuffle.method`` setting, when set, overrides both:
import dask
from dask.utils import get_default_shuffle_method

workers = client.scheduler_info()["workers"]
print(f"{len(workers)} workers, at {sorted(w['host'] for w in workers.values())}")
print("dataframe.shuffle.method setting:", dask.config.get("dataframe.shuffle.method", None))
shuffle_method = get_default_shuffle_method()
print("shuffle method in force:", shuffle_method)

# %%
# January's trips in three partitions, kept on the workers with ``persist()`` so that what is
# timed below is the shuffling, not reading the file.
import dask.dataframe as dd
from tutorial_helpers import bikes

january = bikes.trip_files()[0]
columns = ["tripduration", "starttime", "start station id", "start station name", "usertype"]
third = january.stat().st_size // 3  # three partitions, whatever the size of the file
trips = dd.read_csv(january, usecols=columns, parse_dates=["starttime"], blocksize=third).persist()
print(f"{len(trips):,} trips in {trips.npartitions} partitions")

# %%
# Which operations shuffle?
# -------------------------
# An operation shuffles when its output partitions must each hold *all* rows of some keys.
# Optimising a collection gives the plan Dask will run, without running it. Every way of
# shuffling names its tasks after itself: ``shuffle-transfer`` and ``p2pshuffle`` (P2P),
# ``diskshuffle`` (disk), ``split-taskshuffle`` (tasks), ``hash-join-transfer`` (a P2P merge).
# Five questions:
from dask.utils import key_split


def shuffles(collection):
    names = {key_split(key) for key in collection.optimize().__dask_graph__().keys()}
    return any("shuffle" in name or "hash-join" in name for name in names)


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
# Read from the bottom: each partition of the persisted trips is counted (``getitem-chunk``),
# then its ``shuffle-transfer`` task sends every partial count to the worker that owns its output
# partition. The ``shuffle-barrier`` waits until all transfers are done, and then each
# ``p2pshuffle`` task unpacks one output partition, which is summed. The tasks of the plan,
# by name:
from collections import Counter

station_counts = trips["start station name"].value_counts()
p2p_tasks = Counter(key_split(key) for key in station_counts.optimize().__dask_graph__().keys())
print(dict(p2p_tasks))
station_counts.optimize().visualize(tasks=True)

# %%
# The rows do not go through the scheduler: the workers send them to each other, and the
# scheduler only sees the small tasks. The graph grows with the partitions, not with their
# square: *n* transfers, one barrier, *n* unpacks. Each worker writes the rows it receives
# to its local disk, not only when memory runs short: ``distributed.p2p.storage.disk`` is
# true by default, and the unpack tasks read them back. So a P2P shuffle can move more data
# than the workers hold in memory, at the price of disk traffic (set it to false to keep
# the shards in memory when they surely fit).
print("distributed.p2p.storage.disk:", dask.config.get("distributed.p2p.storage.disk"))

# %%
# The older way: shuffling with tasks
# -----------------------------------
# ``shuffle_method="tasks"`` (or, for a whole block of code, the ``dask.config.set`` block in
# the key points) shuffles with ordinary tasks instead: each ``split-taskshuffle`` task cuts
# one partition into one group per output partition, and each output partition's task takes
# its groups from every input as task inputs (in several stages when there are many
# partitions). The groups travel between workers like any task's inputs, and the scheduler
# tracks every one of them. It works on every scheduler, also without a cluster, but its
# graph grows faster than the data: here *n* × *n* groups. Here it is for the first *two*
# of the three partitions (``trips.partitions[:2]``): with three, the drawing is already too
# wide to read, while the P2P graph above has room for more.
sorted_tasks = trips.partitions[:2].set_index("start station id", shuffle_method="tasks")
tasks_tasks = Counter(key_split(key) for key in sorted_tasks.optimize().__dask_graph__().keys())
print(dict(tasks_tasks))
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
# The memory column is what each sorted result holds on the workers: the same rows either way,
# since a shuffle moves the data, it does not shrink it. P2P is Dask's default on a cluster
# because its cost grows in proportion to the data, where the tasks shuffle's number of tasks
# grows faster than the number of partitions. Without a
# client, Dask's default is neither: it is ``"disk"``, which needs all workers on one machine.
# ``tasks`` works everywhere, and is the one to name when P2P cannot run (P2P needs
# ``pyarrow``, and a cluster).
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
# Key points
# ----------
# - A shuffle sends every row to the partition that owns its key. ``set_index``,
#   ``sort_values``, a ``merge`` of two multi-partition tables, and groupby aggregations with
#   ``split_out`` > 1 (``value_counts`` by default) shuffle; filters, new columns and
#   aggregations into one partition do not.
# - With a client Dask shuffles peer-to-peer: ``shuffle-transfer`` tasks, one
#   ``shuffle-barrier``, ``p2pshuffle`` tasks that unpack. Workers write what they receive to
#   their local disk (``distributed.p2p.storage.disk``, true by default). Without a client the
#   default is ``"disk"``.
# - ``shuffle_method="tasks"`` shuffles with ordinary tasks on any scheduler; its graph grows
#   faster than the number of partitions. Choose per call, or in a
#   ``with dask.config.set({"dataframe.shuffle.method": ...}):`` block.
# - For small results, ``split_out=1`` turns a shuffle into a tree reduction.

# %%
# Exercise
# --------
# Which (start station, user type) pairs occur in January? Find the distinct pairs with
# ``drop_duplicates`` on those two columns of ``trips``, with a plan that does not shuffle
# (check it with ``shuffles``; like ``value_counts``, ``drop_duplicates`` chooses its
# ``split_out`` itself unless told). Put the pairs in ``answer`` (a pandas DataFrame with the
# columns ``start station name`` and ``usertype``, one row per pair) and run the check below,
# passing the Dask DataFrame you computed them from (``collection=...``): it compares with the
# pairs found with pandas in the same file, reads your collection's plan for a shuffle, and says
# what is wrong, without giving the answer away.
answer = None  # your answer, computed: replace None

# %%
from tutorial_helpers.exercises import check

check("shuffles", answer, collection=None)  # collection: your distinct pairs, a Dask DataFrame

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       pairs = trips[["start station name", "usertype"]].drop_duplicates(split_out=1)
#       print("shuffles:", shuffles(pairs))
#       answer = pairs.compute()
#       station_count = answer["start station name"].nunique()
#       print(f"{len(answer)} pairs of {station_count} stations")
#       check("shuffles", answer, collection=pairs)

# %%
# Close the cluster
# -----------------
# The workers, and the trips they hold, go away with it.
client.close()
cluster.close()
