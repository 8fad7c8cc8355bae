"""
Your own cluster: LocalCluster, Client and the dashboard
========================================================

So far every lesson started the same small cluster in its first cells: one worker whose threads
run inside your own Python process. Here you start a real multi-process one with
``dask.distributed``: choose how many worker processes, threads and how much memory it gets, connect a ``Client`` to it, find its dashboard, and save a performance report of a real
computation that you can open offline, like the one shown on this page.

**You will be able to:** start and close a ``LocalCluster`` and ``Client`` safely from a
script, describe a cluster by its size, explain what the dashboard's main panels show, and
record a computation with ``performance_report``.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** The dashboard link does not open on a portal session: use the
#      portal's proxy or an SSH tunnel (find out which before class); scripts need the ``__main__``
#      guard.
#    - **Do not skip:** Show the dashboard live during a computation: task stream, progress and
#      worker memory.
#    - **Ask the room:** In the task stream, what do the gaps between tasks tell you?

# %%
# Scheduler, workers, client
# --------------------------
# A ``dask.distributed`` cluster has three parts. The *scheduler* holds the task graph and
# decides which task runs where. *Workers* run the tasks: each is a separate Python process
# with a few threads and a :term:`memory limit`. The *client* lives in your Python session: it sends
# graphs to the scheduler and brings results back. ``LocalCluster`` starts a scheduler and
# workers on this machine; on a compute cluster, other tools start them across nodes and you
# connect the same ``Client`` to them.
#
# Each worker process starts by importing the script that started it. Any line that starts or
# uses the cluster must therefore only run in the original program, under
# ``if __name__ == "__main__":``, or the script fails with "Nanny failed to start". (A notebook
# needs no such line.) Definitions, like the ones below, can stay at the top level.
import os

import dask.dataframe as dd
from distributed import Client, LocalCluster
from tutorial_helpers import bikes

files = bikes.trip_files()[:3]  # three months are plenty to see the cluster at work
trip_dtypes = {"birth year": "float64", "end station id": "float64"}  # see the Dask DataFrame lesson

# %%
# Start a cluster
# ---------------
# Two worker processes with one thread each and 1 GiB of memory each. ``host`` and
# ``dashboard_address`` keep every service on the loopback interface, so only programs on this
# machine can connect; port 0 asks the system for any free port, so two clusters on one
# machine never collide. (The default dashboard address, ``:8787``, listens on every network
# interface.) ``Client(cluster)`` connects to it and becomes the default: from now on, every
# ``compute()`` in this program runs there.
if __name__ == "__main__":
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        memory_limit="1GiB",
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    )
    client = Client(cluster)

# %%
# What did we get?
# ----------------
# Displaying ``client`` in a notebook shows a summary, but it is full of addresses, ports and
# random ids that change on every start. What matters about a cluster is its size, which the
# scheduler reports for every worker. ``client.run`` calls a function on every worker: here
# ``os.getpid``, to see that the workers really are separate processes.


def describe_cluster(client):
    """The cluster's size, in words: workers × threads and memory limit per worker."""
    workers = list(client.scheduler_info(n_workers=-1)["workers"].values())
    threads = workers[0]["nthreads"]
    memory = workers[0]["memory_limit"] / 2**30
    return f"{len(workers)} worker process(es) × {threads} thread(s), {memory:.1f} GiB memory limit each"


if __name__ == "__main__":
    print(describe_cluster(client))
    worker_pids = client.run(os.getpid)
    print(f"{len(set(worker_pids.values()))} worker process IDs, this process among them: "
          f"{os.getpid() in worker_pids.values()}")

# %%
# Compute on it
# -------------
# Nothing else changes: the Dask DataFrame code of the earlier lessons runs on this cluster
# because its client is the default one.
if __name__ == "__main__":
    trips = dd.read_csv(files, dtype=trip_dtypes)
    station_stats = trips.groupby("start station name")["tripduration"].agg(["count", "mean"]).compute()
    print(station_stats.sort_values("count", ascending=False).head().round(1).to_string())

# %%
# The dashboard
# -------------
# While a cluster runs, the scheduler serves a live :term:`dashboard` in the browser, at the address
# ``client.dashboard_link``. Its parts say who can reach it: this cluster's dashboard listens on
# this machine's loopback interface only, on a free port chosen when the cluster started (the
# page shows no address: it would be dead by the time you read it).
from urllib.parse import urlsplit

if __name__ == "__main__":
    dashboard = urlsplit(client.dashboard_link)
    print(f"dashboard on host {dashboard.hostname} (loopback only: "
          f"{dashboard.hostname == '127.0.0.1'}), page {dashboard.path}")

