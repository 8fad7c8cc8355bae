"""
A cluster by hand: one scheduler, many workers
==============================================

On one machine, ``LocalCluster`` starts a Dask scheduler and its workers for you. On many
machines you start them yourself, one ``dask scheduler`` and as many ``dask worker`` processes
as you like, on whichever nodes you have, and your code connects to the scheduler with a
``Client``. This lesson does exactly that, with every "node" played by this machine: it starts
the processes, runs the bikes analysis on them unchanged, and stops everything cleanly.

**You will be able to:** start a scheduler and workers from the command line with a scheduler
file, connect to them with ``Client(scheduler_file=...)``, point any script that calls
``Client()`` at a running cluster with ``DASK_SCHEDULER_ADDRESS``, make your own modules
importable where the tasks run, say what changes on real nodes, and encrypt a cluster's
connections with TLS.

**Estimated time:** 25 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Scheduler and worker processes started by hand outlive a cell
#      that fails: stop what you started, in ``finally`` (``client.shutdown()``).
#    - **Do not skip:** The same code runs on a local cluster or on one made of separate processes:
#      only the address changes.
#    - **Ask the room:** On your HPC centre, where would the scheduler run, and where the workers?

# %%
# Three kinds of process
# ----------------------
# A Dask :term:`cluster` is one :term:`scheduler`, which holds the task graph and decides where
# each task runs, and any number of :term:`workers <worker>`, which run tasks and keep their
# results. Your program is the :term:`client`: it sends graphs to the scheduler and gets results
# back. The graph carries your functions, but not always their code: a function defined in your
# script or notebook travels whole, while one imported from a module of your own travels by
# name only, and the scheduler and the workers import that module themselves, like the
# libraries the tasks use (this lesson shows it below). So every node needs the same Python
# environment, with your modules in it. On a cluster you would type, on one node and then on
# each of the others:
#
# .. code-block:: bash
#
#    dask scheduler --scheduler-file ~/dask/scheduler.json
#    dask worker --scheduler-file ~/dask/scheduler.json --nthreads 4 --memory-limit 16GiB
#
# The scheduler writes its address into the *scheduler file*; workers and clients read it from
# there. That only works if every node sees the same file, so it lives on a shared filesystem
# such as your home directory. Here, the file goes into a temporary folder.
import tempfile
from pathlib import Path

from tutorial_helpers import bikes

files = bikes.trip_files()[:3]  # the first quarter: enough to see the work spread out
trip_dtypes = {"birth year": "float64", "end station id": "float64"}  # see lesson 2
folder = tempfile.TemporaryDirectory()
scheduler_file = Path(folder.name) / "scheduler.json"
scheduler_file.name

# %%
# The commands, with every node on this machine
# ---------------------------------------------
# Since all the "nodes" are one machine here, every process listens on the loopback address
# only (``--host 127.0.0.1``), on ports the system picks (``--port 0``,
# ``--dashboard-address 127.0.0.1:0``), so nothing on the network can reach them and no two
# runs clash. Each worker gets one thread and 2 GiB of memory. ``--no-nanny`` runs each worker
# in the very process we start, so stopping that process stops the worker; by default a small
# :term:`nanny` process starts the worker as its child and restarts it if it dies. (The
# temporary folder's name changes on every run; the commands show it as ``TMP``.)
import shlex


def scheduler_command(scheduler_file):
    return ["dask", "scheduler", "--scheduler-file", str(scheduler_file),
            "--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0"]


def worker_command(scheduler_file):
    return ["dask", "worker", "--scheduler-file", str(scheduler_file),
            "--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0",
            "--nthreads", "1", "--memory-limit", "2GiB", "--no-nanny"]


for command in (scheduler_command(scheduler_file), worker_command(scheduler_file)):
    print(shlex.join(command).replace(folder.name, "TMP"))

# %%
# Wait for the scheduler, but not forever
# ---------------------------------------
# A scheduler takes a moment to start, more on a busy node, and writes its file once it
# listens. ``Client(scheduler_file=...)`` waits for that file without a time limit, so a
# scheduler that crashed would leave us waiting forever. This function waits for a complete
# file, and gives up early if the scheduler process has exited or time runs out.
import json
import time


def wait_for_scheduler(scheduler_file, process, timeout=60):
    """The address in ``scheduler_file`` once the scheduler has written it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the scheduler exited with code {process.returncode}")
        try:
            return json.loads(scheduler_file.read_text())["address"]
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            time.sleep(0.1)  # not written yet, or only half written
    raise TimeoutError(f"no scheduler file after {timeout} s")


