"""
Processes or threads? Measuring how to size a cluster
=====================================================

A machine's cores can be split into worker processes and threads per worker in several ways:
one process with a thread per core, a process per core with one thread, or a mix. Which is
fastest depends on the work. Measure it for the bikes analysis on every split of this machine's
cores, then turn the analysis into a batch script that takes the split on its command line.

**You will be able to:** explain what threads and processes each cost and buy, time a
computation on clusters of different shapes without counting their start-up, and run a Dask
analysis as a batch job with ``python script.py --workers N --threads M``.

**Estimated time:** 25 minutes.
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
# cost. But Python runs only one thread's Python code at a time in a process (the GIL). pandas
# and NumPy release the GIL inside much of their compiled code, so threads do run in parallel
# there, but not while parsing bits of Python-level work.
#
# Worker processes each have their own interpreter and GIL, so they never wait for each other.
# They pay instead whenever data moves between them: results are serialised, sent and
# deserialised, and each process holds its own copy of what it needs.
#
# The workload: read some months of trips and summarise each start station, a typical
# pandas-heavy Dask job. One month per core, from May on, when the files are of similar size:
# each core gets a file, so the work can be shared evenly. Like every lesson that starts its
# own clusters, the code that runs work sits under ``if __name__ == "__main__":`` (see the
# previous lesson).
import statistics
import time

import dask.dataframe as dd
from dask.system import CPU_COUNT
from distributed import Client, LocalCluster
from tutorial_helpers import bikes

files = bikes.trip_files()[4 : 4 + CPU_COUNT]  # one month per core, from May
trip_dtypes = {"birth year": "float64", "end station id": "float64"}


def station_stats(files):
    trips = dd.read_csv(files, dtype=trip_dtypes)
    return trips.groupby("start station name")["tripduration"].agg(["count", "mean"]).compute()


# %%
# The shapes to compare
# ---------------------
# Every way of using all the cores, workers × threads per worker, plus one worker with one
# thread as the baseline.
shapes = [(1, 1)] + [(w, CPU_COUNT // w) for w in range(1, CPU_COUNT + 1) if CPU_COUNT % w == 0]
[f"{workers} × {threads}" for workers, threads in shapes]

# %%
# Timing one cluster shape
# ------------------------
# Start the cluster, warm it up with one untimed run (each worker imports pandas on its first
# task, and the files land in the operating system's cache), then time three runs and close
# it. Only the runs are timed: a cluster starts once per program, and its start-up tells
# nothing about the work.


def time_cluster(n_workers, threads_per_worker, workload=station_stats, repeat=3):
    with LocalCluster(
        n_workers=n_workers, threads_per_worker=threads_per_worker,
        host="127.0.0.1", dashboard_address="127.0.0.1:0",
    ) as cluster, Client(cluster) as client:
        client.wait_for_workers(n_workers)
        workload(files)  # warm-up, not timed
        seconds = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = workload(files)
            seconds.append(time.perf_counter() - start)
    return seconds, result


# %%
# Measure every shape
# -------------------
# One cluster at a time, each closed before the next starts, so they never compete for the
# cores. Every shape must give the same answer.
if __name__ == "__main__":
    seconds_by_shape = {}
    for n_workers, threads in shapes:
        seconds_by_shape[n_workers, threads], result = time_cluster(n_workers, threads)
        if (n_workers, threads) == (1, 1):
            baseline_result = result.sort_index()
        assert result.sort_index().equals(baseline_result), "every shape gives the same answer"
        print(f"{n_workers} × {threads}: {[round(s, 2) for s in seconds_by_shape[n_workers, threads]]} s")

# %%
# The table
# ---------
# Median and spread of the three runs, and the speed-up over one worker with one thread
# (``vs 1 × 1``).
import pandas as pd

if __name__ == "__main__":
    grid = pd.DataFrame(
        [
            {
                "workers × threads": f"{w} × {t}",
                "median (s)": statistics.median(s),
                "min (s)": min(s),
                "max (s)": max(s),
            }
            for (w, t), s in seconds_by_shape.items()
        ]
    ).set_index("workers × threads")
    grid["vs 1 × 1"] = grid.loc["1 × 1", "median (s)"] / grid["median (s)"]
    print(f"{len(files)} monthly files, {CPU_COUNT} cores")
    print(grid.round(2).to_string())

# %%
# The plot
# --------
# Bars are medians; the black lines span the fastest and slowest run.
import matplotlib.pyplot as plt

if __name__ == "__main__":
    fig, ax = plt.subplots(figsize=(6, 0.6 * len(grid) + 1.2))
    spread = [grid["median (s)"] - grid["min (s)"], grid["max (s)"] - grid["median (s)"]]
    ax.barh(grid.index, grid["median (s)"], xerr=spread, color="tab:blue", capsize=4)
    ax.invert_yaxis()
    ax.set(xlabel="wall time (s), median of 3 runs", ylabel="workers × threads per worker",
           title=f"Station summary of {len(files)} months, {CPU_COUNT} cores")
    plt.tight_layout()

# %%
# Reading the result
# ------------------
# Against the baseline, the other shapes can use every core: the files are read in parallel.
# Between those shapes, the two costs above decide. Threads lose time where the tasks hold the
# GIL: ``read_csv`` does, for part of its parsing. Processes lose time moving data between
# workers: here that is only the small per-station summaries, but each worker process also
# needs its own copy of pandas in memory. On a busy machine the spread of the runs can be as
# large as the differences, and cores that other programs are using are not really yours:
# look at the min – max columns before calling a winner, and measure your own workload before
# choosing. When you do not choose, ``LocalCluster()``
# splits the cores for you (a few threads per process on larger machines).
if __name__ == "__main__":
    full = grid.drop(index="1 × 1")
    print(f"fastest shape using every core, by median: {full['median (s)'].idxmin()}, "
          f"{full['median (s)'].max() / full['median (s)'].min():.2f}× faster than the slowest; "
          f"all cores vs 1 × 1: {grid.loc[full['median (s)'].idxmin(), 'vs 1 × 1']:.2f}×")

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
# (``sbatch --cpus-per-task=8``) it is ``$SLURM_CPUS_PER_TASK``. For example, with Grid Engine:
#
# .. code-block:: bash
#
#    #!/bin/bash -l
#    #$ -pe omp 8
#    #$ -l h_rt=01:00:00
#    python bikes_batch.py --workers "$NSLOTS" --threads 1
#
# Key points
# ----------
# - Threads share memory but take turns on Python code (the GIL); processes run Python in
#   parallel but pay to move data between them. pandas and NumPy release the GIL in much of
#   their work, pure Python never does.
# - Measure the shapes for your workload: start each cluster, warm it up, time several runs,
#   close it; keep start-up out of the clock.
# - A batch script takes the shape from its command line (``argparse``), keeps the cluster in a
#   ``with`` block under ``if __name__ == "__main__":``, and prints its results and timing.
#
# Exercise
# --------
# Parsing dates adds work that holds the GIL longer. Time ``trips_per_hour`` below, which parses
# the start times, on one worker with all the cores as threads and on one worker per core, with
# ``time_cluster``. Which shape wins now?
#
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       def trips_per_hour(files):
#           trips = dd.read_csv(files, dtype=trip_dtypes, parse_dates=["starttime"])
#           return trips["starttime"].dt.hour.value_counts(split_out=1).compute()
#
#
#       if __name__ == "__main__":
#           hour_seconds = {
#               shape: statistics.median(time_cluster(*shape, workload=trips_per_hour)[0])
#               for shape in [(1, CPU_COUNT), (CPU_COUNT, 1)]
#           }
#           print(hour_seconds)
