"""
Rechunking: chunks that follow the questions
============================================

A gridded field over time, hours × rows × columns, can be chunked in two natural ways: a few
whole maps per chunk, or the whole time series of a few grid cells per chunk. Each suits one
kind of question and hinders the other. This lesson asks both kinds of question of both
chunkings, measures the difference, and looks at what ``rechunk`` does to go from one to the
other.

**You will be able to:** choose a chunk shape from the way a computation reads the data, see
why ``rechunk`` moves data between all chunks, and tell when rechunking once beats rechunking
inside every computation.

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners rechunk before every question; rechunking moves data
#      between every chunk and is worth doing once.
#    - **Do not skip:** Chunks should follow the questions: series along time, or maps at one time.
#    - **Ask the room:** You will ask many per-cell questions over time: how would you chunk the
#      field?

# %%
# A cluster in this process
# -------------------------
# The rechunks and timings below run on a Dask cluster made here: with a client, Dask chooses
# how to rechunk differently than without one, as this page shows. The cluster's one worker runs
# as threads of this Python process (``processes=False``), as many as the cores this job may
# use; its scheduler and dashboard listen on this machine's loopback address only.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)

# %%
# One field, two chunkings
# ------------------------
# 1,024 hours of a 32 × 32 grid, random numbers standing in for a measured field (the last
# lesson of this topic builds one from the trips). ``maps`` holds 64 whole maps per chunk;
# ``series`` holds all 1,024 hours of an 8 × 8 patch of cells per chunk. Both have 16 chunks
# of the same size (``series`` is a :term:`rechunk` of the field); ``persist()`` keeps both on the workers, so the timings below measure the
# computations, not the making of the data.
import dask.array as da
import numpy as np

field = da.random.default_rng(42).random((1024, 32, 32), chunks=(64, 32, 32), dtype=np.float32)
maps = field.persist()
series = field.rechunk((1024, 8, 8)).persist()
for name, x in {"maps": maps, "series": series}.items():
    print(f"{name:6}: {x.npartitions} chunks of {x.chunksize}, {x.blocks[0, 0, 0].nbytes / 2**20:.1f} MiB each")

# %%
# Two kinds of question
# ---------------------
# *Per grid cell, over time:* the median of each cell's 1,024 hours needs each cell's whole
# time series in one place. *Per hour, over the map:* the 90th percentile of each hour's 1,024
# cells needs each whole map in one place. Written with ``map_blocks``, each question states
# what a chunk must hold: ``drop_axis`` names the axes the function consumes, and those must
# not be split.


def median_per_cell(x):
    return x.map_blocks(np.median, axis=0, drop_axis=0, dtype=np.float64)


def p90_per_hour(x):
    return x.map_blocks(np.percentile, 90, axis=(1, 2), drop_axis=(1, 2), dtype=np.float64)


# %%
# What ``rechunk`` does
# ---------------------
# To ask a per-cell question of ``maps``, every new chunk (one patch, all hours) needs a slice
# of *every* old chunk (all cells, some hours): an all-to-all exchange. Here it is on a toy
# array of 4 time steps × 4 × 4 cells, from 4 chunks of one map to 4 chunks of one 2 × 2
# patch, read from left to right: each old chunk is split, and each new chunk is merged from
# pieces of all of them.
toy = da.ones((4, 4, 4), chunks=(1, 4, 4))
toy_rechunked = toy.rechunk((4, 2, 2), method="tasks")
toy_rechunked.visualize(rankdir="LR")

# %%
# With *n* chunks on each side, that is up to *n* × *n* pieces moved, and on a cluster of
# several workers most of them travel between workers. The toy asks for ``method="tasks"``:
# one task per split and per merge, as drawn. Left to choose (``method=None``), ``rechunk``
# takes ``"tasks"`` when no client exists; with a client it takes the peer-to-peer method,
# ``"p2p"``, once that graph would be large (Dask's ``array.rechunk.threshold`` setting). P2P
# hands the pieces to the workers' shuffle machinery, which exchanges them directly, outside
# the task graph; the data still has to move. The task names show which one the cluster
# here gets for ``maps`` → ``series`` chunks: ``rechunk-transfer`` and ``shuffle-barrier``
# are P2P's.
from dask.utils import key_split

rechunk_names = sorted({key_split(k) for k in maps.rechunk((1024, 8, 8)).__dask_graph__()}
                       - {key_split(k) for k in maps.__dask_graph__()})
print("tasks the rechunk adds:", rechunk_names)

# %%
# Per-cell medians: series chunks, or rechunk first
# -------------------------------------------------
# ``series`` answers straight away, one task per chunk. ``maps`` must be rechunked to the same
# shape first, inside the computation, every time it is asked.
from tutorial_helpers.timing import compare

# What the verdict below adds should the rechunked version win.
noise = ("A rechunk only adds work, so that is noise: other programs busy on the machine, "
         "or a worker still busy with the previous run.")
per_cell = compare(
    {
        "series chunks": lambda: median_per_cell(series).compute(),
        "maps, rechunked": lambda: median_per_cell(maps.rechunk((1024, 8, 8))).compute(),
    }
)
per_cell

# %%
print(per_cell.verdict(
    "series chunks", "maps, rechunked",
    otherwise=noise,
))

# %%
# Per-hour percentiles: the other way round
# -----------------------------------------
# Now ``maps`` holds what each task needs, and ``series`` must be rechunked back to whole maps.
per_hour = compare(
    {
        "maps chunks": lambda: p90_per_hour(maps).compute(),
        "series, rechunked": lambda: p90_per_hour(series.rechunk((64, 32, 32))).compute(),
    }
)
per_hour

# %%
print(per_hour.verdict(
    "maps chunks", "series, rechunked",
    otherwise=noise,
))

# %%
# Both chunkings give the same answers, checked here against NumPy on the whole array: chunk
# shape changes the cost, never the result.
data = maps.compute()
medians, p90s = median_per_cell(series).compute(), p90_per_hour(maps).compute()
np.testing.assert_allclose(medians, np.median(data, axis=0))
np.testing.assert_allclose(p90s, np.percentile(data, 90, axis=(1, 2)))
print("per-cell medians and per-hour percentiles match NumPy")

# %%
# Rechunk once, ask many times
# ----------------------------
# The cost of a rechunk is paid each time a computation contains it. If many per-cell
# questions follow, rechunk once and keep the result, as ``series`` was made above: the
# exchange then happens once, at the price of a second copy in the workers' memory. Counting
# tasks shows the work a rechunk adds to one question: for ``series``, one task per kept
# chunk and one median per chunk; for ``maps``, the P2P rechunk's tasks in between. (Without
# a client the same rechunk is ``method="tasks"``, with a split and a merge task per piece,
# and more tasks.) The count says little of the cost, though: the P2P tasks move all the data.
task_counts = {
    "median per cell of series": median_per_cell(series),
    "median per cell of maps, rechunked": median_per_cell(maps.rechunk((1024, 8, 8))),
}
task_counts = {name: len(x.__dask_graph__()) for name, x in task_counts.items()}
for name, count in task_counts.items():
    print(f"{name}: {count} tasks")

# %%
# Key points
# ----------
# - Choose the chunk shape from the computation: axes a function consumes (a time series, a
#   whole map) must not be split, so chunk along the axes you do *not* reduce.
# - ``rechunk`` is an all-to-all exchange: every new chunk may need a piece of every old one.
#   On a cluster those pieces travel between workers.
# - A rechunk inside a computation is paid on every run. For repeated questions, rechunk once
#   and ``persist()`` (or store the rechunked copy, next lesson), trading memory for time.
# - When both kinds of question matter, keep two copies, or pick chunks that split every axis
#   moderately (e.g. 256 hours × 16 × 16 cells) so neither pattern reads far too much.
#
# Exercise
# --------
# You need each cell's mean over each day (24 hours), as an array of 42 days × 32 × 32 cells
# (drop the last 16 hours). Which of ``maps`` and ``series`` answers it without a rechunk? Compute
# it with ``map_blocks`` on that array. Put the computed means in ``answer`` (a NumPy array of
# 42 × 32 × 32) and the Dask array in ``daily``, and run the check below: it compares with a
# reference computed with NumPy from the same random numbers, looks for rechunk tasks in
# ``daily``'s plan, and says what is wrong, without giving the answer away.
answer = None  # your answer, computed: replace None
daily = None  # the Dask array of daily means, before compute(): replace None

# %%
from tutorial_helpers.exercises import check

check("rechunking", answer, daily=daily)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       # series: each chunk holds all hours of its cells, so whole days. (maps' 64-hour chunks
#       # split days, as 64 is no multiple of 24: it would need a rechunk along time.)
#       days = 1024 // 24
#       daily = series[: days * 24].map_blocks(
#           lambda b: b.reshape(days, 24, *b.shape[1:]).mean(axis=1),
#           chunks=(days, 8, 8),
#           dtype=np.float32,
#       )
#       answer = daily.compute()
#       print(daily.shape, "in", daily.npartitions, "chunks")
#       check("rechunking", answer, daily=daily)

# %%
# Close the cluster
# -----------------
# With the exercise done, close the client and its cluster; what they held is gone.
client.close()
cluster.close()
