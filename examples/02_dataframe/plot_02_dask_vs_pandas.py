"""
Is Dask faster than pandas? One file, then a year
=================================================

Dask is not free: every computation pays for building a graph, scheduling tasks and moving
results. Time the same count of trips per start station with pandas and with Dask, on one
monthly file and on all twelve, and run Dask both on a cluster and on its local threaded
scheduler, to see where the overhead dominates and whether parallel reading pays it back.
pandas itself reads a large file on several threads: time it with its default threads and on
one thread, so that each comparison says which pandas Dask is up against, and see where pandas,
Arrow and NumPy put threads of their own to work inside Dask's tasks.

**You will be able to:** compare pandas and Dask like with like, explain what Dask's overhead
costs on a single small file, tell what the cluster's scheduler adds over Dask's local threads,
and measure whether a task puts threads of its own to work.

**Estimated time:** 15 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** A slower Dask on one file reads as a failure: say before the
#      table that overhead is expected there. "pandas" alone is not one baseline: say which row
#      (default threads or one thread) each comparison uses.
#    - **Do not skip:** Dask pays a fixed cost per task; it pays back only when there is enough
#      work to share. pandas 3.1 may already use the cores for a large file.
#    - **Ask the room:** On your own data, how big would a file have to be for Dask to be worth it?
#      Does your pandas code read with options (such as ``parse_dates``) that keep it on one thread?

# %%
# A cluster to compare against
# ----------------------------
# One of the Dask runs below goes to a :term:`cluster`, started here on this machine: one worker
# whose threads run inside this Python process (so a script needs no ``if __name__ ==
# "__main__":`` line), with as many threads as this job's cores, every service on the loopback
# address. ``Client(cluster)`` makes it Dask's default scheduler from here on.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)

# %%
# The same count, two ways
# ------------------------
# The honest rival of Dask is not one giant ``pd.read_csv`` (it would not fit in memory for
# real data) but a pandas loop: read the files one after another, count each, add the counts
# up. The count needs no dates, so neither version parses them. ``threads`` sets pandas'
# option ``mode.max_threads`` for the loop (``pd.option_context`` sets an option for a block
# of code; ``None`` is pandas' default), for the reason the next section gives.
import dask.dataframe as dd
import pandas as pd
from tutorial_helpers import bikes
from tutorial_helpers.timing import compare

files = bikes.trip_files()
trip_dtypes = {"birth year": "float64", "end station id": "float64"}


def pandas_loop(paths, threads=None):
    counts = []
    with pd.option_context("mode.max_threads", threads):
        for path in paths:
            month = pd.read_csv(path, dtype=trip_dtypes)
            month = month[month["tripduration"] > 0].dropna(subset=["end station id"])
            counts.append(month["start station name"].value_counts())
    return pd.concat(counts).groupby(level=0).sum()


# %%
# The Dask version is the code of the previous lesson, without the dates. ``compute()`` takes
# the scheduler as an option, so one function can run on both. ``split_out=1`` keeps the counts
# in one partition, combined by a tree of small tasks that every scheduler can run: without it,
# while a ``Client`` is open, Dask plans ``value_counts`` as a shuffle between the workers with
# the shuffle method ``p2p`` (printed in the previous lesson), which only a cluster's workers
# can run.


def dask_counts(paths, **compute_options):
    trips = dd.read_csv(paths, dtype=trip_dtypes)
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    return clean["start station name"].value_counts(split_out=1).compute(**compute_options)


# %%
# .. _pandas-is-parallel-too:
#
# pandas has threads of its own
# -----------------------------
# A pandas loop can be less serial than it looks. pandas 3.1's ``read_csv`` splits a local,
# uncompressed file of at least 5 MiB into byte ranges and parses them on several threads at
# once, as many as the option ``mode.max_threads`` says; its default, ``None``, means the
# smaller of the machine's cores and 6, and on Linux no more than this process may use (its CPU
# affinity and cgroup quota; pandas does not look on macOS or Windows). It does so only
# when it is given a file's path and reads all of it plainly: with ``parse_dates``,
# ``usecols`` or ``nrows``, among other options, or given a file object instead of a path, it
# parses on one thread. Dask's ``read_csv`` hands pandas each block of a file as an in-memory
# buffer (a ``BytesIO``), not a path, so under Dask every block is parsed on one thread, and
# the parallelism is Dask's. The results check of this lesson asserts each of these rules
# against the installed pandas and Dask. Here:
import os

print("mode.max_threads:", pd.get_option("mode.max_threads"), f"(cores: {os.cpu_count()},",
      f"granted to this job: {granted_cores()})")
print("monthly files:", ", ".join(f"{path.stat().st_size / 2**20:.1f}" for path in files), "MiB")
big_files = sum(path.stat().st_size >= 5 * 2**20 for path in files)
print("files of 5 MiB or more:", big_files, "of", len(files))

# %%
# So "pandas" is two baselines. With its default threads, it is what your pandas code does
# today on this machine. With ``mode.max_threads=1``, it is pandas on one core, the serial
# baseline that parallel reading is measured against. The table below times both.

# %%
# Time them
# ---------
# Dask runs twice: once on its default scheduler, which is the cluster started above (a
# ``Client`` is open), and once with ``scheduler="threads"``, the threads of this Python
# process, which is Dask's default when no ``Client`` exists (a fresh notebook). Each row says
# which pandas it is. ``compare`` runs each function three times and reports the median. Its
# usual warm-up run is skipped (``warmup=0``): if a first run is slow (files not yet in the
# operating system's cache, a cold worker), the median of three discards it anyway.
one_file = files[:1]
pandas_vs_dask = compare({
    "pandas, default threads, 1 file": lambda: pandas_loop(one_file),
    "pandas, mode.max_threads=1, 1 file": lambda: pandas_loop(one_file, threads=1),
    "Dask, 1 file": lambda: dask_counts(one_file),
    "pandas loop, default threads, 12 files": lambda: pandas_loop(files),
    "pandas loop, mode.max_threads=1, 12 files": lambda: pandas_loop(files, threads=1),
    "Dask, 12 files": lambda: dask_counts(files),
    'Dask, scheduler="threads", 12 files': lambda: dask_counts(files, scheduler="threads"),
}, warmup=0)
pandas_vs_dask

# %%
# pandas' threads: do they pay?
# -----------------------------
# On files of 5 MiB or more, with free cores, pandas' default should beat its one thread; on
# smaller files the two rows run the same code, and any gap between them is run-to-run noise.
# Here:
if big_files == 0:
    print("No file here is 5 MiB or more: both rows read every file on one thread.")
print(
    pandas_vs_dask.verdict(
        "pandas loop, default threads, 12 files",
        "pandas loop, mode.max_threads=1, 12 files",
        otherwise="pandas' threads need free cores and files of 5 MiB or more; other programs "
        "may have held the cores.",
    )
)

# %%
# One file: what does the overhead cost?
# --------------------------------------
# One file is one partition. Dask has nothing to run in parallel, and still pays for building
# and optimising the graph, scheduling its tasks and sending the result back, while pandas may
# even read that one file on several threads. So for a single file expect pandas to be faster,
# as the workshop this course grew from found too:
print(
    pandas_vs_dask.verdict(
        "pandas, default threads, 1 file",
        "Dask, 1 file",
        otherwise="Dask's fixed cost is a fraction of a second, and a single read is short: "
        "other programs on the machine can slow one run more than that.",
    )
)

# %%
# A year: does parallel reading pay the overhead back?
# ----------------------------------------------------
# With twelve files Dask pays its overhead once for the whole year, and reads as many files at
# a time as it has threads. Against pandas on one thread, Dask's gain is what reading files
# side by side buys. Against pandas' default, both sides use the cores, pandas within each
# file and Dask across files, so the question becomes whose parallelism costs less. Each Dask
# row against each pandas row:
pandas_rows = ["pandas loop, mode.max_threads=1, 12 files", "pandas loop, default threads, 12 files"]
for dask_row in ["Dask, 12 files", 'Dask, scheduler="threads", 12 files']:
    for pandas_row in pandas_rows:
        print(pandas_vs_dask.verdict(dask_row, pandas_row))

# %%
# A pandas row can win, for these reasons: Dask's tasks share this machine's cores with
# its scheduler, with this Python process and with any other program, and with few free cores
# Dask's overhead can cost more than reading in parallel saves; pandas' default already reads
# each file of 5 MiB or more on several cores, so against that row reading files side by side
# has less left to gain; and on small files each read is short, so Dask's fixed cost is a large
# share of it.

# %%
# The cluster or Dask's local threads?
# ------------------------------------
# Here both Dask rows ran pandas on threads of this Python process: the cluster's one worker
# lives in it. Its tasks pass their results to each other in this process's memory, without a
# copy; only the final counts travel to the client, over a loopback connection (the cluster's
# ``protocol="tcp"``). The threads run Python code one at a time (the :term:`GIL`); pandas' C
# parser releases the GIL while it splits the text into fields and converts numbers, so threads
# reading CSV files overlap for much, not all, of the work. What the cluster adds is its
# scheduler: every task is a message to it and back, where the local threaded scheduler hands a
# task to a thread directly. In exchange the cluster gives a dashboard, memory limits, and the
# same code on many machines. Worker processes, each with a GIL of its own, are another trade;
# :ref:`lesson 9.2 <sphx_glr_lessons_09_distributed_plot_02_processes_threads.py>` measures
# them on clusters of different shapes. How many threads each row had (Dask's local scheduler
# counts the cores this process may use, not a batch system's grant), and which was faster:
import dask.system

print("threads: the cluster's worker", sum(client.nthreads().values()),
      "| Dask's local threaded scheduler", dask.system.CPU_COUNT)
print(
    pandas_vs_dask.verdict(
        'Dask, scheduler="threads", 12 files',
        "Dask, 12 files",
        otherwise="The scheduler's cost per task is small next to reading a file, so other "
        "programs on this machine can move either row more than that.",
    )
)

# %%
# Threads inside threads
# ----------------------
# A Dask worker already runs one task per thread, by default one thread per core. A task whose
# library hands work to threads of its own (pandas' parallel ``read_csv``, Arrow, NumPy's
# linear algebra) adds threads on top, which then compete for the same cores. Whether a task
# does so can be measured from inside it: ``time.thread_time()`` counts the CPU time of the
# thread that runs the task, ``time.process_time()`` that of every thread of the process. CPU
# time on other threads, while nothing else is running here, is work done by threads the task
# put to work (pandas starts a pool for each read; Arrow and BLAS keep theirs for the life of
# the process).
import time


def cpu_split(work):
    """Run work(); return its wall time, and its CPU time on this thread and on the process's others."""
    wall, own, process = time.perf_counter(), time.thread_time(), time.process_time()
    work()
    wall = time.perf_counter() - wall
    own, process = time.thread_time() - own, time.process_time() - process
    return {"wall (s)": wall, "CPU, task's thread (s)": own, "CPU, other threads (s)": process - own}


