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
#    - **What usually goes wrong:** ``set_index`` on a column read from CSV sorts everything
#      again in every session, and in every function that reads the file afresh (as
#      ``read_trips`` below).
#    - **Do not skip:** Divisions are unknown after ``read_csv``: sort once, store as Parquet, and read
#      back with ``calculate_divisions=True``.
#    - **Ask the room:** After ``set_index("start station id")``, which partitions does ``loc[63]``
#      read, and how does Dask know without looking at the data?

# %%
# A cluster with two workers
# --------------------------
# Sorting moves rows between workers, so this lesson starts a cluster of *two* workers, each
# with half of the cores this job may use. They are threads of this Python process
# (``processes=False``), talking to each other over TCP on this machine's loopback address, as
# workers on two machines would over the network.
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
# With a client, Dask shuffles peer-to-peer (P2P) by default; without one, with the ``"disk"``
# method. The sorts below run with the method in force here:
import dask
from dask.utils import get_default_shuffle_method

print("dataframe.shuffle.method setting:", dask.config.get("dataframe.shuffle.method", None))
shuffle_method = get_default_shuffle_method()
print("shuffle method in force:", shuffle_method)

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
# The first pass runs at once, when Dask makes the plan, before anything is computed: the
# tasks the cluster ran while ``set_index`` was only being *planned*, and the tasks of the plan
# it made, by name:
from collections import Counter

from dask.distributed import get_task_stream
from dask.utils import key_split

with get_task_stream() as planning:
    sort_plan = read_trips().set_index("start station id").optimize()
planning_tasks = Counter(key_split(task["key"]) for task in planning.data)
sort_tasks = Counter(key_split(key) for key in sort_plan.__dask_graph__().keys())
print("ran while planning:", dict(planning_tasks))
print("the plan:", dict(sort_tasks))

# %%
# The quantiles (``repartitionquantiles``) were computed from a first read of the file. The
# plan reads it again, and its shuffle (``shuffle-transfer``, ``shuffle-barrier``,
# ``p2pshuffle``) moves every row to the worker of its new partition, which is then sorted by
# its index. Timed from the file, each run building its collections afresh and keeping the
# result on the workers:
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
# each partition and combines those, with no shuffle at all (the tasks of its plan, by name):
top_three = trips.nlargest(3, "tripduration")
nlargest_tasks = Counter(key_split(key) for key in top_three.optimize().__dask_graph__().keys())
print(dict(nlargest_tasks))
longest = top_three.compute()
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
station_63_trips = len(one_station)
print(f"trips from station 63: {station_63_trips:,}")

# %%
# The same knowledge makes joins and windows cheap. Two tables indexed by the key with known
# divisions are joined partition by partition, with no shuffle (:ref:`the previous lesson
# <sphx_glr_lessons_15_dataframe_depth_plot_01_joins.py>` timed it). Over a time index, a
# rolling window borrows the rows it needs from the partitions before each one, and
# ``resample`` re-cuts the partitions at the boundaries of its periods (:ref:`lesson 15.4
# <sphx_glr_lessons_15_dataframe_depth_plot_04_time_series.py>`): both read the divisions to
# know which rows are where, and refuse to run without them.
#
# What the sort costs
# -------------------
# The table above measured it: a sort is worth it when its result is used many times, for
# many selections, joins or windows on the same key. Paid in every session, it is not. Store
# the sorted data instead.
#
# Pay once: Parquet keeps the order
# ---------------------------------
# ``to_parquet`` writes one file per partition, in order, and Parquet records the smallest and
# largest value of every column, the index among them, in each file's metadata.
# ``read_parquet(..., calculate_divisions=True)`` reads those statistics, not the data, and
# gives back a DataFrame whose divisions are known: the sort is not repeated. Everything goes
# to a temporary folder, removed at the end.
import tempfile
from pathlib import Path

workdir = tempfile.TemporaryDirectory(prefix="dask-sorted-")
sorted_folder = Path(workdir.name) / "trips-by-station.parquet"
by_station.to_parquet(sorted_folder)

stored = dd.read_parquet(sorted_folder, calculate_divisions=True)
print(f"{len(list(sorted_folder.glob('*.parquet')))} files; divisions known: {stored.known_divisions}")
print("divisions:", [int(d) for d in stored.divisions])

# %%
# One station's trips, counted from the stored sorted data and from the CSV file. The stored
# divisions tell Dask which files can hold station 63:
print(f"loc[63] on the stored data reads {stored.loc[63].npartitions} of {stored.npartitions} files")


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
# The Parquet read touched one file, as printed above; the CSV filter parsed every byte of the
# month. The gap grows with the data: the filter's work grows with the files, the sorted
# read's with the one station. Remove the folder when done:
workdir.cleanup()

# %%
# Key points
# ----------
# - A Dask DataFrame's divisions are the index boundaries of its partitions. ``read_csv`` leaves
#   them unknown; ``set_index`` sorts and sets them; ``from_pandas`` and
#   ``read_parquet(calculate_divisions=True)`` find them without a shuffle.
# - ``set_index`` and ``sort_values`` cost a pass to choose boundaries (run at once, while
#   planning) and a shuffle of every row; ``nlargest``/``nsmallest`` need neither.
# - Known divisions make ``loc`` read only the partitions it needs, let joins work partition by
#   partition, and tell rolling windows and ``resample`` where each stretch of the index is.
# - Sort once and store: Parquet written from a sorted DataFrame gives its divisions back with
#   ``calculate_divisions=True``.

# %%
# Exercise
# --------
# Sort the trips by start time instead, with ``set_index("starttime")``, and use the divisions
# to select the trips of 15 January 2019 with ``loc``. How many partitions does the selection
# read, and how many trips are there? Put the number of trips in ``answer`` (an int) and run the
# check below, passing your selection as a Dask DataFrame (``selection=...``): it compares with
# a count made with pandas from the same file, reads your selection's divisions, and says what
# is wrong, without giving the answer away.
answer = None  # your answer, computed: replace None

# %%
from tutorial_helpers.exercises import check

check("sorting_and_divisions", answer, selection=None)  # selection: your day's trips, a Dask DataFrame

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       by_time = trips.set_index("starttime")
#       one_day = by_time.loc["2019-01-15"]
#       print(f"reads {one_day.npartitions} of {by_time.npartitions} partitions")
#       answer = len(one_day)
#       print(f"{answer:,} trips on 15 January")
#       check("sorting_and_divisions", answer, selection=one_day)

# %%
# Close the cluster
# -----------------
# The workers, and the sorted trips they hold in memory, go away with it.
client.close()
cluster.close()
