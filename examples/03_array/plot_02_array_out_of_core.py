"""
Bigger than memory, and why threads
===================================

Reduce an array larger than one worker's memory without ever holding it: Dask creates each
chunk, reduces it to a small partial result and frees it. Then measure why Dask runs arrays on
threads by default: NumPy releases Python's global interpreter lock (GIL), so threads compute
in parallel, and threads share memory, so chunks never need to be copied between them.

**You will be able to:** size an array and its chunks against the memory you have, reduce an
array that does not fit in memory, and choose between the synchronous, threaded and
multiprocessing schedulers for array work.

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners think the array must fit in memory to be reduced; or
#      read the measured table as the same on every machine.
#    - **Do not skip:** Chunks are created, reduced and freed one after another: memory follows
#      threads × chunk size, not the array's size.
#    - **Ask the room:** If you double the chunk size, what happens to the memory the workers hold?

# %%
# How much memory does a worker have?
# -----------------------------------
# On a ``dask.distributed`` cluster each worker has a memory limit. When a client is connected,
# as when this page was built, ``get_client()`` finds it and the scheduler lists the workers
# and their limits. Without a cluster, Dask runs arrays on threads of this Python process, which
# can use the machine's memory.
import distributed

try:
    client = distributed.get_client()
except ValueError:  # no client: Dask's local schedulers will run everything
    client = None

if client is None:
    print("No cluster: Dask's local threads run arrays in this process.")
else:
    workers = client.scheduler_info()["workers"].values()
    worker_limit = min(worker["memory_limit"] for worker in workers)
    print(f"{len(workers)} workers, memory limit {worker_limit / 2**30:.1f} GiB each")

# %%
# An array bigger than that
# -------------------------
# ``da.random.default_rng(seed).random(shape)`` describes an array of random numbers in [0, 1)
# without creating it: each chunk is a task that generates its own numbers when it runs. With
# the default ``chunks="auto"``, Dask picks chunks of about the size set by ``array.chunk-size``.
import dask.array as da

big = da.random.default_rng(2019).random((30_000, 25_000))
print(f"the array: {big.nbytes / 2**30:.2f} GiB in {big.npartitions} chunks")
print(f"one chunk: {big.chunksize}, {big.blocks[0, 0].nbytes / 2**20:.0f} MiB")
if client is not None:
    print(f"{big.nbytes / worker_limit:.2f} × one worker's memory limit")
    print(f"{big.nbytes / (worker_limit * len(workers)):.2f} × all {len(workers)} workers' limits together")
big

# %%
# Could we hold it?
# -----------------
# ``big.compute()`` would build the whole array as one NumPy array in *this* process, which
# needs its full size here, whatever the cluster. ``big.persist()`` is different: it keeps the
# chunks on the workers, spread over all of them, so what counts is the cluster as a whole. A
# worker keeps chunks in memory up to a share of its limit (``target``); past that it
# :term:`spills <spill>` chunks to its local disk, slow to write and to read back, and if its
# memory still climbs it pauses (``pause``), and is restarted near its limit (``terminate``).
# So persisting works, ever more slowly, for as long as the workers' memory and disks hold the
# chunks; it fails when they do not, or when a single task needs more memory than a worker has
# (a task whose workers die 4 times fails with ``KilledWorker``).
import dask

thresholds = {
    name: dask.config.get(f"distributed.worker.memory.{name}")
    for name in ["target", "spill", "pause", "terminate"]
}
print("shares of a worker's limit:", ", ".join(f"{k} {v:.0%}" for k, v in thresholds.items()))
if client is not None:
    share = big.nbytes / len(workers) / worker_limit
    where = "all in memory" if share < thresholds["target"] else "part of it spilled to disk"
    print(f"persist() would put {share:.0%} of a worker's limit on each worker: {where}")

# %%
# Reduce it, chunk by chunk
# -------------------------
# A reduction needs to hold the array nowhere. ``mean()`` turns each chunk into a sum and a
# count, then adds those up in a tree. Dask runs the tasks in an order that finishes chunks
# quickly, so only a few chunks exist at any moment. On the cluster, ``MemorySampler`` records
# the memory of all the workers together while it runs. (The ``if __name__ == "__main__":``
# line is for the worker processes this lesson starts at the end: in a script, they would each
# run this again. In a notebook, it changes nothing.)
import time

from distributed.diagnostics import MemorySampler

if __name__ == "__main__":
    started = time.perf_counter()
    if client is None:
        big_mean = big.mean().compute()
    else:
        sampler = MemorySampler()
        with sampler.sample("all workers", interval=0.1):
            big_mean = big.mean().compute()
    seconds = time.perf_counter() - started
    print(f"mean of {big.size:,} numbers: {big_mean:.6f}, in {seconds:.1f} s")

# %%
# Is that right? NumPy cannot check it (that is the point), but statistics can: the mean of
# ``n`` uniform random numbers in [0, 1) is 1/2, give or take a standard error of
# 1/√(12·n).
if __name__ == "__main__":
    error = abs(big_mean - 0.5)
    standard_error = 1 / (12 * big.size) ** 0.5
    print(f"off by {error:.1e}: {error / standard_error:.1f} standard errors")

# %%
# What the workers held
# ---------------------
# Each chunk lived only as long as it took to reduce it, so at any moment the workers held
# roughly one chunk per thread, plus Python itself: not the array. (The curve is the memory of
# the worker processes as the operating system sees it, Python itself included.)
import matplotlib.pyplot as plt

if __name__ == "__main__":
    if client is None:
        print("No cluster: watch this process in a system monitor instead.")
    else:
        memory = sampler.to_pandas(align=True)["all workers"] / 2**30
        memory.index = memory.index.total_seconds()
        ax = memory.plot(figsize=(8, 3.5), xlabel="seconds", ylabel="GiB")
        ax.axhline(big.nbytes / 2**30, color="tab:red", ls="--", label="the array")
        limit = worker_limit / 2**30
        ax.axhline(limit, color="tab:gray", ls=":", label="one worker's limit")
        ax.set_ylim(0, big.nbytes / 2**30 * 1.1)
        ax.legend(loc="center right")
        ax.set_title(f"The {len(workers)} workers' memory during big.mean()")
        plt.tight_layout()
        threads = sum(worker["nthreads"] for worker in workers)
        chunk_gib = big.blocks[0, 0].nbytes / 2**30
        print(f"peak: {memory.max():.2f} GiB, all workers together, for {threads} threads × "
              f"{chunk_gib:.3f} GiB chunks; the array: {big.nbytes / 2**30:.2f} GiB")

# %%
# Threads: the default scheduler for arrays
# -----------------------------------------
# Without a cluster, Dask arrays (and DataFrames) run on a pool of threads in your Python
# process. Two reasons make threads the right default for NumPy work:
#
# - NumPy releases the GIL while it loops over array data in C, so several threads really do
#   compute at once;
# - threads share one memory, so a chunk made by one task is handed to the next task as a
#   reference, never copied.
#
# Each collection names its own default scheduler; a connected ``Client`` takes precedence over
# it, as on this page.
print("an array's own default:", big.__dask_scheduler__.__module__)
used = dask.base.get_scheduler(collections=[big])
print("what compute() uses here:", used.__module__, used.__qualname__)

# %%
# Measured: one thread, threads and processes
# -------------------------------------------
# The same computation three ways, on a smaller array: element-wise maths (``sin``, ``exp``,
# loops NumPy runs in C), then standardise every column and take the largest value.
# ``scheduler=`` picks Dask's local scheduler for one call, whatever the default, and
# ``num_workers=`` how many threads or processes it may use: no more than this job's cores
# (``granted_cores()``), and no more than the array has chunks.
#
# ``"processes"`` runs tasks in a pool of worker processes: every chunk a task produces is
# pickled, sent back to this process and on to the tasks that need it. The processes are fresh
# Pythons that import NumPy and Dask before doing any work (Dask starts them with ``"spawn"``,
# which is safe on every system and in programs that run threads, unlike copying this process
# with ``"fork"``). A fresh Python started from a *script* also imports the script, so the
# lines that start processes must sit under ``if __name__ == "__main__":``; so must anything
# expensive, which each process would otherwise run again. In a notebook the guard changes
# nothing. The functions that tasks call travel with them: Dask pickles functions defined in
# the script or notebook itself by value, so the processes need not import them.
#
# Each ``compute()`` would start a pool of its own; passing ``pool=`` reuses one, so that
# starting it is paid once, in ``compare``'s warm-up run, and the timed runs measure the work.
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from tutorial_helpers.cores import granted_cores
from tutorial_helpers.timing import compare


def small_array():
    return da.random.default_rng(0).random((2_000, 2_000), chunks=(500, 2_000))


def transformed_max(scheduler, **options):
    y = np.exp(np.sin(10 * small_array()))
    z = (y - y.mean(axis=0)) / y.std(axis=0)
    return z.max().compute(scheduler=scheduler, **options)


x = small_array()
n_workers = min(granted_cores(), x.npartitions)
print(f"{x.nbytes / 2**20:.1f} MiB in {x.npartitions} chunks; {n_workers} threads or processes")
if __name__ == "__main__":
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(n_workers, mp_context=spawn) as pool:
        scheduler_timings = compare(
            {
                "one thread (synchronous)": lambda: transformed_max("synchronous"),
                "threads": lambda: transformed_max("threads", num_workers=n_workers),
                "processes": lambda: transformed_max("processes", pool=pool),
            }
        )
    print(scheduler_timings)

# %%
# These rows ran on this machine's cores directly, not on the cluster named under the table.
# On an idle machine, threads approach one thread's time divided by the number of threads,
# because NumPy releases the GIL; on a busy, shared machine other programs hold the other
# cores, and the gain shrinks or vanishes. Processes pay on top for copying every chunk between
# processes. Here:
if __name__ == "__main__":
    print(
        scheduler_timings.verdict(
            "threads",
            "one thread (synchronous)",
            otherwise="Other programs held this machine's other cores, or the tasks were too short "
            "to outweigh the cost of handing them to threads.",
        )
    )
    print(
        scheduler_timings.verdict(
            "threads",
            "processes",
            otherwise="Copying these chunks between processes cost less than the noise of a "
            "busy, shared machine here.",
        )
    )

# %%
# When processes win
# ------------------
# Processes win only for pure-Python work that holds the GIL, such as parsing text into
# dictionaries: that is why Dask Bag, the next topic, defaults to them. A
# ``dask.distributed`` cluster mixes both: each worker is a process with its own threads,
# and it keeps chunks where they were made, moving only what a task on another worker needs.

# %%
# Key points
# ----------
# - A reduction (``sum``, ``mean``, ``std``, ``max``, ...) of an array bigger than memory works:
#   each chunk is reduced to a small partial result and freed. Keep ``compute()`` for results
#   that fit in memory, and ``persist()`` for data that fits on the cluster.
# - Size chunks against the memory of a worker (or a thread): several chunks per thread must fit
#   at once. ``chunks="auto"`` aims at ``array.chunk-size``.
# - ``persist()`` spreads the chunks over the workers: it needs the cluster as a whole, not one
#   worker, to hold them, and spills to disk (slowly) past each worker's ``target``.
# - Arrays default to the threaded scheduler: NumPy releases the GIL, so threads run in
#   parallel, and they share memory, so chunks are never copied. The table above measured both.
# - In a script, code that starts processes (and anything expensive) goes under
#   ``if __name__ == "__main__":``: Dask's processes are fresh Pythons that import the script.
# - ``compute(scheduler="synchronous")`` runs everything in one thread: the easiest way to debug
#   a failing task with ``pdb`` or ``print``.
#
# Exercise
# --------
# Compute the standard deviation and the largest value of ``big`` in one pass (use
# ``dask.compute``). The standard deviation of uniform random numbers in [0, 1) is 1/√12; how
# close do you get?
#
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       big_std, big_max = dask.compute(big.std(), big.max())
#       print(f"std {big_std:.6f} (1/√12 = {1 / 12 ** 0.5:.6f}), max {big_max:.9f}")
