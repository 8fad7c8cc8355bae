"""
Your own functions on every chunk
=================================

Dask Array covers most of NumPy, but sooner or later you have a NumPy function of your own that
should run on every chunk. This lesson builds a map of where January's trips start, then runs
functions of its own on the map's chunks three ways: ``map_blocks`` (one chunk in, one chunk
out), ``blockwise`` (chunks of several arrays lined up by index letters) and ``map_overlap``
(each chunk with a border borrowed from its neighbours, for a smoothing stencil). Every result
is checked against the same function applied to the whole NumPy array.

**You will be able to:** apply a NumPy function chunk by chunk with ``map_blocks``, telling Dask
the result's ``dtype``, ``chunks`` or dropped axes; line up chunks of several arrays with
``blockwise``; and run a stencil with ``map_overlap``, choosing its ``depth`` and ``boundary``.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** ``map_blocks`` with a function that changes the chunk shape,
#      without ``chunks=`` or ``drop_axis=``, gives wrong shapes downstream.
#    - **Do not skip:** A stencil needs its neighbours: ``map_overlap`` adds a halo, and the halo
#      costs extra data per chunk.
#    - **Ask the room:** How wide a halo does a 3×3 smoothing need?

# %%
# A cluster in this process
# -------------------------
# Every ``compute()`` below runs on a Dask cluster made here, the one whose dashboard shows the
# chunks' tasks. The cluster's one worker runs as threads of this Python process
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
# A map of where trips start
# --------------------------
# Count January's trips in a grid of 64 × 80 cells over the stations' latitudes and
# longitudes: a small 2-D field, so NumPy can check every answer on this page. Split into
# chunks of 16 × 20 cells, it is a grid of 4 × 4 chunks.
import dask.array as da
import numpy as np
import pandas as pd
from tutorial_helpers import bikes

columns = ["start station latitude", "start station longitude"]
january = pd.read_csv(bikes.trip_files()[0], usecols=columns)
counts, lat_edges, lon_edges = np.histogram2d(january[columns[0]], january[columns[1]], bins=(64, 80))

field = da.from_array(counts, chunks=(16, 20))
print("blocks per axis:", field.numblocks, "| cells with trips:", int((counts > 0).sum()))

# %%
# ``map_blocks``: one chunk in, one chunk out
# -------------------------------------------
# ``map_blocks(f)`` calls ``f`` on each chunk, a plain NumPy array, and makes the results the
# chunks of a new Dask array. Dask must know the result's type before anything runs; without
# ``dtype=`` it calls ``f`` on a tiny empty array to find out, which some functions do not
# survive. Say it: here each chunk becomes a boolean mask of the busy cells.


def busy(block):
    return block >= 1000


busy_cells = field.map_blocks(busy, dtype=bool)
np.testing.assert_array_equal(busy_cells.compute(), busy(counts))
print(busy_cells.dtype, busy_cells.chunksize, "| busy cells:", int(busy_cells.sum().compute()))

# %%
# When the chunk shape changes: ``chunks=``
# -----------------------------------------
# A function that returns chunks of another shape must say so, or Dask's bookkeeping (shape,
# slicing, later operations) goes wrong. Adding up 2 × 2 cells makes each 16 × 20 chunk an
# 8 × 10 chunk of a coarser map; ``chunks=(8, 10)`` gives the new shape of every chunk.


def coarsen2(block):
    rows, cols = block.shape
    return block.reshape(rows // 2, 2, cols // 2, 2).sum(axis=(1, 3))


coarse = field.map_blocks(coarsen2, chunks=(8, 10), dtype=field.dtype)
np.testing.assert_array_equal(coarse.compute(), coarsen2(counts))
print("coarse map:", coarse.shape, "in chunks of", coarse.chunksize)

# %%
# When an axis disappears: ``drop_axis=``
# ---------------------------------------
# Trips per latitude band sums each row: the longitude axis (1) is gone from the result.
# ``drop_axis=1`` tells Dask. A row sum is only right if each chunk holds whole rows, so first
# ``rechunk`` to one chunk along axis 1 (``-1`` means "the whole axis").
per_band = field.rechunk({1: -1}).map_blocks(lambda block: block.sum(axis=1), drop_axis=1, dtype=field.dtype)
np.testing.assert_array_equal(per_band.compute(), counts.sum(axis=1))
print("per latitude band:", per_band.shape, "in chunks", per_band.chunks)

# %%
# ``blockwise``: chunks of several arrays, lined up by index
# ----------------------------------------------------------
# ``blockwise`` is what ``map_blocks`` and NumPy-style arithmetic are built on. Each input gets
# index letters, one per axis; the output's letters say which chunks meet in each call. If
# latitude and longitude were independent, the trips in a cell would be ``rows[i] * cols[j] /
# total``: an outer product. Giving ``rows`` the index ``i`` and ``cols`` the index ``j`` makes
# the output block ``(i, j)`` from row block ``i`` and column block ``j``: 4 + 4 chunks in,
# 4 × 4 chunks out.
rows, cols = field.sum(axis=1), field.sum(axis=0)
independent = da.blockwise(np.multiply.outer, "ij", rows, "i", cols, "j", dtype=field.dtype)
independent = independent / field.sum()
np.testing.assert_allclose(independent.compute(), np.outer(counts.sum(axis=1), counts.sum(axis=0)) / counts.sum())
print("blocks:", independent.numblocks)

# %%
# A stencil needs its neighbours
# ------------------------------
# Smoothing replaces each cell by the mean of the 3 × 3 cells around it. Written for a NumPy
# array, it leaves the outermost cells alone (they lack neighbours). Run chunk by chunk with
# ``map_blocks``, every chunk's own border is left alone too: cells next to a chunk boundary
# never see the cells across it, and the result is wrong along the seams.


def smooth3(block):
    out = block.copy()
    rows, cols = block.shape
    window = [block[1 + i : rows - 1 + i, 1 + j : cols - 1 + j] for i in (-1, 0, 1) for j in (-1, 0, 1)]
    out[1:-1, 1:-1] = sum(window) / 9
    return out


expected = smooth3(counts)
seams = field.map_blocks(smooth3).compute()
print("cells that differ from NumPy's answer:", int((~np.isclose(seams, expected)).sum()))

# %%
# ``map_overlap``: chunks with a halo
# -----------------------------------
# ``map_overlap`` first gives every chunk a :term:`halo`: ``depth`` cells copied from each neighbour
# (corners included), calls the function on the bigger block, then trims the halo off again.
# A 3 × 3 stencil reaches 1 cell away, so ``depth=1``. ``boundary`` says what the halo holds
# at the edges of the whole array: ``"none"`` adds nothing there, as NumPy's version does;
# ``0`` (or any number), ``"reflect"``, ``"nearest"`` and ``"periodic"`` pad the edge.
smoothed = field.map_overlap(smooth3, depth=1, boundary="none", dtype=field.dtype)
np.testing.assert_allclose(smoothed.compute(), expected)
print("map_overlap matches NumPy's smoothing on all", expected.size, "cells")

# %%
# What a halo costs, drawn
# ------------------------
# The halo is data sent between chunks. Here is the graph of just the halo exchange on the
# same map in 2 × 2 chunks, read from left to right: each chunk is cut into pieces, and each
# enlarged chunk is put together from its own piece and thin slices of its neighbours. A
# deeper stencil sends more; a chunk much bigger than its halo keeps that cost small.
field4 = da.from_array(counts, chunks=(32, 40))
halos = da.overlap.overlap(field4, depth=1, boundary="none")
print("chunk shapes with halos:", halos.chunks)
halos.visualize(rankdir="LR")

# %%
# The smoothed map
# ----------------
# Each station was a single busy cell; smoothing spreads it over its neighbours, a first step
# towards a density map.
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharey=True)
extent = [lon_edges[0], lon_edges[-1], lat_edges[0], lat_edges[-1]]
for ax, image, title in zip(axes, [counts, smoothed.compute()], ["trip starts", "smoothed 3 × 3"]):
    ax.imshow(np.log1p(image), origin="lower", extent=extent, aspect="auto", cmap="viridis")
    ax.set(title=f"January, {title} (log scale)", xlabel="longitude")
axes[0].set_ylabel("latitude")
plt.tight_layout()

# %%
# Key points
# ----------
# - ``map_blocks(f, dtype=…)`` runs a NumPy function on every chunk. Say the result's ``dtype``;
#   give ``chunks=`` when the chunk shape changes and ``drop_axis=``/``new_axis=`` when axes go
#   or come, or Dask's idea of the array is wrong.
# - A function that needs a whole axis needs chunks that hold it whole: ``rechunk`` first.
# - ``blockwise`` lines up chunks of several arrays by index letters: the same letter means
#   "the same block position"; a letter missing from the output hands the function all the
#   blocks along that axis at once, as a list (or joined into one with ``concatenate=True``):
#   a contraction, as in a matrix product.
# - Stencils need neighbours: ``map_overlap(f, depth=…, boundary=…)`` adds a halo to each
#   chunk, runs ``f`` and trims it. ``map_blocks`` alone gives wrong values along chunk seams.
#
# Exercise
# --------
# Smooth the map with a 5 × 5 mean instead, treating the world outside the map as empty (no
# trips): run a ``smooth5`` function on the chunks of ``field`` with ``map_overlap``. How deep
# must the halo be, and which ``boundary`` gives "empty"? Put the computed map in ``answer`` (a
# NumPy array of 64 × 80 cells) and run the check below, passing the Dask array as
# ``smoothed=``: it compares with a reference computed with NumPy (``counts`` padded with zeros,
# smoothed, trimmed), looks for the halo exchange in your array's plan and says what is wrong,
# without giving the answer away.
answer = None  # your answer, computed: replace None
smoothed5 = None  # the Dask array, before compute(): replace None

# %%
from tutorial_helpers.exercises import check

check("blockwise", answer, smoothed=smoothed5)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       def smooth5(block):
#           out = block.copy()
#           rows, cols = block.shape
#           window = [block[2 + i : rows - 2 + i, 2 + j : cols - 2 + j]
#                     for i in range(-2, 3) for j in range(-2, 3)]
#           out[2:-2, 2:-2] = sum(window) / 25
#           return out
#
#       # A 5 x 5 window reaches 2 cells away; boundary=0 pads the edges with empty cells.
#       smoothed5 = field.map_overlap(smooth5, depth=2, boundary=0, dtype=field.dtype)
#       answer = smoothed5.compute()
#       check("blockwise", answer, smoothed=smoothed5)

# %%
# Close the cluster
# -----------------
# With the exercise done, close the client and its cluster.
client.close()
cluster.close()
