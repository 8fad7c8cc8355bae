"""
NumPy arrays in chunks
======================

A Dask array is a grid of NumPy arrays, its *chunks*, that together act like one big array.
Split the same 1000×200×6 array two ways, 6 chunks of 1000×200×1 and 40 chunks of 50×200×3, and
see how that choice changes the work a reduction takes. Then run everyday NumPy operations on
the chunked array and check every answer against NumPy.

**You will be able to:** create a Dask array with the chunks you want, read its chunk diagram
and task graph, pick a chunk shape that suits the reductions you plan, and use NumPy-style
operations on Dask arrays.

**Estimated time:** 20 minutes.
"""

# %%
# A NumPy array to split
# ----------------------
# Think of the array as 1000 time steps × 200 sensors × 6 measured quantities. It is small, so
# NumPy can check every Dask answer on this page; the next lesson takes on an array that does
# not fit in memory.
import numpy as np

data = np.random.default_rng(42).random((1000, 200, 6))
print(f"{data.shape}, {data.dtype}, {data.nbytes / 2**20:.1f} MiB")

# %%
# Six chunks of 1000×200×1
# ------------------------
# ``da.from_array`` wraps a NumPy array and splits it; ``chunks`` gives the shape of each
# chunk. With one quantity per chunk, the array becomes 6 chunks. The table and the diagram are
# the Dask array's repr: the size of the whole array and of one chunk, and how the chunks tile
# it. Nothing is copied yet; each chunk is a task that slices ``data`` when it runs.
import dask.array as da

a6 = da.from_array(data, chunks=(1000, 200, 1))
a6

# %%
# Forty chunks of 50×200×3
# ------------------------
# The same data in 50 time steps × all sensors × 3 quantities: 20 blocks along the first axis,
# 1 along the second and 2 along the third, 40 chunks in all.
a40 = da.from_array(data, chunks=(50, 200, 3))
print("blocks per axis:", a40.numblocks)
print("chunk sizes per axis:", a40.chunks)
a40

# %%
# Each chunk is a plain NumPy array. ``blocks`` picks chunks by their position in the grid:
chunk = a40.blocks[3, 0, 1].compute()
print(type(chunk).__name__, chunk.shape)
np.array_equal(chunk, data[150:200, :, 3:6])

# %%
# A reduction with 6 chunks: no chunk waits for another
# -----------------------------------------------------
# Summing over time (axis 0) adds up the 1000 time steps of each sensor and quantity. Each of
# the 6 chunks holds *all* the time steps of its quantity, so each is summed on its own: six
# independent chains of tasks, read from left to right, that could run on six cores at once.
sum6 = a6.sum(axis=0)
print(f"{len(sum6.dask)} tasks")
sum6.visualize(rankdir="LR")

# %%
# The same reduction with 40 chunks: partial sums, then a tree
# ------------------------------------------------------------
# With 40 chunks, time is split over 20 blocks. Each chunk is summed on its own first, then the
# partial sums are added up in a tree, a few at a time, until one block is left for each of the
# two halves of axis 2. More tasks and more data passed between them; in exchange, each task
# works on 50 time steps instead of 1000.
sum40 = a40.sum(axis=0)
print(f"{len(sum40.dask)} tasks")
sum40.visualize(rankdir="LR")

# %%
# Both give NumPy's answer: the chunk shape changes the plan, never the result.
np.testing.assert_allclose(sum6.compute(), data.sum(axis=0))
np.testing.assert_allclose(sum40.compute(), data.sum(axis=0))
print("both sums match NumPy's data.sum(axis=0)")

# %%
# Which chunking suits which reduction?
# -------------------------------------
# Two things set the size of a reduction's graph: the number of chunks (each gets its own
# tasks) and whether the axis you reduce is split (then the partial results must be combined).
# The 6 chunks of 1000×200×1 hold time whole, so a sum over time needs no combining; a sum over
# the quantities must bring all 6 chunks together. The 40 chunks split both axes, so both sums
# combine, and a full ``mean()`` combines whatever the chunks.
import pandas as pd

