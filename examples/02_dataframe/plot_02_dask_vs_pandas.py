"""
Is Dask faster than pandas? One file, then a year
=================================================

Dask is not free: every computation pays for building a graph, scheduling tasks and moving
results. Time the same count of trips per start station with pandas and with Dask, on one
monthly file and on all twelve, and run Dask both on worker processes and on threads, to see
where the overhead dominates and whether parallel reading pays it back.

**You will be able to:** compare pandas and Dask fairly, explain what Dask's overhead costs on a
single small file, and tell when threads or worker processes suit pandas work.

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
# The same count, two ways
# ------------------------
# The honest rival of Dask is not one giant ``pd.read_csv`` (it would not fit in memory for
# real data) but a pandas loop: read the files one after another, count each, add the counts
# up. Both versions read the dates too, as the analysis of the previous lessons does.
import dask.dataframe as dd
import pandas as pd
from tutorial_helpers import bikes

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
# ``Client`` is open, Dask plans ``value_counts`` as a shuffle between the workers, which only
# the cluster can run.


def dask_counts(paths, **compute_options):
    trips = dd.read_csv(paths, dtype=trip_dtypes, parse_dates=["starttime", "stoptime"])
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    return clean["start station name"].value_counts(split_out=1).compute(**compute_options)


# %%
# Time them
# ---------
# Dask runs twice: once on its default scheduler, which on this page is the build's cluster of
# worker processes (a ``Client`` is open), and once with ``scheduler="threads"``, the threads
# of this Python process, which is Dask's default when no ``Client`` exists (a fresh notebook).
# ``compare`` runs each function three times and reports the median. Its usual warm-up run is
# skipped (``warmup=0``): if a first run is slow (files not yet in the operating system's
# cache, a cold worker), the median of three discards it anyway.
from tutorial_helpers.timing import compare

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
# Threads or worker processes?
# ----------------------------
# They pay different costs. Threads share this process's memory, so nothing is copied, but
# they run Python code one at a time (the :term:`GIL`). pandas' C parser releases the GIL while
# it splits the text into fields and converts numbers, and in pandas 3.1 also while it converts
# the ISO dates of ``parse_dates``; ``pd.to_datetime`` on strings already read holds it. So
# threads reading CSV files overlap for most, not all, of the work. Worker processes each have
# their own GIL, but send every result to the process that needs it next, and on a machine with
# few cores they share those cores with the scheduler and with this Python process. Which wins
# depends on the machine and on how much of the work holds the GIL;
# :ref:`lesson 9.2 <sphx_glr_lessons_09_distributed_plot_02_processes_threads.py>` measures it
# on clusters of different shapes. When the table's caption names a cluster, as on this page,
# "Dask, 12 files" ran on its worker processes (without one, both rows ran on threads):
print(
    pandas_vs_dask.verdict(
        "Dask, 12 files",
        'Dask, scheduler="threads", 12 files',
        otherwise="Threads copy nothing between processes, and worker processes compete for "
        "few cores with the scheduler, this process and any other program; the more free "
        "cores, the more it counts that each process has a GIL of its own.",
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
# - Over many files Dask reads in parallel and pays the cost once; whether that wins, and
#   whether threads or worker processes do it faster, depends on the work (how much of it
#   holds the GIL) and on the free cores, so measure both.
# - Check that the fast version gives the same answer as the slow one.
#
# Exercise
# --------
# Date parsing is a large part of the work above. Count the trips per start station again for
# all twelve files, but without ``parse_dates`` (the count does not need dates), with the
# pandas loop and with Dask on threads. Does Dask gain more or less over pandas than above?
#
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
#       def dask_counts_no_dates(paths, **compute_options):
#           trips = dd.read_csv(paths, dtype=trip_dtypes)
#           clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
#           counts = clean["start station name"].value_counts(split_out=1)
#           return counts.compute(**compute_options)
#
#
#       no_dates = compare({
#           "pandas loop, no dates": lambda: pandas_loop_no_dates(files),
#           "Dask threads, no dates": lambda: dask_counts_no_dates(files, scheduler="threads"),
#       })
#       print(no_dates)
#       print("without dates:", no_dates.verdict("Dask threads, no dates", "pandas loop, no dates"))
#       with_dates = 'Dask, scheduler="threads", 12 files'
#       print("with dates:", pandas_vs_dask.verdict(with_dates, "pandas loop, 12 files"))
#       # Without dates each read is shorter, so Dask's fixed overhead is a larger share of
#       # the time; pandas 3.1 converts parse_dates' ISO dates without the GIL, so dates cost
#       # threads little. Which effect shows depends on the machine.
