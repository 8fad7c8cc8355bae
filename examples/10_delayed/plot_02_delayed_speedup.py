"""
Measured speed-up: one worker, then two
=======================================

Does the delayed π of the previous lesson run faster in parallel, and by how much? Time the
plain Python loop, then the same chunks on a ``LocalCluster`` of one worker process, then two,
four and so on, up to the cores the job was granted (at most 8), and compare the speed-up with
the ideal.

**You will be able to:** choose worker processes for pure-Python work, time a Dask computation
honestly (warm-up, repeats, median, no start-up in the clock), and explain the gap between the
measured and the ideal speed-up.

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners expect N workers to be N times faster; the measured
#      speed-up is lower, and the lesson says why.
#    - **Do not skip:** Speed-up depends on work per task against overhead per task, and on how the
#      work divides.
#    - **Ask the room:** Where does the missing speed-up go?

# %%
# Processes, not threads, for pure Python
# ---------------------------------------
# ``count_inside`` is a Python loop. Python runs one thread's bytecode at a time per process
# (the GIL), so threads would take turns instead of running side by side. Separate worker
# *processes* each have their own interpreter: a cluster of ``n`` workers with one thread each
# can run ``n`` chunks at once.
#
# This lesson starts its own clusters of worker processes. Each new worker process imports
# this script again, so everything that runs work sits under ``if __name__ == "__main__":``;
# the top level only defines things (the previous section, :ref:`dask-distributed`, explains
# why).
import random
import statistics
import time

import dask
from distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores


def count_inside(n_points, seed):
    """How many of ``n_points`` random points of the unit square lie inside the quarter circle."""
    rng = random.Random(seed)
    inside = 0
    for _ in range(n_points):
        x, y = rng.random(), rng.random()
        if x * x + y * y <= 1.0:
            inside += 1
    return inside


# %%
# The work, sized to be worth parallelising
# -----------------------------------------
# Every task costs the cluster a fixed amount of bookkeeping (the next lesson measures it), and
# every ``compute()`` some more to send the graph and collect the results. A million points per
# chunk make each task long enough that this hardly counts: the serial run below prints the
# time per chunk on this machine. The work grows with the data you made: a million points per
# chunk for the course's data (``bikes.info()["scale"]`` of 1), in proportion for a smaller or
# larger data set, and never fewer than 100,000 (the line printed below says how many this run
# counts; with fewer points per chunk, the overhead counts for more). Each worker gets four
# chunks, so the total work grows with the largest cluster too: on the course's data, a 2-core
# machine counts 8 million points, an 8-core one 32 million, and every cluster size of one run
# counts the same points. The seeds are the chunk numbers, as before.
#
# The cluster sizes: 1, 2, 4 and 8 workers, as far as the cores this job was granted allow,
# plus that number of cores itself when it is under 8 and none of these (6 cores: 1, 2, 4, 6).
# A cluster for every size up to the core count would take minutes on a 64-core node and show
# nothing new.
from tutorial_helpers import bikes

max_workers = min(granted_cores(), 8)
worker_counts = sorted({n for n in (1, 2, 4, 8) if n <= max_workers} | {max_workers})
n_chunks = 4 * max_workers
seeds = range(n_chunks)
if __name__ == "__main__":
    bikes.trip_files()  # makes the course's data on first use
    data_scale = bikes.info()["scale"]
    points_per_chunk = max(100_000, round(1_000_000 * data_scale))
    n_points = n_chunks * points_per_chunk
    print(f"data scale {data_scale:g}; worker counts: {worker_counts}; {n_chunks} chunks of "
          f"{points_per_chunk:,} points, {n_points:,} in all")


def serial_counts():
    return [count_inside(points_per_chunk, seed) for seed in seeds]


def delayed_counts():
    """Builds fresh ``Delayed`` objects on every call, so no run reuses an earlier one's results."""
    return list(dask.compute(*[dask.delayed(count_inside)(points_per_chunk, seed) for seed in seeds]))


