"""
Time series: resample, rolling and windows across partitions
============================================================

Trips happen in time, and many questions about them are questions about windows of time: how
many trips per hour, what the weekly trend is, how long since the previous trip. pandas answers
them with ``resample`` and ``rolling`` on a datetime index. Dask answers them the same way, once
it knows which partition holds which stretch of time; a window that crosses the edge between two
partitions then needs a few rows from the neighbour, which ``map_overlap`` brings. This lesson
counts trips per hour, smooths them with a 7-day rolling mean, computes a window of your own
across partition edges, and shows what goes wrong when the index is not sorted.

**You will be able to:** index trips by time with ``set_index(..., sorted=True)``, use
``resample`` and ``rolling`` on a Dask DataFrame, write a window function of your own with
``map_overlap``, and tell why an unsorted index or unknown divisions stop these operations.

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** ``set_index(..., sorted=True)`` is checked only partition by
#      partition (minima and maxima in order), not row by row: on a column that is not in order
#      the counts come out quietly wrong.
#    - **Do not skip:** A window that crosses a partition edge needs the neighbouring rows:
#      ``map_overlap`` borrows them.
#    - **Ask the room:** Which rows does ``map_partitions`` get wrong here, and how many?

# %%
# A cluster in this process
# -------------------------
# The windows below are computed on a ``dask.distributed`` cluster, and the time index is kept
# in its workers' memory with ``persist()``. This starts one worker with as many threads as this
# job may use cores, as threads of this Python process, with every service on this machine's
# loopback address.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
    silence_logs="error",  # P2P logs its shuffles' bookkeeping as warnings
)
client = Client(cluster)

# %%
# Trips indexed by start time
# ---------------------------
# January and February, in partitions of about 5 MB. The trip files are written in order of
# start time, so making ``starttime`` the index needs no sort: ``sorted=True`` tells Dask the
# column is already in order. Dask still has to learn the *divisions*, the time at which each
# partition starts: ``set_index(..., sorted=True)`` computes each partition's minimum,
# maximum and length at once, a full pass over the files, and takes the minima as divisions.
# The tasks the cluster ran during that one call, by name:
from collections import Counter

import dask.dataframe as dd
from dask.distributed import get_task_stream
from dask.utils import key_split
from tutorial_helpers import bikes

files = bikes.trip_files()[:2]
trips = dd.read_csv(files, usecols=["starttime", "tripduration"], parse_dates=["starttime"],
                    blocksize="5MB")
with get_task_stream() as indexing:
    by_time = trips.set_index("starttime", sorted=True)
indexing_tasks = Counter(key_split(task["key"]) for task in indexing.data)
print(f"tasks run by set_index(sorted=True), before any compute: {dict(indexing_tasks)}")
by_time = by_time.persist()
print(f"{by_time.npartitions} partitions, divisions known: {by_time.known_divisions}")
print("first partitions start at:", [f"{d:%d %b %H:%M}" for d in by_time.divisions[:3]])

# %%
# What it checks is the order of those minima and maxima from one partition to the next. The
# same two months with the February partitions first fail the check:
backwards = dd.concat([trips.partitions[trips.npartitions - 1], trips.partitions[0]])
try:
    backwards.set_index("starttime", sorted=True)
except ValueError as error:
    sorted_refusal = error.args[0]
    print(f"{type(error).__name__}: {sorted_refusal}")

# %%
# Trips per hour with ``resample``
# --------------------------------
# ``resample("1h")`` groups the rows into hours of the index, as in pandas. A partition's
# boundary falls anywhere within an hour, so Dask first re-cuts the partitions at whole hours,
# using the divisions to move the rows of a straddling hour into one partition (the
# ``repartition`` tasks of the plan), and then resamples each partition on its own
# (``resample_series``). The boundaries before and after, and the tasks of the plan by name
# (``resolveoverlappingdivisions`` is ``set_index(sorted=True)``'s own step, which moves rows
# equal to a partition's first value into that partition):
hourly_counts = by_time["tripduration"].resample("1h").count()
print("partition boundaries of the trips:", [f"{d:%d %b %H:%M:%S}" for d in by_time.divisions[1:3]])
print("re-cut for resample at:           ", [f"{d:%d %b %H:%M:%S}" for d in hourly_counts.divisions[1:3]])
resample_tasks = Counter(key_split(key) for key in hourly_counts.optimize().__dask_graph__().keys())
print(dict(resample_tasks))

# %%
per_hour = hourly_counts.compute()
print(f"{len(per_hour):,} hours, busiest: {per_hour.idxmax():%a %d %b %H:00} "
      f"with {int(per_hour.max()):,} trips")
per_hour.head()

# %%
# The same counts with a ``groupby`` on the hour need no sorted index at all: each row's hour is
# computed from its own start time, and the groups are combined in a tree, like any groupby
# into one partition.
# Timed against ``resample``, which starts from the time index kept on the worker, while
# the groupby starts from the files:
from tutorial_helpers.timing import compare

hour_timings = compare({
    "resample('1h')": lambda: by_time["tripduration"].resample("1h").count().persist(),
    "groupby(hour)": lambda: trips.groupby(trips["starttime"].dt.floor("h"))["tripduration"]
    .count().persist(),
})
hour_timings

# %%
print(hour_timings.verdict(
    "resample('1h')", "groupby(hour)",
    otherwise="The groupby here also reads the CSV files, but with few partitions its tree of "
    "partial counts is small, and on a busy machine the difference is noise.",
))

# %%
# The groupby timing includes reading the files, the resample does not: the sorted, persisted
# index is what ``resample`` paid for up front. Keep a time index when many windows will use it.
#
# A 7-day rolling mean
# --------------------
# Hourly counts swing between night and day. A rolling mean over the previous 7 days smooths
# out the daily cycle and leaves the trend. ``rolling("7D")`` on a time index works on the Dask
# series directly: each partition borrows the last 7 days of rows from the partitions before
# it.
hourly = by_time["tripduration"].resample("1h").count()
weekly_mean = hourly.rolling("7D").mean().compute()
print(f"7-day mean of trips per hour: {weekly_mean.loc['2019-01-08'].iloc[0]:.1f} after the "
      f"first week, {weekly_mean.iloc[-1]:.1f} at the end of February")

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 3))
per_hour.plot(ax=ax, lw=0.5, alpha=0.5, label="trips per hour")
weekly_mean.plot(ax=ax, lw=2, label="7-day rolling mean")
ax.set_ylabel("trips")
ax.set_xlabel("")
_ = ax.legend(loc="upper left")

# %%
# A window of your own with ``map_overlap``
# -----------------------------------------
# How long after the previous trip did each trip start? In pandas this is
# ``index.to_series().diff()``: each row needs the row before it. Run per partition with
# ``map_partitions``, the first row of every partition has no row before it and gets ``NaN``,
# a wrong answer at every partition edge. ``map_overlap(func, before=1, after=0)`` gives each
# partition the last row of the previous one, runs ``func``, and drops the borrowed row again.


def gap_to_previous(df):
    return df.index.to_series().diff().dt.total_seconds()


per_partition = by_time.map_partitions(gap_to_previous, meta=("gap", "float64"))
overlapping = by_time.map_overlap(gap_to_previous, before=1, after=0, meta=("gap", "float64"))
missing_partitions = int(per_partition.isna().sum().compute())
missing_overlap = int(overlapping.isna().sum().compute())
print(f"rows without a gap: map_partitions {missing_partitions}, map_overlap {missing_overlap}")

# %%
# Only the very first trip has no previous one. ``before`` and ``after`` can also be times, such
# as ``before="1h"``: each partition then borrows the last hour of rows before it, which is how
# ``rolling("7D")`` works under the hood (a ``map_overlap`` with ``before`` of 7 days).
gaps = overlapping.compute()
print(f"median gap between trips: {gaps.median():.0f} s, longest: {gaps.max() / 3600:.1f} h")

# %%
# When the index is not sorted
# ----------------------------
# Everything above relied on divisions that are true. Indexed by ``stoptime``, trips are *not*
# in order: a long trip ends after shorter ones that started later, so a partition's last stop
# times can reach past the first stop time of the next. ``sorted=True`` checks only that the
# partitions' minima and maxima are in order, which they are here: nothing in the check looks
# at the rows in between. Dask takes the minima as divisions and believes them. The hourly
# counts then silently miss rows that fall outside their partition's stretch of time:
trips_by_stop = dd.read_csv(files, usecols=["stoptime", "tripduration"], parse_dates=["stoptime"],
                            blocksize="5MB")
wrongly_sorted = trips_by_stop.set_index("stoptime", sorted=True)
counted = int(wrongly_sorted["tripduration"].resample("1h").count().sum().compute())
all_trips = len(trips_by_stop)
print(f"trips counted per hour: {counted:,} of {all_trips:,} ({all_trips - counted:,} missed)")

# %%
# Without a ``set_index``, the divisions stay unknown, and ``resample`` refuses at once rather
# than guess which partition is next:
unknown = trips_by_stop.map_partitions(lambda df: df.set_index("stoptime"))
try:
    unknown["tripduration"].resample("1h").count()
except ValueError as error:
    print(f"{type(error).__name__}: {str(error).splitlines()[0]}")

# %%
# The remedy is a real sort, ``set_index("stoptime")`` without ``sorted=True``: a shuffle that
# costs a pass over the data (:ref:`lesson 15.2
# <sphx_glr_lessons_15_dataframe_depth_plot_02_sorting_and_divisions.py>`), worth paying once
# and storing when many windows will use it. Every trip is then counted:
by_stop = trips_by_stop.set_index("stoptime")
recounted = int(by_stop["tripduration"].resample("1h").count().sum().compute())
print(f"trips counted per hour after a real sort: {recounted:,}")

# %%
# Key points
# ----------
# - ``set_index(column, sorted=True)`` makes an already ordered column the index without a
#   shuffle; it computes every partition's minimum and maximum at once (a pass over the data)
#   for the divisions, and checks only that those ascend.
# - ``resample`` and ``rolling`` with a time window work on a Dask DataFrame with known
#   divisions: ``resample`` re-cuts the partitions at the rule's boundaries, ``rolling``
#   borrows the rows it needs from the partitions before.
# - ``map_partitions`` sees one partition at a time and gets window edges wrong;
#   ``map_overlap(func, before=..., after=...)`` lends each partition rows from its neighbours.
# - ``sorted=True`` is checked partition by partition, not row by row: on a column that is not
#   in order within its partitions it gives wrong answers. Unknown divisions make ``resample``
#   raise. Sort with ``set_index`` once and store the result.

# %%
# Exercise
# --------
# Count the trips per day from the time index ``by_time``, and compute the 3-day centred
# rolling mean of those counts, with ``rolling(3, center=True)``, on the Dask series of daily
# counts. Which day of the two months has the highest 3-day mean? Put the rolling means in
# ``answer`` (a pandas Series of the mean trips per day, indexed by day) and run the check below,
# passing the Dask series you computed them from (``collection=...``): it compares with means
# computed with pandas from the same two files, reads your series' divisions and plan, and says
# what is wrong, without giving the answer away.
answer = None  # your answer, computed: replace None

# %%
from tutorial_helpers.exercises import check

check("time_series", answer, collection=None)  # collection: your rolling mean, a Dask Series

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       per_day = by_time["tripduration"].resample("1D").count()
#       three_day = per_day.rolling(3, center=True).mean()
#       answer = three_day.compute()
#       best_day = answer.idxmax()
#       print(f"highest 3-day mean around {best_day:%d %b}: {answer.max():.0f} trips a day")
#       check("time_series", answer, collection=three_day)

# %%
# Close the cluster
# -----------------
# The worker, and the time index it holds in memory, go away with it.
client.close()
cluster.close()
