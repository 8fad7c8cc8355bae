"""
Processes or threads? Measuring how to size a cluster
=====================================================

A machine's cores can be split into worker processes and threads per worker in several ways:
one process with a thread per core, a process per core with one thread, or a mix. Which is
fastest depends on the work, and above all on how much of it holds Python's global interpreter
lock. Measure that first for pandas' CSV and date parsing, then time a bikes analysis on
clusters of different shapes, and turn it into a batch script that takes the shape on its
command line.

**You will be able to:** explain what threads and processes each cost and buy, measure whether
a function lets threads run side by side, time a computation on clusters of different shapes
without counting their start-up, and run a Dask analysis as a batch job with
``python script.py --workers N --threads M``.

**Estimated time:** 30 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners read the best shape on this machine as the best shape
#      everywhere; the table is a measurement, not a rule.
#    - **Do not skip:** Threads share memory but take turns on Python code (the GIL); processes run
#      Python in parallel but pay to move data. Measure the shapes for your workload.
#    - **Ask the room:** Your job asks for 16 cores: which shapes would you measure first?

# %%
# Threads or processes: what each costs
# -------------------------------------
# Threads of one worker share its memory: a task's result is available to the next task at no
# cost. But a Python process runs only one thread's Python code at a time: to touch Python
# objects, a thread must hold the process's global interpreter lock (the GIL). Compiled code
# can let go of the GIL while it works on plain memory, and only then do threads run side by
# side.
#
# Worker processes each have their own interpreter and GIL, so they never wait for each other.
# They pay instead whenever data moves between them: results are serialised, sent and
# deserialised, and each process holds its own copy of what it needs.
#
# Does pandas let go of the GIL?
# ------------------------------
# For reading, mostly. pandas' C parser splits the text into fields (it *tokenizes*) and
# converts numbers without holding the GIL, and in pandas 3.1, which this course uses, it also
# turns the ISO timestamps of ``parse_dates`` columns into dates straight from the text. pandas
# relies on that itself: it reads a large local file with several threads at once (up to six,
# set by the option ``mode.max_threads``). Work on Python objects needs the GIL:
# ``pd.to_datetime`` on date strings that were already read goes through them one by one.
#
# To see what that means in time, switch pandas' own threads off (``mode.max_threads`` set to
# 1, in a ``with`` block), then parse two monthly files one after the other in one thread, and
# both at once in two threads, for three steps: ``read_csv`` alone, ``read_csv`` that also
# parses the two date columns, and ``pd.to_datetime`` on the date strings. Where a step lets go
# of the GIL, two threads on two free cores take about half the time of one; where it holds the
# GIL, they take turns and gain nothing.
#
# The measurement, like everything that runs work in this lesson, sits under
# ``if __name__ == "__main__":``: the lesson starts clusters of worker processes later, and each
# of them imports this script (see the previous lesson).
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
from tutorial_helpers import bikes
from tutorial_helpers.timing import compare

all_files = bikes.trip_files()
trip_dtypes = {"birth year": "float64", "end station id": "float64"}
two_months = all_files[6:8]  # July and August, the largest files
dates = ["starttime", "stoptime"]


def read(path):
    return pd.read_csv(path, dtype=trip_dtypes)


def read_with_dates(path):
    return pd.read_csv(path, dtype=trip_dtypes, parse_dates=dates)


def to_dates(text):
    return text.apply(pd.to_datetime)


# %%
# ``on_threads`` makes the function to time: it runs one step on both inputs in a pool of one or
# two threads, and records the CPU time the whole process used (``time.process_time``, all its
# threads together). CPU time divided by wall time is the number of cores kept busy.
cpu_seconds = {}


def on_threads(step, inputs, threads, name):
    def run():
        start = time.process_time()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(step, inputs))
        cpu_seconds.setdefault(name, []).append(time.process_time() - start)

    return run


if __name__ == "__main__":
    date_text = [pd.read_csv(path, usecols=dates) for path in two_months]  # strings, not dates
    steps = {
        "read_csv": (read, two_months),
        "read_csv(parse_dates=…)": (read_with_dates, two_months),
        "pd.to_datetime": (to_dates, date_text),
    }
    runs = {}
    for step, (function, inputs) in steps.items():
        for threads in [1, 2]:
            name = f"{step}, {threads} thread{'s' if threads > 1 else ''}"
            runs[name] = on_threads(function, inputs, threads, name)
    with pd.option_context("mode.max_threads", 1):  # one thread means one thread
        gil_timings = compare(runs)
    *table, _ = repr(gil_timings).splitlines()  # its caption would name a Dask scheduler: none ran
    print("\n".join(table))
    print(f"Wall time, median of {gil_timings.repeat} runs after {gil_timings.warmup} warm-up run; "
          f"threads of one Python process, no Dask; machine: {os.cpu_count()} cores.")

# %%
# What each step did with two threads: the sentence compares the wall times above; the lines
# under it give the median CPU time of the timed runs against their median wall time. One
# thread keeps at most one core busy, so a figure well under 1 there means that other programs
# were using the cores too.
if __name__ == "__main__":
    cores_busy = {}
    for step in steps:
        print(gil_timings.verdict(
            f"{step}, 2 threads", f"{step}, 1 thread",
            otherwise="Two threads that take turns for the GIL add the cost of switching "
            "between them, and other programs may have been using the cores.",
        ))
        for threads in ["1 thread", "2 threads"]:
            name = f"{step}, {threads}"
            cpu = statistics.median(cpu_seconds[name][gil_timings.warmup:])
            cores_busy[name] = cpu / gil_timings[name].median
            print(f"    {threads}: {cpu:.2f} s of CPU in {gil_timings[name].median:.2f} s, "
                  f"{cores_busy[name]:.1f} cores busy")

# %%
# Reading the measurement: a step that lets go of the GIL for most of its time can use a second
# core; one that holds it cannot, however many threads it gets. A machine whose cores are busy
# with other programs shows less of any gain, for threads and processes alike: the sentences
# above say what happened on the machine that built this page. To watch the GIL directly, a
# sampling profiler such as `py-spy <https://github.com/benfred/py-spy>`_ records which thread
# holds it (``py-spy record --gil``).
#
# What this means for a cluster
# -----------------------------
# A Dask analysis mixes both kinds of work, so how the cores are split into processes and
# threads can matter. The workload: the eight monthly files from May to December, one partition
# each (enough for up to eight workers), only the three columns it needs; the start and stop
# times read as text and converted with ``to_datetime`` (work that holds the GIL, as measured
# above), and the mean ride length in minutes per start station computed from them. The
# cluster shapes use the cores this job was granted, at most 8, so that the page stays quick
# to build on a big node.
import dask.dataframe as dd
from distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores


months = all_files[4:12]


def station_minutes(files):
    trips = dd.read_csv(files, usecols=[*dates, "start station name"])  # the dates stay text
    start, stop = (dd.to_datetime(trips[column]) for column in dates)
    minutes = (stop - start).dt.total_seconds() / 60
    return minutes.groupby(trips["start station name"]).agg(["count", "mean"]).compute()


cores = min(granted_cores(), 8)
shapes = [(w, cores // w) for w in range(1, cores + 1) if cores % w == 0]
[f"{workers} × {threads}" for workers, threads in shapes]

# %%
# Timing one cluster shape
# ------------------------
# Start the cluster, warm it up with one untimed run on one file (each worker imports pandas on
# its first task), then time three runs and close it. Only the runs are timed: a cluster starts
# once per program, and its start-up tells nothing about the work. It returns the runs' times,
# the result, and the scheduler's description of the cluster (``client.scheduler_info()``: each
# worker with its threads and memory limit), taken before the cluster closes. Other keywords,
# such as ``memory_limit``, go to ``LocalCluster``.


def time_cluster(n_workers, threads_per_worker, workload=station_minutes, repeat=3, **cluster_options):
    with LocalCluster(
        n_workers=n_workers, threads_per_worker=threads_per_worker,
        host="127.0.0.1", dashboard_address="127.0.0.1:0", **cluster_options,
    ) as cluster, Client(cluster) as client:
        client.wait_for_workers(n_workers)
        workload(all_files[:1])  # warm-up, not timed
        seconds = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = workload(months)
            seconds.append(time.perf_counter() - start)
        info = client.scheduler_info()
    return seconds, result, info


# %%
# Measure every shape
# -------------------
# One cluster at a time, each closed before the next starts, so they never compete for the
# cores. Every shape must give the same answer. ``Timings`` shows the runs as the other lessons'
# tables do.
from tutorial_helpers.timing import Timing, Timings

if __name__ == "__main__":
    seconds_by_shape, results = {}, {}
    for shape in shapes:
        seconds_by_shape[shape], results[shape], _ = time_cluster(*shape)
    result, *others = results.values()
    for other in others:  # the same answer, up to rounding: the sums may add up in another order
        pd.testing.assert_frame_equal(other.sort_index(), result.sort_index())
    shape_timings = Timings(
        [Timing(f"{w} × {t}", tuple(s), None) for (w, t), s in seconds_by_shape.items()],
        repeat=3, warmup=1,
        measured_on=f"one LocalCluster per row, {cores} of this machine's {os.cpu_count()} cores",
    )
    print(shape_timings)

# %%
# The plot
# --------
# Bars are medians; the black lines span the fastest and slowest run.
import matplotlib.pyplot as plt

if __name__ == "__main__":
    names = [t.name for t in shape_timings.timings]
    medians = [t.median for t in shape_timings.timings]
    spread = [[m - min(t.seconds) for m, t in zip(medians, shape_timings.timings)],
              [max(t.seconds) - m for m, t in zip(medians, shape_timings.timings)]]
    fig, ax = plt.subplots(figsize=(6, 0.6 * len(names) + 1.2))
    ax.barh(names, medians, xerr=spread, color="tab:blue", capsize=4)
    ax.invert_yaxis()
    ax.set(xlabel="wall time (s), median of 3 runs", ylabel="workers × threads per worker",
           title=f"Mean ride per station, {len(months)} months, {cores} cores")
    plt.tight_layout()

# %%
# Reading the result
# ------------------
# Every shape uses the same cores; the two costs above decide between them. Threads of one
# worker take turns wherever the work holds the GIL, here while ``to_datetime`` parses the
# dates. Worker processes never wait for each other, but send their results between them: here
# only the small per-station summaries. On a machine whose cores are busy with other programs, the
# spread of the runs can be as large as the differences: read the min – max column before
# calling a winner, and measure your own workload before choosing. When you do not choose,
# ``LocalCluster()`` splits the cores for you (a few threads per process on larger machines).
if __name__ == "__main__":
    print(shape_timings.verdict(
        f"{cores} × 1", f"1 × {cores}",
        otherwise="Processes pay to send tasks and results between them, and each runs its own "
        "copy of the worker's machinery; where the cores are not all free for the work (the "
        "cores-busy figures above show how free they were), that cost is what shows.",
    ))

# %%
# The same analysis as a batch script
# -----------------------------------
# On a shared compute cluster, long analyses run as batch jobs: a script that the job
# scheduler starts on the cores it granted. ``bikes_batch.py``, below, takes the cluster's
# shape on its command line, so the same file runs on 2 cores or 32. It follows the rules of the
# previous lesson: the cluster lives in a ``with`` block inside ``main()``, and only the
# analysis is timed.
#
# .. literalinclude:: /examples/09_distributed/bikes_batch.py
#    :language: python
#    :start-at: import argparse
#    :end-before: if __name__ == "__main__":
#
# The file ends with the two lines that call ``main()`` only when it is run as a script, never
# when a worker process imports it: ``if __name__ == "__main__":`` and, indented under it,
# ``main()``.
#
# Run it with the shape to use:
#
# .. code-block:: console
#
#    $ python bikes_batch.py --workers 2 --threads 1
#
# In a job script, take the number of cores from what the scheduler granted rather than typing
# it: on Grid Engine (``qsub -pe omp 8``) that is ``$NSLOTS``; on Slurm
# (``sbatch --cpus-per-task=8``) it is ``$SLURM_CPUS_PER_TASK``. For example, with Grid Engine
# (``-S`` runs it with bash, where the queue would use its own shell, ``sh`` or ``csh``;
# ``-cwd`` in the folder you submit from, which holds ``bikes_batch.py``; ``omp`` is one site's
# name for cores on one node, ``qconf -spl`` lists yours):
#
# .. code-block:: bash
#
#    #!/bin/bash -l
#    #$ -S /bin/bash
#    #$ -cwd
#    #$ -pe omp 8
#    #$ -l h_rt=01:00:00
#    source "${DASK_COURSE_VENV:-$HOME/dask-course/.venv}/bin/activate"
#    python bikes_batch.py --workers "$NSLOTS" --threads 1
#
# Key points
# ----------
# - Threads share memory but take turns on Python code (the GIL); processes run Python in
#   parallel but pay to move data between them.
# - pandas' C parser tokenizes and converts numbers (in pandas 3.1 also the ISO dates of
#   ``parse_dates``) without the GIL; ``pd.to_datetime`` on strings, like other work on Python
#   objects, holds it. Whether a step lets threads overlap is a measurement: one thread against
#   two on the same inputs, wall time and CPU time, with pandas' own threads switched off.
# - Measure the shapes for your workload: start each cluster, warm it up, time several runs,
#   close it; keep start-up out of the clock.
# - A batch script takes the shape from its command line (``argparse``), keeps the cluster in a
#   ``with`` block under ``if __name__ == "__main__":``, and prints its results and timing.
#
# Exercise
# --------
# Let ``read_csv`` parse the dates instead (``parse_dates=dates``): the measurement above shows
# how much of the GIL that step holds next to ``pd.to_datetime``. Write that version of
# ``station_minutes``, ``station_minutes_parsed``, with the same result, and time it with
# ``time_cluster`` on the shape of ``cores`` worker processes with one thread each. Give that
# cluster the job's 4 GiB of memory, split evenly between its workers (``memory_limit`` is per
# worker). The lesson's table already holds the same shape's runs with ``to_datetime``:
# ``seconds_by_shape[(cores, 1)]``. Put into
#
# - ``answer``: the result of ``station_minutes_parsed`` (a pandas DataFrame of ``count`` and
#   ``mean`` minutes per start station);
# - ``parsed_timings``: a ``Timings`` of two rows, ``"to_datetime"`` (the lesson's runs of that
#   shape) and ``"parse_dates"`` (yours), and let its ``verdict`` say which won now;
# - ``parsed_cluster``: your timed cluster's ``scheduler_info()``;
# - ``faster``: the name of the row with the lower median in your table.
#
# Then run the check below: it compares the result with a reference computed with pandas from the
# same files, reads your cluster's workers, threads and memory limits from its
# ``scheduler_info()``, and reads your own table to judge ``faster``; it says what is wrong
# without giving the answer away.
if __name__ == "__main__":
    answer = None  # your answer, computed: replace None
    parsed_timings = parsed_cluster = faster = None  # your measurement and your reading of it: replace None

# %%
from tutorial_helpers.exercises import check

if __name__ == "__main__":
    check("processes_threads", answer, timings=parsed_timings, cluster=parsed_cluster, faster=faster)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       def station_minutes_parsed(files):
#           trips = dd.read_csv(files, usecols=[*dates, "start station name"], parse_dates=dates)
#           minutes = (trips["stoptime"] - trips["starttime"]).dt.total_seconds() / 60
#           return minutes.groupby(trips["start station name"]).agg(["count", "mean"]).compute()
#
#
#       if __name__ == "__main__":
#           parsed_seconds, answer, parsed_cluster = time_cluster(
#               cores, 1, workload=station_minutes_parsed, memory_limit=4 * 2**30 // cores,  # bytes per worker
#           )
#           parsed_timings = Timings(
#               [Timing("to_datetime", tuple(seconds_by_shape[(cores, 1)]), None),
#                Timing("parse_dates", tuple(parsed_seconds), None)],
#               repeat=3, warmup=1,
#               measured_on=f"{cores} × 1 on {cores} cores: the lesson's cluster, then yours with 4 GiB in all",
#           )
#           print(parsed_timings)
#           print(parsed_timings.verdict("parse_dates", "to_datetime"))
#           faster = min(parsed_timings.timings, key=lambda row: row.median).name
#           check("processes_threads", answer, timings=parsed_timings, cluster=parsed_cluster, faster=faster)
