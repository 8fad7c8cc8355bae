"""
Xarray and Dask on a folder of NetCDF files
===========================================

Gridded data in science usually come as many files, one per month or per model run, each a
labelled array: values with named dimensions and coordinates (time, latitude, longitude).
Xarray reads such a folder as one dataset backed by Dask arrays, in chunks that follow the
files, and lets you ask questions by label ("per hour of the day", "per day") instead of by
index. This lesson makes such a folder from three months of trips, opens it with
``xr.open_mfdataset``, and runs ``groupby`` and ``resample`` on Dask.

**You will be able to:** write and open a set of NetCDF files as one Xarray dataset with Dask
chunks, compute labelled ``groupby`` and ``resample`` results lazily, and read the task graph
behind one of them.

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** ``open_mfdataset`` needs the files to line up along a
#      dimension; learners with mismatched files get a confusing error.
#    - **Do not skip:** Named dimensions make the same reductions readable: ``groupby`` and
#      ``resample`` by name, computed lazily by Dask.
#    - **Ask the room:** Which of your data would read better with named dimensions?

# %%
# A cluster in this process
# -------------------------
# Xarray's ``compute()`` hands its Dask arrays to Dask's default scheduler: the client made
# here. The cluster's one worker runs as threads of this Python process (``processes=False``),
# as many as the cores this job may use; its scheduler and dashboard listen on this machine's
# loopback address only.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)

# %%
# A gridded field from the trips, one NetCDF file per month
# ---------------------------------------------------------
# Count the trips starting in each hour in each cell of a coarse 7 × 10 grid over Boston:
# an array of hours × latitude × longitude, with the hours, and the cells' centres, as
# coordinates. Each month becomes one NetCDF file (written with the ``h5netcdf`` engine) in a
# temporary folder, as a measuring network or a model would deliver it.
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from tutorial_helpers import bikes

lat_edges, lon_edges = np.linspace(42.33, 42.40, 8), np.linspace(-71.14, -71.03, 11)
columns = ["starttime", "start station latitude", "start station longitude"]


def write_month_files(folder):
    """Write trips per hour and grid cell of January to March, one NetCDF file per month."""
    for path in bikes.trip_files()[:3]:
        trips = pd.read_csv(path, usecols=columns, parse_dates=["starttime"])
        start = trips["starttime"].min().to_period("M").to_timestamp()
        hours = pd.date_range(start, start + pd.offsets.MonthBegin(1), freq="h", inclusive="left")
        hour = (trips["starttime"] - start) // pd.Timedelta("1h")
        points = np.column_stack([hour, trips[columns[1]], trips[columns[2]]])
        counts, _ = np.histogramdd(points, bins=(np.arange(len(hours) + 1), lat_edges, lon_edges))
        month = xr.Dataset(
            {"trips": (("time", "lat", "lon"), counts.astype("int32"))},
            coords={"time": hours, "lat": (lat_edges[:-1] + lat_edges[1:]) / 2,
                    "lon": (lon_edges[:-1] + lon_edges[1:]) / 2},
        )
        month.to_netcdf(folder / f"trips-{start:%Y-%m}.nc", engine="h5netcdf")
    return sorted(folder.glob("trips-*.nc"))


scratch = tempfile.TemporaryDirectory()
folder = Path(scratch.name)
month_files = write_month_files(folder)
print([p.name for p in month_files])

# %%
# Open the folder as one dataset
# ------------------------------
# ``xr.open_mfdataset`` opens every file, reads only the coordinates, and joins the files
# along ``time`` by their coordinate values. ``chunks={}`` makes every variable a Dask array
# in the engine's preferred chunks, each file on its own: the chunks the file stores the
# variable in, or the whole variable where the file stores it in one piece. ``to_netcdf``
# wrote these files without chunks (``contiguous`` in the variable's ``encoding``), so here
# that is one chunk per file, one month each; a file stored in chunks would give several.
# Give sizes, e.g. ``chunks={"time": 24 * 7}``, to split files further. The values stay on
# disk: the repr shows ``dask.array`` and the chunk size.
ds = xr.open_mfdataset(month_files, engine="h5netcdf", chunks={})
print("stored contiguously:", ds["trips"].encoding["contiguous"], "| chunks along time:", ds["trips"].chunks[0])
print(ds)

# %%
# A labelled question: trips per hour of the day
# ----------------------------------------------
# ``groupby("time.hour")`` groups the time steps by the hour of their timestamp, whatever the
# date; ``mean()`` averages each group: the mean number of trips in each hour of the day, in
# each cell. It is lazy, like any Dask-backed result; ``compute()`` runs it on Dask's default
# scheduler, which is the client made above.
from tutorial_helpers.timing import describe

daily_cycle = ds["trips"].groupby("time.hour").mean()
print(type(daily_cycle.data).__name__, daily_cycle.shape)
daily_cycle = daily_cycle.compute()
print("computed on", describe())
whole_grid = daily_cycle.sum(["lat", "lon"])
print(f"busiest hour of the day: {int(whole_grid.idxmax())}:00, {float(whole_grid.max()):.1f} trips on average")

# %%
# Another: trips per day
# ----------------------
# ``resample(time="1D")`` groups consecutive time steps into calendar days; summed over the
# grid too, that is the number of trips on each day. The plot shows the weekly rhythm and the
# winter's slow climb towards spring.
import matplotlib.pyplot as plt

per_day = ds["trips"].sum(["lat", "lon"]).resample(time="1D").sum().compute()
fig, ax = plt.subplots(figsize=(8, 3))
per_day.plot(ax=ax)
ax.set(title="Trips per day starting in the grid", xlabel="", ylabel="trips")
plt.tight_layout()

# %%
# The graph behind a resample
# ---------------------------
# ``.data`` is the Dask array under an Xarray result. Resampling to months on files that each
# hold one month keeps every file's work apart: per file, read the chunk and sum over its
# hours, a chain of its own. Nothing joins the three chains: each monthly map stays a chunk
# of the result, and ``compute()`` puts them together in this process. Read from the bottom.
monthly = ds["trips"].resample(time="MS").sum()
print(f"{len(monthly.data.__dask_graph__())} tasks; the result's chunks along time: {monthly.data.chunks[0]}")
monthly.data.visualize()

# %%
# Close the files and remove the folder
# -------------------------------------
# The dataset keeps its files open; close it before removing them.
monthly_totals = monthly.sum(["lat", "lon"]).compute()
print({f"{t:%Y-%m}": int(v) for t, v in zip(monthly_totals["time"].to_index(), monthly_totals.values)})
ds.close()
scratch.cleanup()

# %%
# Key points
# ----------
# - ``xr.open_mfdataset(files, engine=..., chunks={})`` opens many files as one labelled dataset
#   of Dask arrays in the files' own chunks: one chunk per file for files stored without
#   chunks, as here (or smaller with ``chunks={"time": ...}``).
# - ``groupby("time.hour")``, ``resample(time="1D")`` and reductions over named dimensions
#   build Dask graphs; ``compute()`` runs them on Dask's default scheduler (here the client)
#   and returns an in-memory Xarray object.
# - ``.data`` gives the Dask array under an Xarray object, for ``visualize()`` and friends.
# - Chunks that follow the question (here, one month per file for a monthly resample) keep
#   the graph a set of independent chains.
#
# Exercise
# --------
# Do weekends have another daily rhythm? In a new temporary folder, write the files again
# with ``write_month_files``, open them with Dask chunks, keep only Saturdays and Sundays
# (``ds.time.dt.dayofweek >= 5``), and compute the mean number of trips in each hour of the
# day over the whole grid. Use ``with`` blocks, so that the dataset is closed and the folder
# removed even if something fails. Put the result in ``answer`` (a pandas Series of 24 means,
# indexed by the hour of the day: ``.to_series()`` makes one) and the weekend selection, before
# anything is computed, in ``weekend``, and run the check below: it compares with a reference
# computed with pandas from the same trip files, looks at what ``weekend`` holds, and says
# what is wrong, without giving the answer away.
answer = None  # your answer, computed: replace None
weekend = None  # the Dask-backed weekend selection (an Xarray DataArray): replace None

# %%
from tutorial_helpers.exercises import check

check("xarray_files", answer, weekend=weekend)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       with tempfile.TemporaryDirectory() as tmp:
#           files = write_month_files(Path(tmp))
#           with xr.open_mfdataset(files, engine="h5netcdf", chunks={}) as again:
#               weekend = again["trips"].sel(time=again.time.dt.dayofweek >= 5)
#               weekend_cycle = weekend.sum(["lat", "lon"]).groupby("time.hour").mean().compute()
#       answer = weekend_cycle.to_series()
#       print(answer.round(1).head(12))
#       print(f"weekend peak: {int(answer.idxmax())}:00")
#       check("xarray_files", answer, weekend=weekend)

# %%
# Close the cluster
# -----------------
# With the exercise done, close the client and its cluster.
client.close()
cluster.close()
