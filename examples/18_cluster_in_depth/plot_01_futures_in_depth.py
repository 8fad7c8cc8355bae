"""
Futures beyond the basics
=========================

The :ref:`futures lesson <futures>` submitted independent calls and collected their results.
Real programs need more: one large input that every call reads, tasks that decide for
themselves what else to compute, work whose result nobody waits for, calls that fail now and
then, and tasks that must coordinate with each other. This lesson does each with one month of
bike trips, on a small cluster of its own.

**You will be able to:** send a large input to the workers once with ``scatter`` and measure
what it saves, submit tasks from inside a task with ``worker_client``, run side effects with
``fire_and_forget``, retry a failing call with ``retries=``, coordinate tasks with
``Variable``, ``Lock`` and ``Queue``, and let work grow with ``as_completed(...).add``.

**Estimated time:** 30 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Passing a large table to every ``submit`` sends it every time;
#      learners do not see the cost until the cluster has many machines.
#    - **Do not skip:** A task that waits for tasks it submitted must give its thread back
#      (``worker_client()``), or the workers can run out of threads.
#    - **Ask the room:** Which of these tools would you use to stop a long search early?

# %%
# A cluster of our own
# --------------------
# As in the futures lesson: two workers with one thread each, running as threads of this
# process (``processes=False``, so the same code runs as a script and in a notebook) but
# talking over TCP on the loopback interface, so that every input and result is serialised
# and sent as on a real cluster. Two workers, not one, so that data really moves between
# workers. Instead of the client's repr, which is full of ports and random ids, we print what
# matters: the workers and their threads. ``silence_logs`` quiets the cluster's routine
# messages while it runs.
import logging

from distributed import Client, LocalCluster

# Workers as threads of this Python process: no __main__ guard needed in a script.
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
threads = client.nthreads()
print(f"{len(threads)} workers, {sum(threads.values())} threads in all")

# %%
# One large input, many calls
# ---------------------------
# The input: January's trips as a pandas DataFrame, a few megabytes. Every call below reads
# the whole table and answers a question about one station: the median length of the rides
# that start there.
import pandas as pd
from tutorial_helpers import bikes

columns = ["tripduration", "starttime", "start station id", "end station id", "usertype"]
trips = pd.read_csv(bikes.trip_files()[0], usecols=columns)
stations = trips["start station id"].value_counts().index[:12].tolist()
print(f"{len(trips):,} trips, {trips.memory_usage(deep=True).sum() / 2**20:.1f} MiB in memory")


def median_ride(trips, station):
    """Median ride length, in minutes, of the trips that start at ``station``."""
    return float(trips.loc[trips["start station id"] == station, "tripduration"].median() / 60)


# %%
# Passing the table in every call, or scattering it once
# ------------------------------------------------------
# ``client.map(median_ride, [trips] * 12, stations)`` puts the table into the task graph: the
# client serialises it and sends it to the scheduler, which hands it to the workers with the
# tasks. (Dask notices that the twelve arguments are the same object and ships one copy, but
# still on every ``map``; above 10 MB, its ``large-graph-warning-threshold``, it warns
# "Sending large graph".)
# ``client.scatter`` sends the data to the workers once and returns a future that points to
# it; tasks that take that future as an argument read the copy already on their worker.
# ``broadcast=True`` puts a copy on every worker, so no worker has to fetch it from another.
#
# Each timed run scatters afresh (``hash=False``) and submits fresh tasks (``pure=False``), so
# no run can reuse what an earlier one left on the cluster.
from tutorial_helpers.timing import compare


def passed_in_every_call():
    futures = client.map(median_ride, [trips] * len(stations), stations, pure=False)
    return client.gather(futures)


def scattered_once():
    [trips_future] = client.scatter([trips], broadcast=True, hash=False)
    futures = client.map(median_ride, [trips_future] * len(stations), stations, pure=False)
    return client.gather(futures)


timings = compare({"passed in every call": passed_in_every_call, "scattered once": scattered_once})
timings

# %%
print(
    timings.verdict(
        "scattered once",
        "passed in every call",
        otherwise="Scattering costs a round trip of its own; with a small table or few calls, "
        "that can outweigh what it saves.",
    )
)

# %%
# Both give the same medians. The saving grows with the input and with the number of times it
# is used: on a cluster of many machines a table in the graph travels from the client through
# the scheduler, which is why Dask warns about large graphs; a scattered table goes to the
# workers once and stays there until its future is released.
trips_future = client.scatter(trips, broadcast=True)
medians = client.gather(client.map(median_ride, [trips_future] * len(stations), stations))
print(medians == passed_in_every_call())
print({station: round(m, 1) for station, m in zip(stations, medians)})

# %%
# Tasks that submit tasks
# -----------------------
# Sometimes only a task knows what work comes next: a divide-and-conquer algorithm splits its
# input and hands the halves to new tasks. Inside a task, ``worker_client()`` gives a client
# connected to the same scheduler. While the ``with`` block waits for its sub-tasks, the task
# *secedes*: it gives its thread back to the worker, so the sub-tasks can run even though
# each worker here has only one thread; at the end of the block it *rejoins*. (The same by
# hand: ``get_client()``, then ``secede()`` before waiting and ``rejoin()`` after.)
#
# Here a task counts the trips in a list of monthly files: one file it counts itself, more it
# splits in two and submits a task for each half.
from distributed import worker_client


def count_trips(paths):
    if len(paths) == 1:
        return len(pd.read_csv(paths[0], usecols=["tripduration"]))
    half = len(paths) // 2
    with worker_client() as inner:
        left = inner.submit(count_trips, paths[:half])
        right = inner.submit(count_trips, paths[half:])
        return left.result() + right.result()


quarter = bikes.trip_files()[:4]
first_quarter_trips = client.submit(count_trips, quarter).result()
print(f"{first_quarter_trips:,} trips from January to April, counted by 7 tasks")

# %%
# Fire and forget, with a lock
# ----------------------------
# A future's result is kept while some client holds the future; when the future is garbage
# collected, the scheduler may drop the task, even before it runs. For work wanted only for
# its side effect, writing a file, say, ``fire_and_forget(future)`` tells the scheduler to run
# it to the end anyway.
#
# Here four tasks append a line each to one summary file. Two writers appending at once could
# interleave their lines, so each takes a distributed ``Lock`` first: a lock that lives on
# the scheduler, so it also works across processes and machines. The file goes into a
# temporary folder that the lesson removes at the end.
import tempfile
import time
from pathlib import Path

from distributed import Lock, fire_and_forget

folder = tempfile.TemporaryDirectory()
summary = Path(folder.name) / "summary.csv"


def append_median(path, trips, station):
    line = f"{station},{median_ride(trips, station):.2f}\n"
    with Lock("summary-file"):
        with open(path, "a") as file:
            file.write(line)


for station in stations[:4]:
    fire_and_forget(client.submit(append_median, summary, trips_future, station))

# %%
# Nothing here waits for those tasks, so we poll the file until its four lines are there.
deadline = time.monotonic() + 30
while time.monotonic() < deadline and (
    not summary.exists() or len(summary.read_text().splitlines()) < 4
):
    time.sleep(0.1)
summary_lines = sorted(summary.read_text().splitlines())
print("\n".join(summary_lines))

# %%
# Retrying a flaky call
# ---------------------
# Reading from network storage can fail now and then for reasons that go away on a second try.
# ``retries=n`` asks the scheduler to run a failed task again, up to ``n`` more times, before
# it reports the error. To make the flakiness reproducible, this function fails on its first
# attempt only. It counts its attempts in a ``Variable``: a named value on the scheduler that
# every task and client can read and set.
from distributed import Variable

attempts = Variable("attempts")


def flaky_median(trips, station):
    attempt = Variable("attempts").get() + 1
    Variable("attempts").set(attempt)
    if attempt == 1:
        raise ConnectionError("storage did not answer (first attempt)")
    return median_ride(trips, station)


# %%
# Without retries, the first failure is the result:
from distributed import wait

attempts.set(0)
no_retry = client.submit(flaky_median, trips_future, stations[0], pure=False)
wait(no_retry)
print(no_retry.status, repr(no_retry.exception()))

# %%
# With ``retries=2`` the scheduler runs it again after the failure, and the second attempt
# succeeds:
attempts.set(0)
retried = client.submit(flaky_median, trips_future, stations[0], retries=2, pure=False)
retried_median = retried.result()
retried_attempts = attempts.get()
print(f"median {retried_median:.2f} min after {retried_attempts} attempts")

# %%
# Retries are for failures that may not happen again. A bug fails on every attempt, and
# retrying only delays the error; a worker that dies is handled separately, by the scheduler's
# allowed-failures (``KilledWorker`` after the fourth death, by default).
#
# A queue from the workers
# ------------------------
# A ``Queue`` on the scheduler carries values between tasks and clients in the order they
# were put, which is useful for progress messages or a stream of results. Each task below puts
# its station and median; this process takes them off the queue as they come.
from distributed import Queue

messages = Queue("medians")


def report_median(trips, station):
    Queue("medians").put((station, round(median_ride(trips, station), 2)))


reporters = client.map(report_median, [trips_future] * 4, stations[:4])
received = sorted(messages.get() for _ in reporters)
received

# %%
# Work that grows as results arrive
# ---------------------------------
# Which stations are reached from the busiest one within two rides, following only each
# station's five most common destinations? The list of stations to look at is only known as
# answers come in: each answer may name new stations. ``as_completed`` yields futures as they
# finish, and ``add`` puts new ones into the same loop.
from distributed import as_completed


def top_destinations(trips, station, k=5):
    """The ``k`` most common end stations of the trips that start at ``station``."""
    ends = trips.loc[trips["start station id"] == station, "end station id"]
    return [int(s) for s in ends.value_counts().index[:k]]


start = int(stations[0])
depth = {start: 0}
first = client.submit(top_destinations, trips_future, start)
looking = {first: start}
arriving = as_completed([first])
for finished in arriving:
    station = looking.pop(finished)
    for destination in finished.result():
        if destination not in depth:
            depth[destination] = depth[station] + 1
            if depth[destination] < 2:
                new = client.submit(top_destinations, trips_future, destination)
                looking[new] = destination
                arriving.add(new)
reached = sorted(depth)
print(f"{len(reached)} stations within two rides of station {start}: {reached}")

# %%
# Every station one ride away is known when the first task finishes, before any station two
# rides away is looked at, so the set reached is the same whatever the order in which the
# workers finish.
#
# Clean up
# --------
# Remove the temporary folder. The cluster stays for the exercise, and closes at the end.
folder.cleanup()

# %%
# Key points
# ----------
# - ``client.scatter(data, broadcast=True)`` sends a large input to the workers once; pass the
#   future it returns to every call instead of the data. Measure: with small data or few calls
#   the saving can vanish.
# - Inside a task, ``with worker_client() as client:`` submits more tasks; the task secedes
#   from its thread while it waits, so the sub-tasks cannot be starved.
# - ``fire_and_forget(future)`` runs a task to the end though no one keeps its future: for side
#   effects.
# - ``retries=n`` re-runs a task that raised, up to ``n`` times: for failures that may go away.
# - ``Variable``, ``Lock`` and ``Queue`` live on the scheduler and coordinate tasks and clients
#   across processes and machines.
# - ``as_completed(...).add`` lets the work grow with what the results say.
#
# Exercise
# --------
# On the lesson's cluster, scatter January's trips once, then compute with
# ``client.map`` the share of the trips starting at each of the first six stations in
# ``stations`` that last more than 20 minutes, retrying each call up to twice. Put the shares
# in ``answer`` (a dict from station to share, a float) and the futures ``client.map`` gave you
# in ``share_futures``, and run the check below while the cluster runs: it compares with a
# reference computed with pandas from the same file, looks up your futures' tasks on the
# scheduler (their retries, the scattered table they read), and says what is wrong, without
# giving the answer away.
answer = None  # your answer, computed: replace None
share_futures = None  # the list of futures from client.map: replace None

# %%
from tutorial_helpers.exercises import check

check("futures_in_depth", answer, futures=share_futures)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       def share_long(trips, station, minutes=20):
#           rides = trips.loc[trips["start station id"] == station, "tripduration"]
#           return float((rides > minutes * 60).mean())
#
#       shared = client.scatter(trips, broadcast=True)
#       share_futures = client.map(share_long, [shared] * 6, stations[:6], retries=2)
#       answer = dict(zip(stations[:6], client.gather(share_futures)))
#       print({station: round(share, 3) for station, share in answer.items()})
#       check("futures_in_depth", answer, futures=share_futures)

# %%
# Close the cluster
# -----------------
# The exercise done, close the client and the cluster.
client.close()
cluster.close()