# %%
# Start, connect, and stop for sure
# ---------------------------------
# ``python -m dask`` is the ``dask`` command, run with this very Python, so the processes use
# the same environment whatever ``PATH`` says. ``stop`` waits for a process to exit, and kills
# it if it does not exit in time.
import subprocess
import sys


def start(command, log):
    return subprocess.Popen([sys.executable, "-m", *command], stdout=log, stderr=subprocess.STDOUT)


def stop(process, timeout=10):
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# %%
# A context manager puts the steps in order: remove a scheduler file an earlier run may have
# left, start the scheduler, wait for it, start the workers, connect a client and wait until all
# workers have joined (``client.wait_for_workers``). Whatever happens inside the ``with`` block,
# the ``finally`` clauses run: ``client.shutdown()`` stops the scheduler and its workers, and
# every process is waited for. No process and no port outlive it.
import contextlib

from distributed import Client


@contextlib.contextmanager
def cluster_by_hand(scheduler_file, n_workers):
    """Run ``dask scheduler`` and ``n_workers`` × ``dask worker``; yield a connected Client."""
    scheduler_file.unlink(missing_ok=True)
    with open(scheduler_file.with_suffix(".log"), "w") as log:  # what the processes print
        processes = [start(scheduler_command(scheduler_file), log)]
        try:
            wait_for_scheduler(scheduler_file, processes[0])
            processes += [start(worker_command(scheduler_file), log) for _ in range(n_workers)]
            with Client(scheduler_file=scheduler_file) as client:
                try:
                    client.wait_for_workers(n_workers, timeout=60)
                    yield client
                finally:
                    client.shutdown()
        finally:
            for process in processes:
                stop(process)


# %%
# Same code, different cluster
# ----------------------------
# The analysis is the one of :ref:`dask-dataframe`, unchanged. A new ``Client`` becomes the
# default scheduler, so a plain ``compute()`` inside the ``with`` block runs on the workers we
# started. To see where the work went, ``client.run`` calls a function once on every worker and
# returns its answers by worker address: here each worker answers with its host name and process
# id. On real nodes the host names would differ; here they are all this machine's.
import os
import socket

import dask.dataframe as dd


def where_am_i():
    return socket.gethostname(), os.getpid()


def station_counts(files):
    trips = dd.read_csv(files, dtype=trip_dtypes)
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    return clean["start station name"].value_counts()


# %%
# Any program can use a running cluster: ``DASK_SCHEDULER_ADDRESS``
# ---------------------------------------------------------------------
# When Dask is imported, it reads the environment variable ``DASK_SCHEDULER_ADDRESS`` into its
# configuration key ``scheduler-address``; a running program can set that key itself with
# ``dask.config.set``. Either way, a ``Client()`` with no arguments then connects to the
# scheduler at that address instead of starting a cluster of its own. This function connects
# a second client that way, as another program or a batch job started with
# ``DASK_SCHEDULER_ADDRESS=tcp://...`` would, and reports how many workers it finds there.
import dask


def connect_like_a_new_program(address):
    with dask.config.set({"scheduler-address": address}), Client() as other_client:
        return len(other_client.scheduler_info()["workers"])


