"""
From multiprocessing and joblib to Dask
=======================================

Many scientists' programs already run a function over many inputs in parallel, with Python's
``multiprocessing.Pool`` or with joblib. This lesson takes one such loop, a bootstrap of the
median ride time at the busiest stations, runs it with a process pool and with joblib, then
moves the same function onto a Dask cluster three ways: ``client.map``, ``dask.delayed`` and
joblib's Dask backend. All six give identical answers; a table measures what each costs here,
and the last section says what changes when the workers sit on other machines.

**You will be able to:** explain why a process pool needs an importable function and an
``if __name__ == "__main__":`` guard, run a loop of function calls with ``multiprocessing``,
joblib, ``client.map``, ``dask.delayed`` and joblib's Dask backend, and decide which arguments
to send once with ``scatter`` when the work moves to many machines.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** A ``multiprocessing.Pool`` cannot use a function defined in a
#      notebook cell, and a script that starts processes needs ``if __name__ == "__main__":``.
#    - **Do not skip:** The same function runs on the cluster three ways; with short tasks the plain
#      loop can win, and the table shows whether it did here.
#    - **Ask the room:** What has to travel over the network once this runs on many machines?

# %%
# The loop to speed up
# --------------------
# Day-pass riders ("Customer" in the data) ride longer, and more variably, than subscribers. How
# sure can we be of the median length of their rides at each station? A *bootstrap* answers
# without any formula: draw the station's rides again with replacement, many times, take the
# median of each draw, and keep the middle 90 % of those medians. It is a plain Python loop,
# which holds Python's GIL (:term:`GIL`) all the time: threads would take turns, so it needs
# processes to run in parallel. Each station gets its own ``seed``, so every result below can
# be reproduced exactly, whichever process computes it.
import random
import statistics


def bootstrap_median(durations, seed, n_resamples=200):
    """A 90 % bootstrap interval (low, high) for the median of ``durations``."""
    rng = random.Random(seed)
    medians = sorted(
        statistics.median(rng.choices(durations, k=len(durations))) for _ in range(n_resamples)
    )
    return medians[n_resamples // 20], medians[-(n_resamples // 20) - 1]


# %%
# The inputs: one list of ride times (in seconds) per station, for the 16 stations where most
# day-pass rides of January started. Like every lesson that starts worker processes, the code
# that does work sits under ``if __name__ == "__main__":``: a new process started by
# ``multiprocessing`` or by a Dask cluster imports the script it came from again, and must find
# only definitions there (:ref:`schedulers` shows what goes wrong otherwise). In a notebook the
# guard is always true and changes nothing.
import pandas as pd
from tutorial_helpers import bikes

if __name__ == "__main__":
    columns = ["start station name", "tripduration", "usertype"]
    trips = pd.read_csv(bikes.trip_files()[0], usecols=columns)
    customers = trips[trips["usertype"] == "Customer"]
    stations = customers["start station name"].value_counts().index[:16].tolist()
    by_station = customers.groupby("start station name")["tripduration"]
    durations = [by_station.get_group(station).tolist() for station in stations]
    seeds = list(range(len(stations)))
    print(f"{len(stations)} stations, {sum(map(len, durations)):,} rides")

# %%
# The plain loop is the reference every parallel version must reproduce exactly.


def plain_loop():
    return [bootstrap_median(rides, seed) for rides, seed in zip(durations, seeds)]


if __name__ == "__main__":
    intervals = plain_loop()
    table = pd.DataFrame(intervals, index=stations, columns=["low (s)", "high (s)"])
    print(table.head(4).to_string())

# %%
# The cluster, and the size of the pools
# --------------------------------------
# The Dask versions need a cluster, made here and closed at the end of the lesson. The
# bootstrap holds the GIL, so workers that are threads of one process would take turns, as the
# pool's threads would: this cluster has one single-threaded worker *process* per core this
# job may use (at most 8), started under the guard for that reason. Its scheduler, workers
# and dashboard listen on this machine's loopback address only. The pool and joblib get as
# many processes as the cluster has worker threads, so that every version has the same number
# of hands.
from dask.distributed import Client, LocalCluster
from tutorial_helpers.cores import granted_cores

if __name__ == "__main__":
    # Worker processes: the script needs the __main__ guard (see above).
    cluster = LocalCluster(
        n_workers=min(granted_cores(), 8), threads_per_worker=1, processes=True,
        protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
    )
    client = Client(cluster)
    n_processes = min(sum(client.nthreads().values()), 8)
    print(f"{len(client.nthreads())} Dask worker processes; pools of {n_processes} processes")

# %%
# A process pool needs a function it can import
# ---------------------------------------------
# ``multiprocessing.Pool`` sends each call to a worker process as the *name* of the function,
# ``module.function``, plus its pickled arguments; the worker imports that module to find the
# function. Processes started with ``"spawn"`` (the default on Windows and macOS, and the safe
# choice wherever threads are running, as they are in a Dask client) begin as fresh Pythons. A
# function defined in a script is found by importing the script again, which is why the script
# needs the guard; a function defined in a notebook cell, or on this page, lives in a
# ``__main__`` module that a fresh Python cannot import, and the pool fails with "Can't get
# attribute". In a project the function lives in a module of yours; here we save it into
# ``resampling.py`` in a temporary folder (removed at the end) and put that folder on Python's
# path, which processes spawned from here inherit. The pool starts once, like the cluster, and
# serves every run below.
import inspect
import multiprocessing
import sys
import tempfile
from pathlib import Path

if __name__ == "__main__":
    module_dir = tempfile.TemporaryDirectory()
    module_code = "import random\nimport statistics\n\n\n" + inspect.getsource(bootstrap_median)
    Path(module_dir.name, "resampling.py").write_text(module_code)
    sys.path.insert(0, module_dir.name)  # where `import resampling` looks, here and in the pool
    import resampling

    pool = multiprocessing.get_context("spawn").Pool(n_processes)

# %%
# multiprocessing and joblib
# --------------------------
# ``starmap`` unpacks each ``(durations, seed)`` pair into a call of the imported function.
# joblib's ``Parallel`` runs ``joblib.delayed`` calls in processes of its own, started by its
# *loky* backend and kept for the next call. loky pickles a function defined in ``__main__`` by
# value, with cloudpickle, so it needs no module file (and its processes never import the
# script again).
import joblib


def with_pool():
    return pool.starmap(resampling.bootstrap_median, zip(durations, seeds))


def with_joblib():
    calls = (joblib.delayed(bootstrap_median)(rides, seed) for rides, seed in zip(durations, seeds))
    return joblib.Parallel(n_jobs=n_processes)(calls)


# %%
# The same function on the Dask cluster, three ways
# -------------------------------------------------
# - ``client.map`` is the pool's ``starmap`` for a cluster: one future per call, started at
#   once; ``gather`` collects the results. ``pure=False`` makes each run new work: by default
#   the same call gets the same key, and the scheduler could answer a repeated run from results
#   it still holds.
# - ``dask.delayed`` records the calls first and runs them with ``dask.compute``; the results
#   could feed further delayed steps in the same graph.
# - joblib's Dask backend keeps joblib code as it is and sends its calls to the cluster:
#   one ``with`` block around the ``Parallel`` call.
#
# All three send ``bootstrap_median`` itself by value, with cloudpickle, like loky.
import dask


def with_client_map():
    return client.gather(client.map(bootstrap_median, durations, seeds, pure=False))


def with_dask_delayed():
    calls = [dask.delayed(bootstrap_median)(rides, seed) for rides, seed in zip(durations, seeds)]
    return list(dask.compute(*calls))


def with_joblib_on_dask():
    calls = (joblib.delayed(bootstrap_median)(rides, seed) for rides, seed in zip(durations, seeds))
    with joblib.parallel_config(backend="dask"):
        return joblib.Parallel()(calls)


# %%
# Same answers
# ------------
# Each version runs once, and each must give exactly the plain loop's intervals: same seeds,
# same draws, whichever process made them. This first run also warms up the pools and workers.
ways = {
    "plain loop": plain_loop,
    "multiprocessing.Pool": with_pool,
    "joblib (loky)": with_joblib,
    "client.map": with_client_map,
    "dask.delayed": with_dask_delayed,
    "joblib, Dask backend": with_joblib_on_dask,
}
if __name__ == "__main__":
    answers = {name: run() for name, run in ways.items()}
    for name, answer in answers.items():
        print(f"{name:22} same intervals as the plain loop: {answer == intervals}")

# %%
# Measured side by side
# ---------------------
# ``compare`` times each version three more times and shows the medians. All five parallel
# versions run the same 16 calls on the same number of processes; what differs is the
# bookkeeping around each call: pickling the arguments and results, and, for Dask, a trip
# through the scheduler (about a millisecond per task).
from tutorial_helpers.timing import compare

if __name__ == "__main__":
    timings = compare(ways, warmup=0)  # the run above was the warm-up
    print(timings, end="\n\n")
    print(timings.verdict("multiprocessing.Pool", "plain loop",
                          otherwise="With little work per call, as with a small data set, sending "
                                    "calls to other processes costs more than it saves, and other "
                                    "programs on a busy machine take the spare cores."))
    print(timings.verdict("client.map", "plain loop",
                          otherwise="With little work per call, as with a small data set, each "
                                    "task's trip through the scheduler costs more than it saves, "
                                    "and other programs on a busy machine take the spare cores."))
    # The Dask versions against the pool: a trip through the scheduler is more bookkeeping per call.
    for other in ["client.map", "dask.delayed", "joblib, Dask backend"]:
        print(timings.verdict("multiprocessing.Pool", other,
                              otherwise="Run-to-run noise on a busy machine can outweigh the "
                                        "pool's smaller bookkeeping."))

# %%
# With ``n`` processes the parallel versions can be at most ``n`` times faster than the loop;
# the 16 stations differ in size, so the last process to finish sets the pace. How the Dask
# versions compare with the pool on one machine is in the lines above, measured here: their
# differences come from the bookkeeping per call, so with more work per call they shrink.
# Pick the one that fits the code you have. The Dask versions earn their overhead elsewhere:
# the same code runs on a cluster of many machines, and its results can stay there and feed
# further work.
#
# What changes on many machines
# -----------------------------
# On a cluster of many machines, each call's arguments travel over the network to a worker and
# its result travels back. Here that is 16 short lists of numbers; it becomes the cost when
# every call needs the same large object. Send such an object once per worker with
# ``client.scatter`` (:term:`scatter`) and pass the future it returns: each task then finds it where it runs.
# (joblib's Dask backend scatters by itself an argument over 1 kB that can be weakly
# referenced, such as a DataFrame or an array but not a plain list: once, to one worker, from
# which the others fetch it; the objects you name with
# ``parallel_config(backend="dask", scatter=[...])`` it sends to every worker before the first
# call.) Here every call gets the whole January table, scattered once, and picks its station
# itself:


def station_interval(table, station, seed):
    rides = table.loc[table["start station name"] == station, "tripduration"].tolist()
    return bootstrap_median(rides, seed)


if __name__ == "__main__":
    table_future = client.scatter(customers, broadcast=True)
    futures = client.map(station_interval, [table_future] * len(stations), stations, seeds)
    print("same intervals:", client.gather(futures) == intervals)

# %%
# Three more things move with the work. Files: a task that reads a file needs it on a disk
# every worker sees, such as a shared file system, or the data goes out through ``scatter``.
# Software: the workers import the same packages, in compatible versions, as your session.
# Functions: Dask sends functions defined in your script or notebook by value, but the modules
# they import must be installed on every worker, like ``resampling.py`` would be here.
#
# Clean up
# --------
# Close the pool and remove the module's folder (its entry on ``sys.path`` does no harm once
# the folder is gone). The cluster stays for the exercise, and closes at the end.
if __name__ == "__main__":
    del table_future, futures
    pool.close()
    pool.join()
    module_dir.cleanup()

# %%
# Key points
# ----------
# - ``multiprocessing`` sends functions by name: they must be importable by a fresh process,
#   which rules out notebook cells, and scripts need ``if __name__ == "__main__":``.
# - joblib (loky) and Dask send functions defined in your session by value (cloudpickle).
# - ``pool.starmap(f, pairs)`` → ``client.gather(client.map(f, xs, ys))``, or
#   ``dask.compute(*[dask.delayed(f)(x, y) ...])``, or the same joblib code inside
#   ``with joblib.parallel_config(backend="dask"):``.
# - Give each call its own seed: the parallel answers then equal the serial ones exactly.
# - On one machine the tools differ only in their bookkeeping per call (measure it, as
#   above); across machines, arguments and results travel, so ``scatter`` an object that many
#   calls share, once.
#
# Exercise
# --------
# Which station's day-pass riders have the least certain median? With ``dask.delayed``, compute
# 500-resample intervals for the same stations and seeds, and, in the same graph, find the
# station with the widest interval (a delayed function that takes all the intervals). Run it on
# the lesson's cluster, before the last cell closes it. Put the station's name in ``answer`` (a
# str) and the ``Delayed`` that finds it, before ``compute()``, in ``plan``, and run the check
# below: it compares with a reference computed with a plain loop over the same rides and seeds,
# reads ``plan``'s graph, and says what is wrong, without giving the answer away.
if __name__ == "__main__":
    answer = None  # your answer, computed: replace None
    plan = None  # the Delayed that finds the station, before compute(): replace None

# %%
from tutorial_helpers.exercises import check

if __name__ == "__main__":
    check("pools_to_dask", answer, plan=plan)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       def widest(intervals, stations):
#           widths = [high - low for low, high in intervals]
#           return stations[widths.index(max(widths))]
#
#
#       if __name__ == "__main__":
#           lazy = [dask.delayed(bootstrap_median)(rides, seed, 500)
#                   for rides, seed in zip(durations, seeds)]
#           plan = dask.delayed(widest)(lazy, stations)
#           intervals_500, answer = dask.compute(lazy, plan)
#           print(answer)
#           print(intervals_500 == [bootstrap_median(r, s, 500) for r, s in zip(durations, seeds)])
#           check("pools_to_dask", answer, plan=plan)

# %%
# Close the cluster
# -----------------
# The exercise done, close the client and the cluster's worker processes (under the guard,
# like everything that does work in this script).
if __name__ == "__main__":
    client.close()
    cluster.close()
