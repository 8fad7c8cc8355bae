"""
dask.delayed pitfalls: six mistakes and their fixes
===================================================

Six mistakes make delayed code slow or wrong: calling the function before Dask sees it, tasks
too small for their overhead, calling ``compute()`` inside a loop, building or computing
delayed calls inside a task, passing a big object into many calls, and task functions that
change their inputs or global state. Each is shown with the Monte-Carlo π of this section,
measured where it costs time, and paired with its fix (Dask's own list is its `delayed best
practices <https://docs.dask.org/en/stable/delayed-best-practices.html>`_).

**You will be able to:** wrap the function rather than its result, size tasks so the overhead
stays small, compute many results in one call, build graphs outside tasks, hand big data to
Dask once, and write task functions whose only effect is their return value.

**Estimated time:** 35 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners write ``dask.delayed(f(x))`` and wonder why nothing
#      runs in parallel, or call ``compute()`` once per result in a loop.
#    - **Do not skip:** Pitfall 6: the same code gives different answers in this process and on
#      the cluster when a task changes its input or a global.
#    - **Ask the room:** Which of the six pitfalls is in your own code today?

# %%
# The work
# --------
# The same pure-Python counting as in the previous lessons.
import random

import dask
from tutorial_helpers.timing import compare


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
# A cluster to compute on
# -----------------------
# Several pitfalls cost time or change answers only where the tasks run away from your
# Python session, so this lesson starts a ``dask.distributed`` cluster: one worker whose
# threads, as many as the cores this job was granted, run the tasks, in this Python process.
# The client makes it the default for every ``compute()`` below, and every table says where it
# was measured. Its workers are threads, so a script needs no ``if __name__ == "__main__":``
# guard; the client still talks to the scheduler and the worker over TCP on this machine, so
# graphs and data are serialised and sent as they would be to another machine.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)

# %%
# Pitfall 1: ``dask.delayed(f(x))`` instead of ``dask.delayed(f)(x)``
# -------------------------------------------------------------------
# ``dask.delayed`` takes the function, and the call that follows takes its arguments:
# ``dask.delayed(f)(x)``. Written ``dask.delayed(f(x))``, Python calls ``f(x)`` first, on that
# line and in this process, and Dask only wraps the finished result. The graphs show it: on the
# left, a task that will call ``count_inside`` when computed; on the right, a value that was
# counted already, with no task left to run anywhere else.
lazy_count = dask.delayed(count_inside)(100_000, 0)
eager_count = dask.delayed(count_inside(100_000, 0))  # count_inside runs here, now
dask.visualize(lazy_count, eager_count)

# %%
# Both hold the same number, but only the left one is work that Dask can schedule, on a worker
# and beside other tasks.
print("same count:", lazy_count.compute() == eager_count.compute())

# %%
# Pitfall 2: tasks too small
# --------------------------
# Every :term:`task` costs the scheduler bookkeeping, and on a cluster a trip to a worker and back: a
# fixed cost, whatever the task does. Split the same 120,000 points into 2, 10, 40 and 120
# tasks: the work is the same, only the number of tasks changes. (Three runs each, without the
# usual warm-up run: the slowest case takes a while, and more tasks would take longer still.)
total_points = 120_000
task_counts = [2, 10, 40, 120]


def pi_in_tasks(n_tasks):
    """π from ``total_points`` points in ``n_tasks`` tasks, built afresh on every call."""
    lazy_count_inside = dask.delayed(count_inside)
    counts = [lazy_count_inside(total_points // n_tasks, seed) for seed in range(n_tasks)]
    return 4 * sum(dask.compute(*counts)) / total_points


task_size_timings = compare(
    {f"{n:,} tasks of {total_points // n:,} points": lambda n=n: pi_in_tasks(n) for n in task_counts},
    warmup=0,  # the scheduler is already running, and 120 tiny tasks take long enough
)
task_size_timings

# %%
# Time against the number of tasks
# ---------------------------------
# The work is constant, so the growth is overhead. Subtracting the 10-task time from the
# 120-task time and dividing by the 110 extra tasks gives the cost of one task here.
import matplotlib.pyplot as plt

medians = [t.median for t in task_size_timings.timings]
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(task_counts, medians, "o-")
ax.set(xscale="log", xlabel=f"tasks (same {total_points:,} points in total)", ylabel="median wall time (s)",
       ylim=(0, None), title="Same work, more tasks")
plt.tight_layout()
names = [t.name for t in task_size_timings.timings]
print(task_size_timings.verdict(
    names[1], names[3], otherwise="With dozens of workers, 120 small tasks keep more of them "
    "busy than 10, and that outweighs their overhead.",
))
per_task = (medians[3] - medians[1]) / (task_counts[3] - task_counts[1])
if min(task_size_timings[names[3]].seconds) > max(task_size_timings[names[1]].seconds):
    print(f"about {per_task * 1000:.2f} ms of overhead per task")

# %%
# Dask's `best-practice guide
# <https://docs.dask.org/en/stable/best-practices.html#avoid-very-large-graphs>`_ puts the
# overhead of a task "somewhere between 200us and 1ms". Where a figure was printed above, it
# can be larger: this cluster's worker threads share one Python interpreter with its scheduler
# and the client, and while a task runs pure Python it holds the :term:`GIL` the scheduler
# needs to hand out the next task (Python passes the GIL between threads every
# ``sys.getswitchinterval()`` seconds, printed below); on a cluster of worker processes the
# scheduler has an interpreter of its own.
import sys

print(f"sys.getswitchinterval() = {sys.getswitchinterval() * 1000:.0f} ms")

# %%
# The fix: give every task enough work that its overhead does not matter, and have a few tasks
# per worker, not thousands: 120 chunks of 1,000 points are the same work as two chunks of
# 60,000, but 60 times the bookkeeping.
#
# Pitfall 3: ``compute()`` inside a loop
# --------------------------------------
# Each ``compute()`` sends a graph to the scheduler, runs it to the end and waits for the
# result. Called once per chunk in a loop, it hands the cluster one task at a time, however
# many threads or workers are free. Collect the ``Delayed`` objects first and compute them
# together with one ``dask.compute``.
loop_seeds = range(8)


def compute_in_a_loop():
    return [dask.delayed(count_inside)(50_000, seed).compute() for seed in loop_seeds]


def compute_once():
    return list(dask.compute(*[dask.delayed(count_inside)(50_000, seed) for seed in loop_seeds]))


loop_timings = compare({"compute() in the loop": compute_in_a_loop, "one dask.compute": compute_once})
loop_timings

# %%
# Both give the same counts; what differs is how many tasks the cluster may run at once. The
# cluster records when each task ran, and ``get_task_stream`` hands those records back: here
# is the most tasks that overlapped in time, for each way.
from dask.distributed import get_task_stream


def most_at_once(records):
    """The largest number of tasks of a task stream that were computing at the same moment."""
    spans = [s for r in records for s in r["startstops"] if s["action"] == "compute"]
    events = sorted([(s["start"], 1) for s in spans] + [(s["stop"], -1) for s in spans])
    running = most = 0
    for _, change in events:
        running += change
        most = max(most, running)
    return most


with get_task_stream() as loop_stream:
    loop_counts = compute_in_a_loop()
with get_task_stream() as once_stream:
    once_counts = compute_once()
assert loop_counts == once_counts
at_once = {"compute() in the loop": most_at_once(loop_stream.data),
           "one dask.compute": most_at_once(once_stream.data)}
worker_threads = sum(client.nthreads().values())
print(f"at most at once, on {worker_threads} worker thread(s): {at_once}")

# %%
# Running at once is not the same as running side by side. ``count_inside`` is a pure-Python
# loop, which holds Python's :term:`GIL`, so this lesson's worker threads take turns on it:
# the tasks that ran at once did not run side by side, and what the loop adds here is mostly
# a round trip to the scheduler, and a wait for it, for every call. On worker processes (the
# previous lesson), or with code that releases the GIL, such as NumPy and pandas, the tasks
# that run at once also run side by side, and one ``dask.compute`` can be up to as many times
# faster as there are workers. Here:
print(loop_timings.verdict(
    "one dask.compute", "compute() in the loop",
    otherwise="The worker's threads share this process's GIL, which count_inside holds, so "
    "tasks that run at once take turns, and the loop's round trips are small next to the work.",
))

# %%
# Pitfall 4: delayed calls built or computed inside a task
# --------------------------------------------------------
# A delayed function should do the work itself, not plan more work. Here one delayed function
# builds the delayed calls for a π estimate and returns them: computing it runs one task, which
# returns a list of ``Delayed`` objects, and no point has been counted.


@dask.delayed
def pi_tasks_in_a_task(n_tasks):
    return [dask.delayed(count_inside)(total_points // n_tasks, seed) for seed in range(n_tasks)]


returned = pi_tasks_in_a_task(4).compute()
print(f"computing it returned {len(returned)} {type(returned[0]).__name__} objects, not counts")

# %%
# Calling ``compute()`` inside the task instead runs a whole computation from within one task,
# which waits for it while holding its worker thread; when every thread is held that way, the
# inner tasks have nowhere to run. (A task that must start others should use
# ``distributed.worker_client()``, which lets it step aside while it waits.) The fix is simpler:
# building delayed calls takes no time, so do it in a plain function, in your own session, and
# compute everything once.


def pi_tasks(n_tasks):
    return [dask.delayed(count_inside)(total_points // n_tasks, seed) for seed in range(n_tasks)]


nested_fixed = dask.compute(*pi_tasks(4))
print(f"π ≈ {4 * sum(nested_fixed) / total_points:.4f} from {len(nested_fixed)} tasks")

# %%
# Pitfall 5: a big object passed into many calls
# ----------------------------------------------
# Passing a NumPy array straight into a delayed call puts the array itself into that task:
# the graph, which the client serialises and sends to the scheduler, holds it. Compare three
# ways to give sixteen calls the same 12 MB array: in every call; wrapped *once* with
# ``dask.delayed(values)``, so that it is one piece of data in the graph that every call
# refers to by its key; or made by a task on the workers, so that it is never in the graph and
# never leaves them.
import warnings

import numpy as np


def make_values():
    return np.random.default_rng(0).random(1_500_000)  # 12 MB


values = make_values()
thresholds = np.linspace(0.0, 1.0, 16)


def count_above(values, threshold):
    return int((values > threshold).sum())


def array_in_every_call():
    return [dask.delayed(count_above)(values, t) for t in thresholds]


def array_wrapped_once():
    lazy_values = dask.delayed(values)
    return [dask.delayed(count_above)(lazy_values, t) for t in thresholds]


def array_made_by_a_task():
    lazy_values = dask.delayed(make_values)()
    return [dask.delayed(count_above)(lazy_values, t) for t in thresholds]


ways = {
    "array in every call": array_in_every_call,
    "dask.delayed(array) once": array_wrapped_once,
    "array made by a task": array_made_by_a_task,
}

# %%
# All three count the same. On a cluster, Dask warns when the graph it sends to the scheduler
# is larger than its ``distributed.admin.large-graph-warning-threshold`` setting (printed
# below): with the array in the graph, in every call or once (Dask sends an object that
# several tasks share only once), the graph holds 12 MB. Only the third way keeps it small,
# which is what the warning recommends: load or create big data inside tasks (with a
# ``Client``, ``client.scatter`` is another way; see the futures section).
print("large-graph-warning-threshold:", dask.config.get("distributed.admin.large-graph-warning-threshold"))
graph_warnings = {}
for name, tasks in ways.items():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        counts = dask.compute(*tasks())
    assert list(counts) == [count_above(values, t) for t in thresholds]
    graph_warnings[name] = [str(w.message).splitlines()[0] for w in caught]
    print(f"{name}: {'; '.join(graph_warnings[name]) or 'no warning'}")

# %%
# What each way costs (the warnings are silenced here: they were shown above):


def computed(tasks):
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return dask.compute(*tasks())

    return run


big_input_timings = compare({name: computed(tasks) for name, tasks in ways.items()})
big_input_timings

# %%
# Making the array in a task against putting it into every call:
print(big_input_timings.verdict(
    "array made by a task", "array in every call",
    otherwise="This cluster's worker is a thread of this process: the graph crosses only this "
    "machine's loopback interface, and making the array in a task adds the time to draw its "
    "numbers.",
))

# %%
# Pitfall 6: tasks that change their inputs or global state
# ---------------------------------------------------------
# Dask assumes a task's only effect is its return value. This function scales an array *in
# place*: ``/=`` writes into the array it was given. Two lazy results use the same array.
# Computed in this process (the single-threaded ``"sync"`` scheduler here; threads behave the
# same), the first computation changes the caller's array, and the second one then sums the
# changed numbers, not the ones it was given.


def scale_in_place(values):
    values /= values.max()  # changes the caller's array!
    return values


data = np.array([1.0, 2.0, 4.0])
lazy_scaled = dask.delayed(scale_in_place)(data)
lazy_total = dask.delayed(np.sum)(data)
scaled = lazy_scaled.compute(scheduler="sync")
total = float(lazy_total.compute(scheduler="sync"))
print(f"scaled {scaled}, sum {total}, original array now {data}")

# %%
# Global state goes the same way. This task function records each call in a list at the top
# level of the script: a side effect, not a result. Nothing happens until something computes
# it; then the list that grows is the one in whichever process ran the task.
calls = []


def recorded(x):
    calls.append(x)  # global state: a list in the process that runs the task
    return x


lazy_calls = [dask.delayed(recorded)(i) for i in range(4)]
print(f"before compute: {len(calls)} calls recorded")
recorded_sync = dask.compute(*lazy_calls, scheduler="sync")
print(f"computed in this process: {len(calls)} calls recorded")

# %%
# Now both again on the lesson's cluster, the client's default scheduler, with a fresh array
# and an empty list. The client serialises each graph and sends it over TCP, so the worker's
# tasks get copies of their inputs, and of the task function with the globals it uses
# (cloudpickle sends a function defined in a script or notebook by value), although the worker
# is a thread of this very process. What happened here:
from tutorial_helpers.timing import describe

data_elsewhere = np.array([1.0, 2.0, 4.0])
scaled_elsewhere = dask.delayed(scale_in_place)(data_elsewhere).compute()
total_elsewhere = float(dask.delayed(np.sum)(data_elsewhere).compute())
calls.clear()
dask.compute(*[dask.delayed(recorded)(i) for i in range(4)])
print(f"computed on {describe().split(';')[0]}:")
calls_recorded_here = len(calls)
print(f"  sum {total_elsewhere}, original array now {data_elsewhere}; "
      f"{calls_recorded_here} calls recorded here")

# %%
# The same code gave different answers on different schedulers: the sum depends on whether the
# caller's array was changed first, and the record on where the tasks ran and on whether
# their inputs were copies. The fix is to give
# tasks no effect but their result: return a new object instead of changing the input (or
# change a copy), and return what you want to collect instead of appending it to a global.
# Then every scheduler agrees.


def scale(values):
    return values / values.max()  # a new array; the input is untouched


data = np.array([1.0, 2.0, 4.0])
lazy_scaled = dask.delayed(scale)(data)
lazy_total = dask.delayed(np.sum)(data)
scaled = lazy_scaled.compute(scheduler="sync")
total = float(lazy_total.compute(scheduler="sync"))
print(f"scaled {scaled}, sum {total}, original array still {data}")

# %%
# Key points
# ----------
# - Wrap the function, not its result: ``dask.delayed(f)(x)``; ``dask.delayed(f(x))`` runs
#   ``f`` at once, in your session.
# - Each task has a fixed cost (measured above): give tasks enough work that it does not
#   matter, and a few tasks per worker rather than thousands.
# - Collect ``Delayed`` objects and compute them together with one ``dask.compute(*tasks)``;
#   ``compute()`` in a loop runs one task at a time.
# - Build delayed calls in plain functions, not inside tasks; do not call ``compute()`` inside
#   a task.
# - Do not pass a big object into every call: wrap it once with ``dask.delayed(big)``, or
#   better, create or load it inside a task so it never travels from your session.
# - A task's only effect should be its result: no changed inputs, no global state. Otherwise
#   results depend on the scheduler and on the order tasks happen to run in.
#
# Exercise
# --------
# Find the fastest way to split the 120,000 points of pitfall 2 among 2, 4, 8 and 16 tasks on
# the scheduler you have. Time the four with ``compare``, and check that every split gives an
# estimate within 0.01 of π. Put the estimates in ``answer`` (a dict from the number of tasks
# to the estimate that ``pi_in_tasks`` gives, a float) and what ``compare`` returned in
# ``exercise_timings``, and run the check below: it recounts each split's seeded chunks with a
# plain Python loop, looks at what was timed, and says what is wrong, without giving the answer
# away.
answer = None  # your answer, computed: replace None
exercise_timings = None  # what compare returned: replace None

# %%
from tutorial_helpers.exercises import check

check("delayed_pitfalls", answer, timings=exercise_timings)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       split_timings = compare({f"{n} tasks": lambda n=n: pi_in_tasks(n) for n in [2, 4, 8, 16]})
#       print(split_timings)
#       split_estimates = {n: pi_in_tasks(n) for n in [2, 4, 8, 16]}
#       print(split_estimates)
#       assert all(abs(pi - np.pi) < 0.01 for pi in split_estimates.values())
#       answer, exercise_timings = split_estimates, split_timings
#       check("delayed_pitfalls", answer, timings=exercise_timings)

# %%
# Close the cluster
# -----------------
# Every result above is a plain Python or NumPy value now, so the cluster and its client can go.
client.close()
cluster.close()