# %%
# Your own modules must be on every node
# --------------------------------------
# Dask sends a function to the cluster with Python's ``pickle`` when that can do it, which
# writes only where to find the function: its module and its name. Only when that fails (a
# ``lambda``, a function defined inside another) or names ``__main__``, your script or
# notebook itself, does it switch to ``cloudpickle``, which writes the function's code too
# (``distributed.protocol.pickle.dumps``). So ``where_am_i`` above reaches the workers whole,
# but a function from a module of your own arrives as a name only, and the scheduler (which
# unpickles the graph it is sent) and the workers (which run it) must import that module
# themselves. This function writes a tiny module into the temporary folder and imports it from
# there, a folder the cluster's processes do not look in, as the compute nodes would not see
# your laptop's folder, and sends one of its functions to the cluster. Then it sends the file
# itself with ``client.upload_file``, which stores it where the scheduler and every worker,
# present and future, import it from. On a real cluster, install your modules in the
# environment every node uses instead (e.g. ``pip install -e .`` of your project, on the
# shared filesystem).
import importlib

from distributed.protocol import pickle as dask_pickle


def try_a_function_from_a_module(client):
    """What happens to a function imported from a module that only this process can import."""
    module_file = Path(folder.name) / "trip_units.py"
    module_file.write_text("def to_minutes(seconds):\n    return seconds / 60\n")
    sys.path.insert(0, folder.name)
    try:
        trip_units = importlib.import_module("trip_units")
    finally:
        sys.path.remove(folder.name)
    sent = {"where_am_i": dask_pickle.dumps(where_am_i), "to_minutes": dask_pickle.dumps(trip_units.to_minutes)}
    try:
        before = client.submit(trip_units.to_minutes, 600).result()
    except Exception as error:  # raised by the scheduler, which cannot import trip_units
        before = f"{type(error).__name__}: {str(error).split('.')[0]}"
    client.upload_file(str(module_file))
    after = client.submit(trip_units.to_minutes, 600, pure=False).result()  # a new task, not the failed one
    return sent, before, after


# %%
# Run it
# ------
# Everything that needs the cluster happens inside one ``with`` block. The workers read the CSV
# files themselves: on real nodes the data must be on a filesystem they all see, at the same
# path. (The note at the end of this page names the cluster the site was built on; the counts
# below come from the two workers started here.) Addresses and process ids change on every run,
# so we print what they tell us rather than the numbers themselves.
with cluster_by_hand(scheduler_file, n_workers=2) as client:
    host = client.scheduler.address.split("://")[1].rsplit(":", 1)[0]
    print(f"scheduler on {host}, {len(client.scheduler_info()['workers'])} workers connected")
    places = client.run(where_am_i)
    hosts = {name for name, _ in places.values()}
    pids = {pid for _, pid in places.values()}
    separate = "all separate from this one" if os.getpid() not in pids else "one of them this one"
    print(f"{len(places)} workers answered: {len(pids)} processes, {separate}, on {len(hosts)} host(s)")
    trips_per_station = station_counts(files).compute()
    other_sees = connect_like_a_new_program(client.scheduler.address)
    print(f"another client, from the address alone, sees {other_sees} workers")
    from_module = try_a_function_from_a_module(client)

sent, before, after = from_module
for name, pickled in sent.items():
    how = "by cloudpickle, code and all" if b"cloudpickle" in pickled else "by pickle, module and name only"
    print(f"{name}: {len(pickled)} bytes, {how}")
print("to_minutes(600) before upload_file:", before)
print("to_minutes(600) after upload_file:", after)
trips_per_station.nlargest(5)

# %%
# The scheduler's own account
# ---------------------------
# The scheduler's log shows the same story from its side: where it listened, and each worker
# registering. On a real cluster this log is the first place to look when workers do not show up.
# The addresses in it change on every run: we print them as ``ADDRESS``.
import re

log_lines = scheduler_file.with_suffix(".log").read_text().splitlines()
for line in log_lines:
    if "Scheduler at" in line or "Register worker" in line:
        message = line.split(" - ")[-1]  # the message, without time and logger
        print(re.sub(r"\b(?:tcp|tls)://\S+", "ADDRESS", message))

