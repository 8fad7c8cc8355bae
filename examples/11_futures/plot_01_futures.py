"""
Futures: submit work now, react as results arrive
=================================================

``dask.delayed`` plans all the work first and runs it when you call ``compute()``. Futures, from
``dask.distributed``, start each function call the moment you submit it and hand you a ticket for
its result. Your program can then react while the cluster works: start more work when a result
arrives, stop when the answer is good enough, cancel what is no longer needed. You will estimate
π by Monte Carlo with futures, then let the cluster run only until the estimate is precise
enough, and see what cancelled and failed tasks look like.

**You will be able to:** start a ``Client`` on a cluster of your own, run functions with
``submit`` and ``map``, collect results with ``gather`` and ``as_completed``, pass futures into
further work, cancel futures, and inspect the exception and traceback of a failed task.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Futures start work at once: learners who submit in a loop and
#      then change their mind need ``cancel``.
#    - **Do not skip:** Futures suit work that reacts to results as they arrive; delayed suits a
#      plan known in advance.
#    - **Ask the room:** When would you stop waiting for the remaining futures?

# %%
# A cluster of our own
# --------------------
# Futures belong to ``dask.distributed``: they need a ``Client`` connected to a scheduler. This
# lesson starts a small cluster of its own, two workers with one thread each, and closes it at
# the end.
#
# ``processes=False`` runs the two workers as threads inside this Python process. That is
# enough here, because the work is NumPy code, which releases Python's GIL, and it lets the same
# code run as a script and in a notebook. (A cluster of worker *processes* started from a script
# needs every line that uses it under ``if __name__ == "__main__":``, because each new worker
# process re-imports the script.) ``protocol="tcp"`` makes the client and the workers talk over
# the network, serialising data as on a real cluster, and ``host`` and ``dashboard_address``
# keep that network on this machine's loopback interface. ``silence_logs`` keeps the workers'
# log messages about the failure we cause on purpose below off the page.
#
# A ``Client``'s own repr lists random ids, ports and the dashboard's address, which change on
# every run; ``client.scheduler_info()`` holds the facts that matter: how many workers, with how
# many threads and how much memory each.
import logging

from distributed import Client, LocalCluster

cluster = LocalCluster(
    n_workers=2,
    threads_per_worker=1,
    processes=False,
    protocol="tcp",
    host="127.0.0.1",
    dashboard_address="127.0.0.1:0",
    silence_logs=logging.CRITICAL,
)
client = Client(cluster)
for worker in sorted(client.scheduler_info()["workers"].values(), key=lambda w: w["name"]):
    memory = worker["memory_limit"] / 2**30
    print(f"worker {worker['name']}: {worker['nthreads']} thread, memory limit {memory:.1f} GiB")

# %%
# The work: count random points inside a quarter circle
# ------------------------------------------------------
# Scatter points uniformly over the unit square. The quarter circle of radius 1 covers π/4 of
# the square, so π ≈ 4 × (points inside) / (all points). Each chunk of points gets its own
# *seed*: chunks are independent of each other, and the same seed always gives the same count,
# so every result below can be reproduced with a plain loop. The
# :ref:`dask.delayed lessons <dask-delayed>` count with a pure-Python loop; this
# ``count_inside`` takes the same arguments but lets NumPy draw and test a whole chunk at once,
# which is faster and releases the GIL.
import numpy as np


def count_inside(n, seed):
    """Count ``n`` random points (x, y) of the unit square with x² + y² ≤ 1."""
    rng = np.random.default_rng(seed)
    x, y = rng.random(n), rng.random(n)
    return int(np.count_nonzero(x * x + y * y <= 1.0))


chunk = 1_000_000
count_inside(chunk, seed=0)

# %%
# ``submit``: one call, started now
# ---------------------------------
# ``client.submit(function, *args)`` sends the call to the scheduler and returns at once with a
# :term:`Future <future>`. The scheduler gives the call to a worker as soon as one is free;
# there is no ``compute()`` step. The future's status is most likely still ``pending`` when it is
# printed here.
future = client.submit(count_inside, chunk, 0)
print(f"{type(future).__name__} of {future.key[:12]}…: {future.status}")

# %%
# ``result()`` waits for the worker and brings the value back to this process.
inside = future.result()
print(f"status: {future.status}; {inside:,} of {chunk:,} points inside")
print(f"π ≈ {4 * inside / chunk:.4f}")

# %%
# Dask assumes functions are *pure*: the same function with the same arguments gives the same
# result. Submitting the same call again returns a future with the same key, and nothing runs
# twice. That is right for ``count_inside``, whose randomness comes from its ``seed``
# argument; for a function with hidden randomness (or side effects), pass ``pure=False``.
again = client.submit(count_inside, chunk, 0)
print(again.key == future.key, again.key)

# %%
# ``map`` and ``gather``: many calls at once
# ------------------------------------------
# ``client.map`` submits one call per element of its argument lists and returns a list of
# futures; ``client.gather`` waits for all of them and returns their results, in order.
seeds = range(16)
futures = client.map(count_inside, [chunk] * len(seeds), seeds)
counts = client.gather(futures)
pi_estimate = 4 * sum(counts) / (chunk * len(seeds))
print(f"{len(futures)} chunks of {chunk:,} points: π ≈ {pi_estimate:.5f}")

# %%
# The seeds make the result reproducible: a plain Python loop over the same seeds gives the same
# counts, whichever worker ran which chunk.
counts == [count_inside(chunk, seed) for seed in seeds]

# %%
# Futures as inputs to more futures
# ---------------------------------
# A future can be an argument of another ``submit``, even inside a list. The scheduler waits for
# the inputs, brings them to the worker that runs the new task, and only the final number comes
# back to us: the sixteen counts never pass through this process.


def estimate_pi(counts, points_per_chunk):
    return 4 * sum(counts) / (points_per_chunk * len(counts))


pi_future = client.submit(estimate_pi, futures, chunk)
pi_from_futures = pi_future.result()
pi_from_futures

# %%
# The same π with ``dask.delayed``: the whole plan first
# ------------------------------------------------------
# With ``delayed`` the same computation is a graph that is complete before anything runs. That
# is the better tool when you know all the work up front: Dask sees the whole plan and can
# optimise it. (``compute()`` runs it on our cluster, because the newest ``Client`` is Dask's
# default scheduler.)
import dask

parts = [dask.delayed(count_inside)(chunk, seed) for seed in seeds]
pi_delayed = dask.delayed(estimate_pi)(parts, chunk)

# %%
# Sixteen chunks make a graph too wide to read, so we draw the same plan for four: one
# ``count_inside`` task per seed, all feeding one ``estimate_pi``.
small_parts = [dask.delayed(count_inside)(chunk, seed) for seed in range(4)]
dask.delayed(estimate_pi)(small_parts, chunk).visualize()

# %%
pi_from_delayed = pi_delayed.compute()
print(pi_from_delayed, pi_from_delayed == pi_estimate)

# %%
# React as results arrive: stop when the estimate is precise enough
# -----------------------------------------------------------------
# Futures win when what to do next depends on results. How many points do we need? The
# *standard error* of the estimate after ``N`` points is ``4·sqrt(p(1-p)/N)``, with ``p`` the
# fraction inside, so we can keep adding chunks until it drops below a target, without
# guessing the number up front.
#
# ``as_completed`` yields futures in the order they finish, not the order they were
# submitted. Four chunks in flight keep both workers busy; each time one finishes we add its
# count and, if the estimate is not precise enough yet, submit one more chunk to the same
# ``as_completed`` with ``add``.
import itertools

from distributed import as_completed


def standard_error(inside, points):
    p = inside / points
    return 4 * np.sqrt(p * (1 - p) / points)


target = 0.0004
new_seeds = itertools.count(1000)  # seeds not used above
started = {}  # future -> its seed
for seed in itertools.islice(new_seeds, 4):
    started[client.submit(count_inside, chunk, seed)] = seed

# %%
inside = points = 0
used_seeds, history = [], []
arriving = as_completed(list(started), with_results=True)
for finished, count in arriving:
    inside, points = inside + count, points + chunk
    used_seeds.append(started[finished])
    error = standard_error(inside, points)
    history.append((points, 4 * inside / points, error))
    if error < target:
        break
    seed = next(new_seeds)
    new = client.submit(count_inside, chunk, seed)
    started[new] = seed
    arriving.add(new)

dynamic_pi = 4 * inside / points
print(f"stopped after {len(used_seeds)} chunks, {points:,} points")
print(f"π ≈ {dynamic_pi:.5f} ± {error:.5f} (true error {dynamic_pi - np.pi:+.5f})")
print("seeds, in the order their chunks finished:")
print(used_seeds)

# %%
# Each chunk is reproducible, but which chunks finish first is up to the workers, so a re-run may
# combine a different set of seeds and differ in the last digits, within the standard error.
# The estimate closes in on π as chunks arrive; the band is ±2 standard errors.
import matplotlib.pyplot as plt

n_points, estimates, errors = (np.array(column) for column in zip(*history))
low, high = estimates - 2 * errors, estimates + 2 * errors
fig, ax = plt.subplots(figsize=(8, 3))
ax.fill_between(n_points, low, high, alpha=0.3, label="±2 standard errors")
ax.plot(n_points, estimates, marker="o", label="estimate")
ax.axhline(np.pi, color="black", linewidth=1, label="π")
ax.set(xlabel="points used", ylabel="estimate of π", ylim=(np.pi - 0.006, np.pi + 0.006))
ax.set_title("Stop once the estimate is precise enough")
ax.legend()
plt.tight_layout()

# %%
# Cancel what you no longer need
# ------------------------------
# When we stopped, three chunks were still running or waiting, or had finished after the last
# one we used. Their results would only take memory on the workers. ``client.cancel`` (or
# ``future.cancel()`` for one future) tells the scheduler to forget them: waiting tasks never
# start, and finished results are released.
from collections import Counter

unused = [f for f, seed in started.items() if seed not in used_seeds]
print("before:", Counter(f.status for f in unused))
client.cancel(unused, reason="the estimate is precise enough")
arriving.clear()  # as_completed stops tracking them too
statuses_after_cancel = Counter(f.status for f in unused)
print("after: ", statuses_after_cancel)

# %%
# A cancelled future has no result: asking for one raises ``CancelledError``.
from concurrent.futures import CancelledError

try:
    unused[0].result()
except CancelledError as error:
    print(f"{type(error).__name__}: {error}")

# %%
# When a task fails
# -----------------
# Suppose a bug makes one chunk size negative. NumPy raises an error inside the worker; the
# worker survives, and the future records the failure: its status becomes ``"error"`` and
# ``exception()`` returns the exception raised on the worker. ``wait`` waits for the future to
# finish either way, without raising.
from distributed import wait

bad_chunk = client.submit(count_inside, -chunk, 7)
wait(bad_chunk)
error_status = bad_chunk.status
print("status:", error_status)
bad_chunk.exception()

# %%
# ``traceback()`` returns the traceback from the worker, ready for Python's ``traceback``
# module: it shows which line of ``count_inside`` failed (the worker received the function by
# value, so its file shows as ``<dynamic-code>``) and where in NumPy.
import traceback

print("".join(traceback.format_tb(bad_chunk.traceback())))

# %%
# ``result()`` re-raises the worker's exception here, as if the call had failed locally, so
# ordinary ``try``/``except`` handles it.
try:
    bad_chunk.result()
except ValueError as error:
    error_message = str(error)
    print(f"caught here: {error!r}")

# %%
# Work that depends on a failed future fails too, with the same exception: Dask never computes
# with a missing piece. The healthy ``future`` from the start is unaffected.
total = client.submit(sum, [future, bad_chunk])
wait(total)
print(total.status, repr(total.exception()), "|", future.status, future.result())

# %%
# Key points
# ----------
# - Futures need a ``Client``. ``submit`` and ``map`` start work at once and return futures;
#   ``result()`` and ``client.gather`` wait for the values.
# - A future passed to another ``submit`` becomes its input on the cluster: intermediate
#   results stay on the workers.
# - Calls are assumed pure: the same function and arguments give the same key and run once.
#   Give random work an explicit seed (reproducible) or use ``pure=False``.
# - ``as_completed`` yields futures as they finish and accepts new ones with ``add``: work can
#   grow, or stop, depending on results. That is where futures beat ``delayed``, whose graph is
#   fixed before it runs.
# - ``client.cancel`` / ``future.cancel()`` drop work that is no longer needed; the status
#   becomes ``"cancelled"``.
# - A failed task gives status ``"error"``; ``exception()`` and ``traceback()`` show what happened
#   on the worker, ``result()`` re-raises it, and dependent futures fail with it.
#
# Exercise
# --------
# Estimate π from 8 chunks of 250,000 points with the seeds 200 to 207, on a cluster of your
# own that a ``with`` block starts and closes. Submit the chunks with ``client.map``, combine
# them with a second ``submit`` that takes the futures as its input, and record the seeds in
# the order their chunks finished. Put the estimate in ``answer`` (a float), the future of the
# second ``submit`` in ``exercise_future`` and the seeds in finishing order in ``finish_order``
# (a list of ints), and run the check below: it computes the estimate from the same seeds with a
# plain loop and says what is wrong, without giving the answer away.
answer = None  # your answer, computed: replace None
exercise_future = None  # the future of the submit that combines the chunks: replace None
finish_order = None  # the seeds, in the order their chunks finished: replace None

# %%
from tutorial_helpers.exercises import check

check("futures", answer, future=exercise_future, order=finish_order)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       exercise_seeds = list(range(200, 208))
#       options = dict(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
#                      host="127.0.0.1", dashboard_address="127.0.0.1:0")
#       with LocalCluster(**options) as own_cluster, Client(own_cluster) as own_client:
#           chunks = own_client.map(count_inside, [250_000] * 8, exercise_seeds)
#           seed_of = dict(zip(chunks, exercise_seeds))
#           exercise_future = own_client.submit(estimate_pi, chunks, 250_000)
#           finish_order = [seed_of[f] for f in as_completed(chunks)]
#           exercise_pi = exercise_future.result()
#       print(f"π ≈ {exercise_pi:.5f}; chunks finished in the order {finish_order}")
#       answer = exercise_pi
#       check("futures", answer, future=exercise_future, order=finish_order)

# %%
# Close the cluster
# -----------------
# A client and a cluster hold threads, ports and memory until they are closed. Close the client
# first, then the cluster. A ``with`` block does both for you, even when an error interrupts
# the work; the exercise above uses one.
client.close()
cluster.close()
