"""
Out of memory: KilledWorker, paused workers, and results too big for the client
===============================================================================

Memory runs out in three places on a Dask cluster, and each has its own message: a task that
outgrows its worker ends in ``KilledWorker``, memory a worker cannot spill makes it pause, and a
result too big for your own Python process ends in ``MemoryError`` there. You will cause all
three on purpose on a small cluster, read the exact message and the log lines that go with it,
and run the fix.

**You will be able to:** recognise ``KilledWorker`` as a worker killed for its memory and confirm
it in the nanny's log; read a worker's pause and unmanaged-memory warnings and its status; tell a
client-side ``MemoryError`` from a worker-side one; and fix each one with smaller chunks, smaller
tasks, or a reduction on the cluster.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners read ``KilledWorker`` as a bug in Dask or in their
#      function and retry; most often it is memory, and the nanny's log says so.
#    - **Do not skip:** The three places memory runs out (a task, a worker's unmanaged memory,
#      the client) have three different fixes; the first question is always *which process* ran
#      out.
#    - **Ask the room:** A ``compute()`` of a big DataFrame fails with ``MemoryError`` in the
#      notebook while the dashboard shows healthy workers: what happened, and what do you change?

# %%
# A small cluster of worker processes
# -----------------------------------
# A worker that outgrows its memory limit is killed and restarted by its *nanny*, a small
# process that watches one worker *process*; so this cluster has one worker process (two
# threads, 500 MiB) rather than threads in this process. The code that uses it sits under
# ``if __name__ == "__main__":``, because each new worker process re-imports this script.
#
# The scheduler gives up on a task once workers have died running it more than
# ``distributed.scheduler.allowed-failures`` times. The default is read from Dask's
# configuration below; this lesson lowers it to 1 while the cluster starts (the scheduler reads
# it then) so that the failure comes after two deaths instead of four. ``silence_logs`` keeps
# the cluster's log messages out of this page's output: we read them from the cluster instead.
import logging

import dask
from distributed import Client, LocalCluster

default_allowed_failures = dask.config.get("distributed.scheduler.allowed-failures")
print("allowed-failures by default:", default_allowed_failures)

if __name__ == "__main__":
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = LocalCluster(
            n_workers=1, threads_per_worker=2, memory_limit="500MiB", host="127.0.0.1",
            dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL,
        )
    client = Client(cluster)
    allowed_failures = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.allowed_failures)
    print("allowed-failures of this cluster's scheduler:", allowed_failures)

# %%
# The worker, and its nanny, compare the worker's process memory with fractions of its limit at
# a fixed interval, all set in Dask's configuration
# (:doc:`../09_distributed/plot_03_worker_memory` shows each step at work). Here they are in MiB
# for this 500 MiB worker:
MiB = 2**20
memory_limit = 500 * MiB
fractions = dask.config.get("distributed.worker.memory")
thresholds = {name: f"{fractions[name]:.0%} = {fractions[name] * memory_limit / MiB:.0f} MiB"
              for name in ("spill", "pause", "terminate")}
{**thresholds, "checked every": fractions["monitor-interval"]}

# %%
# Messages on this page
# ---------------------
# Dask's messages name worker addresses (with their ports), process ids and task keys that
# end in a random token; all change from run to run. This page prints them through
# ``readable``, which puts a placeholder in their place; in your own run, print them as they are.
import re


def readable(text):
    text = re.sub(r"\b(?:tcp|tls|inproc)://\S+?:\d+", "<worker address>", text)
    text = re.sub(r"pid=\d+", "pid=<pid>", text)
    return re.sub(r"-[0-9a-f]{32}\b", "-<token>", text)


def log_lines(log, *words):
    """The lines of a log (newest first, as Dask returns it) with any of these words, oldest
    first, without their timestamps."""
    return [line.split(" - ", 1)[1] for _, line in reversed(log) if any(w in line for w in words)]


# %%
# .. _breaks-killed-worker:
#
# ``KilledWorker``: a task that outgrows its worker
# -------------------------------------------------
# 80 million random numbers in *one* chunk: 610 MiB, more than the worker's whole limit, made
# by a single task. The mean is one number, but the task that computes it holds the whole chunk.
import dask.array as da
from distributed import KilledWorker

if __name__ == "__main__":
    numbers = da.random.default_rng(42).random(80_000_000, chunks=80_000_000)
    print(f"{numbers.npartitions} chunk of {numbers.blocks[0].nbytes / MiB:.0f} MiB")
    try:
        numbers.mean().compute()
    except KilledWorker as error:
        killed_type, killed_message = type(error).__name__, str(error)
        print(f"{killed_type}: {readable(killed_message)}")

# %%
# **The logs.** The worker's own log died with it. The nanny, which killed it, and the
# scheduler, which gave up on the task, say what happened: ``client.get_worker_logs(nanny=True)``
# and ``client.get_scheduler_logs()``. (The scheduler finds each nanny through the worker it
# looks after, so we first wait for the nanny's fresh worker to join.)
if __name__ == "__main__":
    client.wait_for_workers(1, timeout=60)
    (nanny_log,) = client.get_worker_logs(nanny=True).values()
    nanny_lines = log_lines(nanny_log, "memory budget")
    scheduler_lines = log_lines(client.get_scheduler_logs(), "marked as failed")
    for line in nanny_lines + scheduler_lines:
        print(readable(line))

# %%
# **Why.** The nanny checks its worker's process memory every 100 ms and terminates the worker
# once that memory passes the *terminate* fraction (95 %); it logs ``exceeded 95% memory budget.
# Restarting...`` and starts a fresh worker (``NannyMemoryManager.memory_monitor`` in
# ``distributed/worker_memory.py``). Each time a worker dies (rather than being closed on
# purpose), the scheduler counts it against the tasks that worker was running; past
# ``allowed-failures`` it marks the task failed with a ``KilledWorker`` exception
# (``Scheduler.remove_worker`` in ``distributed/scheduler.py``), which your ``compute()``
# raises. Running the task again cannot help: it needs as much memory each time.
#
# **Confirm it.** The nanny's ``exceeded … memory budget`` line, as above, or the
# ``worker-restart-memory`` events it records, with the worker's memory when it was killed. On
# the dashboard, watch the worker's bar in the *Bytes stored per worker* plot (or the
# *Workers* tab) grow to the limit before the worker disappears.
if __name__ == "__main__":
    restarts = client.get_events("worker-restart-memory")
    for _, event in restarts:
        print(f"worker killed at {event['rss'] / MiB:.0f} MiB, limit {memory_limit / MiB:.0f} MiB")

# %%
# **The fix: smaller chunks.** The same 80 million numbers in 32 chunks of 19 MiB: each task
# now holds one small chunk, two at a time on the worker's two threads. (Giving each worker
# more memory, ``memory_limit=``, is the other fix, when your machine has it.)
if __name__ == "__main__":
    numbers = da.random.default_rng(42).random(80_000_000, chunks=2_500_000)
    print(f"{numbers.npartitions} chunks of {numbers.blocks[0].nbytes / MiB:.0f} MiB")
    mean = float(numbers.mean().compute())
    restarts_after_fix = len(client.get_events("worker-restart-memory")) - len(restarts)
    print(f"mean: {mean:.5f}; workers killed meanwhile: {restarts_after_fix}")

# %%
# .. _breaks-paused-worker:
#
# A paused worker: "Unmanaged memory use is high"
# -----------------------------------------------
# Dask can move the results it keeps to disk; it cannot move the memory a running task holds,
# nor what libraries, global variables or leaks keep. That memory is *unmanaged*. Here one
# task holds memory while it works (``time.sleep`` stands for the work): it takes 8 MiB blocks
# until its worker process uses 87.5 % of the limit, between *pause* (80 %) and *terminate*
# (95 %), whatever the worker held before it (the peak is printed below).
import time

import numpy as np
import psutil


def process_memory():
    return psutil.Process().memory_info().rss


def hold_memory_until(target, seconds):
    blocks = []
    while process_memory() < target:
        blocks.append(np.ones(8 * MiB, dtype="uint8"))  # written to, so really in memory
    time.sleep(seconds)
    return sum(block.size for block in blocks)


if __name__ == "__main__":
    ((address, before),) = client.run(process_memory).items()
    print(f"worker uses {before / MiB:.0f} MiB before the task")

# %%
# While the task runs, we ask the scheduler for the worker's status every tenth of a second.
# Once it is paused, we submit a tiny second task: the worker has a free thread, but the
# scheduler sends no task to a paused worker (nor does a paused worker start one it holds), so
# the tiny task waits on the scheduler.
if __name__ == "__main__":
    big = client.submit(hold_memory_until, 0.875 * memory_limit, 2.0)
    statuses, tiny, paused_metrics = [], None, []
    while not big.done():
        info = client.scheduler_info()["workers"][address]
        statuses.append(info["status"])
        if info["status"] == "paused":
            paused_metrics.append(info["metrics"])
            if tiny is None:
                tiny = client.submit(sum, [1, 2, 3])
                time.sleep(0.3)
                tiny_while_paused = tiny.status
                tiny_on_scheduler = client.run_on_scheduler(
                    lambda dask_scheduler, key: dask_scheduler.tasks[key].state, key=tiny.key)
        time.sleep(0.1)
    tiny_result, tiny_after = tiny.result(), tiny.status
    nbytes = big.result()
    print(f"the task held {nbytes / MiB:.0f} MiB")
    print("statuses seen:", " -> ".join(dict.fromkeys(statuses)))
    print(f"tiny task while paused: {tiny_while_paused} (on the scheduler: {tiny_on_scheduler}); "
          f"after: {tiny_after}, result {tiny_result}")
    peak = max(paused_metrics, key=lambda metrics: metrics["memory"])
    print(f"while paused, process memory up to {peak['memory'] / MiB:.0f} MiB "
          f"({peak['memory'] / memory_limit:.0%} of the limit), "
          f"of which managed by Dask: {peak['managed_bytes'] / MiB:.0f} MiB")

# %%
# **The log.** The worker says it in its own log, ``client.get_worker_logs()``:
if __name__ == "__main__":
    worker_log = client.get_worker_logs()[address]
    memory_lines = log_lines(worker_log, "Unmanaged memory", "Pausing worker", "Resuming worker")
    for line in memory_lines:
        print(readable(line))
    unmanaged_warning = next(line.split(" - ", 2)[2] for line in memory_lines if "Unmanaged" in line)
    pause_warning = next(line.split(" - ", 2)[2] for line in memory_lines if "Pausing" in line)

# %%
# **Why.** The worker checks its process memory every 100 ms too
# (``WorkerMemoryManager.memory_monitor`` in ``distributed/worker_memory.py``). Past the *spill*
# fraction (70 %) it moves its stored results to disk; when it holds none and memory is still
# high, it logs ``Unmanaged memory use is high`` (at most once every five minutes per worker:
# the log filter on that message says ``rate="300s"``). Past *pause* (80 %) it logs
# ``Pausing worker`` and starts no new task until memory drops, then logs ``Resuming worker``.
# A task that finishes and frees its memory lets the worker resume, as here; a leak (memory that
# stays held after the task) keeps it paused, and the tasks waiting for it keep waiting.
#
# **Confirm it.** The worker's status in ``client.scheduler_info()`` and these log lines. The
# same report holds the worker's memory, ``metrics["memory"]`` for the process and
# ``metrics["managed_bytes"]`` for Dask's stored results, printed above: nearly all unmanaged.
# The dashboard's *Bytes stored per worker* plot draws the same split. For a leak that never
# clears, ``client.restart()`` replaces every worker with a fresh process (all data the cluster
# held is lost).
#
# **The fix: smaller tasks.** The same amount of memory in total, in eight tasks of an eighth
# each; at most two run at a time, on the two threads:


def work_with_memory(piece, nbytes, seconds):
    block = np.ones(nbytes, dtype="uint8")
    time.sleep(seconds)
    return int(block.size)


if __name__ == "__main__":
    pauses_before = len(log_lines(worker_log, "Pausing worker"))
    pieces = client.map(work_with_memory, range(8), nbytes=nbytes // 8, seconds=0.25)
    fixed_statuses = []
    while not all(piece.done() for piece in pieces):
        fixed_statuses.append(client.scheduler_info()["workers"][address]["status"])
        time.sleep(0.1)
    held = sum(client.gather(pieces))
    new_pauses = len(log_lines(client.get_worker_logs()[address], "Pausing worker")) - pauses_before
    print(f"{held / MiB:.0f} MiB held in all; statuses seen: {' -> '.join(dict.fromkeys(fixed_statuses))}; "
          f"new pauses in the log: {new_pauses}")

# %%
# .. _breaks-result-too-big:
#
# A result too big for the client: ``MemoryError``
# ------------------------------------------------
# ``compute()`` brings the whole result back into *your* Python process, the client. On a
# laptop next to a cluster, or a login node with a memory limit, the client is often the
# smallest machine involved. To make that happen here, a separate Python process plays the
# client: it connects to our cluster and, after it has started, lets itself use only 48 MiB
# more address space (``resource.setrlimit`` with ``RLIMIT_AS``, a limit Linux enforces; on
# macOS and Windows this demonstration does not fail the same way). Then it computes 12 million
# numbers, 96,000,000 bytes (92 MiB). The same script, under the same limit, then runs two fixes.
import subprocess
import sys
import textwrap

small_client = textwrap.dedent("""
    import resource, sys, tempfile, traceback
    import dask, dask.array as da, psutil
    from distributed import Client

    client = Client(sys.argv[1])
    numbers = da.random.default_rng(7).random(12_000_000, chunks=1_500_000)
    limit = psutil.Process().memory_info().vms + 48 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
    try:
        numbers.compute()
    except MemoryError as error:
        print(f"{type(error).__name__}: {error}")
        frames = traceback.extract_tb(error.__traceback__)[-2:]
        print("raised in:", " -> ".join(f"{f.name} ({f.filename.split('/')[-1]})" for f in frames))
    # Fix 1: reduce on the cluster, bring back only small results.
    mean, std = dask.compute(numbers.mean(), numbers.std())
    print(f"fix 1, reduce: mean {mean:.5f}, standard deviation {std:.5f}")
    # Fix 2: the workers write the numbers to disk; the client reads back only what it needs.
    with tempfile.TemporaryDirectory() as folder:
        numbers.to_zarr(folder)
        stored = da.from_zarr(folder)
        same = bool((stored[:1000] == numbers[:1000]).all().compute())
        print(f"fix 2, to_zarr: {stored.shape[0]:,} numbers stored in {stored.npartitions} chunks; "
              f"read back equal: {same}")
    client.close()