# %%
# Nothing left running
# --------------------
# Every process that was started with our scheduler file on its command line has exited; no
# process and no port are left behind. Then the temporary folder can go.
import psutil

leftovers = [
    process.pid
    for process in psutil.process_iter(["cmdline"])
    if str(scheduler_file) in " ".join(process.info["cmdline"] or [])
]
folder.cleanup()
leftovers

# %%
# On real nodes
# -------------
# The same three steps, spread over machines:
#
# - **Scheduler** on one node (a :term:`login node` is often not allowed: use the first node of your
#   job). Default ports are 8786 for the scheduler and 8787 for its dashboard.
# - **Workers** on the other nodes, as many ``dask worker`` processes per node as suits the
#   work (see :ref:`dask-distributed`). ``--nthreads`` and ``--memory-limit`` should add up
#   to what the batch system gave you on that node.
# - **Network**: instead of ``--host 127.0.0.1``, let each process listen on the nodes' fast
#   network, e.g. ``--interface ib0`` (InfiniBand) or ``--interface eth0``.
# - **Scheduler file** on a shared filesystem, so workers and clients find the scheduler
#   wherever it started; or pass the address itself: ``dask worker tcp://node001:8786``.
# - **Dashboard**: reach it from your laptop through SSH, e.g.
#   ``ssh -L 8787:localhost:8787 you@node001``, then open http://localhost:8787.
#
# The course's lessons each start a small ``LocalCluster`` of their own, in view. To run a
# lesson's analysis on a cluster like this one instead, replace that cell with
# ``client = Client("tcp://node001:8786")`` (or a plain ``Client()`` with
# ``DASK_SCHEDULER_ADDRESS`` set), and keep the data where every node reads it, since the
# workers read the files themselves:
#
# .. code-block:: bash
#
#    export DASK_COURSE_DATA=/shared/project/bluebikes   # the same path on every node

# %%
# Encrypted connections: TLS
# --------------------------
# Outside a private network, a scheduler that anyone can reach should require encryption and
# certificates. Dask speaks **TLS**: give the scheduler and the workers a certificate signed by a
# certificate authority (CA) you trust, and use ``tls://`` addresses:
#
# .. code-block:: bash
#
#    dask scheduler --protocol tls --tls-ca-file ca.pem --tls-cert node.pem --tls-key node.key \
#        --scheduler-file ~/dask/scheduler.json
#    dask worker --tls-ca-file ca.pem --tls-cert node.pem --tls-key node.key \
#        --scheduler-file ~/dask/scheduler.json
#
# A client then brings its own certificate in a ``distributed.Security`` object. This code, like
# the commands above, needs certificate files made for your nodes (by your site's CA, or by you
# with ``openssl``) and a scheduler at ``node001``; neither exists here, so it is shown, not run:
#
# .. container:: not-run-here
#
#    .. code-block:: python
#
#       from distributed import Client, Security
#
#       security = Security(
#           tls_ca_file="ca.pem",
#           tls_client_cert="client.pem",
#           tls_client_key="client.key",
#           require_encryption=True,
#       )
#       client = Client("tls://node001:8786", security=security)
#
# A program that only calls ``Client()`` takes the same settings from the environment (they are Dask configuration keys under ``distributed.comm.tls``):
#
# .. code-block:: bash
#
#    export DASK_DISTRIBUTED__COMM__TLS__CA_FILE=ca.pem
#    export DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT=client.pem
#    export DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY=client.key
#    DASK_SCHEDULER_ADDRESS=tls://node001:8786 python my_analysis.py
#
# To try TLS on one machine you need no files: ``Security.temporary()`` makes a throwaway key and
# a self-signed certificate, in memory only, for the scheduler, the workers and the client (it
# uses the ``cryptography`` package, which the course installs). A ``LocalCluster`` with
# ``protocol="tls"`` then encrypts every connection, on the loopback address as before. Its
# scheduler and workers run in this process (``processes=False``), so no ``if __name__ ==
# "__main__":`` is needed; ``silence_logs="error"`` keeps their routine log messages out of the
# output, and the ``with`` block closes it all. A client that brings a certificate the cluster
# did not issue, here a second temporary one, is turned away.
from distributed import LocalCluster, Security