# %%
# In your own session, ``print(client.dashboard_link)`` and open that address in a browser on
# the same machine. On a remote machine, forward the port through SSH first
# (``ssh -L 8787:127.0.0.1:<port> you@machine``, then open ``http://localhost:8787/status``).
# The Status page has the panels to watch while work runs:
#
# Task Stream
#     One row per worker thread, one bar per task, coloured by the kind of task
#     (``read_csv``, ``groupby``...), over time. Gaps are idle threads; red bars are data
#     moving between workers. Long gaps mean too few tasks or a slow client; a sea of very thin
#     bars means tasks too small for their overhead.
# Progress
#     One bar per kind of task: how many are done, in memory, waiting. It tells you how far a
#     computation has got.
# Bytes stored (memory per worker)
#     How much memory each worker uses, split into data Dask manages, memory the process uses
#     for anything else (*unmanaged*), and data *spilled* to disk. Bars turn orange and red as
#     a worker nears its memory limit: the worker-memory lesson shows what happens then.
# Task Processing and CPU
#     How many tasks each worker has queued, and how busy its cores are: an even spread means a
#     balanced cluster.
#
# The other pages go deeper: *Workers* (CPU, memory and network of each worker), *Graph* (the
# task graph as it runs), *Profile* (which lines of code the tasks spent their time in) and
# *System* (the scheduler's own load).
#
# A performance report: the dashboard, saved
# ------------------------------------------
# The dashboard disappears with the cluster. ``performance_report`` records what happens
# inside its ``with`` block and saves it as one HTML file: the task stream, the worker
# profile, the bandwidth between workers, and a summary with the duration and number of tasks.
# ``mode="inline"`` puts the JavaScript it needs inside the file, so it opens offline and can
# be attached to an issue or a lab notebook. Here is a report of the trips per starting hour of
# three months; the report opens below the code, and full size through its link.
from distributed import performance_report

if __name__ == "__main__":
    with performance_report(filename="dask-report.html", mode="inline"):
        trips = dd.read_csv(files, dtype=trip_dtypes, parse_dates=["starttime", "stoptime"])
        # split_out=1: one output partition; 24 counts need no shuffle between workers
        trips_per_hour = trips["starttime"].dt.hour.value_counts(split_out=1).compute()
    print(trips_per_hour.sort_index().to_string())

# %%
# In the report's *Task Stream* tab, each of the two rows is one worker's thread. Each file
# (here smaller than ``read_csv``'s 64 MB blocks, so one partition per file) is read, its start
# times parsed and its hours counted, one coloured bar per step; at the end a short
# ``valuecounts-tree`` task combines the three files' counts. The *Summary* tab gives the
# duration, the number of tasks and the compute time; *Worker Profile (compute)* shows which
# functions the time went to.
#
# Close what you started
# ----------------------
# A cluster keeps its processes, ports and memory until it is closed. Close the client first,
# then the cluster.
if __name__ == "__main__":
    client.close()
    cluster.close()
    print("cluster closed:", cluster.status.name)

# %%
# In a script: ``with`` closes it for you
# ---------------------------------------
# ``LocalCluster`` and ``Client`` are context managers: a ``with`` block closes both at its
# end, even if the code inside fails. That is the safest form for scripts and batch jobs. Put
# it in a function and call the function under ``if __name__ == "__main__":``.


def busiest_stations(files, n_workers, threads_per_worker):
    with LocalCluster(
        n_workers=n_workers, threads_per_worker=threads_per_worker,
        host="127.0.0.1", dashboard_address="127.0.0.1:0",
    ) as cluster, Client(cluster) as client:
        print(describe_cluster(client))
        trips = dd.read_csv(files, dtype=trip_dtypes)
        return trips["start station name"].value_counts(split_out=1).nlargest(5).compute()


if __name__ == "__main__":
    top_stations = busiest_stations(files, n_workers=1, threads_per_worker=2)
    print(top_stations.to_string())

# %%
# Key points
# ----------
# - ``LocalCluster`` starts a scheduler and worker processes on this machine; ``Client``
#   connects to them and becomes the default for ``compute()``.
# - Choose the size explicitly (``n_workers``, ``threads_per_worker``, ``memory_limit``) and
#   keep services on loopback (``host="127.0.0.1"``, ``dashboard_address="127.0.0.1:0"``).
# - In scripts, start clusters under ``if __name__ == "__main__":``; use ``with`` blocks so
#   they are always closed.
# - Describe a cluster by its size, from ``client.scheduler_info()``, not by its repr.
# - The dashboard shows the work live; ``performance_report(..., mode="inline")`` saves it as
#   one HTML file that works offline.
#
# Exercise
# --------
# Start a cluster of one worker with two threads and a 2 GiB memory limit in a ``with`` block,
# print its description, and compute the mean trip duration in minutes per user type over all
# the trips of the three months in ``files`` (as read above, no cleaning), inside a performance
# report saved as ``usertype-report.html``. Put the means in ``answer`` (a pandas Series indexed
# by user type) and run the check below with the report's file name: it compares with a
# reference computed with pandas from the same files, reads the cluster's size and number of
# tasks from the report, and says what is wrong, without giving the answer away.
if __name__ == "__main__":
    answer = None  # your answer, computed: replace None

# %%
from tutorial_helpers.exercises import check

if __name__ == "__main__":
    check("local_cluster", answer, report="usertype-report.html")

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       if __name__ == "__main__":
#           with LocalCluster(n_workers=1, threads_per_worker=2, memory_limit="2GiB",
#                             host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster, \
#                   Client(cluster) as client:
#               print(describe_cluster(client))
#               with performance_report(filename="usertype-report.html", mode="inline"):
#                   trips = dd.read_csv(files, dtype=trip_dtypes)
#                   minutes_by_usertype = (trips.groupby("usertype")["tripduration"].mean() / 60).compute()
#           print(minutes_by_usertype.round(1))
#           answer = minutes_by_usertype
#           check("local_cluster", answer, report="usertype-report.html")
