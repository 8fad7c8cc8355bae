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
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners mix up the chunk shape (``chunks=``) with the number
#      of chunks; the chunk diagram settles it.
#    - **Do not skip:** The same array cut two ways gives different graphs for the same reduction:
#      chunking is a choice about the questions you will ask.
#    - **Ask the room:** Which chunking would you pick to sum along the first axis, and which for
#      the last?

# %%
# A cluster to compute on
# -----------------------
# Every ``compute()`` on this page runs on a small :term:`cluster` started here: one worker whose
# threads run inside this Python process (so a script needs no ``if __name__ == "__main__":``
# line), as many threads as this job's cores, every service on the loopback address.
# ``Client(cluster)`` makes it Dask's default scheduler from here on.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)

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
# ``da.from_array`` splits an array into chunks; ``chunks`` gives the shape of each chunk. With
# one quantity per chunk, the array becomes 6 chunks. The table and the diagram are the Dask
# array's repr: the size of the whole array and of one chunk, and how the chunks tile it.
import dask.array as da

a6 = da.from_array(data, chunks=(1000, 200, 1))
a6

# %%
# From a NumPy array, ``from_array`` slices the chunks out at once and stores copies of them in
# the graph: the graph then holds all the data (here twice, once per way of splitting it), and it
# travels with every ``compute()`` to the scheduler and the workers that run the tasks. So changing the NumPy array
# afterwards changes nothing in the Dask array. (From a file-backed array, such as an HDF5 or
# Zarr dataset, each chunk is instead a task that reads its slice when it runs; the next lesson
# makes a large array without holding it anywhere.)
small = np.arange(6)
lazy = da.from_array(small, chunks=3)
small[:] = 0
print("small is now", small, "but the Dask array computes to", lazy.compute())

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
# independent chains, read from left to right, that could run on six cores at once. A chain
# starts at a box, the chunk itself, stored in the graph; ``sum`` reduces it, and
# ``sum-aggregate`` finishes that chunk of the result. Dask gives every chunk of a result such a
# last step; here it receives a single partial sum and only passes it on.
sum6 = a6.sum(axis=0)
print(f"{len(sum6.dask)} graph entries: 6 chunks, 6 sums, 6 aggregates")
sum6.visualize(rankdir="LR")

# %%
# The same reduction with 40 chunks: partial sums, then a tree
# ------------------------------------------------------------
# With 40 chunks, time is split over 20 blocks. Each chunk is summed on its own first, then the
# partial sums are added up in a tree, four at a time (``sum-partial``), until ``sum-aggregate``
# adds the last few for each of the two halves of axis 2: 20 blocks, then 5, then 2, then 1.
# More tasks and more data passed between them; in exchange, each task works on 50 time steps
# instead of 1000. The whole graph is too big to read on a page, so the drawing shows the same
# reduction on 6 of the 40 chunks, the first 300 time steps of quantities 0 to 2: six partial
# sums, two ``sum-partial`` tasks, one ``sum-aggregate``.
sum40 = a40.sum(axis=0)
print(f"{len(sum40.dask)} graph entries for all 40 chunks")
first_six = da.from_array(data[:300, :, :3], chunks=(50, 200, 3))
first_six.sum(axis=0).visualize(rankdir="LR")

# %%
# Both give NumPy's answer: the chunk shape changes the plan, never the result.
np.testing.assert_allclose(sum6.compute(), data.sum(axis=0))
np.testing.assert_allclose(sum40.compute(), data.sum(axis=0))
print("both sums match NumPy's data.sum(axis=0)")

# %%
# Which chunking suits which reduction?
# -------------------------------------
# The number of chunks sets how many tasks a reduction has: each chunk gets its own. The number
# of graph entries does not show how much combining there is, though: a sum over the quantities
# of the 6 chunks brings all of them together, yet has fewer entries than their sum over time
# (its one output chunk needs a single ``sum-aggregate``, fed by a small tree, where the sum over
# time had six). What the chunk shape decides is whether the axis you reduce is split, and so
# how many tasks must wait for the results of *several* chunks. ``x.dask`` is the graph; its
# ``get_all_dependencies()`` gives each entry's inputs, so those tasks can be counted.
import pandas as pd


def graph_size(x):
    """Entries in x's graph, and how many of them take the results of several others."""
    inputs = x.dask.get_all_dependencies().values()
    return {"graph entries": len(inputs), "tasks that combine": sum(len(i) > 1 for i in inputs)}


arrays = {"6 chunks 1000×200×1": a6, "40 chunks 50×200×3": a40}
reductions = {
    "sum(axis=0), over time": lambda a: a.sum(axis=0),
    "sum(axis=2), over quantities": lambda a: a.sum(axis=2),
    "mean(), over everything": lambda a: a.mean(),
}
sizes = {
    (label, name): graph_size(reduce(a))
    for label, reduce in reductions.items()
    for name, a in arrays.items()
}
task_counts = pd.DataFrame(sizes).T
task_counts

# %%
# The 6 chunks of 1000×200×1 hold time whole, so their sum over time combines nothing; their sum
# over the quantities must bring all 6 chunks together. The 40 chunks split both axes, so both
# sums combine, and a full ``mean()`` combines whatever the chunks.
#
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
# - ``da.from_array`` on a NumPy array copies its chunks into the graph at once: fine for an
#   array that fits in memory anyway; make big arrays with Dask itself, or read them from files.
# - Every operation becomes tasks on chunks. A reduction along an axis that many chunks split
#   is done in two steps, one partial result per chunk and then a tree that combines them;
#   along an axis each chunk holds whole, the chunks need not meet at all.
# - Choose chunks for the work you plan: big enough to outweigh a task's overhead, small
#   enough to fit in memory several at a time; ``"auto"`` aims at ``array.chunk-size``.
# - NumPy code mostly carries over, including ``np.*`` functions; ``compute()`` returns NumPy
#   arrays. Where sizes depend on the data (boolean masks), shapes are unknown until computed.

# %%
# Exercise
# --------
# You will often need the mean over the six quantities (``axis=2``) for each time step and
# sensor. Split ``data`` into chunks of 50 time steps, in a shape for which that mean needs no
# combining at all; check with ``graph_size`` (no task that combines) or a drawing (one
# independent chain per chunk), and compute the mean. Put the computed mean in ``answer`` (a NumPy array of 1000 time steps ×
# 200 sensors) and your chunked Dask array in ``chunked``, then run the check below: it
# compares with NumPy's mean of the same array, made again from the same seed, looks at the
# chunks of ``chunked`` and the tasks of its mean, and says what is wrong, without giving the
# answer away.
answer = None  # your answer, computed: replace None
chunked = None  # your Dask array, chunked: replace None

# %%
from tutorial_helpers.exercises import check

check("array_chunks", answer, chunked=chunked)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       # Keep axis 2 whole in every chunk: 50×200×6, 20 chunks.
#       a20 = da.from_array(data, chunks=(50, 200, 6))
#       mean20 = a20.mean(axis=2)
#       print(a20.npartitions, "chunks:", graph_size(mean20))
#       answer = mean20.compute()
#       np.testing.assert_allclose(answer, data.mean(axis=2))
#       check("array_chunks", answer, chunked=a20)

# %%
# Close the cluster
# -----------------
# Closing the client and the cluster stops the worker's threads and frees what it held.
client.close()
cluster.close()