# %%
# The work to measure, each on the largest monthly file: pandas' ``read_csv`` on the file's
# path, with its default threads and with one; Dask's ``read_csv`` of the same file, whose
# tasks the synchronous scheduler runs in the thread that calls ``compute()``, here the
# measured task's; the same month written once as Parquet and read back by pandas (through
# Arrow) and by Dask; and a matrix product in NumPy, which hands it to its BLAS library.
import tempfile
from pathlib import Path

import numpy as np

largest = max(files, key=lambda path: path.stat().st_size)
parquet_folder = tempfile.TemporaryDirectory()  # removed at the end of the lesson
month_parquet = Path(parquet_folder.name) / "month.parquet"
pd.read_csv(largest, dtype=trip_dtypes).to_parquet(month_parquet)


def pandas_one_thread(path):
    with pd.option_context("mode.max_threads", 1):
        return pd.read_csv(path, dtype=trip_dtypes)


def matrix_product():
    matrix = np.random.default_rng(0).random((1500, 1500))
    return matrix @ matrix


work = {
    "pandas read_csv(path), default threads": lambda: pd.read_csv(largest, dtype=trip_dtypes),
    "pandas read_csv(path), mode.max_threads=1": lambda: pandas_one_thread(largest),
    "Dask read_csv (its tasks, in this thread)":
        lambda: dd.read_csv(largest, dtype=trip_dtypes).compute(scheduler="sync"),
    "pandas read_parquet (Arrow)": lambda: pd.read_parquet(month_parquet),
    "Dask read_parquet (its tasks, in this thread)":
        lambda: dd.read_parquet(month_parquet).compute(scheduler="sync"),
    "NumPy matrix product (BLAS)": matrix_product,
}
print(f"largest file: {largest.stat().st_size / 2**20:.1f} MiB")