# %%
# Timing honestly
# ---------------
# One run can be unlucky: another program takes a core, a cache is cold. Run each version three
# times and keep the median. On each new cluster, a small untimed warm-up computation comes
# first: the workers' first tasks pay for one-off start-up work. Starting and closing a cluster
# is kept out of the clock too: it is paid once per program, not per computation.


def time_runs(function, repeat=3):
    """Wall times of ``repeat`` calls of ``function``, and the result of the last call."""
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def time_on_workers(n_workers):
    with LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True,
        host="127.0.0.1", dashboard_address="127.0.0.1:0",
    ) as cluster, Client(cluster) as client:
        client.wait_for_workers(n_workers)
        dask.compute(*[dask.delayed(count_inside)(1_000, seed) for seed in seeds])  # warm-up
        return time_runs(delayed_counts)


# %%
# The serial loop first
# ---------------------
# The baseline is the plain loop in this Python process: no Dask at all.
if __name__ == "__main__":
    serial_seconds, counts = time_runs(serial_counts)
    pi = 4 * sum(counts) / n_points
    print(f"serial: median {statistics.median(serial_seconds):.2f} s, π ≈ {pi:.5f}; "
          f"{statistics.median(serial_seconds) / n_chunks:.3f} s of work per chunk")

# %%
# Then one worker, two workers, ...
# ---------------------------------
# One cluster per size, started, measured and closed in turn. Every run must give exactly the
# serial counts: same seeds, same points.
if __name__ == "__main__":
    cluster_seconds = {}
    for n_workers in worker_counts:
        cluster_seconds[n_workers], cluster_counts = time_on_workers(n_workers)
        assert cluster_counts == counts, "same seeds must give the same counts"
        print(f"{n_workers} worker(s): median {statistics.median(cluster_seconds[n_workers]):.2f} s")

# %%
# The table
# ---------
# Speed-up is the serial median divided by the cluster's median. One worker does the work of
# the loop plus Dask's overhead, so expect it under 1×: a little with a million points per
# chunk, by more with fewer (on a busy machine the runs vary by more than that); each further
# worker can add at most 1× more.
import pandas as pd

if __name__ == "__main__":
    serial_median = statistics.median(serial_seconds)
    speedups = pd.DataFrame(
        {
            "median (s)": [statistics.median(s) for s in cluster_seconds.values()],
            "min (s)": [min(s) for s in cluster_seconds.values()],
            "max (s)": [max(s) for s in cluster_seconds.values()],
        },
        index=pd.Index(list(cluster_seconds), name="worker processes"),
    )
    speedups["vs serial"] = serial_median / speedups["median (s)"]
    speedups["vs 1 worker"] = speedups.loc[1, "median (s)"] / speedups["median (s)"]
    print(f"serial loop: median {serial_median:.2f} s of {len(serial_seconds)} runs")
    print(speedups.round(2).to_string())

# %%
# The plot
# --------
# The dashed line is the ideal: ``n`` workers, ``n`` times faster than the loop.
import matplotlib.pyplot as plt

if __name__ == "__main__":
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(speedups.index, speedups.index, "--", color="grey", label="ideal")
    ax.plot(speedups.index, speedups["vs serial"], "o-", label="measured")
    ax.set(xlabel="worker processes (1 thread each)", ylabel="speed-up vs serial loop",
           xticks=speedups.index, ylim=(0, None), title="Monte-Carlo π, pure Python")
    ax.legend()
    plt.tight_layout()

# %%
# Why not exactly the ideal?
# --------------------------
# Three costs keep the speed-up under the line:
#
# - **Overhead.** Each task is sent to a worker and its result sent back; each ``compute()``
#   sends a graph to the scheduler. That is milliseconds against the work of a chunk printed
#   above, which is why one worker can at best match the plain loop.
# - **Uneven finish.** The workers are done only when the last chunk is. With four chunks per
#   worker of equal size this is small; with one big chunk per worker, a worker that is slowed
#   down for a moment holds everybody up.
# - **The machine.** Each worker needs a whole core to itself. Other programs on the same
#   machine, even this Python process, take cores away; on a shared login node the measured
#   speed-up can drop well below the line.
#
# More work per task shrinks the first two; the next lesson measures what happens at the other
# extreme, with thousands of tiny tasks. What this machine showed, from the runs above (the
# ideal being 2× for two workers, 4× for four):
from tutorial_helpers.timing import Timing, Timings


