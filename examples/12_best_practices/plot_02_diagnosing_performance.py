"""
Diagnosing performance: where does the time go?
===============================================

A computation is slower than you hoped. Before changing anything, find out where the time
goes. Dask's local diagnostics answer that: a progress bar, a profile of every task drawn as a
task stream that shows a bottleneck at a glance, and, on a cluster, a performance report. The
lesson ends by measuring the cost of a single task under each of Dask's schedulers, the number
behind "keep graphs small" in the previous lesson.

**You will be able to:** watch a computation with ``ProgressBar``, profile it with
``Profiler`` and ``ResourceProfiler``, read a task stream to find a bottleneck, record a
performance report on a cluster, and estimate how small a task can be before overhead
dominates.

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners guess where the time goes; the profilers often show it is
#      somewhere else (reading, or one slow function).
#    - **Do not skip:** Measure first, change one thing, measure again: the page's before/after line is
#      computed, and the fix can lose on small data.
#    - **Ask the room:** Which task took longest in the profile, and what would you change first?

# %%
# The data
# --------
# The bike trips, as in the previous lesson. The ``dtype`` argument is the one from the
# :ref:`Dask DataFrame lesson <dask-dataframe>`: the start of the files cannot tell Dask that
# these two columns have missing values further on.
import dask
import dask.dataframe as dd
import pandas as pd
from tutorial_helpers import bikes

files = bikes.trip_files()
trip_dtypes = {"birth year": "float64", "end station id": "float64"}
few = files[:2]
[f.name for f in few]

# %%
# A cluster, for the performance report
# -------------------------------------
# Most of this lesson uses Dask's local diagnostics, which see only the local schedulers, so
# those computations name the threaded scheduler in their code. The performance report near
# the end records work on a ``dask.distributed`` cluster; this is that cluster: one worker
# whose threads, as many as the cores this job was granted, run the tasks, in this Python
# process. Its workers are threads, so a script needs no ``if __name__ == "__main__":`` guard,
# and every service listens on this machine only.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)

# %%
# Watch progress with a progress bar
# ----------------------------------
# On a ``dask.distributed`` cluster the dashboard shows progress. Dask's local schedulers have
# diagnostics of their own in ``dask.diagnostics``; they see only the local schedulers, so we
# ask for the threaded one explicitly. ``ProgressBar`` redraws one line in place every ``dt``
# seconds, in a terminal or a notebook. A page can show only where it ended, so here the bar
# writes into a buffer and we print its last frame: leave out ``out=`` to watch it live.
#
# One trap while a ``Client`` is open, as here: operations that shuffle data, such as
# ``value_counts`` over many partitions, are planned with Dask's default shuffle method, which
# with a client is a peer-to-peer (P2P) shuffle (printed below) whose tasks need the cluster's
# workers, so compute those on the cluster, not with ``scheduler="threads"``. A groupby mean,
# as here, needs no shuffle: its partial means combine in a tree.
import io

from dask.diagnostics import ProgressBar
from dask.utils import get_default_shuffle_method, key_split

shuffle_method = get_default_shuffle_method()
print("default shuffle method with the client open:", shuffle_method)

winter = dd.read_csv(few, dtype=trip_dtypes, blocksize="4MB")
bar = io.StringIO()
with ProgressBar(out=bar, dt=0.1):
    by_station = winter.groupby("start station name")["tripduration"].mean()
    duration = by_station.compute(scheduler="threads")
print(bar.getvalue().split("\r")[-1].strip())  # the last frame: 100 % and the time taken
graph_names = {key_split(key) for key in by_station.__dask_graph__()}
shuffle_tasks = sorted(name for name in graph_names if "shuffle" in name)
print("shuffle tasks in the groupby mean's graph:", shuffle_tasks or "none")
counts_names = {key_split(key) for key in winter["usertype"].value_counts().__dask_graph__()}
counts_shuffle = sorted(name for name in counts_names if "shuffle" in name)
print("shuffle tasks in a value_counts graph:", counts_shuffle or "none")
(duration / 60).sort_values().tail(3)

# %%
# Profile a computation: which task ran when?
# -------------------------------------------
# ``Profiler`` records the start and end of every task and the thread that ran it;
# ``ResourceProfiler`` samples the CPU and memory use of the process. Let us profile a small
# pipeline with a flaw: find the busiest route (start station → end station) of three months.
# Each month is read by its own task, but the counting happens in one task, in a Python loop
# over every trip.
from collections import Counter

route = ["start station name", "end station name"]


@dask.delayed
def load(path):
    return pd.read_csv(path, usecols=route)


@dask.delayed
def count_in_a_loop(months):
    counts = Counter()
    for month in months:
        counts.update(zip(month["start station name"], month["end station name"]))
    return counts.most_common(1)[0]


# %%
# Run it with both profilers switched on:
from dask.diagnostics import Profiler, ResourceProfiler

slow = count_in_a_loop([load(path) for path in files[:3]])
with Profiler() as slow_profile, ResourceProfiler(dt=0.05) as slow_resources:
    slow_route = slow.compute(scheduler="threads")
slow_route

# %%
# Read the task stream
# --------------------
# ``slow_profile.results`` holds one record per task: its key, start and end times, and the
# thread (``worker_id``) that ran it. ``dask.diagnostics.visualize`` draws these with Bokeh as an
# interactive page; here we draw the same records with matplotlib, which keeps the page light:
# one row per thread, one box per task, coloured by the task's name, and the process's CPU use
# from ``slow_resources`` as a black line. This is a *task stream*, like the one on the
# dashboard of a ``dask.distributed`` cluster.
import matplotlib.pyplot as plt
from dask.utils import key_split
from tutorial_helpers.cores import granted_cores

cores = granted_cores()  # the threaded scheduler's threads, and the CPU scale: 100 % per core

task_names = ["load", "count_in_a_loop", "count_routes", "busiest_route"]
colours = dict(zip(task_names, plt.cm.tab10.colors))


def plot_task_stream(profile, resources, title):
    fig, ax = plt.subplots(figsize=(9, 2.4))
    start = min(task.start_time for task in profile.results)
    thread_ids = sorted({task.worker_id for task in profile.results})
    threads = {thread_id: row for row, thread_id in enumerate(thread_ids)}
    for task in profile.results:
        box = [(task.start_time - start, task.end_time - task.start_time)]
        colour = colours[key_split(task.key)]
        ax.broken_barh(box, (threads[task.worker_id] - 0.4, 0.8), color=colour, edgecolor="white")
    ax.set(yticks=list(threads.values()), yticklabels=[f"thread {r}" for r in threads.values()])
    ax.set(xlabel="seconds since the first task started", title=title)
    names = sorted({key_split(task.key) for task in profile.results})
    ax.legend([plt.Rectangle((0, 0), 1, 1, color=colours[n]) for n in names], names,
              loc="upper left", bbox_to_anchor=(1.08, 1))
    cpu = ax.twinx()
    cpu.plot([r.time - start for r in resources.results], [r.cpu for r in resources.results], "k")
    cpu.set(ylabel="CPU %", ylim=(0, 100 * cores + 10))
    plt.tight_layout()
    return ax


before_axes = plot_task_stream(slow_profile, slow_resources, "Before: a Python loop in one task")

# %%
# The picture answers "why is this slow?" without reading any code: the threads read the files,
# then one long ``count_in_a_loop`` box runs alone while the other threads have nothing to do,
# and the process's CPU use stays near one core (100 %, on a scale of 100 % for each core this
# job may use). That single serial task is the bottleneck. The fix follows the large-graph
# practice of the previous lesson: a vectorised task per month counts its routes with pandas,
# the months in parallel, and only a small sum is left for the end.


@dask.delayed
def count_routes(month):
    return month.value_counts(route)


@dask.delayed
def busiest_route(counts):
    total = pd.concat(counts).groupby(level=[0, 1]).sum()
    return total.idxmax(), int(total.max())


fast = busiest_route([count_routes(load(path)) for path in files[:3]])
fast.visualize()

# %%
# Its graph shows the fix: each month now has a chain of its own, ``load`` then
# ``count_routes``, that can run beside the others, and only the small counts meet in
# ``busiest_route``. Profile it as before:
with Profiler() as fast_profile, ResourceProfiler(dt=0.05) as fast_resources:
    fast_route = fast.compute(scheduler="threads")
fast_route

# %%
# The same drawing, on the same time scale as before. How much shorter it is depends on the
# machine: the months run in parallel only as far as there are cores for them.
after_axes = plot_task_stream(fast_profile, fast_resources, "After: a vectorised count per month")
after_axes.set_xlim(before_axes.get_xlim())


def wall_time(profile):
    return max(t.end_time for t in profile.results) - min(t.start_time for t in profile.results)


before, after = wall_time(slow_profile), wall_time(fast_profile)
if after < before:
    print(f"Here the fix took {after:.2f} s instead of {before:.2f} s ({before / after:.1f}× faster).")
else:
    print(f"Here the fix took {after:.2f} s against {before:.2f} s: with this little data the loop "
          "is short, and reading the files takes most of either run.")
print("same answer:", slow_route == fast_route)

# %%
# On a cluster: the performance report
# ------------------------------------
# ``dask.diagnostics`` sees only the local schedulers. On a ``dask.distributed`` cluster the same
# questions are answered by the dashboard's task stream, and by a *performance report*: one HTML
# file with the task stream, worker profiles and data transfers of everything computed inside a
# ``with`` block. It needs a ``Client`` in your Python session: the one opened at the top. Here
# it records the fixed pipeline, computed on the cluster (no ``scheduler=`` this time: the
# client's cluster is the default). ``mode="inline"`` puts the report's JavaScript into the
# file, so that it opens offline too; the report is written to ``dask-report.html`` in the
# working folder, and shown below.
from distributed import performance_report

with performance_report(filename="dask-report.html", mode="inline"):
    cluster_route = busiest_route([count_routes(load(path)) for path in files[:3]]).compute()
print("same answer on the cluster:", cluster_route == fast_route)

# %%
# What one task costs
# -------------------
# Much of the above comes back to one number: the overhead of a single task, which sets how
# much work a task must hold to be worth it. We measure it with tiny tasks that do nothing,
# under each of Dask's schedulers. The processes scheduler and ``dask.distributed`` start
# worker *processes*, which re-import the script that started them, so the benchmark is a
# script of its own with an ``if __name__ == "__main__":`` guard, run in a fresh Python
# process that starts a cluster of its own, of worker processes. The thread pool, the process
# pool and that cluster each have two workers, running before the clock starts, whatever the
# machine: the overhead of one task, not the machine's parallelism, is what we measure.
benchmark = '''
import json, multiprocessing, statistics, sys, time
from concurrent.futures import ProcessPoolExecutor

import dask
from distributed import Client, LocalCluster


def tiny(i):
    return i


def seconds_per_task(n, **scheduler):
    dask.compute(*[dask.delayed(tiny)(i) for i in range(20)], **scheduler)  # warm up
    runs = []
    for _ in range(3):
        tasks = [dask.delayed(tiny)(i) for i in range(n)]  # new tasks every run
        start = time.perf_counter()
        dask.compute(*tasks, **scheduler)
        runs.append((time.perf_counter() - start) / n)
    return statistics.median(runs)


if __name__ == "__main__":  # worker processes re-import this file
    n = int(sys.argv[1])
    seconds = {
        "synchronous": seconds_per_task(n, scheduler="synchronous"),
        "threads": seconds_per_task(n, scheduler="threads", num_workers=2),
    }
    spawn = multiprocessing.get_context("spawn")  # how Dask starts processes by default
    with ProcessPoolExecutor(2, mp_context=spawn) as pool:
        seconds["processes"] = seconds_per_task(n, scheduler="processes", pool=pool)
    # A cluster like the process pool: two worker processes, one thread each.
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster, Client(cluster) as client:
        seconds["distributed"] = seconds_per_task(n, scheduler=client)
    print(json.dumps(seconds))
'''

# %%
# Run it from a temporary folder that is removed afterwards: three runs of 400 tasks per
# scheduler.
import json
import subprocess
import sys
import tempfile
from pathlib import Path

n_tasks = 400
with tempfile.TemporaryDirectory() as folder:
    script = Path(folder, "task_overhead.py")
    script.write_text(benchmark)
    command = [sys.executable, str(script), str(n_tasks)]
    run = subprocess.run(command, capture_output=True, text=True, check=True)
seconds_per_task = json.loads(run.stdout)

# %%
# Set against what the Dask documentation says. The `Best Practices page
# <https://docs.dask.org/en/stable/best-practices.html#avoid-very-large-graphs>`_ says of every
# task: "This is somewhere between 200us and 1ms." The `Scheduling page
# <https://docs.dask.org/en/stable/scheduling.html#local-threads>`_ says the threaded scheduler
# "introduces very little task overhead (around 50us per task)", and the `dask.distributed
# documentation <https://distributed.dask.org/en/stable/#motivation>`_ says "Each task suffers
# about 1ms of overhead." (An older page, `Shared Memory
# <https://docs.dask.org/en/stable/shared.html#performance>`_, puts the threaded scheduler at
# "200us overhead per task".) The documentation gives no figure of its own for the synchronous
# and processes schedulers.
docs_say = {
    "synchronous": "–",
    "threads": "around 50 µs (Scheduling)",
    "processes": "–",
    "distributed": "about 1 ms (dask.distributed)",
}
overhead = pd.DataFrame({
    "measured, µs per task": {name: round(s * 1e6) for name, s in seconds_per_task.items()},
    "measured, tasks per second": {name: round(1 / s) for name, s in seconds_per_task.items()},
    "Dask documentation": docs_say,
})
overhead

# %%
# These numbers come from the machine that ran this lesson, which other people may share, so
# treat them as orders of magnitude. They still say how big a task must be: many times its
# overhead in work, for the overhead not to matter. The per-row graph of the previous lesson
# broke that rule; ``map_partitions`` kept it. The :ref:`Schedulers lesson <schedulers>`
# compares the schedulers on real work. What this run measured:
cheapest = min(seconds_per_task, key=seconds_per_task.get)
dearest = max(seconds_per_task, key=seconds_per_task.get)
print(f"per task, from {seconds_per_task[cheapest] * 1e6:,.0f} µs ({cheapest}) "
      f"to {seconds_per_task[dearest] * 1e6:,.0f} µs ({dearest})")
print(f"for a task's overhead to be under 1 % of its time on {dearest}, it should do at least "
      f"{seconds_per_task[dearest] * 100 * 1000:,.0f} ms of work")
distributed_vs_threads = seconds_per_task["distributed"] / seconds_per_task["threads"]
print(f"a distributed task cost {distributed_vs_threads:.1f}× a threaded one here")

# %%
# Key points
# ----------
# - ``ProgressBar`` shows how far a local computation has got; on a cluster, the dashboard does.
# - ``Profiler`` and ``ResourceProfiler`` record every task and the process's CPU and memory; a
#   task stream drawn from them shows a bottleneck as a long box with idle threads beside it.
# - On a ``dask.distributed`` cluster, ``performance_report`` saves the task stream, worker
#   profiles and transfers of a ``with`` block as one HTML file.
# - Every task costs scheduler time, which depends on the scheduler and the machine (the
#   overhead table measured it here): give each task many times that much work.
#
# Exercise
# --------
# Profile the fixed pipeline ``fast`` again, with ``Profiler`` only. Which task ran longest, and
# for how long? How many tasks did each function name run? Put the numbers of tasks in
# ``answer`` (a dict from function name, as ``key_split`` gives it, to number of tasks), the
# longest task in ``exercise_longest`` (a tuple of its function name and its seconds) and the
# ``Profiler`` in ``exercise_profile``, and run the check below: it counts the tasks the pipeline
# must run from the files it reads, reads your profile for the longest task, and says what is
# wrong, without giving the answer away.
answer = None  # your answer, computed: replace None
exercise_longest = None  # (function name, seconds) of the longest task: replace None
exercise_profile = None  # the Profiler of your run: replace None

# %%
from tutorial_helpers.exercises import check

check("diagnosing_performance", answer, longest=exercise_longest, profile=exercise_profile)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       from collections import Counter
#
#       with Profiler() as exercise_profile:
#           fast.compute(scheduler="threads")
#       longest = max(exercise_profile.results, key=lambda task: task.end_time - task.start_time)
#       longest_seconds = longest.end_time - longest.start_time
#       tasks_per_name = Counter(key_split(task.key) for task in exercise_profile.results)
#       print(f"longest: {key_split(longest.key)}, {longest_seconds:.3f} s")
#       print(dict(tasks_per_name))
#       answer, exercise_longest = dict(tasks_per_name), (key_split(longest.key), longest_seconds)
#       check("diagnosing_performance", answer, longest=exercise_longest, profile=exercise_profile)

# %%
# Close the cluster
# -----------------
# The report is written and every answer is in this process, so the cluster and its client can
# go.
client.close()
cluster.close()
