"""
Slow, not broken: the GIL, an unresponsive event loop, and too many tiny tasks
==============================================================================

Some Dask programs raise no error at all: they are just slow, or a worker's log fills with a
warning nobody asked for. Trigger three such cases on purpose on a small cluster: two threads
that run pure Python no faster than one, the worker's warning "Event loop was unresponsive",
and a graph of so many tiny tasks that scheduling them costs more than the work. For each you
will measure the symptom, confirm its cause, and measure the fix.

**You will be able to:** tell work that holds Python's GIL from work that releases it by
timing one thread against two, recognise and reproduce the "Event loop was unresponsive"
warning and find the call that causes it, estimate what a graph of many tiny tasks costs per
task, and fix each with worker processes, NumPy, or bigger pieces of work.

**Estimated time:** 30 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners add threads (or workers with threads) to pure-Python
#      work and see no speed-up; or they read "Event loop was unresponsive" as a network problem.
#    - **Do not skip:** A pure-Python loop does *not* trigger the warning (the interpreter hands
#      the GIL to a waiting thread every few milliseconds); one long call into C code that keeps
#      the GIL does.
#    - **Ask the room:** Your graph has two million tasks: how long will the scheduler alone take,
#      at about a millisecond per task?

# %%
# Where the messages come from
# ----------------------------
# Dask reports slowness in its log, not as exceptions. The warning of the second section is a
# log line of the ``distributed.core`` logger, at level INFO. To show it on this page, and to
# test it, this lesson keeps every line that logger writes in a list, with a small
# ``logging.Handler``. In your own work, look for it where the worker's log goes: the terminal
# or job output of a ``dask worker``. A ``LocalCluster`` hides it from your terminal by
# default: its ``silence_logs`` (``logging.WARN`` unless you change it) lets only warnings and
# worse through.
#
# The lesson starts a cluster of worker *processes* in the first section, so everything that
# runs work sits under ``if __name__ == "__main__":``: each worker process imports this script
# when it starts (see the :ref:`dask.distributed lessons <dask-distributed>`), and must not run
# it.
import logging
import os
import random
import time

import dask
import numpy as np
from distributed import Client, LocalCluster


class KeepLines(logging.Handler):
    """Keep every message a logger writes, as text, in ``self.lines``."""

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


core_log = KeepLines()
if __name__ == "__main__":
    logging.getLogger("distributed.core").addHandler(core_log)
    logging.getLogger("distributed.core").setLevel(logging.INFO)

# %%
# .. _breaks-gil-threads:
#
# Two threads, no faster than one
# -------------------------------
# **Symptom:** a cluster with more threads runs pure-Python work no faster; the dashboard's task
# stream shows the tasks of two threads side by side, each taking longer than alone.
#
# The work: the Monte-Carlo π of the :ref:`dask.delayed lessons <dask-delayed>`, a pure-Python
# loop, in four chunks with one seed each. Next to it, the same count with NumPy, which draws and
# tests a whole chunk in compiled code that releases the GIL. The work grows with the data you
# made: 400,000 points per chunk on the course data (``bikes.info()["scale"]`` is 1.0 there), in
# proportion to its scale, and never fewer than 100,000, so that a quick run on a small copy
# still shows every effect.


def count_inside(n_points, seed):
    """Pure Python: how many of ``n_points`` random points of the unit square lie in the quarter circle."""
    rng = random.Random(seed)
    inside = 0
    for _ in range(n_points):
        x, y = rng.random(), rng.random()
        if x * x + y * y <= 1.0:
            inside += 1
    return inside


def count_inside_numpy(n_points, seed):
    """The same count with NumPy: other points (another generator), the same kind of estimate."""
    rng = np.random.default_rng(seed)
    x, y = rng.random(n_points), rng.random(n_points)
    return int(np.count_nonzero(x * x + y * y <= 1.0))


from tutorial_helpers import bikes

scale = bikes.info()["scale"]
points_per_chunk, seeds = max(100_000, round(400_000 * scale)), range(4)
if __name__ == "__main__":
    print(f"data scale {scale}: {points_per_chunk:,} points per chunk, {len(seeds)} chunks")


def python_pi():
    counts = dask.compute(*[dask.delayed(count_inside)(points_per_chunk, s) for s in seeds])
    return 4 * sum(counts) / (points_per_chunk * len(seeds))


def numpy_pi():
    n = 6 * points_per_chunk  # NumPy is fast: more points, so that the time is worth measuring
    counts = dask.compute(*[dask.delayed(count_inside_numpy)(n, s) for s in seeds])
    return 4 * sum(counts) / (n * len(seeds))


# %%
# Wall time alone can mislead on a machine shared with other programs, so also record the CPU
# time this Python process used during each run (``time.process_time``, all its threads
# together), and keep the run's estimate. For a cluster of threads in this process, that
# includes the worker's threads (and the scheduler's and client's small share): CPU time divided
# by wall time is the number of cores the work kept busy.
import statistics

cpu_seconds, estimates = {}, {}


def with_cpu_time(name, function):
    def run():
        start = time.process_time()
        estimates[name] = function()
        cpu_seconds.setdefault(name, []).append(time.process_time() - start)
        return estimates[name]

    return run


# %%
# Three clusters, one after the other: one worker with one thread, one worker with two threads
# (both threads of this Python process, ``processes=False``), and two worker *processes* with
# one thread each. ``compare`` from ``tutorial_helpers.timing`` times each function on the
# cluster of the ``with`` block it runs in: one warm-up run, then the median of three. Each
# cluster is closed before the next starts, so they never compete for the cores.
from tutorial_helpers.timing import Timings, compare

options = dict(protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
               silence_logs=logging.CRITICAL)
shapes = {
    "1 worker × 1 thread": dict(n_workers=1, threads_per_worker=1, processes=False),
    "1 worker × 2 threads": dict(n_workers=1, threads_per_worker=2, processes=False),
    "2 worker processes × 1 thread": dict(n_workers=2, threads_per_worker=1, processes=True),
}

if __name__ == "__main__":
    rows = []
    for shape, cluster_options in shapes.items():
        with LocalCluster(**cluster_options, **options) as shape_cluster, Client(shape_cluster):
            work = {f"Python, {shape}": with_cpu_time(f"Python, {shape}", python_pi),
                    f"NumPy, {shape}": with_cpu_time(f"NumPy, {shape}", numpy_pi)}
            rows += compare(work).timings
    gil_timings = Timings(rows, repeat=3, warmup=1, measured_on=(
        f"one LocalCluster per shape; machine: {os.cpu_count()} cores"))
    print(gil_timings)

# %%
# Every shape computed the same estimates (same seeds, same points); only the time differs.
# The sentences below are computed from the table; the lines under them give the cores kept busy
# by the clusters of threads (the worker processes' CPU time is not this process's). Wall time
# also depends on what else the machine runs, and that can change from one cluster to the next:
# on a busy machine a wall-time sentence can even favour two threads for pure Python. The cores
# kept busy do not depend on that: for pure Python on two threads they stay at about one or
# below, whatever the load.
if __name__ == "__main__":
    print("same π on every shape:", len({v for k, v in estimates.items() if "Python" in k}) == 1,
          len({v for k, v in estimates.items() if "NumPy" in k}) == 1)
    python_threads = gil_timings.verdict(
        "Python, 1 worker × 2 threads", "Python, 1 worker × 1 thread",
        otherwise="Two threads that take turns for the GIL also pay for switching between them.")
    python_processes = gil_timings.verdict(
        "Python, 2 worker processes × 1 thread", "Python, 1 worker × 1 thread",
        otherwise="Processes pay to start tasks and send results between them; on a machine "
                  "whose cores are busy with other programs that cost is what shows.")
    numpy_threads = gil_timings.verdict(
        "NumPy, 1 worker × 2 threads", "NumPy, 1 worker × 1 thread",
        otherwise="On a machine whose other core is busy, a second thread has nowhere to run.")
    print(python_threads, python_processes, numpy_threads, sep="\n")
    cores_busy = {}
    for name in cpu_seconds:
        if "processes" not in name:
            cpu = statistics.median(cpu_seconds[name][gil_timings.warmup:])
            cores_busy[name] = cpu / gil_timings[name].median
            print(f"    {name}: {cpu:.2f} s of CPU in {gil_timings[name].median:.2f} s, "
                  f"{cores_busy[name]:.1f} cores busy")

# %%
# **Cause:** a thread must hold the process's global interpreter lock (GIL) to run Python code,
# and one process has one GIL: two threads running ``count_inside`` take turns, each running
# about half the time. NumPy's ``random`` and arithmetic on whole arrays run in compiled code
# that releases the GIL, so its threads do overlap. Two *processes* have a GIL each.
#
# **Confirm:** time one thread against two on the same input, as above, with the CPU time: pure
# Python on two threads keeps at most about one core busy, however many cores are free; NumPy
# up to two, when two are free (the figures above say how free they were here). On the
# dashboard, the *Task Stream* shows the tasks of two threads side by side, each taking longer
# than alone, and the worker's *CPU* plot stays at about 100 % (one core) or below.
#
# **Fix:** worker processes for pure-Python work (``LocalCluster(processes=True)``, the default,
# or ``n_workers`` = cores with ``threads_per_worker=1``), or rewrite the work with NumPy (or
# pandas, or Numba with ``nogil=True``), which lets threads run side by side. How much
# processes gain depends on the free cores: this machine has the cores printed under the table,
# shared with other programs, and two processes can reach at most 2× anyway. On a machine with
# *N* free cores, *N* worker processes approach a speed-up of *N* on work cut into at least *N*
# pieces (this one has four); more threads still give none.
#
# .. _breaks-event-loop:
#
# "Event loop was unresponsive"
# -----------------------------
# **Symptom:** the worker's log (or, for a ``LocalCluster`` made with ``silence_logs=False``,
# your terminal) shows, at level INFO, the line that the run below captures: "Event loop was
# unresponsive in Worker for …s", followed by its explanation.
#
# Every worker and scheduler runs an *event loop*, a thread that answers the network: the
# scheduler's questions, other workers' requests for data, heartbeats. It checks that it is
# alive every ``distributed.admin.tick.interval``; ``Server._measure_tick`` in
# ``distributed/core.py`` logs this line when two checks are further apart than
# ``distributed.admin.tick.limit``. That limit is read once, when ``distributed`` is imported,
# into ``distributed.core.tick_maximum_delay``: changing the setting later with
# ``dask.config.set`` does not change it. To change it, set it before Python starts, in a Dask
# config file or the environment variable ``DASK_DISTRIBUTED__ADMIN__TICK__LIMIT``, as the new
# Python process below shows.
import subprocess
import sys

import distributed.core

if __name__ == "__main__":
    print("tick interval:", dask.config.get("distributed.admin.tick.interval"))
    with dask.config.set({"distributed.admin.tick.limit": "1s"}):
        print("setting, inside dask.config.set:", dask.config.get("distributed.admin.tick.limit"))
        print("limit the check uses:           ", distributed.core.tick_maximum_delay, "s")
    tick_limit = distributed.core.tick_maximum_delay
    new_python = subprocess.run(
        [sys.executable, "-c", "import distributed.core; print(distributed.core.tick_maximum_delay)"],
        env={**os.environ, "DASK_DISTRIBUTED__ADMIN__TICK__LIMIT": "1s"},
        capture_output=True, text=True, check=True)
    print("a new Python, with the variable set:", new_python.stdout.strip(), "s")

# %%
# A cluster for the rest of the lesson: one worker with two threads, in this Python process.
if __name__ == "__main__":
    cluster = LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1",
        dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL,
    )
    client = Client(cluster)

# %%
# The worker itself records the longest gap between two checks of its event loop
# (``dask_worker.digests_max["tick-duration"]``, a running maximum). ``run_watched`` runs
# one call on the worker, from a fresh record, and returns its time, the longest gap and the
# "unresponsive" lines logged meanwhile.


def reset_longest_gap(dask_worker):
    dask_worker.digests_max["tick-duration"] = 0


def longest_gap(dask_worker):
    return dask_worker.digests_max["tick-duration"]


def run_watched(function, *args):
    client.run(reset_longest_gap)
    logged_before = len(core_log.lines)
    start = time.perf_counter()
    result = client.submit(function, *args, pure=False).result()
    seconds = time.perf_counter() - start
    time.sleep(0.2)  # a moment for the event loop to write its log lines
    (gap,) = client.run(longest_gap).values()
    lines = [line for line in core_log.lines[logged_before:] if "unresponsive" in line]
    return result, seconds, gap, lines


# %%
# The culprit: one long call into C code that keeps the GIL. ``sum(range(n))`` is such a call:
# the built-in ``sum`` adds the numbers in C, and the interpreter never gets a chance to hand
# the GIL to another thread until it returns. Measure how fast it adds here (the fastest of five
# tries), then choose ``n`` so that the call takes about one and a half times the limit.
import timeit

if __name__ == "__main__":
    fastest = min(timeit.repeat(lambda: sum(range(2_000_000)), number=1, repeat=5))
    seconds_per_number = fastest / 2_000_000
    n_numbers = int(1.5 * tick_limit / seconds_per_number)
    print(f"{n_numbers:,} numbers, about {n_numbers * seconds_per_number:.1f} s in one call")

# %%
# Run it on the worker. On a machine shared with other programs, the measurement above can be
# slower than the call turns out to be: if the call was shorter than the limit, double ``n``
# and run it again.
if __name__ == "__main__":
    while True:
        total, gil_seconds, gil_gap, gil_lines = run_watched(sum, range(n_numbers))
        print(f"sum(range({n_numbers:,})) took {gil_seconds:.1f} s; longest event-loop gap {gil_gap:.2f} s")
        if gil_gap > tick_limit:
            break
        n_numbers *= 2
    for line in gil_lines:
        print(line)
    unresponsive_message = next((line for line in gil_lines if " in Worker " in line), None)

# %%
# Two lines: the worker's event loop was stuck for the whole call, and so was the scheduler's,
# because in a cluster of threads (``processes=False``) the scheduler and the worker share one
# event loop in this process, and the GIL. With worker processes, only the worker's line
# appears, in the worker's log.
#
# A pure-Python loop of the same length does *not* trigger it: a thread that waits for the GIL
# asks for it after ``sys.getswitchinterval()`` seconds, and running Python code hands it over
# at its next loop step or call (the built-in ``sum`` never checks). So the event loop keeps
# ticking, only more slowly: compare the longest gap below with the tick interval above.


def python_loop(seconds):
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        n += 1
    return n


if __name__ == "__main__":
    print(f"switch interval: {sys.getswitchinterval() * 1000:.0f} ms")
    _, loop_seconds, loop_gap, loop_lines = run_watched(python_loop, 1.2 * tick_limit)
    print(f"pure-Python loop took {loop_seconds:.1f} s; longest gap {loop_gap:.2f} s; "
          f"'unresponsive' lines: {len(loop_lines)}")

# %%
# **Cause:** one call that holds the GIL, without a break, for longer than the limit: a C
# extension that does not release it, a built-in such as ``sum`` or ``sorted`` over millions of
# Python objects, a huge regular expression, or pickling a large Python object ("moving large
# chunks of data"). While it runs, the worker answers nobody: the scheduler may think it is gone
# and, after ``distributed.scheduler.worker-ttl`` (5 minutes by default) without a heartbeat,
# restart it through its nanny, or remove it if it has none.
#
# **Confirm:** the log line names the server (``Worker`` or ``Scheduler``) and the length of the
# gap; the task that ran during that time is the suspect (the dashboard's *Task Stream*, or
# ``client.get_task_stream()``, shows what ran when). The dashboard's *Event Loop* plot
# (``/individual-contention``) shows the scheduler's and the workers' tick intervals.
#
# **Fix:** do the work where the GIL is released, here NumPy on blocks of ten million numbers;
# where that is not possible, cut it into calls each shorter than the limit (the check compares
# each gap with the limit, not their sum). The same sum, with NumPy:


def numpy_sum(n, block=10_000_000):
    return sum(int(np.arange(i, min(i + block, n), dtype=np.int64).sum()) for i in range(0, n, block))


if __name__ == "__main__":
    numpy_total, numpy_seconds, numpy_gap, numpy_lines = run_watched(numpy_sum, n_numbers)
    print(f"same total: {numpy_total == total}")
    print(f"NumPy took {numpy_seconds:.1f} s; longest event-loop gap {numpy_gap:.2f} s; "
          f"'unresponsive' lines: {len(numpy_lines)}")

# %%
# Worker processes do *not* fix this one by themselves: the worker's event loop and its task
# threads share the worker process's GIL. They keep the scheduler responsive, which in a cluster
# of threads is stuck too.
#
# .. _breaks-tiny-tasks:
#
# A million tiny tasks
# --------------------
# **Symptom:** nothing seems to happen after ``compute()`` for a long while; the dashboard's
# *Progress* bar shows hundreds of thousands of tasks, each a few microseconds of work; the
# scheduler's CPU is at 100 %.
#
# Every task costs the same overhead, however little it computes: it is built (for an array, by
# the scheduler, from the expression the client sends), the scheduler decides where it runs and
# records its state, the worker runs it and reports back. A million elements in chunks of one is a million tasks, and more for the sum:
import dask.array as da

if __name__ == "__main__":
    for n in [1_000, 10_000]:
        start = time.perf_counter()
        tiny = da.ones(n, chunks=1).sum()
        n_tasks = len(tiny.__dask_graph__())
        build = time.perf_counter() - start
        print(f"{n:>7,} elements in chunks of 1: {n_tasks:>7,} tasks, graph built in {build:.2f} s, "
              f"{build / n_tasks * 1e6:.1f} µs per task")
    tasks_per_element, array_per_task = n_tasks / n, build / n_tasks

# %%
# Building the graph is the cheap part. Running it costs far more per task: time the sum of
# 100 ones in chunks of one against the same sum in one chunk, on the cluster. ``compute()``
# first fuses each chunk's ``ones`` with its ``sum`` into one task, so fewer tasks run than the
# graph holds: the task stream of one run of each (``get_task_stream``) counts those that ran.
# Those runs are the warm-up, so ``compare`` times three more of each without one of its own.
from distributed import get_task_stream


def tiny_chunks():
    return da.ones(100, chunks=1).sum().compute()


def one_chunk():
    return da.ones(100, chunks=100).sum().compute()


if __name__ == "__main__":
    tasks_run = {}
    for function in (tiny_chunks, one_chunk):
        with get_task_stream() as stream:
            function()
        tasks_run[function.__name__] = len(stream.data)
    tiny_tasks, one_chunk_tasks = tasks_run["tiny_chunks"], tasks_run["one_chunk"]
    tiny_graph = len(da.ones(100, chunks=1).sum().__dask_graph__())
    print(f"chunks of 1: {tiny_graph} tasks in the graph, {tiny_tasks} run; "
          f"one chunk: {one_chunk_tasks} run")
    tiny_name = f"chunks of 1 ({tiny_tasks:,} tasks)"
    one_name = f"one chunk ({one_chunk_tasks} tasks)"
    chunk_timings = compare({tiny_name: tiny_chunks, one_name: one_chunk}, warmup=0)
    print(chunk_timings)
    print(chunk_timings.verdict(one_name, tiny_name))

# %%
# What a million would cost, from the time per task measured here (arithmetic, not run: a
# million elements in chunks of one run the tasks per element counted above, times a million):
if __name__ == "__main__":
    per_task = chunk_timings[tiny_name].median / tiny_tasks
    million_tasks = round(tiny_tasks / 100 * 1_000_000)
    print(f"{per_task * 1000:.2f} ms per task here; {million_tasks:,} tasks would take about "
          f"{per_task * million_tasks / 60:.0f} minutes to run, for a sum of a million ones")

# %%
# A Python list of ``dask.delayed`` calls, one per row, costs far more to build: each call is a
# graph layer of its own, and ``dask.delayed(sum)`` over the list prepares the whole graph
# (culling every layer against the keys that are needed). Time only the building, at two sizes,
# the fastest of two tries each, and compare with the array's cost per task above:


def add_one(i):
    return i + 1


def per_row_graph(n):
    return dask.delayed(sum)([dask.delayed(add_one)(i) for i in range(n)])


if __name__ == "__main__":
    build_seconds = {}
    for n in [250, 500]:
        build_seconds[n] = min(timeit.repeat(lambda: per_row_graph(n), number=1, repeat=2))
        print(f"{n:>3,} delayed calls: built in {build_seconds[n]:.2f} s, "
              f"{build_seconds[n] / n * 1e6:,.0f} µs per call")
    per_call = build_seconds[500] / 500
    print(f"{per_call / array_per_task:,.0f}× the array's cost per task; a million calls at this "
          f"cost per call: {per_call * 1_000_000 / 60:,.0f} minutes to build, before anything runs")

# %%
# No error and no warning: the client's only warning about graphs, "Sending large graph of
# size …" (``Client._graph_to_futures`` in ``distributed/client.py``), is about *bytes*, past
# ``distributed.admin.large-graph-warning-threshold``. Tiny tasks are small; even a thousand of
# them stay far below it. The graph of 100 calls, its size as ``cloudpickle`` (which Dask uses)
# writes it, and the warnings its ``compute()`` gives:
import warnings

import cloudpickle

if __name__ == "__main__":
    threshold = dask.config.get("distributed.admin.large-graph-warning-threshold")
    per_row = per_row_graph(100)
    graph_bytes = len(cloudpickle.dumps(dict(per_row.__dask_graph__())))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        per_row_total = per_row.compute()
    print(f"graph of 100 calls: {graph_bytes / 1e6:.2f} MB, threshold {threshold}; "
          f"warnings: {len(caught)}")

# %%
# **Cause:** the work is split into pieces so small that the fixed cost of each task on a
# distributed scheduler (the time per task printed above) is larger than the work in it.
#
# **Confirm:** count the tasks before computing, ``len(x.__dask_graph__())``; on the dashboard,
# the *Progress* bars show the task counts and the *Task Stream* shows bars too thin to see with
# white gaps between them; a :ref:`performance report <best-practices>` shows the scheduler
# busy and the workers idle.
#
# **Fix:** give each task more work: bigger chunks (``chunks="auto"`` aims at about 128 MiB),
# ``map_partitions``/``map_blocks`` with a vectorised function instead of a call per row, or a
# ``delayed`` call per *batch* of rows. The per-row sum of 100 calls, batched in 4 calls of 25:


def add_one_to_batch(batch):
    return [i + 1 for i in batch]


def batched_graph(n, batch=25):
    batches = [dask.delayed(add_one_to_batch)(range(i, min(i + batch, n))) for i in range(0, n, batch)]
    return dask.delayed(sum)([dask.delayed(sum)(b) for b in batches])


if __name__ == "__main__":
    batch_timings = compare({
        "a delayed call per row": lambda: per_row_graph(100).compute(),
        "a delayed call per 25 rows": lambda: batched_graph(100).compute(),
    })
    print(batch_timings)
    print(batch_timings.verdict("a delayed call per 25 rows", "a delayed call per row"))
    batched = batched_graph(100)
    batched_total = batched.compute()
    print("same total:", batched_total == per_row_total,
          f"; tasks: {len(batched.__dask_graph__())} against {len(per_row.__dask_graph__()):,}")

# %%
# Key points
# ----------
# - Pure-Python work holds the GIL: more threads give no speed-up. Use worker processes, or
#   NumPy/pandas code that releases the GIL. Timing one thread against two tells which you have.
# - "Event loop was unresponsive in Worker for N s" (INFO, ``distributed.core``) means one call
#   held the GIL, without a break, for longer than ``distributed.admin.tick.limit`` (3 s by
#   default, read once when ``distributed`` is imported). A pure-Python loop does not trigger
#   it; a long C call that keeps the GIL does. Release the GIL or cut the call into shorter ones.
# - Each task has a fixed cost on a distributed scheduler (this page printed its own): count
#   tasks before you compute, and give each task enough work (bigger chunks,
#   ``map_partitions``, batches).
#
# Exercise
# --------
# Add up the squares of the numbers 0 to 99,999 with ``dask.delayed``, in *batches*: write
# ``sum_of_squares(numbers)`` that returns the sum of the squares of the numbers it is given,
# build one delayed call of it per batch of 10,000 numbers and a delayed ``sum`` of their
# results, and compute that on the cluster. Put the total in ``answer`` (an int) and the
# ``Delayed`` total you computed it from in ``exercise_plan``, and run the check below: it
# recomputes the total with a plain loop, counts the tasks of your plan, and says what is
# wrong, without giving the answer away.
if __name__ == "__main__":
    answer = None  # your answer, computed: replace None
    exercise_plan = None  # the Delayed total, before compute(): replace None

# %%
from tutorial_helpers.exercises import check

if __name__ == "__main__":
    check("slow_not_broken", answer, plan=exercise_plan)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       def sum_of_squares(numbers):
#           return sum(i * i for i in numbers)
#
#
#       if __name__ == "__main__":
#           exercise_batches = [range(i, i + 10_000) for i in range(0, 100_000, 10_000)]
#           exercise_parts = [dask.delayed(sum_of_squares)(b) for b in exercise_batches]
#           exercise_plan = dask.delayed(sum)(exercise_parts)
#           print(len(exercise_plan.__dask_graph__()), "tasks")
#           answer = exercise_plan.compute()
#           check("slow_not_broken", answer, plan=exercise_plan)

# %%
# Close the cluster
# -----------------
# Close the client first, then the cluster; then stop keeping the log lines.
if __name__ == "__main__":
    client.close()
    cluster.close()
    logging.getLogger("distributed.core").removeHandler(core_log)