arrays = {"6 chunks 1000×200×1": a6, "40 chunks 50×200×3": a40}
reductions = {
    "sum(axis=0), over time": lambda a: a.sum(axis=0),
    "sum(axis=2), over quantities": lambda a: a.sum(axis=2),
    "mean(), over everything": lambda a: a.mean(),
}
task_counts = pd.DataFrame(
    {
        label: {name: len(reduce(a).dask) for name, a in arrays.items()}
        for label, reduce in reductions.items()
    }
)
task_counts

# %%
# Task counts are not the whole story: a chunk should also be big enough that its work
# outweighs the fixed cost of scheduling a task, and small enough that a few fit in a worker's
# memory at once. Dask's default, ``chunks="auto"``, aims at the size set in its configuration;
# this array is smaller than that, so it would be one single chunk.
import dask

print("array.chunk-size:", dask.config.get("array.chunk-size"))
auto = da.from_array(data, chunks="auto")
print("blocks with chunks='auto':", auto.numblocks)

# %%
# NumPy operations, chunk by chunk
# --------------------------------
# Dask arrays support most of NumPy's API: arithmetic and broadcasting, reductions, slicing, and
# NumPy's own functions (``np.sin`` on a Dask array returns a lazy Dask array). Here are four
# everyday operations on the 40-chunk array: standardise each sensor's series, count the values
# above 0.99 for each quantity, take every tenth time step of a few sensors, and the largest
# sine.
standardized = (a40 - a40.mean(axis=0)) / a40.std(axis=0)
above_099 = (a40 > 0.99).sum(axis=(0, 1))
every_tenth = a40[::10, :3, 0]
largest_sine = np.sin(a40).max()
print(type(largest_sine))
standardized

# %%
# ``dask.compute`` runs all four in one pass over the chunks and returns NumPy arrays. Each is
# checked against the same expression in NumPy.
results = dask.compute(standardized, above_099, every_tenth, largest_sine)
expected = (
    (data - data.mean(axis=0)) / data.std(axis=0),
    (data > 0.99).sum(axis=(0, 1)),
    data[::10, :3, 0],
    np.sin(data).max(),
)
for got, want in zip(results, expected):
    np.testing.assert_allclose(got, want)
print("all four match NumPy; values above 0.99 per quantity:", results[1])

# %%
# Where Dask has to differ: shapes it cannot know in advance
# ----------------------------------------------------------
# Selecting with a boolean mask keeps a number of values per chunk that nobody knows before
# computing. Dask says so: the shape and the chunk sizes of the result are ``nan`` (unknown).
# The values are right once computed; operations that need the sizes first ask you to call
# ``compute_chunk_sizes()``.
picked = a40[a40 > 0.99]
print("shape before computing:", picked.shape)
picked_values = picked.compute()
np.testing.assert_array_equal(picked_values, data[data > 0.99])
print("after computing:", picked_values.shape, "the same values as NumPy")

# %%
# Key points
# ----------
# - A Dask array is a grid of NumPy arrays (chunks); ``chunks=`` sets their shape, and the repr
#   shows the array, one chunk and how they tile it.
# - Every operation becomes tasks on chunks. A reduction along an axis that many chunks split
#   is done in two steps, one partial result per chunk and then a tree that combines them;
#   along an axis each chunk holds whole, the chunks need not meet at all.
# - Choose chunks for the work you plan: big enough to outweigh a task's overhead, small
#   enough to fit in memory several at a time; ``"auto"`` aims at ``array.chunk-size``.
# - NumPy code mostly carries over, including ``np.*`` functions; ``compute()`` returns NumPy
#   arrays. Where sizes depend on the data (boolean masks), shapes are unknown until computed.
#
# Exercise
# --------
# You will often need the mean over the six quantities (``axis=2``) for each time step and
# sensor. Choose a chunk shape of 50 time steps for which that mean needs no combining at all,
# draw its graph to check (one independent chain per chunk), and check the result against
# NumPy.
#
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       # Keep axis 2 whole in every chunk: 50×200×6, 20 chunks.
#       a20 = da.from_array(data, chunks=(50, 200, 6))
#       mean20 = a20.mean(axis=2)
#       print(a20.npartitions, "chunks,", len(mean20.dask), "tasks")
#       mean20.visualize(rankdir="LR")
#       np.testing.assert_allclose(mean20.compute(), data.mean(axis=2))
