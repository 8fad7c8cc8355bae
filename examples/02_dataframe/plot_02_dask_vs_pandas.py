"""
Is Dask faster than pandas? One file, then a year
=================================================

Dask is not free: every computation pays for building a graph, scheduling tasks and moving
results. Time the same count of trips per start station with pandas and with Dask, on one
monthly file and on all twelve, and run Dask both on a cluster and on its local threaded
scheduler, to see where the overhead dominates and whether parallel reading pays it back.
pandas itself reads a large file with several threads in some cases: see when, and what it
changes.

**You will be able to:** compare pandas and Dask fairly, explain what Dask's overhead costs on a
single small file, and tell what the cluster's scheduler adds over Dask's local threads.

**Estimated time:** 10 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** A slower Dask on one file reads as a failure: say before the
#      table that overhead is expected there.
#    - **Do not skip:** Dask pays a fixed cost per task; it pays back only when there is enough
#      work to share.
#    - **Ask the room:** On your own data, how big would a file have to be for Dask to be worth it?

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
# up. Both versions read the dates too, as the analysis of the previous lessons does.
import dask.dataframe as dd
import pandas as pd
from tutorial_helpers import bikes
from tutorial_helpers.timing import compare

files = bikes.trip_files()
trip_dtypes = {"birth year": "float64", "end station id": "float64"}


def pandas_loop(paths):
    counts = []
    for path in paths:
        month = pd.read_csv(path, parse_dates=["starttime", "stoptime"])
        month = month[month["tripduration"] > 0].dropna(subset=["end station id"])
        counts.append(month["start station name"].value_counts())
    return pd.concat(counts).groupby(level=0).sum()


# %%
# The Dask version is the code of the previous lesson. ``compute()`` takes the scheduler as an
# option, so one function can run on both. ``split_out=1`` keeps the counts in one partition,
# combined by a tree of small tasks that every scheduler can run: without it, while a
# ``Client`` is open, Dask plans ``value_counts`` as a P2P shuffle between the workers, which
# only the cluster can run.


def dask_counts(paths, **compute_options):
    trips = dd.read_csv(paths, dtype=trip_dtypes, parse_dates=["starttime", "stoptime"])
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    return clean["start station name"].value_counts(split_out=1).compute(**compute_options)


# %%
# pandas has threads of its own
# -----------------------------
# A pandas loop can be less serial than it looks. pandas 3.1's ``read_csv`` splits a local,
# uncompressed file of at least 5 MiB into byte ranges and parses them on several threads at
# once, as many as the option ``mode.max_threads`` says; its default, ``None``, means the
# smaller of the machine's cores and 6, and no more than this process may use. It does so only
# for plain reads: with ``parse_dates``, among other options, it reads on one thread. Dask's
# ``read_csv`` hands pandas each block of a file as an in-memory buffer (a ``BytesIO``), not a
# file path, so under Dask every block is parsed on one thread, and the parallelism is Dask's.
import os

print("mode.max_threads:", pd.get_option("mode.max_threads"), f"(cores: {os.cpu_count()})")
print("monthly files:", ", ".join(f"{path.stat().st_size / 2**20:.1f}" for path in files), "MiB")

# %%
# What that changes, on one file: January read without dates, with pandas' default and with
# one thread (``pd.option_context`` sets an option for a block of code).


def read_without_dates(path, threads=None):
    with pd.option_context("mode.max_threads", threads):
        return pd.read_csv(path)


pandas_threads = compare({
    "default threads": lambda: read_without_dates(files[0]),
    "mode.max_threads=1": lambda: read_without_dates(files[0], threads=1),
})
pandas_threads

# %%
# On a file of 5 MiB or more, and with free cores, the default should win. Here:
print(
    pandas_threads.verdict(
        "default threads",
        "mode.max_threads=1",
        otherwise="pandas' threads need free cores; other programs on this machine held them.",
    )
)

# %%
# The analysis below reads the dates, as the previous lessons do, so its pandas loop parses on
# one thread; the exercise drops them, and then pandas reads each file with its threads.

# %%
# Time them
# ---------
# Dask runs twice: once on its default scheduler, which is the cluster started above (a
# ``Client`` is open), and once with ``scheduler="threads"``, the threads of this Python
# process, which is Dask's default when no ``Client`` exists (a fresh notebook).
# ``compare`` runs each function three times and reports the median. Its usual warm-up run is
# skipped (``warmup=0``): if a first run is slow (files not yet in the operating system's
# cache, a cold worker), the median of three discards it anyway.
one_file = files[:1]
pandas_vs_dask = compare({
    "pandas, 1 file": lambda: pandas_loop(one_file),
    "Dask, 1 file": lambda: dask_counts(one_file),
    "pandas loop, 12 files": lambda: pandas_loop(files),
    "Dask, 12 files": lambda: dask_counts(files),
    'Dask, scheduler="threads", 12 files': lambda: dask_counts(files, scheduler="threads"),
}, warmup=0)
pandas_vs_dask

# %%
# One file: what does the overhead cost?
# --------------------------------------
# One file is one partition. Dask has nothing to run in parallel, and still pays for building
# and optimising the graph, scheduling its tasks and sending the result back. So for a single
# file expect pandas to be faster, as the workshop this course grew from found too:
print(
    pandas_vs_dask.verdict(
        "pandas, 1 file",
        "Dask, 1 file",
        otherwise="Dask's fixed cost is a fraction of a second, and a single read is short: "
        "other programs on the machine can slow one run more than that.",
    )
)

# %%
# A year: does parallel reading pay the overhead back?
# ----------------------------------------------------
# With twelve files Dask pays its overhead once for the whole year, and reads as many files at
# a time as it has workers or threads. How much that gains depends on how many cores are free
# to read in parallel.
print(
    pandas_vs_dask.verdict(
        "Dask, 12 files",
        "pandas loop, 12 files",
        otherwise="Dask's tasks share this machine's cores with its scheduler, with this Python "
        "process and with any other program; with few free cores, Dask's overhead can cost "
        "more than reading in parallel saves.",
    )
)
print(
    pandas_vs_dask.verdict(
        'Dask, scheduler="threads", 12 files',
        "pandas loop, 12 files",
        otherwise="Threads read side by side only while pandas releases the GIL (see below); "
        "with few free cores, that overlap can cost more in overhead than it saves.",
    )
)

# %%
# The cluster or Dask's local threads?
# ------------------------------------
# Here both Dask rows ran pandas on threads of this Python process: the cluster's one worker
# lives in it. Threads share this process's memory, so nothing is copied, but they run Python
# code one at a time (the :term:`GIL`); pandas' C parser releases the GIL while it splits the
# text into fields and converts numbers, so threads reading CSV files overlap for much, not all,
# of the work. What the cluster adds is its scheduler: every task is a message to it and back,
# a millisecond or so each, where the local threaded scheduler hands a task to a thread
# directly. In exchange the cluster gives a dashboard, memory limits, and the same code on many
# machines. Worker processes, each with a GIL of its own, are another trade;
# :ref:`lesson 9.2 <sphx_glr_lessons_09_distributed_plot_02_processes_threads.py>` measures
# them on clusters of different shapes. Here:
print(
    pandas_vs_dask.verdict(
        'Dask, scheduler="threads", 12 files',
        "Dask, 12 files",
        otherwise="The scheduler's cost per task is small next to reading a file, so other "
        "programs on this machine can move either row more than that.",
    )
)

# %%
# Same answers
# ------------
# Speed means nothing if the answers differ. The pandas loop and Dask count the same trips;
# only the types differ: Dask hands back Arrow-backed columns (``int64[pyarrow]``, ``string``)
# where pandas has ``int64`` and ``str``.
loop_counts = pandas_loop(files)
dask_threads_counts = dask_counts(files, scheduler="threads")
print(dask_threads_counts.dtype, "vs", loop_counts.dtype)
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
# - Every Dask computation pays a fixed cost: building the graph, scheduling, moving results.
#   On one small file there is nothing to run in parallel to pay it back.
# - Over many files Dask reads in parallel and pays the cost once; whether that wins depends on
#   the work and on the free cores, so measure.
# - pandas 3.1 reads a local file of 5 MiB or more on several threads (``mode.max_threads``),
#   unless options such as ``parse_dates`` keep it on one: the pandas baseline may already be
#   parallel. Under Dask, pandas parses each block on one thread.
# - A cluster's scheduler costs more per task than Dask's local threads, and gives a dashboard,
#   memory limits and room to grow in exchange.
# - Check that the fast version gives the same answer as the slow one.

# %%
# Exercise
# --------
# Date parsing is a large part of the work above. Count the trips per start station again for
# all twelve files, but without ``parse_dates`` (the count does not need dates), with the
# pandas loop and with Dask on threads, and time both with ``compare``. Does Dask gain more or
# less over pandas than above? Put Dask's count in ``answer`` (a pandas Series of clean trips
# per start station name, over all twelve files) and the Dask Series you computed it from in
# ``counts``, then run the check below: it compares with a reference computed with pandas from
# the same files, looks at how ``counts`` reads them, and says what is wrong, without giving
# the answer away.
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
#       def pandas_loop_no_dates(paths):
#           counts = []
#           for path in paths:
#               month = pd.read_csv(path)
#               month = month[month["tripduration"] > 0].dropna(subset=["end station id"])
#               counts.append(month["start station name"].value_counts())
#           return pd.concat(counts).groupby(level=0).sum()
#
#
#       def dask_counts_no_dates(paths):
#           trips = dd.read_csv(paths, dtype=trip_dtypes)
#           clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
#           return clean["start station name"].value_counts(split_out=1)
#
#
#       no_dates = compare({
#           "pandas loop, no dates": lambda: pandas_loop_no_dates(files),
#           "Dask threads, no dates": lambda: dask_counts_no_dates(files).compute(scheduler="threads"),
#       })
#       print(no_dates)
#       print("without dates:", no_dates.verdict("Dask threads, no dates", "pandas loop, no dates"))
#       with_dates = 'Dask, scheduler="threads", 12 files'
#       print("with dates:", pandas_vs_dask.verdict(with_dates, "pandas loop, 12 files"))
#       # Without dates each read is shorter, so Dask's fixed overhead is a larger share of
#       # the time, and pandas now reads each file of 5 MiB or more on its own threads: the
#       # pandas loop is parallel too. Which effect shows depends on the machine.
#       counts = dask_counts_no_dates(files)
#       answer = counts.compute(scheduler="threads")
#       check("dask_vs_pandas", answer, counts=counts)

# %%
# Close the cluster
# -----------------
# Closing the client and the cluster stops the worker's threads and frees what it held.
client.close()
cluster.close()
