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
#    - **What usually goes wrong:** ``set_index(..., sorted=True)`` is believed, not checked: on a
#      column that is not in order the counts come out quietly wrong.
#    - **Do not skip:** A window that crosses a partition edge needs the neighbouring rows:
#      ``map_overlap`` borrows them.
#    - **Ask the room:** Which rows does ``map_partitions`` get wrong here, and how many?

# %%
# Trips indexed by start time
# ---------------------------
# January and February, in partitions of about 5 MB. The trip files are written in order of
# start time, so making ``starttime`` the index needs no sort: ``sorted=True`` tells Dask the
# column is already in order, and Dask only reads each partition's first and last value to
# learn its *divisions*, the time at which each partition starts.
import dask.dataframe as dd
from tutorial_helpers import bikes

files = bikes.trip_files()[:2]
trips = dd.read_csv(files, usecols=["starttime", "tripduration"], parse_dates=["starttime"],
                    blocksize="5MB")
by_time = trips.set_index("starttime", sorted=True).persist()
print(f"{by_time.npartitions} partitions, divisions known: {by_time.known_divisions}")
print("first partitions start at:", [f"{d:%d %b %H:%M}" for d in by_time.divisions[:3]])

# %%
# Trips per hour with ``resample``
# --------------------------------
# ``resample("1h")`` groups the rows into hours of the index, as in pandas. Each partition
# resamples its own stretch of time; an hour that straddles two partitions is computed in both
# and combined, which Dask can do only because the divisions say which partitions are
# neighbours.
per_hour = by_time["tripduration"].resample("1h").count().compute()
print(f"{len(per_hour):,} hours, busiest: {per_hour.idxmax():%a %d %b %H:00} "
      f"with {int(per_hour.max()):,} trips")
per_hour.head()

# %%
# The same counts with a ``groupby`` on the hour need no sorted index at all: each row's hour is
# computed from its own start time, and the groups are combined in a tree, like any groupby.
# Timed against ``resample``, each run starting from the trips kept on the workers:
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
# series directly: each partition borrows the last 7 days of the partition before it.
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
# as ``before="1h"``: each partition then borrows the last hour of the one before, which is how
# ``rolling("7D")`` works under the hood.
gaps = overlapping.compute()
print(f"median gap between trips: {gaps.median():.0f} s, longest: {gaps.max() / 3600:.1f} h")

# %%
# When the index is not sorted
# ----------------------------
# Everything above relied on divisions that are true. Indexed by ``stoptime``, trips are *not*
# in order: a long trip ends after shorter ones that started later, so a partition's last stop
# times can reach past the first stop time of the next. ``sorted=True`` is a promise Dask does
# not check: it takes each partition's first value as its division and believes the rest. The
# hourly counts then silently miss any row that falls outside its partition's stretch of time:
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
# - ``set_index(column, sorted=True)`` makes an already ordered column the index and learns the
#   divisions from each partition's first and last value, without a shuffle.
# - ``resample`` and ``rolling`` with a time window work on a Dask DataFrame with known
#   divisions; partitions borrow the rows they need from their neighbours.
# - ``map_partitions`` sees one partition at a time and gets window edges wrong;
#   ``map_overlap(func, before=..., after=...)`` lends each partition rows from its neighbours.
# - ``sorted=True`` is a promise Dask does not check: on a column that is not in order it gives
#   wrong answers. Unknown divisions make ``resample`` raise. Sort with ``set_index`` once and
#   store the result.
#
# Exercise
# --------
# Compute the number of trips per day and its 3-day centred rolling mean, with
# ``rolling(3, center=True)``, on the Dask series of daily counts. Which day of the two months
# has the highest 3-day mean?
#
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       per_day = by_time["tripduration"].resample("1D").count()
#       three_day = per_day.rolling(3, center=True).mean().compute()
#       best_day = three_day.idxmax()
#       print(f"highest 3-day mean around {best_day:%d %b}: {three_day.max():.0f} trips a day")
