"""
Sorting, indexes and divisions
==============================

A pandas DataFrame can be sorted in place; a Dask DataFrame is many pandas DataFrames on many
workers, and sorting it means moving rows between them. This lesson sorts the trips by station
with ``set_index``, shows what Dask learns from that (the partitions' *divisions*), what those
divisions make cheap (selecting with ``loc``, joining, windows in time), measures what the sort
costs, and stores the sorted trips as Parquet, so that the sort is paid once and not in every
session.

**You will be able to:** sort a Dask DataFrame with ``set_index`` or ``sort_values``, read and
use its divisions, tell which operations profit from them, and keep them across sessions with
``to_parquet`` and ``read_parquet(calculate_divisions=True)``.

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** ``set_index`` on a column read from CSV sorts everything again on
#      every run; learners call it inside loops.
#    - **Do not skip:** Divisions are unknown after ``read_csv``: sort once, store as Parquet, and read
#      back with ``calculate_divisions=True``.
#    - **Ask the room:** After ``set_index("hour")``, which partitions does ``loc[63]`` read?

# %%
# Trips in no useful order
# ------------------------
# January's trips, in three partitions of a third of the file each, with the columns this
# lesson needs. The file is in order of start time, which says nothing about stations: the
# trips of any station are spread over every partition. The index is the row number within
# each partition, so Dask knows nothing about which partition holds what, and its
# ``divisions`` are all unknown (``None``).
import dask.dataframe as dd
from tutorial_helpers import bikes

january = bikes.trip_files()[0]
columns = ["tripduration", "starttime", "start station id", "usertype"]


def read_trips():
    third = january.stat().st_size // 3  # three partitions, whatever the size of the file
    return dd.read_csv(january, usecols=columns, parse_dates=["starttime"], blocksize=third)


trips = read_trips()
print(f"{trips.npartitions} partitions, divisions known: {trips.known_divisions}")
print(trips.divisions)

# %%
# Sorting with ``set_index``
# --------------------------
# ``set_index(column)`` makes a column the index and sorts the rows by it, across partitions.
# Dask cannot sort in one pass: first it reads the column and computes its quantiles, to choose
# the boundaries that split the rows into partitions of about equal size; then it *shuffles*
# every row to the partition its value falls into, and sorts each partition. The boundaries it
# chose are the new divisions: partition *i* holds the index values from ``divisions[i]`` up to
# ``divisions[i + 1]``.
#
# Both passes read the files, and the shuffle moves every row between the workers. Timed from
# the files, each run building its collections afresh and keeping the result on the workers:
from tutorial_helpers.timing import compare

sort_timings = compare(
    {
        "read": lambda: read_trips().persist(),
        "read, then set_index": lambda: read_trips().set_index("start station id").persist(),
    }
)
sort_timings

# %%
print(sort_timings.verdict(
    "read", "read, then set_index",
    otherwise="Sorting adds a pass and a shuffle to the reading, so only run-to-run noise on a "
    "busy machine can make it look free.",
))

# %%
# The sorted trips, kept on the workers for the rest of the lesson, and their divisions:
by_station = trips.set_index("start station id").persist()
print(f"{by_station.npartitions} partitions, divisions known: {by_station.known_divisions}")
print("divisions:", [int(d) for d in by_station.divisions])

# %%
# ``sort_values("tripduration")`` sorts by a column and keeps the index; it also shuffles.
# Neither is needed for the *n* largest or smallest values: ``nlargest`` keeps the top *n* of
# each partition and combines those, with no shuffle at all.
longest = trips.nlargest(3, "tripduration").compute()
longest[["tripduration", "start station id"]]

# %%
# What divisions make cheap
# -------------------------
# With divisions known, a selection by index value goes straight to the partitions that can
# hold it: ``loc`` of one station reads one partition, and a range of stations only the
# partitions it overlaps. Without divisions, the same question filters every partition.
one_station = by_station.loc[63]
some_stations = by_station.loc[100:200]
filtered = trips[trips["start station id"] == 63]
print(f"loc[63]: {one_station.npartitions} of {by_station.npartitions} partitions")
print(f"loc[100:200]: {some_stations.npartitions} of {by_station.npartitions} partitions")
print(f"filter on the unsorted column: {filtered.npartitions} of {trips.npartitions} partitions")
print(f"trips from station 63: {len(one_station):,}")

# %%
# The same knowledge makes joins and windows cheap. Two tables indexed by the key with known
# divisions are joined partition by partition, with no shuffle (:ref:`the previous lesson
# <sphx_glr_lessons_15_dataframe_depth_plot_01_joins.py>` timed it). A rolling window or a
# ``resample`` over a time index needs, at each partition's edge, only the last rows of the
# partition before it, and only divisions say which partition is before. And a ``groupby`` on
# the index can combine results partition by partition, since each station's trips are now
# together.
#
# What the sort costs
# -------------------
# The table above measured it: a sort is worth it when its result is used many times, for
# many selections, joins or windows on the same key. Paid in every session, it is not. Store
# the sorted data instead.
#
# Pay once: Parquet keeps the order
# ---------------------------------
# ``to_parquet`` writes one file per partition, in order, and records each file's smallest and
# largest index value in its metadata. ``read_parquet(..., calculate_divisions=True)`` reads
# those statistics, not the data, and gives back a DataFrame whose divisions are known: the
# sort is not repeated. Everything goes to a temporary folder, removed at the end.
import tempfile
from pathlib import Path

workdir = tempfile.TemporaryDirectory(prefix="dask-sorted-")
sorted_folder = Path(workdir.name) / "trips-by-station.parquet"
by_station.to_parquet(sorted_folder)

stored = dd.read_parquet(sorted_folder, calculate_divisions=True)
print(f"{len(list(sorted_folder.glob('*.parquet')))} files; divisions known: {stored.known_divisions}")
print("divisions:", [int(d) for d in stored.divisions])

# %%
# One station's trips, counted from the stored sorted data and from the CSV files:


def from_sorted_parquet():
    return len(dd.read_parquet(sorted_folder, calculate_divisions=True).loc[63])


def from_csv_files():
    fresh = read_trips()
    return len(fresh[fresh["start station id"] == 63])


station_timings = compare(
    {"Parquet, sorted: loc[63]": from_sorted_parquet, "CSV files: filter": from_csv_files}
)
station_timings

# %%
print(station_timings.verdict(
    "Parquet, sorted: loc[63]", "CSV files: filter",
    otherwise="Reading the Parquet metadata has a fixed cost, which a bigger data set would dwarf.",
))

# %%
# The Parquet read touched one file of the three; the CSV filter parsed every byte of the
# month. The gap grows with the data: the filter's work grows with the files, the sorted
# read's with the one station. Remove the folder when done:
workdir.cleanup()

# %%
# Key points
# ----------
# - A Dask DataFrame's divisions are the index boundaries of its partitions. ``read_csv`` leaves
#   them unknown; ``set_index`` sorts and sets them; ``from_pandas`` and
#   ``read_parquet(calculate_divisions=True)`` find them without a shuffle.
# - ``set_index`` and ``sort_values`` cost a pass to choose boundaries and a shuffle of every
#   row; ``nlargest``/``nsmallest`` need neither.
# - Known divisions make ``loc`` read only the partitions it needs, and let joins, rolling
#   windows and ``resample`` work partition by partition.
# - Sort once and store: Parquet written from a sorted DataFrame gives its divisions back with
#   ``calculate_divisions=True``.
#
# Exercise
# --------
# Sort the trips by start time instead, with ``set_index("starttime")``, and use the divisions
# to count the trips of 15 January 2019. How many partitions does the selection read?
#
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       by_time = trips.set_index("starttime")
#       one_day = by_time.loc["2019-01-15"]
#       print(f"reads {one_day.npartitions} of {by_time.npartitions} partitions")
#       one_day_trips = len(one_day)
#       print(f"{one_day_trips:,} trips on 15 January")
