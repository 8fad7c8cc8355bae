"""
Joins: broadcast, shuffle, or aligned
=====================================

Join the trips with two other tables: a small one describing the stations, and a large one that
logs every station's bikes hour by hour. How Dask runs a ``merge`` depends on the partitions of
both sides: a table in one partition is sent to every partition of the other (a *broadcast*);
two tables in many partitions are both shuffled, so that equal keys meet; two tables sorted by
the key, with known divisions, are joined partition by partition. You will draw and time all
three.

**You will be able to:** join a Dask DataFrame with a pandas or Dask table, tell from the
partitions which plan Dask will choose, read the graph of a broadcast and of a hash join, and
line two tables up on a sorted index so that joining needs no shuffle.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Merging two large tables on an unsorted column shuffles both sides;
#      learners expect a join to cost what it costs in pandas.
#    - **Do not skip:** A broadcast join needs the small side in one partition: check its
#      ``npartitions`` before the merge.
#    - **Ask the room:** Which of the three joins moves the least data over the network, and why?

# %%
# A cluster with two workers
# --------------------------
# Where rows have to go depends on where they are: a join is only a shuffle when rows move
# between workers. So this lesson starts a cluster of *two* workers, each with half of the cores
# this job may use. They are threads of this Python process (``processes=False``), talking to
# each other over TCP on this machine's loopback address, as workers on two machines would over
# the network.
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
# How Dask shuffles depends on whether a client exists: with one, the default is peer-to-peer
# (P2P); without one, ``"disk"``. The graphs below are drawn with the method in force here:
import dask
from dask.utils import get_default_shuffle_method

print(f"{len(client.scheduler_info()['workers'])} workers")
print("dataframe.shuffle.method setting:", dask.config.get("dataframe.shuffle.method", None))
shuffle_method = get_default_shuffle_method()
print("shuffle method in force:", shuffle_method)

# %%
# The trips, and a table of stations
# ----------------------------------
# Two months of trips, one partition per month file, with the columns the joins need and the
# hour each trip started in (the key of a later join). This lesson is about joins, not about
# reading CSV files, so the trips are read once and kept in the workers' memory with
# ``persist()``: every join below starts from there.
#
# The trip files name each station, but say nothing about its size or its part of town, so we
# make a station table: every station id and name that occurs, plus an invented capacity and
# neighbourhood. ``drop_duplicates(split_out=1)`` collects the distinct pairs into one small
# partition.
import dask.dataframe as dd
import numpy as np
from tutorial_helpers import bikes

months = bikes.trip_files()[:2]
columns = ["tripduration", "starttime", "start station id", "start station name", "usertype"]
trips = dd.read_csv(months, usecols=columns, parse_dates=["starttime"], blocksize=None)
trips = trips.rename(columns={"start station id": "station id"})
trips = trips.assign(hour=trips["starttime"].dt.floor("h")).persist()

stations = trips[["station id", "start station name"]].drop_duplicates(split_out=1).compute()
stations = stations.rename(columns={"start station name": "name"}).sort_values("station id")
rng = np.random.default_rng(42)
stations["capacity"] = rng.choice([15, 19, 23, 27], size=len(stations))
neighbourhoods = ["Back Bay", "Cambridge", "Downtown", "Seaport"]
stations["neighbourhood"] = rng.choice(neighbourhoods, size=len(stations))
print(f"{trips.npartitions} partitions of trips, {len(stations)} stations")
stations.head(3)

# %%
# Large with small: a broadcast
# -----------------------------
# ``merge`` works as in pandas. The station table is a pandas DataFrame, so Dask treats it as a
# collection of one partition and sends that partition to every partition of the trips: each
# task joins one month with the whole table, and no trip moves between workers. The tasks of
# the plan, counted by name (``key_split`` strips a task's key to its name):
from collections import Counter

from dask.utils import key_split


def plan_tasks(collection):
    """The tasks of the plan Dask will run for ``collection``, counted by name."""
    return Counter(key_split(key) for key in collection.optimize().__dask_graph__().keys())


with_stations = trips.merge(stations[["station id", "capacity", "neighbourhood"]], on="station id")
trips_per_neighbourhood = with_stations["neighbourhood"].value_counts(split_out=1)
broadcast_tasks = plan_tasks(with_stations)
print(dict(broadcast_tasks))
with_stations.optimize().visualize(tasks=True)

# %%
# In the graph, read from the bottom: the station table (``frompandas``) feeds the join of each
# month (``blockwisemerge``), and nothing connects the months before the join. The answer:
trips_per_neighbourhood = trips_per_neighbourhood.compute()
trips_per_neighbourhood.sort_index()

# %%
# Large with large: a hash join
# -----------------------------
# Some tables are not small. A bike-share system logs how many bikes stand at each station,
# say every hour: 80 stations × 24 hours × 59 days is over 100,000 rows.
# Here is an invented log, built in pandas and cut into two partitions. To join a trip with the
# log row of its station and hour, Dask cannot know which partition of the log holds that row,
# so it *shuffles* both sides: each row is sent to the output partition that its key hashes to,
# and then the partitions with the same number are joined.
import pandas as pd

hours = pd.date_range("2019-01-01", "2019-03-01", freq="h", inclusive="left")
log = pd.MultiIndex.from_product([hours, stations["station id"]], names=["hour", "station id"])
log = log.to_frame(index=False)
log["bikes"] = rng.integers(0, 20, size=len(log))
bike_log = dd.from_pandas(log, npartitions=2, sort=False)

hash_joined = trips.merge(bike_log, on=["hour", "station id"])
print(f"log: {len(log):,} rows, {log.memory_usage(deep=True).sum() / 1e6:.1f} MB, "
      f"in {bike_log.npartitions} partitions")
hash_tasks = plan_tasks(hash_joined)
print(dict(hash_tasks))
hash_joined.optimize().visualize(tasks=True)

# %%
# With a client, as here, the shuffle is *peer-to-peer*: each input partition's
# ``hash-join-transfer`` task sends its rows straight to the worker that will own them, one
# ``shuffle-barrier`` per side waits until all of that side's rows have arrived, and each
# ``hashjoinp2p`` task joins one pair of output partitions. (The same code with no client
# shuffles with the ``"disk"`` method, through files on this machine's disk: another graph,
# the same answer.) Every row of both tables goes through the shuffle: the whole of both
# tables is moved once.
#
# Measured: broadcast or shuffle?
# -------------------------------
# The log is large in rows but small in memory (a few megabytes): it *could* be broadcast. Dask
# broadcasts a side held in one partition, or when told to with ``broadcast=True``. So the same
# join, two plans: the log in one partition, broadcast to both months, or in two, hash joined.
# Each function builds the join afresh from the persisted trips, up to the mean number of bikes
# at a station when a trip started there; ``compare`` times its ``compute()``. (The third plan
# is the subject of the next section.)
from tutorial_helpers.timing import compare

month_starts = list(pd.date_range("2019-01-01", "2019-03-01", freq="MS"))


log_by_hour = log.set_index("hour")


def log_of_month(start):
    """The log of the month that begins at ``start``, indexed by hour."""
    return log_by_hour.loc[f"{start:%Y-%m}"]


def bikes_at_start(log_partitions):
    log_dd = dd.from_pandas(log, npartitions=log_partitions, sort=False)
    return trips.merge(log_dd, on=["hour", "station id"])["bikes"].mean()


def aligned_bikes_at_start():
    trips_by_hour = trips.set_index("hour", sorted=True, divisions=month_starts)
    log_by_hour = dd.from_map(log_of_month, month_starts[:-1], divisions=month_starts)
    return trips_by_hour.merge(log_by_hour, on=["hour", "station id"])["bikes"].mean()


join_timings = compare(
    {
        "broadcast (log in 1 partition)": lambda: bikes_at_start(1).compute(),
        "hash join (log in 2 partitions)": lambda: bikes_at_start(2).compute(),
        "aligned on a sorted index": lambda: aligned_bikes_at_start().compute(),
    }
)
join_timings

# %%
print(join_timings.verdict(
    "broadcast (log in 1 partition)", "hash join (log in 2 partitions)",
    otherwise="With this little data, moving the rows costs little, and the shuffle splits the "
    "join into more, smaller tasks that can keep more workers busy.",
))

# %%
# A broadcast copies the small side to every worker that joins a partition of the large side,
# and sends nothing of the large side anywhere. A hash join moves *both* sides between the
# workers (here over TCP on the loopback address) and cannot start joining before the
# barriers. Broadcast when one side fits easily in a worker's memory; that side must fit,
# whole, in *every* task that joins with it. Two tables that are both really large leave only
# the shuffle, or the plan below.
#
# Aligned on a sorted index: no shuffle at all
# --------------------------------------------
# Shuffling is how Dask finds matching rows when it knows nothing about where they are. Both
# tables here are in time order: each trip file holds one month in order of start time, and the
# log was made hour by hour. With the hour as the index of both, and known divisions (the first
# and last hour of each partition), Dask knows which partitions can hold matching rows.
# ``set_index(..., sorted=True)`` says the rows are already in order (no row has to move), and
# ``divisions=`` gives the month starts, which Dask trusts. A log is typically stored month by
# month too: ``from_map`` makes one partition per call of ``log_of_month`` (above), and takes
# the same divisions. Partition *i* of one side then holds exactly the hours of partition *i* of
# the other.
trips_by_hour = trips.set_index("hour", sorted=True, divisions=month_starts)
monthly_log = dd.from_map(log_of_month, month_starts[:-1], divisions=month_starts)
print("divisions known:", trips_by_hour.known_divisions, monthly_log.known_divisions)
aligned = trips_by_hour.merge(monthly_log, on=["hour", "station id"])
aligned_tasks = plan_tasks(aligned)
print(dict(aligned_tasks))
aligned.optimize().visualize(tasks=True)

# %%
# No ``transfer`` and no barrier: each join task takes one month of trips and the same month
# of the log. (Had the divisions differed, Dask would first re-cut both sides at the union of
# their boundaries, with a few ``repartition`` tasks: still no shuffle.) The third row of the
# table above timed this plan:
print(join_timings.verdict(
    "aligned on a sorted index", "hash join (log in 2 partitions)",
    otherwise="At this size a shuffle moves a few megabytes, which costs about as much as the "
    "tasks around it; the gap grows with the data, since a shuffle moves every row and "
    "alignment moves none.",
))

# %%
# Here the order came for free, because the files were written in time order. When it is not,
# ``set_index`` must sort, which is itself a shuffle (the next lesson measures it): sorting pays
# when the sorted table is joined, selected or windowed many times, and when it is stored sorted
# (Parquet keeps the divisions) so that the sort is paid once.
#
# All three plans give the same answer, the mean number of bikes at a station when a trip
# started there:
plans = {
    "broadcast": bikes_at_start(1),
    "hash join": bikes_at_start(2),
    "aligned": aligned_bikes_at_start(),
}
mean_bikes = {plan: mean.compute() for plan, mean in plans.items()}
print(", ".join(f"{plan}: {value:.4f}" for plan, value in mean_bikes.items()))

# %%
# Key points
# ----------
# - ``merge`` takes pandas' arguments. Which plan runs depends on the partitions of both sides.
# - A side in one partition (a pandas DataFrame, or ``npartitions=1``) is *broadcast*: joined
#   with every partition of the other side, no shuffle. ``broadcast=True`` asks for it with more
#   partitions. The broadcast side must fit in each task's memory.
# - Two sides in many partitions are *hash joined*: both are shuffled by the key, with a
#   client peer-to-peer (``hash-join-transfer``, a ``shuffle-barrier`` per side), and every row
#   moves once.
# - Two sides indexed by the key with known divisions are joined partition by partition,
#   after re-cutting both at the union of their divisions if they differ: no shuffle. Sort
#   once, join many times.

# %%
# Exercise
# --------
# Which neighbourhood's stations lose the most bikes per unit of capacity? Count the trips that
# *start* at each neighbourhood's stations and divide by the total capacity of its stations
# (from the station table, not from the joined trips). Join ``trips`` with the pandas station
# table, so that the join is a broadcast, and count with one ``compute()`` of a plan that does
# not shuffle. Put your answer in ``answer`` (a pandas Series of trip starts per dock, indexed
# by neighbourhood) and run the check below, passing the station table and the Dask collection
# you computed (``stations=stations, collection=...``): it compares with a reference computed
# with pandas from the same two files and your station table, reads your collection's plan for
# a shuffle, and says what is wrong, without giving the answer away.
answer = None  # your answer, computed: replace None

# %%
from tutorial_helpers.exercises import check

check("joins", answer, stations=stations, collection=None)  # collection: your Dask counts

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       starts = trips.merge(stations[["station id", "neighbourhood"]], on="station id")
#       starts_counted = starts["neighbourhood"].value_counts(split_out=1)
#       capacity = stations.groupby("neighbourhood")["capacity"].sum()
#       answer = starts_counted.compute() / capacity
#       print(answer.sort_values(ascending=False).round(1))
#       check("joins", answer, stations=stations, collection=starts_counted)

# %%
# Close the cluster
# -----------------
# The workers, and the trips they hold in memory, go away with it.
client.close()
cluster.close()
