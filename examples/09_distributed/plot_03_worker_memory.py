"""
Worker memory: limits, spilling to disk and pausing
===================================================

Every worker of a ``dask.distributed`` cluster has a memory limit. Give one small worker more
data than fits, and watch what it does as it fills up: first it moves data to disk, then it
stops starting new tasks, and only as a last resort is it restarted. You will read these
steps in the worker's own numbers.

**You will be able to:** set a worker's ``memory_limit`` and spill folder, name the thresholds
at which a worker spills, pauses and is restarted, read how much of its data a worker holds in
memory and on disk, and tell managed from unmanaged memory.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners expect a worker that runs out of memory to raise
#      ``MemoryError``; it spills, pauses, and is restarted by its nanny instead.
#    - **Do not skip:** ``KilledWorker`` comes after a task has killed ``allowed-failures`` + 1
#      workers (4 by default): read it as a memory problem first.
#    - **Ask the room:** A worker keeps pausing: fewer threads per worker, more memory per worker,
#      or smaller partitions?

# %%
# Four thresholds
# ---------------
# A worker watches two numbers: the size of the data Dask manages for it (task results it
# keeps), and the memory of its whole process (``managed`` plus anything else: the Python
# interpreter, libraries, temporary copies, leaks; called *unmanaged*). Both are compared with
# fractions of its memory limit, set in Dask's configuration (which ``distributed`` fills in
# when it is imported):
import dask
import pandas as pd
from distributed import Client, LocalCluster, wait

memory_limit = 2**30  # bytes: a deliberately small worker of 1 GiB
fractions = dask.config.get("distributed.worker.memory")
thresholds = pd.DataFrame(
    {
        "fraction": [fractions[name] for name in ("target", "spill", "pause", "terminate")],
        "watches": ["managed data", "process memory", "process memory", "process memory"],
        "then the worker ...": [
            "moves the least recently used data to disk",
            "moves data to disk until the process is back under the target",
            "stops starting new tasks until memory drops",
            "is killed and restarted by its nanny; the data it held is lost",
        ],
    },
    index=["target", "spill", "pause", "terminate"],
)
thresholds.insert(1, "MiB of a 1 GiB worker", (thresholds["fraction"] * memory_limit / 2**20).round())
thresholds

# %%
# A small worker with a spill folder
# ----------------------------------
# One worker process with one thread and a 1 GiB limit. ``local_directory`` says where it
# spills: here a temporary folder that is removed at the end (the default is a
# ``dask-scratch-space`` folder in the system's temporary directory; on a compute cluster,
# point it at fast local disk, not a network home directory). This lesson starts its own
# cluster, so the code that uses it sits under ``if __name__ == "__main__":``.
import tempfile

if __name__ == "__main__":
    spill_folder = tempfile.TemporaryDirectory()
    cluster = LocalCluster(
        n_workers=1, threads_per_worker=1, memory_limit=memory_limit,
        local_directory=spill_folder.name, host="127.0.0.1", dashboard_address="127.0.0.1:0",
    )
    client = Client(cluster)

# %%
# Reading a worker's memory
# -------------------------
# ``client.run(f)`` calls ``f`` on every worker, passing the worker itself as ``dask_worker``.
# ``dask_worker.data`` holds the worker's results: ``.memory`` the ones in memory, ``.disk``
# the ones spilled to disk, with their sizes as Dask measures them;
# ``dask_worker.memory_manager.memory_limit`` is the limit they are compared with. ``psutil`` measures the
# whole process, as the worker itself does. The dashboard's *Bytes stored* panel draws the
# same numbers. Before any work, the process already uses memory: Python and its libraries,
# all unmanaged.
import psutil

MiB = 2**20


def memory_report(dask_worker):
    data = dask_worker.data
    return {
        "status": dask_worker.status.name,
        "memory limit (MiB)": round(dask_worker.memory_manager.memory_limit / MiB),
        "results in memory": len(data.memory),
        "in memory (MiB)": round(data.fast.total_weight / MiB),
        "results on disk": len(data.disk),
        "on disk (MiB)": round(data.spilled_total.memory / MiB),
        "process (MiB)": round(psutil.Process().memory_info().rss / MiB),
    }


def worker_memory(client):
    """One column per worker, named by the worker's name rather than its random address."""
    reports = client.run(memory_report)
    workers = client.scheduler_info(n_workers=-1)["workers"]
    return pd.DataFrame({f"worker {workers[addr]['name']}": r for addr, r in reports.items()})


