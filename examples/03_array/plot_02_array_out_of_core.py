"""
Bigger than a worker's memory, and why threads
==============================================

Reduce an array larger than a worker's memory without ever holding it: Dask creates each
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
# A worker with little memory
# ---------------------------
# On a ``dask.distributed`` cluster each worker has a :term:`memory limit`, and watches the
# memory of the process it lives in against it. This lesson starts a cluster of one worker with a
# 1 GiB limit and as many threads as this job's cores, every service on the loopback address.
# The limit is small on purpose, so that an array bigger than it takes seconds, not minutes, to
# make; nothing below depends on its size: a worker with a 16 GiB limit reduces a 24 GiB array
# the same way, chunk by chunk, only for longer.
# The worker is a process of its own (``processes=True``): as threads of this Python process,
# its limit would be measured against this whole program, notebook or script included, and so
# would the memory curve below. Each worker process starts by importing the script that started
# it, and so do the processes this lesson starts at the end: every line that starts or uses the
# cluster sits under ``if __name__ == "__main__":``, so that it runs only in the original
# program. (In a notebook the guard is always true and changes nothing.)
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

if __name__ == "__main__":
    # One worker process with a small memory limit: it must be a process of its own (see above).
    cluster = LocalCluster(
        n_workers=1, threads_per_worker=granted_cores(), processes=True, memory_limit="1 GiB",
        protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
    )
    client = Client(cluster)
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    worker_limit = sum(worker["memory_limit"] for worker in workers)
    print(f"{len(workers)} worker process, {sum(w['nthreads'] for w in workers)} threads, "
          f"memory limit {worker_limit / 2**30:.1f} GiB")

# %%
# An array bigger than that
# -------------------------
# ``da.random.default_rng(seed).random(shape, chunks=...)`` describes an array of random numbers
# in [0, 1) without creating it: each chunk is a task that generates its own numbers when it
# runs. The chunks are sized against the worker's memory: each thread holds a chunk at once,
# and for some reductions a few temporaries of its size, so chunks of 1400 × 1400 numbers
# (15 MiB) leave a 1 GiB worker room for many threads. The default, ``chunks="auto"``, would
# aim at ``array.chunk-size`` instead, the same whatever the worker's limit.
import dask
import dask.array as da

big = da.random.default_rng(2019).random((14_000, 14_000), chunks=1_400)
print(f"the array: {big.nbytes / 2**30:.2f} GiB in {big.npartitions} chunks")
print(f"one chunk: {big.chunksize}, {big.blocks[0, 0].nbytes / 2**20:.0f} MiB "
      f"(chunks='auto' would aim at {dask.config.get('array.chunk-size')})")
if __name__ == "__main__":
    memory_ratio = big.nbytes / worker_limit
    print(f"{memory_ratio:.2f} × the worker's memory limit")
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
thresholds = {
    name: dask.config.get(f"distributed.worker.memory.{name}")
    for name in ["target", "spill", "pause", "terminate"]
}
print("shares of a worker's limit:", ", ".join(f"{k} {v:.0%}" for k, v in thresholds.items()))
if __name__ == "__main__":
    share = big.nbytes / worker_limit
    where = "all in memory" if share < thresholds["target"] else "part of it spilled to disk"
    print(f"persist() would put {share:.0%} of the worker's limit on it: {where}")

# %%
# Reduce it, chunk by chunk
# -------------------------
# A reduction needs to hold the array nowhere. ``mean()`` turns each chunk into a sum and a
# count, then adds those up in a tree. Dask runs the tasks in an order that finishes chunks
# quickly, so only a few chunks exist at any moment. ``MemorySampler`` records the memory of
# the worker while it runs.
import time

from distributed.diagnostics import MemorySampler

if __name__ == "__main__":
    started = time.perf_counter()
    sampler = MemorySampler()
    with sampler.sample("the worker", interval=0.1):
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
# What the worker held
# --------------------
# Each chunk lived only as long as it took to reduce it, so at any moment the worker held
# roughly one chunk per thread, plus Python itself: not the array. (The curve is the memory of
# the worker process as the operating system sees it, Python itself included.)
import matplotlib.pyplot as plt

if __name__ == "__main__":
    memory = sampler.to_pandas(align=True)["the worker"]
    memory.index = memory.index.total_seconds()
    peak_bytes = memory.max()
    ax = (memory / 2**30).plot(figsize=(8, 3.5), xlabel="seconds", ylabel="GiB")
    ax.axhline(big.nbytes / 2**30, color="tab:red", ls="--", label="the array")
    ax.axhline(worker_limit / 2**30, color="tab:gray", ls=":", label="the worker's limit")
    ax.set_ylim(0, big.nbytes / 2**30 * 1.1)
    ax.legend(loc="center right")
    ax.set_title("The worker's memory during big.mean()")
    plt.tight_layout()
    threads = sum(worker["nthreads"] for worker in workers)
    chunk_mib = big.blocks[0, 0].nbytes / 2**20
    print(f"peak: {peak_bytes / 2**30:.2f} GiB, for {threads} threads × {chunk_mib:.0f} MiB "
          f"chunks; the worker's limit: {worker_limit / 2**30:.2f} GiB; "
          f"the array: {big.nbytes / 2**30:.2f} GiB")

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
# it, as in this lesson.
if __name__ == "__main__":
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
    return da.random.default_rng(0).random((1_000, 1_000), chunks=(250, 1_000))


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

# %%
# Exercise
# --------
# Compute the standard deviation and the largest value of ``big`` in one pass (use
# ``dask.compute``). The standard deviation of uniform random numbers in [0, 1) is 1/√12; how
# close do you get? Put the pair in ``answer`` (a tuple of two numbers: the standard deviation,
# then the largest value) and run the check below: it compares with a reference that NumPy
# computes chunk by chunk from the same seeded generator as ``big`` (every chunk's numbers made
# again, a few seconds), and says what is wrong, without giving the answer away. As everywhere
# in this lesson, the lines that compute stay under ``if __name__ == "__main__":``.
if __name__ == "__main__":
    answer = None  # your answer, computed: replace None

# %%
from tutorial_helpers.exercises import check

if __name__ == "__main__":
    check("array_out_of_core", answer)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       if __name__ == "__main__":  # in a script: worker processes re-import it
#           big_std, big_max = dask.compute(big.std(), big.max())
#           print(f"std {big_std:.6f} (1/√12 = {1 / 12 ** 0.5:.6f}), max {big_max:.9f}")
#           answer = (big_std, big_max)
#           check("array_out_of_core", answer)

# %%
# Close the cluster
# -----------------
# Closing the client and the cluster stops the worker process and frees what it held.
if __name__ == "__main__":
    client.close()
    cluster.close()