""")

if __name__ == "__main__":
    run = subprocess.run([sys.executable, "-c", small_client, cluster.scheduler_address],
                         capture_output=True, text=True, timeout=300)
    client_output = run.stdout.splitlines()
    print("\n".join(client_output))
    result_nbytes = 12_000_000 * np.dtype("float64").itemsize
    buffer_nbytes = int(re.search(r"shape \((\d+),\)", client_output[0]).group(1))
    print(f"the result: {result_nbytes:,} bytes; "
          f"the one buffer the client asked for: {buffer_nbytes:,} bytes")
    cluster_logs = [*client.get_worker_logs()[address], *client.get_scheduler_logs()]
    cluster_mentions = sum("MemoryError" in line for _, line in cluster_logs)
    print("lines about MemoryError in the worker's and scheduler's logs:", cluster_mentions)

# %%
# **Why.** The error comes from the client's own process, not from a worker: to receive a
# result, the client first allocates one buffer for the whole message that carries it (here the
# whole result, as the two sizes above show; ``read_bytes_rw`` in ``distributed/comm/tcp.py``
# calls ``host_array``), and NumPy cannot get that memory. Everything on the cluster went well;
# only the last step, bringing the result home, failed. On a machine without such a limit, the
# same ``compute()`` can instead make the whole client process swap or be killed by the
# operating system (a notebook's kernel dies).
#
# **Confirm it.** The traceback ends in the client's own network code (its last two frames are
# printed above), not in a task, and no line of the worker's or the scheduler's log mentions
# it (counted above). Compare the result's size, ``numbers.nbytes``, with the memory your own
# process can use.
#
# **The fix.** Bring back only what fits: reduce on the cluster (a mean, the top values, a
# histogram, a filtered sample), or let the workers write the full result to files
# (``to_zarr`` for arrays, ``to_parquet`` for DataFrames) and read back only the parts you
# need. Both ran above under the same 48 MiB limit.

# %%
# Key points
# ----------
# - ``KilledWorker`` means workers died while running the task, more than
#   ``distributed.scheduler.allowed-failures`` times; the nanny's ``exceeded 95% memory
#   budget`` line says it was memory. Fix: smaller chunks, or more memory per worker.
# - ``Unmanaged memory use is high`` and ``Pausing worker`` mean memory that Dask cannot spill:
#   big temporary objects inside tasks, libraries, leaks. A paused worker runs nothing new.
#   Fix: smaller tasks, freeing what you hold; ``client.restart()`` for a leak.
# - ``MemoryError: Unable to allocate …`` in your own process during ``compute()`` is the
#   client running out. Fix: reduce on the cluster, or write from the workers with
#   ``to_zarr`` / ``to_parquet``.
# - First question each time: *which process* ran out of memory? The logs say it.
#
# Exercise
# --------
# Count the 80 million numbers of the killed-worker example (seed 42) in 10 bins of equal width
# over [0, 1), with ``da.histogram``, on this cluster, without any worker dying and bringing
# back only the 10 counts. Put the counts (a NumPy array) in ``answer`` and the Dask array of
# numbers you counted in ``counted``, then run the check: it looks at both.
if __name__ == "__main__":
    answer = None  # your answer, computed: replace None
    counted = None  # the Dask array of the 80 million numbers you counted: replace None

# %%
from tutorial_helpers.exercises import check

if __name__ == "__main__":
    check("out_of_memory", answer, array=counted)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       if __name__ == "__main__":
#           counted = da.random.default_rng(42).random(80_000_000, chunks=2_500_000)
#           counts, edges = da.histogram(counted, bins=10, range=(0, 1))
#           answer = counts.compute()
#           print(answer)
#           check("out_of_memory", answer, array=counted)

# %%
# Close what you started
# ----------------------
if __name__ == "__main__":
    client.close()
    cluster.close()
