"""
Arrays on disk: Zarr and HDF5
=============================

An array that does not fit in memory, or that you want to keep, lives in files. Zarr and HDF5
both store an array *chunk by chunk*, so Dask can read and write each chunk in its own task.
This lesson writes a field to a Zarr store and to an HDF5 file, reads both back lazily, and
joins a folder of monthly HDF5 files into one array with ``da.concatenate`` and ``da.stack``.
Everything goes into a temporary folder that the lesson removes at the end.

**You will be able to:** write and read Dask arrays with ``to_zarr``/``from_zarr`` and with
``da.to_hdf5``/``h5py`` plus ``da.from_array``, match Dask's chunks to the chunks on disk, and
combine many files into one array.

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** An HDF5 file left open makes the next attempt to open it for
#      writing fail: close files before learners re-run a cell.
#    - **Do not skip:** Chunks on disk become chunks in memory: choose them when you write.
#    - **Ask the room:** Your data arrives as many files: Zarr or HDF5, and why?

# %%
# A cluster in this process
# -------------------------
# The reads and writes below run on a Dask cluster made here, except one that a cluster cannot
# do, as we will see. The cluster's one worker runs as threads of this Python process
# (``processes=False``), as many as the cores this job may use; its scheduler and dashboard
# listen on this machine's loopback address only.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)

# %%
# A field to store, and a folder for it
# -------------------------------------
# 1,024 hours of a 64 × 64 grid of random numbers in 8 chunks of 128 hours (2 MiB each).
# ``tempfile.TemporaryDirectory()`` makes a fresh folder; ``cleanup()`` at the end of the
# lesson removes it with everything in it.
import tempfile
from pathlib import Path

import dask.array as da
import numpy as np

scratch = tempfile.TemporaryDirectory()
folder = Path(scratch.name)

field = da.random.default_rng(7).random((1024, 64, 64), chunks=(128, 64, 64), dtype=np.float32)
expected = field.compute()
print(field.npartitions, "chunks of", field.chunksize)

# %%
# Zarr: one file per chunk
# ------------------------
# ``to_zarr`` writes every chunk in its own task, in parallel, to its own file in the :term:`Zarr` store
# (a folder), and the array's shape, chunks and dtype to a small JSON file. On disk the chunks
# are those of the Dask array.
import zarr

field.to_zarr(folder / "field.zarr")
stored = zarr.open_array(folder / "field.zarr", mode="r")
chunk_files = sorted(p for p in (folder / "field.zarr").rglob("*") if p.is_file() and p.name != "zarr.json")
print("on disk:", stored.shape, stored.dtype, "in chunks of", stored.chunks)
print(len(chunk_files), "chunk files, e.g.", chunk_files[0].relative_to(folder).as_posix())

# %%
# ``from_zarr`` opens the store lazily: nothing is read until a computation needs it, and
# then each task reads one chunk file. Dask's chunks are the store's chunks.
back = da.from_zarr(folder / "field.zarr")
print("Dask chunks:", back.chunksize, "| equal to what was written:", bool(np.array_equal(back.compute(), expected)))

# %%
# Chunks on disk are chunks in memory
# -----------------------------------
# You may ask for other Dask chunks when reading (``da.from_zarr(path, chunks=...)``); then a
# task reads every file its chunk overlaps, and reading a file for a small part of it wastes
# the rest. The access patterns of the last lesson apply on disk, with reading costs added: a
# map of one hour reads one file here, while one cell's time series reads all eight. A slice
# keeps one chunk for each stored chunk it cuts, so its number of chunks is the number of
# files it reads.
for label, selection in {"one hour's map": back[500], "one cell's series": back[:, 10, 10]}.items():
    print(f"{label}: {selection.npartitions} of {back.npartitions} chunk files read")

# %%
# HDF5: one file, chunks inside
# -----------------------------
# An HDF5 file holds datasets (arrays) in a tree of groups, each dataset stored in chunks
# inside the one file. ``da.to_hdf5`` writes a Dask array into a dataset; ``chunks=`` sets the
# file's chunks (here the same as Dask's). It opens the file for writing and puts the open
# dataset into the task graph. On the cluster that fails: the graph is serialised to reach
# the scheduler, and ``distributed`` can serialise an HDF5 file or dataset only when the file
# is open read-only ("Can only serialize read-only h5py files"), even with the workers
# in this very process. So the ``with`` block runs this write on Dask's local threaded
# scheduler instead, in this process: writing in parallel from many processes or machines is
# what Zarr is for.
import dask
import h5py

with dask.config.set(scheduler="threads"):
    da.to_hdf5(folder / "field.h5", "/field", field, chunks=(128, 64, 64))

# %%
# Reading goes through ``h5py``: open the file, take the dataset, and wrap it with
# ``da.from_array``. Unlike a NumPy array, which ``da.from_array`` slices into the graph at
# once, an HDF5 dataset is read chunk by chunk only when a computation runs, by whichever
# worker runs the task: ``distributed`` sends a dataset of a file opened read-only as its file
# name and dataset path, and the worker reopens the file there (so it must see the same file).

h5 = h5py.File(folder / "field.h5", "r")
dataset = h5["/field"]
from_h5 = da.from_array(dataset, chunks=dataset.chunks)
print("HDF5 chunks:", dataset.chunks, "| Dask chunks:", from_h5.chunksize)
print("mean of the stored field:", round(float(from_h5.mean().compute()), 4))

# %%
# Many files, one array
# ---------------------
# Data often arrive as one file per month. Here are four months of hourly 32 × 32 maps,
# written the way an instrument or a model run might write them, with plain ``h5py``: no
# Dask yet.
rng = np.random.default_rng(0)
month_paths = []
for month, days in enumerate([31, 28, 31, 30], start=1):
    path = folder / f"2019-{month:02}.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("field", data=rng.random((days * 24, 32, 32), dtype=np.float32), chunks=(24, 32, 32))
    month_paths.append(path)
print([p.name for p in month_paths])

# %%
# Open each file, wrap its dataset, and ``da.concatenate`` them along time: one array of 120
# days, in which every month's chunks are still read from its own file. Nothing is read yet.
month_files = [h5py.File(path, "r") for path in month_paths]
months = [da.from_array(f["field"], chunks=(7 * 24, 32, 32)) for f in month_files]
year = da.concatenate(months, axis=0)
print("concatenated:", year.shape, "in", year.npartitions, "chunks")

# %%
# ``da.stack`` joins arrays of the *same* shape along a new axis. Trimmed to the shortest
# month (28 days), the four months stack into months × hours × rows × columns, so that the
# same hour of the month lines up across months: here, the mean of each month's first week.
same_length = [m[: 28 * 24] for m in months]
stacked = da.stack(same_length, axis=0)
print("stacked:", stacked.shape)
first_weeks = stacked[:, : 7 * 24].mean(axis=(1, 2, 3)).compute()
print("mean of each month's first week:", [round(float(v), 4) for v in first_weeks])

# %%
# Closing files and cleaning up
# -----------------------------
# Files opened for reading stay open until closed; close them once no computation needs
# them, then remove the temporary folder.
for f in [h5, *month_files]:
    f.close()
scratch.cleanup()
print("folder removed:", not folder.exists())

# %%
# Key points
# ----------
# - Zarr and HDF5 store arrays chunk by chunk; Dask reads and writes one chunk per task.
#   ``to_zarr``/``from_zarr`` keep Dask's chunks on disk and back, one file per chunk.
# - For HDF5, ``da.to_hdf5(path, "/name", x)`` writes, from one process, on Dask's local
#   threads (``scheduler="threads"``): a cluster cannot ship a file open for writing;
#   ``h5py.File(path, "r")[name]`` wrapped with ``da.from_array(dataset,
#   chunks=dataset.chunks)`` reads lazily, also on a cluster.
# - Match Dask's chunks to the chunks on disk (or multiples of them), and choose the chunks on
#   disk for the way the data will be read.
# - ``da.concatenate`` joins arrays along an existing axis (months of different lengths);
#   ``da.stack`` along a new one (arrays of equal shape).
# - Write scratch files into a ``tempfile.TemporaryDirectory()``, close HDF5 files when done.
#
# Exercise
# --------
# Store ``field`` a second time in a Zarr store chunked for time series (all 1,024 hours of a
# 16 × 16 patch per chunk), in a new temporary folder, and read it back with ``from_zarr``. How
# many chunk files does reading one cell's time series touch now? Put the time series of cell
# (10, 10) read from the new store in ``answer`` (a NumPy array of 1,024 values) and the lazy
# selection it came from in ``one_cell``, remove the folder, and run the check below: it
# compares with a reference made with NumPy from the same random numbers, reads the chunks of
# the store behind ``one_cell`` and the number of files it reads, and says what is wrong,
# without giving the answer away.
answer = None  # your answer, computed: replace None
one_cell = None  # the selection of one cell from the new store, before compute(): replace None

# %%
from tutorial_helpers.exercises import check

check("zarr_hdf5", answer, one_cell=one_cell)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       series_scratch = tempfile.TemporaryDirectory()
#       series_path = Path(series_scratch.name) / "series.zarr"
#       field.rechunk((1024, 16, 16)).to_zarr(series_path)
#       series_back = da.from_zarr(series_path)
#       one_cell = series_back[:, 10, 10]
#       print(series_back.chunksize, "|", one_cell.npartitions, "chunk file read for one cell")
#       answer = one_cell.compute()
#       series_scratch.cleanup()
#       check("zarr_hdf5", answer, one_cell=one_cell)

# %%
# Close the cluster
# -----------------
# With the exercise done, close the client and its cluster.
client.close()
cluster.close()