# %%
# Each runs as one task on the cluster's worker, one after another, so that nothing else
# computes in this process meanwhile (the cluster's own threads, which only wait for messages,
# do a little work too):
cpu_use = pd.DataFrame({
    name: client.submit(cpu_split, function, pure=False).result() for name, function in work.items()
}).T
cpu_seconds = cpu_use["CPU, task's thread (s)"] + cpu_use["CPU, other threads (s)"]
cpu_use["cores busy (CPU / wall)"] = cpu_seconds / cpu_use["wall (s)"]
cpu_use.round(3)

# %%
# Where each task's CPU time went, in words computed from the table. On a small file a task
# uses little CPU time, and the cluster's own threads weigh more in these shares.
other_share = cpu_use["CPU, other threads (s)"] / cpu_seconds
for name, share in other_share.items():
    if share > 0.6:
        where = "mostly on other threads"
    elif share < 0.4:
        where = "mostly on the task's own thread"
    else:
        where = "shared between the task's own thread and others"
    print(f"{name}: {share:.0%} of its CPU time on other threads; {where}.")

# %%
# What the rows show, and why:
#
# - **pandas on a path.** With its default threads, pandas parses a file of 5 MiB or more on
#   a pool of threads while the task's own thread waits; with ``mode.max_threads=1``, on the
#   task's thread. On a smaller file both rows parse on the task's thread.
# - **Dask's read_csv.** Its task gives pandas a ``BytesIO``, not a path, so pandas never
#   starts its pool there.
# - **Parquet.** pandas' ``read_parquet`` hands the file to Arrow, which can decode it on
#   threads of its own pool (its size: ``pyarrow.cpu_count()``, printed below). Dask's
#   ``read_parquet``, with its default ``filesystem="fsspec"``, asks Arrow not to
#   (``use_threads=False``): one thread per task, the parallelism is Dask's.
# - **NumPy.** The matrix product runs in the BLAS library NumPy was built with (printed
#   below; NumPy's wheels bundle OpenBLAS, conda's NumPy may use MKL), which runs it on threads
#   of its own, as many as the cores unless an environment variable read when NumPy is imported
#   (``OPENBLAS_NUM_THREADS`` or ``OMP_NUM_THREADS`` for OpenBLAS, ``MKL_NUM_THREADS`` for MKL)
#   says fewer; the task's own thread takes a share of the work.
#
# On a cluster of worker *processes* Dask sets those variables for you: by default each worker
# process is started by a nanny, which puts the settings of
# ``distributed.nanny.pre-spawn-environ`` in the environment the new process inherits, before it
# starts, so NumPy there uses one BLAS thread per task.
# Arrow reads ``OMP_NUM_THREADS`` too when it sizes its pool, so there it has one thread;
# pandas does not: its ``mode.max_threads`` is set in code, in the task. The workers of this
# lesson's cluster are threads of this process, started without a nanny (the class of its
# worker, printed below, is ``Worker``, not ``Nanny``), so they keep this process's BLAS and
# Arrow threads, which the rows above measure.
import dask
import pyarrow as pa

blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
print("NumPy's BLAS:", blas["name"], blas.get("version", ""))
print("Arrow's thread pool:", pa.cpu_count(), "threads")
worker_classes = [type(worker).__name__ for worker in cluster.workers.values()]
print("this cluster's worker:", *worker_classes)
print("set in a nanny's worker process:", dask.config.get("distributed.nanny.pre-spawn-environ"))

# %%
# So on this lesson's in-process cluster, a task that reads a CSV file of 5 MiB or more with
# pandas directly, reads Parquet with pandas, or multiplies matrices runs more threads than Dask
# planned; Dask's own readers do not. On a cluster whose every core already runs a task, such
# threads only compete for the same cores: set ``mode.max_threads`` to 1 in the task, or keep
# to Dask's readers.

# %%
# Same answers
# ------------
# Speed means nothing if the answers differ. The pandas loop and Dask count the same trips;
# only the types differ: Dask hands back Arrow-backed columns (``int64[pyarrow]``, ``string``)
# where pandas has ``int64`` and ``str``.
loop_counts = pandas_loop(files)
dask_threads_counts = dask_counts(files, scheduler="threads")
print("counts:", dask_threads_counts.dtype, "vs", loop_counts.dtype)
print("station names:", dask_threads_counts.index.dtype, "vs", loop_counts.index.dtype)
pd.testing.assert_series_equal(
    loop_counts.sort_index(),
    dask_threads_counts.sort_index(),
    check_names=False,
    check_dtype=False,
    check_index_type=False,
)