security = Security.temporary()
with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tls",
                  security=security, host="127.0.0.1", dashboard_address="127.0.0.1:0",
                  silence_logs="error") as tls_cluster, Client(tls_cluster) as tls_client:
    tls_address = tls_client.scheduler.address
    tls_counts = station_counts(files).compute()
    try:
        with Client(tls_address, security=Security.temporary(), timeout="10s"):
            stranger = "connected"
    except OSError as error:
        stranger = f"refused ({error})"
protocol, location = tls_address.split("://")
print(f"scheduler: {protocol} on {location.rsplit(':', 1)[0]}, on a port the system chose")
print("same counts as before:", tls_counts.sort_index().equals(trips_per_station.sort_index()))
print("a client with another certificate:", stranger.replace(tls_address, "the scheduler"))

# %%
# Key points
# ----------
# - A cluster is one ``dask scheduler`` and any number of ``dask worker`` processes; a
#   ``Client`` connects your program to the scheduler. Where they run does not change your code.
# - A scheduler file on a shared filesystem tells workers and clients where the scheduler is;
#   wait for it with a time limit, and for the workers with ``client.wait_for_workers``.
# - Stop what you started, in ``finally``: ``client.shutdown()`` ends the scheduler and its
#   workers; then wait for the processes.
# - ``DASK_SCHEDULER_ADDRESS`` makes ``Client()`` connect to a running cluster: a script that
#   calls a plain ``Client()`` can run on a cluster without changing a line.
# - Functions of your script or notebook travel with the graph, code and all; functions from
#   your own modules travel by name, so the scheduler and the workers must import those modules:
#   install them where every node finds them (or send a file with ``client.upload_file``).
# - Across a network you don't trust, use ``tls://`` with certificates and ``distributed.Security``;
#   ``Security.temporary()`` tries it out on one machine.

# %%
# Exercise
# --------
# Start the cluster by hand again, with ``cluster_by_hand``, this time with three workers, and
# compute on it the mean duration in minutes of the clean trips in ``files`` (as
# ``station_counts`` cleans them), per user type. Put the means in ``answer`` (a pandas Series
# indexed by user type) and the scheduler's own account of its cluster, taken inside the
# ``with`` block while the workers run, in ``scheduler`` (the dict ``client.scheduler_info()``
# returns). Then run the check below: it compares the means with a reference computed with
# pandas from the same files, reads from the scheduler's account how many workers it had, with
# how many threads and how much memory, where they listened and who started them, and says
# what is wrong, without giving the answer away.
answer = None  # your answer, computed: replace None
scheduler = None  # client.scheduler_info(), taken inside the with block

# %%
from tutorial_helpers.exercises import check

check("scheduler_and_workers", answer, scheduler=scheduler)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       with tempfile.TemporaryDirectory() as exercise_folder:
#           exercise_file = Path(exercise_folder) / "scheduler.json"
#           with cluster_by_hand(exercise_file, n_workers=3) as client:
#               scheduler = client.scheduler_info()
#               trips = dd.read_csv(files, dtype=trip_dtypes)
#               clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
#               by_usertype = clean.groupby("usertype")["tripduration"].mean() / 60
#               minutes_by_usertype = by_usertype.compute()
#       print(f"{scheduler['n_workers']} workers, {scheduler['total_threads']} threads")
#       print(minutes_by_usertype.round(1))
#       answer = minutes_by_usertype
#       check("scheduler_and_workers", answer, scheduler=scheduler)