def workers_name(n):
    return f"{n} worker{'s' if n > 1 else ''}"


if __name__ == "__main__":
    measured = Timings(
        [Timing("the serial loop", tuple(serial_seconds), None)]
        + [Timing(workers_name(n), tuple(s), None) for n, s in cluster_seconds.items()],
        repeat=3, warmup=0, measured_on="this machine",
    )
    print(measured.verdict(
        "the serial loop", workers_name(1),
        otherwise="Dask's overhead is small next to this work, and the worker process may have "
        "had a quieter core than this one.",
    ))
    for n in worker_counts[1:]:
        print(measured.verdict(
            workers_name(n), workers_name(1),
            otherwise="Most likely its workers did not get cores of their own: other programs "
            "were using them. With fewer points per chunk, Dask's overhead also counts for more.",
        ))

# %%
# Key points
# ----------
# - Pure-Python work holds the GIL: run it on worker *processes* with one thread each.
# - Time the computation, not the cluster's start-up; warm up once, repeat, and report the
#   median with the spread.
# - Give each task enough work (here the time per chunk printed above) and a few tasks per
#   worker; the speed-up then approaches the number of cores, never exceeds it.
# - Identical seeds gave identical counts on every cluster size: the parallel result is the
#   serial result.
#
# Exercise
# --------
# Run the same total work, ``n_points``, with one chunk per worker instead of four, on the
# largest cluster size (``max_workers`` workers, chunks seeded ``0`` to ``max_workers - 1``),
# and compare its median time with the four-chunks-per-worker run above. Put the π estimate of
# your last timed run in ``answer`` (a float), one run's ``Delayed`` calls in
# ``exercise_tasks`` (a list) and the timed runs' wall times in ``exercise_seconds`` (a list of
# seconds), and run the check below: it compares the estimate with π, within what that many
# points allow, looks at the chunks of your run and at how often it was timed, and says what is
# wrong, without giving the answer away. Like the rest of the lesson, the work and the check sit
# under the ``__main__`` guard.
answer = None  # your answer, computed: replace None
exercise_tasks = None  # one run's Delayed calls of count_inside: replace None
exercise_seconds = None  # the wall times of the timed runs: replace None

# %%
from tutorial_helpers.exercises import check

if __name__ == "__main__":
    check("delayed_speedup", answer, tasks=exercise_tasks, seconds=exercise_seconds)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       def one_chunk_tasks():
#           """Fresh Delayed calls on every call: one chunk of n_points // max_workers per worker."""
#           per_chunk = n_points // max_workers
#           return [dask.delayed(count_inside)(per_chunk, seed) for seed in range(max_workers)]
#
#
#       def one_chunk_per_worker():
#           return list(dask.compute(*one_chunk_tasks()))
#
#
#       if __name__ == "__main__":
#           with LocalCluster(n_workers=max_workers, threads_per_worker=1, host="127.0.0.1",
#                             dashboard_address="127.0.0.1:0") as big_cluster, Client(big_cluster):
#               dask.compute(*[dask.delayed(count_inside)(1_000, seed) for seed in seeds])
#               big_chunk_seconds, big_chunk_counts = time_runs(one_chunk_per_worker)
#           print(f"{max_workers} chunks: {statistics.median(big_chunk_seconds):.2f} s, "
#                 f"{n_chunks} chunks: {speedups.loc[max_workers, 'median (s)']:.2f} s")
#           answer = 4 * sum(big_chunk_counts) / n_points
#           exercise_tasks, exercise_seconds = one_chunk_tasks(), big_chunk_seconds
#           check("delayed_speedup", answer, tasks=exercise_tasks, seconds=exercise_seconds)