# %%
# Key points
# ----------
# - Compare Dask with the pandas code you would really write: for many files, a loop.
# - Say which pandas: pandas 3.1 reads a local file of 5 MiB or more on several threads
#   (``mode.max_threads``, default up to 6), unless options such as ``parse_dates`` or
#   ``usecols`` keep it on one. ``mode.max_threads=1`` gives the serial baseline.
# - Every Dask computation pays a fixed cost: building the graph, scheduling, moving results.
#   On one small file there is nothing to run in parallel to pay it back.
# - Over many files Dask reads in parallel and pays the cost once; whether that wins depends on
#   the work, on the free cores and on which pandas it meets, so measure.
# - Dask's ``read_csv`` gives pandas bytes, which pandas parses on one thread; pandas on a path,
#   Arrow in ``pd.read_parquet`` and NumPy's BLAS put threads of their own to work inside a task.
#   Worker processes started by a nanny get ``OMP_NUM_THREADS=1`` and its kin (one BLAS and
#   one Arrow thread); threads of an in-process cluster do not, and pandas ignores them.
# - A cluster's scheduler adds a message to it and back for every task, which Dask's local
#   threads skip, and gives a dashboard, memory limits and room to grow in exchange.
# - Check that the fast version gives the same answer as the slow one.

# %%
# Exercise
# --------
# Dates keep pandas on one thread. Count the trips per start station again for all twelve
# files, but now parse the two date columns as the analyses of the previous lessons do
# (``parse_dates=["starttime", "stoptime"]``), with the pandas loop (its default threads) and
# with Dask on threads, and time both with ``compare``. Does Dask gain more or less over
# pandas than without dates, and why? Put Dask's count in ``answer`` (a pandas Series of clean
# trips per start station name, over all twelve files) and the Dask Series you computed it
# from in ``counts``, then run the check below: it compares with a reference computed with
# pandas from the same files, looks at how ``counts`` reads them, and says what is wrong,
# without giving the answer away.
answer = None  # your answer, computed: replace None
counts = None  # the Dask Series, before compute(): replace None

# %%
from tutorial_helpers.exercises import check

check("dask_vs_pandas", answer, counts=counts)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       dates = ["starttime", "stoptime"]
#
#
#       def pandas_loop_with_dates(paths):
#           counts = []
#           for path in paths:
#               month = pd.read_csv(path, dtype=trip_dtypes, parse_dates=dates)
#               month = month[month["tripduration"] > 0].dropna(subset=["end station id"])
#               counts.append(month["start station name"].value_counts())
#           return pd.concat(counts).groupby(level=0).sum()
#
#
#       def dask_counts_with_dates(paths):
#           trips = dd.read_csv(paths, dtype=trip_dtypes, parse_dates=dates)
#           clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
#           return clean["start station name"].value_counts(split_out=1)
#
#
#       with_dates = compare({
#           "pandas loop, with dates": lambda: pandas_loop_with_dates(files),
#           "Dask threads, with dates": lambda: dask_counts_with_dates(files).compute(scheduler="threads"),
#       }, warmup=0)  # as in the table above: the median of three discards a slow first run
#       print(with_dates)
#       print("with dates:", with_dates.verdict("Dask threads, with dates", "pandas loop, with dates"))
#       without_dates = 'Dask, scheduler="threads", 12 files'
#       print("without dates:", pandas_vs_dask.verdict(without_dates, "pandas loop, default threads, 12 files"))
#       # With dates, pandas parses every file on one thread, whatever mode.max_threads says,
#       # while Dask still parses several files at once; and each read is longer, so Dask's
#       # fixed overhead is a smaller share. Which effect shows, and by how much, depends on
#       # the machine and its free cores.
#       counts = dask_counts_with_dates(files)
#       answer = counts.compute(scheduler="threads")
#       check("dask_vs_pandas", answer, counts=counts)

# %%
# Close the cluster
# -----------------
# Closing the client and the cluster stops the worker's threads and frees what it held; the
# Parquet copy of the month is deleted with its folder.
client.close()
cluster.close()
parquet_folder.cleanup()
