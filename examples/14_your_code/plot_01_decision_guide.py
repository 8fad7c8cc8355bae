"""
Which Dask for your code?
=========================

You have code that works, and it has become too slow or its data too big. What it uses today
points to the Dask tool to reach for: pandas DataFrames → Dask DataFrame; large NumPy arrays →
Dask Array, or Xarray with Dask when the dimensions have names; other Python objects (records,
JSON, text) → Dask Bag; loops of function calls run with ``multiprocessing`` or ``joblib`` →
``dask.delayed``. This lesson shows each as a before/after pair, runs the "after" on the bike
data and checks it against the "before", and ends with a labelled Xarray dataset whose data is
a Dask array.

**You will be able to:** pick the Dask tool that matches your code, convert a short pandas,
NumPy, plain-Python or multiprocessing snippet to it, and build, reduce and compute a chunked
Xarray dataset.

**Estimated time:** 30 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners look for one right answer; the guide starts from what
#      the code does now.
#    - **Do not skip:** pandas → DataFrame, NumPy → Array, other Python objects → Bag, your own
#      functions → delayed; they mix.
#    - **Ask the room:** Which part of your own code would you move to Dask first?

# %%
# Start from what your code does
# ------------------------------
# .. list-table::
#    :header-rows: 1
#
#    * - Your code uses
#      - Reach for
#      - Parallel on
#    * - pandas DataFrames
#      - ``dask.dataframe``: the pandas API, over many :term:`partitions <partition>`
#      - threads or processes
#    * - large NumPy arrays
#      - ``dask.array``: the NumPy API, over many :term:`chunks <chunk>`; with named
#        dimensions and coordinates, Xarray on top of it
#      - threads or processes
#    * - other Python objects: records, JSON, text, your own classes
#      - ``dask.bag``: ``map``, ``filter``, ``groupby`` over a partitioned sequence
#      - processes
#    * - ``multiprocessing``, ``joblib`` or a loop of function calls
#      - ``dask.delayed``: your functions, made lazy, run as a :term:`task graph`
#      - processes
#
# The last column is the workshop's rule of thumb: pandas and NumPy release Python's
# :term:`GIL` while they compute, so threads work in parallel; pure-Python code holds it, so it
# needs processes: Dask's processes scheduler, or a dask.distributed cluster of worker
# processes. The tools mix: a Bag can become a DataFrame, delayed functions can return
# DataFrames.
#
# Processes come with a catch in scripts. Dask's processes scheduler (the default for bags when
# no client is open) starts its processes as fresh Pythons ("spawn", printed below), and so
# do dask.distributed's worker processes: each new process first imports the script it comes
# from, and runs whatever that script does at its top level. In a script, code that starts
# processes sits under ``if __name__ == "__main__":`` (see :ref:`schedulers`), as the
# multiprocessing tab below does.
import dask
import dask.multiprocessing
from tutorial_helpers import bikes

print("the processes scheduler starts its processes with:",
      dask.multiprocessing.get_context().get_start_method())
files = bikes.trip_files()
len(files)

# %%
# A cluster to compute on
# -----------------------
# Every "after" below computes. Most of them run pandas and NumPy code, which works in
# parallel on threads, so the lesson starts a ``dask.distributed`` cluster of that kind here:
# one worker whose threads, as many as the cores this job was granted, run the tasks, in this
# Python process. The client makes it the default for every ``compute()`` below. Its workers
# are threads, so a script needs no ``if __name__ == "__main__":`` guard for it.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)

# %%
# pandas → Dask DataFrame
# -----------------------
# Code that reads many files into one pandas DataFrame, or one file too big for memory, is the
# case of :ref:`dask-dataframe`. Here: the share of rides longer than 30 minutes, by user type.
#
# .. tab-set::
#
#    .. tab-item:: pandas
#
#       .. code-block:: python
#
#          import pandas as pd
#
#          columns = ["tripduration", "usertype"]
#          trips = pd.concat([pd.read_csv(path, usecols=columns) for path in files])
#          long_ride = trips["tripduration"] > 30 * 60
#          long_share = long_ride.groupby(trips["usertype"]).mean()
#
#    .. tab-item:: Dask DataFrame
#
#       .. code-block:: python
#
#          import dask.dataframe as dd
#
#          columns = ["tripduration", "usertype"]
#          trips = dd.read_csv(files, usecols=columns)
#          long_ride = trips["tripduration"] > 30 * 60
#          long_share = long_ride.groupby(trips["usertype"]).mean().compute()
#
# Two lines change: Dask's ``read_csv`` takes the list of files itself, and ``compute()`` asks
# for the answer. (Reading only the columns you need, ``usecols``, saves time in both.) One
# difference to watch when converting: Dask's ``value_counts()`` returns its counts in no
# particular order (they may come from several partitions), so sort after computing, or ask for
# ``nlargest(n)``.
import dask.dataframe as dd

columns = ["tripduration", "usertype"]
trips = dd.read_csv(files, usecols=columns)
long_ride = trips["tripduration"] > 30 * 60
long_share = long_ride.groupby(trips["usertype"]).mean().compute()
long_share

# %%
# Large NumPy arrays → Dask Array
# -------------------------------
# An array that is large, or too large for memory, is the case of :ref:`dask-array`. Here a
# 20,000 × 1,000 matrix of measurements (160 MB): subtract each column's mean and measure each
# column's spread. ``dask.array`` creates it directly in 8 chunks of 2,500 rows, so no single
# process ever holds all of it.
#
# .. tab-set::
#
#    .. tab-item:: NumPy
#
#       .. code-block:: python
#
#          import numpy as np
#
#          x = np.random.default_rng(42).standard_normal((20_000, 1_000))
#          anomalies = x - x.mean(axis=0)
#          spread = anomalies.std(axis=0)
#
#    .. tab-item:: Dask Array
#
#       .. code-block:: python
#
#          import dask.array as da
#
#          rng = da.random.default_rng(42)
#          x = rng.standard_normal((20_000, 1_000), chunks=(2_500, 1_000))
#          anomalies = x - x.mean(axis=0)
#          spread = anomalies.std(axis=0).compute()
#
# Dask draws each chunk from a random stream of its own, so its numbers differ from NumPy's
# with the same seed; with your own data, the values are the same.
import dask.array as da

rng = da.random.default_rng(42)
x = rng.standard_normal((20_000, 1_000), chunks=(2_500, 1_000))
anomalies = x - x.mean(axis=0)
spread = anomalies.std(axis=0)
x

# %%
# The graph of eight chunks is too wide to read on a page, so we draw the same steps for an
# array of four chunks. It shows the pattern of most array work: one row of tasks per chunk, a
# tree that combines the column means, and the means sent back to every chunk.
small = rng.standard_normal((2_000, 1_000), chunks=(500, 1_000))
(small - small.mean(axis=0)).std(axis=0).visualize()

# %%
spread_values = spread.compute()
spread_values[:5]

# %%
# Other Python objects → Dask Bag
# -------------------------------
# Data that is not a table or an array, such as nested JSON records, log lines or text, is
# processed in plain Python with loops over records. Dask Bag runs the same steps, ``map``,
# ``filter`` and counting, over a partitioned sequence of records in parallel. Say the trips
# arrived as JSON lines from a web service, one nested record per ride; we write two months of
# them into a temporary folder.
import json
import tempfile
from pathlib import Path

import pandas as pd



def as_json_record(row):
    return {"bike": row["bikeid"], "seconds": row["tripduration"],
            "rider": {"type": row["usertype"], "birth year": row["birth year"]},
            "start": {"station": row["start station name"], "time": row["starttime"]}}


json_folder = tempfile.TemporaryDirectory()
json_files = [Path(json_folder.name) / path.with_suffix(".jsonl").name for path in files[:2]]
for path, json_path in zip(files[:2], json_files):
    rows = pd.read_csv(path).to_dict("records")
    json_path.write_text("".join(json.dumps(as_json_record(row)) + "\n" for row in rows))
first_line = json_files[0].read_text().splitlines()[0]
print(json.dumps(json.loads(first_line), indent=2))  # one record, indented to show its nesting

# %%
# Which stations do customers (day-pass riders) start from most?
#
# .. tab-set::
#
#    .. tab-item:: Python
#
#       .. code-block:: python
#
#          from collections import Counter
#
#          customer_starts = Counter()
#          for path in json_files:
#              with open(path) as lines:
#                  for line in lines:
#                      ride = json.loads(line)
#                      if ride["rider"]["type"] == "Customer":
#                          customer_starts[ride["start"]["station"]] += 1
#          top_customer_starts = customer_starts.most_common(3)
#
#    .. tab-item:: Dask Bag
#
#       .. code-block:: python
#
#          import dask.bag as db
#
#          rides = db.read_text(json_files).map(json.loads)
#          customers = rides.filter(lambda ride: ride["rider"]["type"] == "Customer")
#          customer_starts = customers.map(lambda ride: ride["start"]["station"]).frequencies()
#          top = customer_starts.topk(3, key=lambda pair: pair[1])
#          top_customer_starts = top.compute()
#
# Each line of the loop becomes a step of the bag; ``compute()`` runs them, one partition of
# lines per file here (printed below), on the lesson's cluster, the client's default. Its
# worker's threads take turns on ``json.loads`` and the small functions, which are pure Python
# and hold the GIL: for two small files that costs little. For pure-Python work at scale, run
# the bag on worker processes: a cluster of them, started under the ``__main__`` guard as in
# :ref:`the measured speed-up lesson <sphx_glr_lessons_10_delayed_plot_02_delayed_speedup.py>`,
# or ``compute(scheduler="processes")``. Once the records are flat, ``to_dataframe()`` turns a
# bag into a Dask DataFrame for the rest of the work. The temporary files go once the answer
# is in.
import dask.bag as db

rides = db.read_text(json_files).map(json.loads)
customers = rides.filter(lambda ride: ride["rider"]["type"] == "Customer")
customer_starts = customers.map(lambda ride: ride["start"]["station"]).frequencies()
print(f"{rides.npartitions} partitions for {len(json_files)} files")
top = customer_starts.topk(3, key=lambda pair: pair[1])
top_customer_starts = top.compute()
json_folder.cleanup()
for station, count in top_customer_starts:
    print(f"{count:6,} {station}")

# %%
# multiprocessing or joblib → dask.delayed
# ----------------------------------------
# Code that already runs a function over many inputs with a process pool is the case of
# :ref:`dask-delayed`. Here the function counts the long rides in one monthly file.
def long_rides(path):
    durations = pd.read_csv(path, usecols=["tripduration"])["tripduration"]
    return int((durations > 30 * 60).sum())


long_rides(files[0])

# %%
# Run over every month: with a process pool, with joblib, and with ``dask.delayed``.
#
# .. tab-set::
#
#    .. tab-item:: multiprocessing
#
#       .. code-block:: python
#
#          from multiprocessing import Pool
#
#          if __name__ == "__main__":  # a process pool: see the first section
#              with Pool(4) as pool:
#                  per_month = pool.map(long_rides, files)
#              total = sum(per_month)
#
#    .. tab-item:: joblib
#
#       .. container:: not-run-here
#
#          .. code-block:: python
#
#             from joblib import Parallel, delayed
#
#             per_month = Parallel(n_jobs=4)(delayed(long_rides)(path) for path in files)
#             total = sum(per_month)
#
#    .. tab-item:: dask.delayed
#
#       .. code-block:: python
#
#          import dask
#
#          per_month = [dask.delayed(long_rides)(path) for path in files]
#          total = dask.delayed(sum)(per_month)
#          per_month, total = dask.compute(per_month, total)
#
# The joblib tab is shown, not run: after the call, joblib keeps its worker processes waiting for
# more work for five minutes, and this page leaves nothing running behind it. Pasted into your
# own Python, it runs as it is.
#
# The call looks like joblib's, and the work runs on any Dask scheduler: here the lesson's
# cluster, whose threads suit ``long_rides`` (pandas parses the CSV); a cluster of many
# machines takes the same code. Unlike a pool, the results can feed further delayed calls (the
# ``sum`` here), so a whole pipeline becomes one graph. Keeping joblib code as it is also works: with a
# dask.distributed ``Client`` open, ``with joblib.parallel_config(backend="dask"):`` sends
# joblib's calls to the Dask cluster.
per_month = [dask.delayed(long_rides)(path) for path in files]
total = dask.delayed(sum)(per_month)

# %%
# The graph has one ``long_rides`` task per month, all feeding one ``sum``. Drawn for the first
# four months, it stays readable:
dask.delayed(sum)([dask.delayed(long_rides)(path) for path in files[:4]]).visualize()

# %%
per_month, total = dask.compute(per_month, total)
print(f"{total:,} long rides")
pd.Series(per_month, index=[path.name[:6] for path in files], name="long rides")

# %%
# Named dimensions: Xarray with Dask
# ----------------------------------
# Scientific arrays usually have meaning along each axis: time, station, latitude, depth.
# `Xarray <https://docs.xarray.dev/>`__ gives dimensions names and coordinates, so you write
# ``mean("day")`` instead of ``mean(axis=1)`` and select by label. Its data can be a NumPy
# array or a Dask array; with Dask, every operation stays lazy and runs chunk by chunk. Real
# gridded data (NetCDF, Zarr) opens that way directly, e.g.
# ``xr.open_mfdataset("temperature_*.nc", chunks={"time": 100})``.
#
# From the trips, count the trips per station per day: a small table from Dask DataFrame, which
# becomes a two-dimensional array with named dimensions, ``station`` × ``day``.
import xarray as xr

columns = ["starttime", "start station name"]
departures = dd.read_csv(files, usecols=columns, parse_dates=["starttime"])
departures = departures.rename(columns={"start station name": "station"})
departures["day"] = departures["starttime"].dt.floor("D")
per_station_day = departures.groupby(["station", "day"]).size().compute()
trips_per_day = xr.DataArray.from_series(per_station_day).fillna(0).astype("int64")
trips_per_day

# %%
# A chunked Dataset
# -----------------
# A ``Dataset`` holds one or more named arrays on shared coordinates. ``chunk`` splits its data
# into a Dask array of four chunks of about three months each; the repr shows the chunk shape.
# This one is small enough for NumPy: it stands in for gridded data that would not be.
ds = trips_per_day.to_dataset(name="trips").chunk({"day": 92})
ds

# %%
# Lazy reductions, by name
# ------------------------
# The average trips per day at each station, and the trips per day over all stations: nothing
# is computed yet; the results hold Dask arrays.
mean_per_station = ds["trips"].mean("day")
trips_each_day = ds["trips"].sum("station")
mean_per_station.data

# %%
# The task graph of the mean: one task per chunk, then a small tree that combines them.
mean_per_station.data.visualize()

# %%
# Compute, and check against NumPy
# --------------------------------
# ``compute()`` returns an Xarray object with NumPy data and the same labels. The same mean over
# the plain NumPy array, by axis number, must agree.
import numpy as np

mean_per_station, trips_each_day = dask.compute(mean_per_station, trips_each_day)
np.testing.assert_allclose(mean_per_station.values, trips_per_day.values.mean(axis=1))
mean_per_station.to_series().nlargest(5).round(1)

# %%
# Labels carry into plots: a 7-day rolling mean of all trips per day, with dates on the axis.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 3))
trips_each_day.rolling(day=7).mean().plot(ax=ax)
ax.set_ylabel("trips per day (7-day mean)")
plt.tight_layout()

# %%
# Key points
# ----------
# - Match the tool to the code you have: pandas → Dask DataFrame, NumPy → Dask Array (Xarray
#   with Dask for named dimensions), other Python objects → Dask Bag, process pools and joblib
#   → ``dask.delayed``. They mix freely.
# - The "after" looks like the "before": the same method names, plus ``compute()`` at the end.
#   Watch for the few differences, such as the unsorted result of ``value_counts()``.
# - pandas and NumPy work runs well on threads; pure-Python work (a Bag of records, delayed
#   functions that loop in Python) needs processes: name ``scheduler="processes"``, or use a
#   cluster of worker processes.
# - Xarray names dimensions and coordinates; with Dask underneath, ``mean("day")`` and friends
#   stay lazy and run chunk by chunk, and the result keeps its labels.
#
# Exercise
# --------
# On which day did each station have the most trips, and how many were there? Answer from
# ``ds`` with Xarray's ``idxmax`` and ``max`` along ``day``, computed together in one pass, and
# list the three stations with the highest daily record. Put the whole table in ``answer`` (a
# pandas DataFrame indexed by station, with the columns ``day``, a date, and ``trips``, an
# int, one row per station) and the two lazy results, before computing, in
# ``exercise_lazy_parts`` (a tuple), and run the check below: it counts the trips per station
# per day with pandas from the same files, looks at your lazy results, and says what is wrong,
# without giving the answer away.
answer = None  # your answer, computed: replace None
exercise_lazy_parts = None  # (the lazy idxmax, the lazy max), before computing: replace None

# %%
from tutorial_helpers.exercises import check

check("decision_guide", answer, lazy_parts=exercise_lazy_parts)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       busiest_day = ds["trips"].idxmax("day")
#       most_trips = ds["trips"].max("day")
#       exercise_lazy_parts = (busiest_day, most_trips)
#       busiest_day, most_trips = dask.compute(busiest_day, most_trips)
#       records = pd.DataFrame({"day": busiest_day.to_series(), "trips": most_trips.to_series()})
#       print(records.nlargest(3, "trips"))
#       answer = records
#       check("decision_guide", answer, lazy_parts=exercise_lazy_parts)

# %%
# Close the cluster
# -----------------
# Every answer above is a pandas, NumPy or Xarray object in this process now, so the cluster and
# its client can go.
client.close()
cluster.close()
