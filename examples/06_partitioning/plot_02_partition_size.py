"""
How big should a partition be?
==============================

Every piece of a Dask collection becomes at least one task, and every task costs the scheduler
about the same, however much work it carries. Too few pieces leave workers idle (and each piece
must fit in a worker's memory, several times over while it is being worked on); too many drown
the work in per-task overhead. This lesson measures that trade-off on a cluster it starts: the
same computation cut into 1 to 64 chunks, timed, and plotted, with the measured sweet spot
marked.

**You will be able to:** explain why runtime depends on partition size, measure it for your own
workload, and read where the sweet spot lies on your machine.

**Estimated time:** 15 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners take the plot's sweet spot as a universal number; it
#      is this machine's.
#    - **Do not skip:** Too few pieces leave cores idle, too many drown the work in per-task
#      overhead: measure for your own workload.
#    - **Ask the room:** How would the curve change on a machine with many more cores?

# %%
# A cluster to compute on
# -----------------------
# The cost of a task depends on who runs it, so the lesson measures on a ``dask.distributed``
# cluster it starts here, the kind of scheduler the rest of the course uses. Its workers run as
# threads of this Python process, so the same cell works in a notebook and in a script;
# ``granted_cores()`` counts the cores this job may use.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)

# %%
# One workload, cut in different ways
# -----------------------------------
# A Monte-Carlo estimate of π: draw points uniformly in the unit square and count the share
# that falls inside the quarter circle. The work per chunk is proportional to its size, and the
# data is generated inside the tasks, so only the chunking changes from one run to the next.
# Five million points of two coordinates, eight bytes each:
import dask
import dask.array as da

n_points = 5_000_000


def estimate_pi(n_chunks):
    xy = da.random.default_rng(42).random((n_points, 2), chunks=(n_points // n_chunks, 2))
    inside = (xy**2).sum(axis=1) < 1
    return 4 * inside.mean()


array_mb = da.random.default_rng(42).random((n_points, 2)).nbytes / 1e6
print(f"an array of {array_mb:g} MB")
estimate_pi(4)

# %%
# Its :term:`task graph`, drawn for two chunks (more chunks only repeat the same column, and
# four would already be too wide to read). Per chunk, one task draws the points and sums their
# squares (the optimiser has fused those steps), and one counts the hits (``mean_chunk``);
# then one task combines the partial counts into the mean, and a last one multiplies by 4.
estimate_pi(2).visualize(optimize_graph=True)

# %%
# Computed once, here in four chunks (this first run also warms the worker up):
pi_estimate = estimate_pi(4).compute()
print(f"π ≈ {pi_estimate:.4f}")

# %%
# The sweep
# ---------
# The same estimate in 1, 2, 4, 16 and 64 chunks. ``compare`` times each three times and
# reports the median; each run builds its graph afresh and draws its points anew. The sweep
# stops at 64: every extra chunk adds tasks, and the page has to stay quick to run.
from tutorial_helpers.timing import compare

chunk_counts = [1, 2, 4, 16, 64]
names = {n: f"{n} chunk(s) of {array_mb / n:g} MB" for n in chunk_counts}
sweep = compare({names[n]: (lambda n=n: estimate_pi(n).compute()) for n in chunk_counts}, warmup=0)
sweep

# %%
# Runtime against chunk size
# --------------------------
# The plot puts chunk size on a logarithmic axis, large chunks on the right, with the number of
# chunks under each point. The marked point is the measured minimum: the sweet spot of this
# workload on this cluster.
import matplotlib.pyplot as plt

medians = [t.median for t in sweep.timings]
sizes_mb = [array_mb / n for n in chunk_counts]
best = medians.index(min(medians))

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(sizes_mb, medians, "o-")
ax.plot(sizes_mb[best], medians[best], "o", markersize=14, mfc="none", mec="C3", mew=2)
ax.annotate(f"sweet spot: {chunk_counts[best]} chunk(s)", (sizes_mb[best], medians[best]),
            xytext=(0, 18), textcoords="offset points", ha="center", color="C3")
for n, size, seconds in zip(chunk_counts, sizes_mb, medians):
    ax.annotate(f"{n}", (size, seconds), xytext=(0, -14), textcoords="offset points",
                ha="center", fontsize=8, color="0.4")
ax.set_xscale("log")
ax.set(xlabel="chunk size (MB, log scale)", ylabel="median wall time (s)",
       title="π from 5 million points, cut into 64 … 1 chunks")
ax.set_ylim(0, max(medians) * 1.25)
plt.tight_layout()

# %%
# Reading the curve
# -----------------
# On the right, one chunk: a single task on one worker thread while any others wait. Towards
# the left, every extra chunk adds tasks, and each task costs the scheduler and the worker a
# fixed amount of bookkeeping; here the scheduler is a thread of the same Python process as the
# worker, so that bookkeeping competes with the work for the same cores. Whether going from 16
# to 64 chunks costs more than it gains depends on how many worker threads share the chunks:
print(sweep.verdict(names[16], names[64], otherwise="With dozens of workers, 64 chunks keep "
                    "more of them busy, and that outweighs the overhead of the extra tasks."))

# %%
# Where the extra chunks made every run slower, the two largest counts give the cost of one
# task. An Array's ``compute()`` runs its optimised graph, so ``dask.optimize`` counts the tasks
# of each run; the cluster's task stream confirms it for one run of 64 chunks:
from dask.distributed import get_task_stream

tasks = {n: len(dask.optimize(estimate_pi(n))[0].dask) for n in chunk_counts}
with get_task_stream() as stream:
    estimate_pi(chunk_counts[-1]).compute()
tasks_run = len(stream.data)
print(f"{chunk_counts[-1]} chunks: {tasks_run} tasks ran, {tasks[chunk_counts[-1]]} in the optimised graph")
per_task = (medians[-1] - medians[-2]) / (tasks[chunk_counts[-1]] - tasks[chunk_counts[-2]])
print(f"tasks per run: {tasks}")
if min(sweep[names[64]].seconds) > max(sweep[names[16]].seconds):
    print(f"about {per_task * 1000:.1f} ms per extra task")
else:
    print("the extra tasks made no measurable difference here")

# %%
# A chunk here carries little work per byte (a few arithmetic operations per number), so on a
# few worker threads the overhead can win early. Heavier work per byte moves the sweet spot to
# smaller chunks; a cluster with more workers moves it to more chunks. Dask's guidance is a starting point: chunks and
# partitions of around 100 MB, and at least as many as there are worker threads. When it
# matters, measure your own workload the same way.
#
# Key points
# ----------
# - Each partition or chunk is at least one task, and each task has a roughly fixed cost, which
#   the sweep above measured on this machine where the extra tasks made a difference.
# - Too few pieces: idle workers, and pieces that must fit in a worker's memory. Too many: the
#   overhead grows with their number and dominates.
# - The sweet spot depends on the work per byte and on the cluster: measure it, as here, with
#   a handful of chunk sizes on a log axis and a median of several runs each.
#
# Exercise
# --------
# Left to itself (``chunks="auto"``, the default), how many chunks does Dask cut this array of
# ``n_points`` rows into? Make the array without ``chunks=`` as ``auto``, then time the estimate
# with Dask's own chunking and compare it with the sweep. Put the number of chunks in ``answer``
# (an int) and run the check below with ``array=auto``: it asks Dask's own chunking rule what
# ``"auto"`` makes of this shape, compares with your array and your number, and says what is
# wrong, without giving the answer away.
auto = None  # the array made without chunks=, a Dask Array: replace None
answer = None  # your answer, the number of chunks: replace None

# %%
from tutorial_helpers.exercises import check

check("partition_size", answer, array=auto)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       auto = da.random.default_rng(42).random((n_points, 2))
#       print(f"automatic chunks: {auto.numblocks[0]} of {auto.chunksize[0]:,} points")
#
#
#       def estimate_pi_auto():
#           xy = da.random.default_rng(42).random((n_points, 2))
#           return (4 * ((xy**2).sum(axis=1) < 1).mean()).compute()
#
#
#       auto_timing = compare({"chunks='auto'": estimate_pi_auto})
#       print(auto_timing)
#       answer = auto.numblocks[0]
#       check("partition_size", answer, array=auto)

# %%
# Close the cluster
# -----------------
# Closing the client and the cluster stops the worker and the scheduler threads.
client.close()
cluster.close()