if __name__ == "__main__":
    print(worker_memory(client).to_string())

# %%
# More data than the worker may hold
# ----------------------------------
# A random array of 120 chunks of 8 MB, 960 MB in all: nearly the worker's whole limit, half as
# much again as its 60 % target. ``persist()`` computes it and keeps every chunk on the worker; ``wait``
# blocks until that is done. The seed makes the numbers reproducible.
import dask.array as da

if __name__ == "__main__":
    x = da.random.default_rng(2019).random((120, 1_000_000), chunks=(1, 1_000_000))
    print(f"{x.npartitions} chunks of {x.blocks[0].nbytes / MiB:.1f} MiB, {x.nbytes / MiB:.0f} MiB in all")
    x = x.persist()
    wait(x)
    after_persist = worker_memory(client)
    print(after_persist.to_string())

# %%
# Nothing was lost and the worker kept running: as the chunks arrived, the worker moved the
# oldest ones to disk to stay under its target. The process memory, not only the managed data,
# counts too: past the *spill* threshold the worker keeps spilling until the whole process is
# back under the target, so the managed data in memory stays well under 60 % of the limit.
# The chunks in memory plus the chunks on disk are the whole array; the spill folder holds the
# latter as files:
import os

if __name__ == "__main__":
    on_disk = sum(
        os.path.getsize(os.path.join(folder, name))
        for folder, _, names in os.walk(spill_folder.name) for name in names
    )
    chunks_held = after_persist.loc[["results in memory", "results on disk"]].sum().sum()
    print(f"in memory + on disk: {chunks_held} of {x.npartitions} chunks; "
          f"spill folder: {on_disk / MiB:.0f} MiB")

# %%
# Computing on spilled data
# -------------------------
# Spilled data is still there for any computation: the worker reads each chunk back from disk
# when a task needs it, moving others out to make room. It works, but every chunk read from
# disk costs time that a chunk in memory does not.
import time

if __name__ == "__main__":
    start = time.perf_counter()
    mean = float(x.mean().compute())
    print(f"mean of {x.size:,} numbers: {mean:.6f}, in {time.perf_counter() - start:.2f} s")
    print(worker_memory(client).to_string())

# %%
# Pausing: memory Dask does not manage
# ------------------------------------
# Spilling only helps with data Dask manages. Memory held by anything else (a library's cache,
# a big object kept in a global variable, a leak) cannot be moved to disk. To see what happens
# then, first free the persisted array, so the worker holds no data...
if __name__ == "__main__":
    del x
    while worker_memory(client).loc[["results in memory", "results on disk"]].sum().sum() > 0:
        time.sleep(0.05)
    print(worker_memory(client).to_string())

# %%
# ... then attach NumPy arrays to the worker object itself: memory the worker knows nothing
# about. One array takes the process to 75 % of the limit, then 32 MiB more at a time until the
# worker reports itself paused. It checks its process memory ten times a second; past the
# pause threshold it stops starting tasks. (The loop never goes past 90 % of the limit.)
import numpy as np


def add_unmanaged(dask_worker, nbytes):
    if not hasattr(dask_worker, "ballast"):
        dask_worker.ballast = []
    dask_worker.ballast.append(np.ones(nbytes, dtype="uint8"))  # touched, so really in memory


if __name__ == "__main__":
    report = worker_memory(client)["worker 0"]
    client.run(add_unmanaged, nbytes=int(0.75 * memory_limit - report["process (MiB)"] * MiB))
    while report["status"] != "paused" and report["process (MiB)"] < 0.9 * memory_limit / MiB:
        client.run(add_unmanaged, nbytes=32 * MiB)
        time.sleep(0.25)
        report = worker_memory(client)["worker 0"]
    print(worker_memory(client).to_string())

