"""
Monte-Carlo π with dask.delayed
===============================

Estimate π by throwing random points at a square, first as a plain Python loop, then with
``dask.delayed``: the same functions, called lazily, so that Dask can run the calls in
parallel. You will see the graph of calls Dask builds and check that it computes exactly what
the loop computed.

**You will be able to:** turn function calls into ``Delayed`` objects, combine them into one
result, draw and compute the graph, and make parallel random work reproducible with one seed
per chunk.

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners call ``compute()`` on each delayed call in a loop,
#      which runs them one by one.
#    - **Do not skip:** Build the whole plan first, then compute once; seeds make every run give
#      the same answer.
#    - **Ask the room:** What would change if every chunk used the same seed?

# %%
# The method
# ----------
# Pick *N* points at random in the unit square. The quarter circle of radius 1 covers π/4 of
# the square, so the fraction of points that land inside it estimates π/4. With *Nc* points
# inside the circle:
#
#     π ≈ 4 · *Nc* / *N*
#
# Here are 2,000 such points.
import random

import matplotlib.pyplot as plt

rng = random.Random(0)
points = [(rng.random(), rng.random()) for _ in range(2_000)]
inside = [x * x + y * y <= 1.0 for x, y in points]
fig, ax = plt.subplots(figsize=(4, 4))
ax.scatter(*zip(*points), c=inside, cmap="coolwarm_r", s=4)
ax.set(aspect="equal", xlim=(0, 1), ylim=(0, 1), title=f"π ≈ 4 × {sum(inside)} / {len(points)}")
plt.tight_layout()

# %%
# Plain Python, one chunk at a time
# ---------------------------------
# A million points, counted by a Python loop: the timing below says how long that takes on
# this machine, and so how much work each of the four chunks holds. Split the points into
# *chunks* and give each chunk its own seed. Chunks are then
# independent of each other, which is what lets them run in parallel later, and the same seed
# always draws the same points, so every count below can be reproduced.


def count_inside(n_points, seed):
    """How many of ``n_points`` random points of the unit square lie inside the quarter circle."""
    rng = random.Random(seed)
    inside = 0
    for _ in range(n_points):
        x, y = rng.random(), rng.random()
        if x * x + y * y <= 1.0:
            inside += 1
    return inside


n_points = 1_000_000
n_chunks = 4
points_per_chunk = n_points // n_chunks
seeds = range(n_chunks)

# %%
# The serial loop calls the function once per chunk, adds the counts and computes π.
import time

start = time.perf_counter()
serial_counts = [count_inside(points_per_chunk, seed) for seed in seeds]
serial_seconds = time.perf_counter() - start
pi_serial = 4 * sum(serial_counts) / n_points
print(f"π ≈ {pi_serial:.5f} from {n_points:,} points in {serial_seconds:.2f} s, "
      f"{serial_seconds / n_chunks:.3f} s per chunk")
serial_counts

# %%
# A cluster to compute on
# -----------------------
# Dask needs somewhere to run the calls. This lesson starts a small ``dask.distributed``
# cluster in this Python process: one worker whose threads, as many as the cores this job was
# granted, run the tasks, and a client that makes it the default for every ``compute()``
# below. Its workers are threads of this process, so a script needs no
# ``if __name__ == "__main__":`` guard, and every service listens on this machine only.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

# Workers as threads of this Python process: no __main__ guard needed in a script.
cluster = LocalCluster(
    n_workers=1, threads_per_worker=granted_cores(), processes=False,
    protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
)
client = Client(cluster)

# %%
# The same calls, delayed
# -----------------------
# ``dask.delayed(count_inside)`` wraps the function: calling the wrapper does not run it but
# returns a :term:`Delayed <delayed>` object, a promise of the result. Operations on ``Delayed`` objects,
# here a ``sum`` and some arithmetic, are recorded too. Nothing has been computed yet: building
# this takes microseconds.
import dask

lazy_counts = [dask.delayed(count_inside)(points_per_chunk, seed) for seed in seeds]
lazy_total = dask.delayed(sum)(lazy_counts)
lazy_pi = lazy_total * 4 / n_points
from collections import Counter

from dask.utils import key_split

print(f"lazy_pi: a {type(lazy_pi).__name__} object, a graph of {len(lazy_pi.dask)} tasks, not a number")
tasks_by_name = Counter(key_split(key) for key in lazy_pi.dask)
print("tasks by name:", dict(tasks_by_name))

# %%
# The graph
# ---------
# ``visualize()`` draws what Dask recorded, bottom to top: four independent calls of
# ``count_inside`` (circles are calls, boxes are results), one ``sum`` that needs all four,
# and the arithmetic on top (``mul`` and ``truediv``): the tasks counted above. The four calls
# share nothing, so four threads or workers could run them at the same time; the ``sum`` waits
# for all of them.
lazy_pi.visualize()

# %%
# Compute it
# ----------
# ``compute()`` runs the graph and returns a plain Python float. With the client open, Dask's
# default scheduler is the cluster started above: the client sends the graph to its scheduler,
# and the worker's threads run the calls.
on_client = dask.base.get_scheduler() == client.get
print("compute() runs on the client's cluster:", on_client)
pi_delayed = lazy_pi.compute()
pi_delayed

# %%
# Same seeds, same answer
# -----------------------
# Each chunk drew exactly the points it drew in the serial loop, whichever worker ran it, so
# the counts and the estimate are identical, not just close. ``dask.compute`` computes several
# results in one pass over the graph: here the four counts.
delayed_counts = list(dask.compute(*lazy_counts))
print("counts identical to the serial loop:", delayed_counts == serial_counts)
print(f"π ≈ {pi_delayed:.5f}, off by {abs(pi_delayed - 3.141592653589793):.5f}")

# %%
# Why seeds matter
# ----------------
# Without its own seed, each chunk would draw from a generator it shares with others: the
# ``random`` module's one, shared by all the threads of a process, or each worker process's
# own, seeded afresh when the process starts. Which chunk draws which numbers would then depend
# on the order the tasks happen to run in, and on where they run: results would change from run
# to run, and worker processes could repeat each other's points. One seed per chunk makes parallel random work
# reproducible. Note that splitting the *same* number of points into a different number of
# chunks draws different points, and gives a slightly different estimate:
eight_chunks = [dask.delayed(count_inside)(n_points // 8, seed) for seed in range(8)]
pi_eight = (dask.delayed(sum)(eight_chunks) * 4 / n_points).compute()
print(f"4 chunks: π ≈ {pi_delayed:.5f}   8 chunks: π ≈ {pi_eight:.5f}")

# %%
# Key points
# ----------
# - ``dask.delayed(f)(args)`` records a call instead of making it; operations on the
#   ``Delayed`` results are recorded too. ``compute()`` (or ``dask.compute(a, b, ...)``) runs
#   the recorded graph.
# - Independent calls, like the chunks here, can run in parallel; a call that needs other
#   results waits for them. ``visualize()`` shows which is which.
# - Give each chunk of random work its own seed: the result is then reproducible and identical
#   to the serial loop with the same seeds.
# - Whether the graph runs faster than the loop depends on where it runs. This lesson's worker
#   runs its tasks in threads, and a pure-Python loop holds Python's GIL, so the threads take
#   turns: the next lesson measures the speed-up on clusters of one, two and more worker
#   processes.
#
# Exercise
# --------
# ``dask.delayed`` also works as a decorator. Write ``count_inside_lazy``, decorated with
# ``@dask.delayed``, and estimate π from 1,000,000 points in 8 chunks of 125,000 with the seeds
# 100 to 107: build the whole plan, the eight calls and their combination into π, as one
# ``Delayed`` object, then compute it once. Put the estimate in ``answer`` (a float) and the
# ``Delayed`` estimate you computed it from in ``exercise_plan``, and run the check below: it
# recounts the same seeded chunks with a plain Python loop, looks at the calls in your plan, and
# says what is wrong, without giving the answer away.
answer = None  # your answer, computed: replace None
exercise_plan = None  # the Delayed estimate, before compute(): replace None

# %%
from tutorial_helpers.exercises import check

check("delayed_pi", answer, plan=exercise_plan)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       @dask.delayed
#       def count_inside_lazy(n_points, seed):
#           return count_inside(n_points, seed)
#
#
#       exercise_seeds = range(100, 108)
#       exercise_counts = [count_inside_lazy(1_000_000 // 8, seed) for seed in exercise_seeds]
#       exercise_plan = dask.delayed(sum)(exercise_counts) * 4 / 1_000_000
#       exercise_pi, exercise_computed = dask.compute(exercise_plan, exercise_counts)
#       print(exercise_pi, exercise_computed == [count_inside(125_000, s) for s in exercise_seeds])
#       answer = exercise_pi
#       check("delayed_pi", answer, plan=exercise_plan)

# %%
# Close the cluster
# -----------------
# The results are plain Python numbers now, so the cluster and its client can go.
client.close()
cluster.close()