# %%
# A paused worker still answers, but runs no new task. A task submitted now waits:
if __name__ == "__main__":
    future = client.submit(sum, [1, 2, 3])
    time.sleep(0.5)
    print("task while paused:", future.status)

# %%
# Free the unmanaged memory and the worker resumes by itself; the waiting task runs. The
# worker's log tells the story in its own words:


def release_unmanaged(dask_worker):
    dask_worker.ballast.clear()


if __name__ == "__main__":
    client.run(release_unmanaged)
    print("task after release:", future.status, "->", future.result(), "->", future.status)
    (worker_log,) = client.get_worker_logs().values()
    for level, line in reversed(worker_log):
        if "memory" in line and level == "WARNING":
            message = line.split(" - ", 3)[-1]
            print(message.split("; see ")[0])  # without the link to the documentation

# %%
# The last threshold, *terminate* (95 %), is not shown here on purpose: the nanny, a small
# process that watches each worker, kills the worker and starts a fresh one. Everything that
# worker held is lost and must be recomputed. Each time a worker dies while running a task, the
# scheduler counts it against that task: past ``distributed.scheduler.allowed-failures``
# (three by default, so at the fourth death) it gives up on the task with a ``KilledWorker``
# error. Spilling and pausing exist to make
# that rare: size ``memory_limit`` so that your largest chunks, times the threads per worker,
# fit with room to spare.
#
# Close what you started
# ----------------------
# Closing the cluster removes the worker's spill files; the temporary folder goes too.
if __name__ == "__main__":
    client.close()
    cluster.close()
    spill_folder.cleanup()
    print("spill folder removed:", not os.path.exists(spill_folder.name))

# %%
# Key points
# ----------
# - Each worker has a ``memory_limit``. Past 60 % of it in managed data (*target*) or 70 % in
#   process memory (*spill*), it moves data to disk, into ``local_directory``; past 80 % it
#   pauses; at 95 % the nanny restarts it and its data is lost.
# - Spilled data is still usable: it is read back when needed, at the cost of disk reads.
# - Only managed data (task results) can spill. Unmanaged memory (libraries, globals, leaks)
#   can only make a worker pause or be restarted.
# - ``client.run`` with ``dask_worker`` looks inside the workers; the dashboard's *Bytes stored*
#   panel shows the same numbers live.
#
# Exercise
# --------
# Give the worker 2 GiB instead of 1 GiB, in a ``with`` block, and persist the same array (and
# wait for it). How many of its 120 chunks stay in memory now? Put that number in ``answer``
# (an int), and the worker's table, ``worker_memory`` of the new client taken before the
# ``with`` block closes the cluster, in ``big_worker``. Then run the check below: it reads the
# worker's size and what it holds from that table and says what is wrong, without giving the
# answer away.
if __name__ == "__main__":
    answer = None  # your answer, computed: replace None
    big_worker = None  # worker_memory(...) of your 2 GiB cluster, inside its with block: replace None

# %%
from tutorial_helpers.exercises import check

if __name__ == "__main__":
    check("worker_memory", answer, memory=big_worker)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       if __name__ == "__main__":
#           with tempfile.TemporaryDirectory() as folder, LocalCluster(
#               n_workers=1, threads_per_worker=1, memory_limit="2GiB", local_directory=folder,
#               host="127.0.0.1", dashboard_address="127.0.0.1:0",
#           ) as big_cluster, Client(big_cluster) as big_client:
#               y = da.random.default_rng(2019).random((120, 1_000_000), chunks=(1, 1_000_000))
#               y = y.persist()
#               wait(y)
#               big_worker = worker_memory(big_client)
#               print(big_worker.to_string())
#               del y
#           answer = int(big_worker.loc["results in memory", "worker 0"])
#           check("worker_memory", answer, memory=big_worker)
