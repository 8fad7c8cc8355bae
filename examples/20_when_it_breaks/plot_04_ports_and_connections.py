"""
A client that cannot reach its scheduler, and ports already taken
=================================================================

A ``Client`` talks to its scheduler over the network, and a cluster listens on ports: one for
the scheduler, one for the dashboard. When the address is wrong, nothing listens there, the port
is already taken or the scheduler goes away, Dask says so in a few messages that are worth
recognising at a glance. This lesson triggers each of them for real on this machine's loopback
interface, prints the exact message, shows how to confirm the cause in a second, and runs the
fix.

**You will be able to:** read "Timed out trying to connect" and tell an address where nothing
listens from a malformed one, set how long a client waits (``distributed.comm.timeouts.connect``),
check whether anything listens on a port, connect to the address a cluster reports, recognise a
dashboard that moved to another port and a scheduler port that is taken, and recover from
"scheduler-connection-lost".

**Estimated time:** 20 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners copy a scheduler address from an old run (or from a
#      colleague), and the client waits 30 seconds before saying anything; or a forgotten cluster
#      in another notebook holds port 8787, and the dashboard they open is the old one.
#    - **Do not skip:** The address a cluster *reports* (``cluster.scheduler_address``,
#      ``cluster.dashboard_link``) is the truth; the one you asked for is a wish.
#    - **Ask the room:** The client gave up after exactly 30 seconds. What does that tell you, and
#      what would a failure after 0.01 seconds tell you?

# %%
# A cluster of our own, and a log we can read
# -------------------------------------------
# The lesson's cluster is a small one, one worker running in threads of this Python process,
# talking over TCP on the loopback interface (``127.0.0.1``) like a real cluster. Port ``0`` means
# "any free port": the system picks one, and the cluster reports which.
#
# Dask's components report trouble through Python's ``logging`` (the lines you see on stderr,
# starting with a date and ``distributed.``). To show the relevant lines on this page, a small
# handler keeps every message of the ``distributed`` loggers in a list. Dask's logging
# configuration gives ``distributed.client`` a handler of its own that does not pass messages
# on to ``distributed``, so the handler listens to both.
import logging

from distributed import Client, LocalCluster


class LogLines(logging.Handler):
    """Keep the messages of Dask's ``distributed`` loggers, as "logger - LEVEL - message"."""

    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(f"{record.name} - {record.levelname} - {record.getMessage()}")

    def matching(self, text):
        return [line for line in self.lines if text in line]


log = LogLines()
log_names = ["distributed", "distributed.client"]
for name in log_names:
    logging.getLogger(name).addHandler(log)

cluster = LocalCluster(
    n_workers=1,
    threads_per_worker=2,
    processes=False,
    protocol="tcp",
    host="127.0.0.1",
    dashboard_address="127.0.0.1:0",
)
client = Client(cluster)
print(f"{len(client.scheduler_info()['workers'])} worker, {sum(client.nthreads().values())} threads")

# %%
# The addresses on this page
# ~~~~~~~~~~~~~~~~~~~~~~~~~~
# Every address below carries a port that the system chose for this run: it is different on
# your machine and on every run, and it means nothing outside this run. So the lesson prints
# each message with the run's address or port replaced by a placeholder in angle brackets
# (``<address>``, ``<port asked for>``); the rest of the message is exactly what Dask printed.
# On your machine, print ``cluster.scheduler_address`` and ``cluster.dashboard_link`` to see yours.
#
# Two small tools help throughout: a port that nothing listens on (the system hands out a free
# port, and we let it go again at once), and a test whether anything accepts connections on a
# port, which is what ``socket.create_connection`` tries: it returns ``False`` only when the
# connection is refused, the operating system's answer when nothing listens on that port.
import re
import socket
from urllib.parse import urlsplit


def free_port():
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port):
    """Does anything accept connections on 127.0.0.1:port?"""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except ConnectionRefusedError:
        return False


def scrub(text, **placeholders):
    """The text with each value (an address or a port) replaced by ``<its name>``."""
    for name, value in placeholders.items():
        text = re.sub(rf"(?<![\w.:/]){re.escape(str(value))}(?!\d)", f"<{name.replace('_', ' ')}>", text)
    return text


scheduler_port = urlsplit(cluster.scheduler_address).port
print("the scheduler listens on the port it reports:", listening(scheduler_port))

# %%
# .. _breaks-client-timeout:
#
# "Timed out trying to connect": nothing listens at that address
# ---------------------------------------------------------------
# The most common way to meet this: an address copied from an earlier run, a cluster that was
# already closed, a scheduler on another machine that never started. Here we ask a client to
# connect to a port on this machine where nothing listens, and keep the wait short with
# ``timeout=2`` (seconds).
import time

nobody_home = f"tcp://127.0.0.1:{free_port()}"
started = time.perf_counter()
try:
    Client(nobody_home, timeout=2)
except OSError as error:
    waited = time.perf_counter() - started
    unreachable_type = type(error).__name__
    unreachable_message = scrub(str(error), address=nobody_home)
print(f"{unreachable_type}: {unreachable_message}")
print(f"the client gave up after {waited:.1f} s")

# %%
# **Why.** ``distributed.comm.core.connect`` tries to open a connection, and when that fails
# (here: "connection refused", as nothing listens), it waits a short, growing, random time and
# tries again, until the timeout has passed. Only then does it raise ``OSError`` with this
# message, naming the address and the timeout. So a client does not fail at once when the
# scheduler is missing: it waits the full timeout, in case the scheduler is still starting.
#
# **Which setting.** ``Client(..., timeout=...)`` sets the wait for this client; without it, the
# client waits ``distributed.comm.timeouts.connect`` from Dask's configuration, which is:
import dask

default_connect_timeout = dask.config.get("distributed.comm.timeouts.connect")
default_connect_timeout

# %%
# Set it in the configuration (or with the environment variable
# ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT``) and a client made without ``timeout=`` waits
# that long instead; the message names the setting's value:
with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
    try:
        Client(nobody_home)
    except OSError as error:
        configured_type = type(error).__name__
        configured_message = scrub(str(error), address=nobody_home)
print(f"{configured_type}: {configured_message}")

# %%
# **How to confirm.** Ask the port directly: if nothing accepts a connection there, no client
# can either. The address a running cluster reports is the one that answers.
nobody_port = urlsplit(nobody_home).port
print("anything listening where the client tried:", listening(nobody_port))
print("anything listening where the cluster's scheduler is:", listening(scheduler_port))

# %%
# **The fix.** Connect to the address the running cluster reports, ``cluster.scheduler_address``.
# (On an HPC system, the ``dask scheduler`` command logs its address as "Scheduler at: ..." and
# writes it into its ``--scheduler-file``; copy it from there, from this run, not from an old
# one.) The connection is made at once, well within the timeout:
started = time.perf_counter()
with Client(cluster.scheduler_address, timeout=2) as by_address:
    connected_in = time.perf_counter() - started
    fixed_result = by_address.submit(sum, range(10)).result()
print(f"connected in {connected_in:.2f} s; sum(range(10)) on the cluster = {fixed_result}")

# %%
# .. _breaks-address-without-port:
#
# "missing port number in address": a malformed address fails at once
# --------------------------------------------------------------------
# A scheduler address is ``protocol://host:port``. Leave out the port (a host name alone, as you
# would type it into ``ssh``), or misspell the protocol, and the client fails immediately,
# without waiting for any timeout. (The ``gc.collect()`` and the thread count are explained
# below.)
import gc
import threading

threads_before = threading.active_count()
malformed = []
for address in ["127.0.0.1", nobody_home.replace("tcp://", "tpc://")]:
    started = time.perf_counter()
    try:
        Client(address, timeout=2)
    except ValueError as error:
        malformed.append((type(error).__name__, str(error), time.perf_counter() - started))
    gc.collect()  # delete the half-started client now, in this thread
for kind, message, seconds in malformed:
    print(f"{kind}: {message}\n    (the client gave up after {seconds:.2f} s)")
malformed_type, malformed_message, malformed_waited = malformed[0]
threads_left = threading.active_count() - threads_before
print("threads the failed clients left running:", threads_left)

# %%
# **Why.** ``distributed.comm.addressing.parse_host_port`` splits the address into host and
# port before any connection is tried, and raises this ``ValueError`` when there is no port and
# no default for it. The protocol is looked up among the known ones
# (``distributed.comm.registry.get_backend``), also before any connection is tried.
#
# A client that fails this way is left half-started: its ``status`` stays ``"connecting"``, and
# the event loop it started keeps running in a thread of its own until Python's garbage
# collector deletes the client (``Client.__del__`` closes it then). On its own, that happens
# at a moment and in a thread you do not choose, possibly while a new cluster is starting; the
# lesson calls ``gc.collect()`` after each attempt so that it happens at once, in this thread,
# and the count above shows that no thread was left running.
#
# **How to confirm.** The time to fail tells the two families apart: at once means Dask could not
# read the address; after exactly the timeout means it read it, and nothing answered there.
# (A misspelt *host name* is not run here: how it fails depends on your network's name service,
# which may take longer than the timeout to answer.)
#
# **The fix.** Give the full address the cluster reports, port included, as in the section above.
print("the cluster reports an address with a port:", urlsplit(cluster.scheduler_address).port is not None)

# %%
# .. _breaks-dashboard-port-in-use:
#
# "Port ... is already in use": the dashboard moved
# -------------------------------------------------
# A dashboard asked for on a fixed port (``dashboard_address=":8787"`` is the default of
# ``LocalCluster``) clashes with anything that already listens there, typically the dashboard of
# a cluster you started earlier in another notebook and forgot. We make that situation with a
# first cluster (no workers, it only needs its dashboard) on a free port of this run, then start
# a second cluster asking for the same port. (The lesson does not use 8787 itself: another
# program on your machine may hold it.)
#
# The clash is a *warning*, not an error: the second cluster starts anyway. ``warnings``
# records it, so it can be printed here.
import warnings

options = dict(processes=False, protocol="tcp", host="127.0.0.1")
asked_port = free_port()
first = LocalCluster(n_workers=0, dashboard_address=f"127.0.0.1:{asked_port}", **options)
print("port asked for, in use before the second cluster starts:", listening(asked_port))
with warnings.catch_warnings(record=True) as caught:
    second = LocalCluster(n_workers=0, dashboard_address=f"127.0.0.1:{asked_port}", **options)
given_port = urlsplit(second.dashboard_link).port
port_warnings = [
    scrub(str(w.message), port_asked_for=asked_port, port_given_instead=given_port)
    for w in caught if issubclass(w.category, UserWarning)
]
for message in port_warnings:
    print(f"UserWarning: {message}")

# %%
# **Why.** ``distributed.node.ServerNode.start_http_server`` tries to listen on the port asked
# for; when that fails, it tries again with port ``0`` (any free port), and then warns with the
# port it was given instead. The consequence is easy to miss: the dashboard you open on the port
# you asked for is the *first* cluster's, which shows none of the second one's work.
print("first cluster's dashboard on the port asked for: ", urlsplit(first.dashboard_link).port == asked_port)
print("second cluster's dashboard on the port asked for:", given_port == asked_port)

# %%
# **How to confirm.** Read the dashboard's address from the cluster you use
# (``cluster.dashboard_link``, or the client's repr in a notebook) rather than typing the port,
# and check with ``listening(port)`` whether something already holds the port before you ask
# for it.
#
# **The fix.** Close the cluster you no longer need (the port is free again at once), or ask for
# port 0 and read the address the cluster reports, as the lesson's own cluster does.
first.close()
second.close()
with warnings.catch_warnings(record=True) as after_close:
    third = LocalCluster(n_workers=0, dashboard_address=f"127.0.0.1:{asked_port}", **options)
print("after closing the old cluster: warnings", len(after_close), "| dashboard on the port asked for:",
      urlsplit(third.dashboard_link).port == asked_port)
third.close()
with warnings.catch_warnings(record=True) as any_port:
    fourth = LocalCluster(n_workers=0, dashboard_address="127.0.0.1:0", **options)
print("port 0: warnings", len(any_port), "| dashboard listening where the cluster says:",
      listening(urlsplit(fourth.dashboard_link).port))
fourth.close()

# %%
# .. _breaks-scheduler-port-in-use:
#
# "Cluster failed to start": the scheduler's port is taken
# --------------------------------------------------------
# The scheduler's port gets no such second chance. Ask for a fixed ``scheduler_port`` that is in
# use (here: the port of the lesson's own running scheduler, as happens when a script with a
# fixed port is started twice) and the new cluster does not start at all. The error wraps its
# cause, so we print the whole chain of causes (``__cause__``), which a traceback would show too.
try:
    LocalCluster(n_workers=0, scheduler_port=scheduler_port, dashboard_address="127.0.0.1:0", **options)
except RuntimeError as error:
    scheduler_port_type = type(error).__name__
    scheduler_port_message = str(error)
    chain = []
    cause = error
    while cause is not None:
        chain.append(f"{type(cause).__name__}: {cause}")
        cause = cause.__cause__
print("\n  caused by ".join(chain))
print("log:", *log.matching("Cluster closed without starting up"))

# %%
# **Why.** The scheduler's listener cannot bind the port: the operating system refuses a
# second listener on an address and port in use (its ``OSError`` says "Address already in use";
# its number, here the last line, differs between Linux, macOS and Windows). ``Server.start``
# (``distributed/core.py``) turns that into "Scheduler failed to start.", and
# ``SpecCluster._start`` (``distributed/deploy/spec.py``) into "Cluster failed to start: ...",
# after logging that the cluster closed without starting up.
#
# **How to confirm.** ``listening(port)`` on the port you asked for is ``True`` before you start.
#
# **The fix.** Leave ``scheduler_port`` at ``0`` (``LocalCluster``'s default: any free port) and
# connect by the address the cluster reports; give a fixed port only where other machines must
# find the scheduler, and then only one scheduler per port.
print("port in use before we asked for it:", listening(scheduler_port))
with LocalCluster(n_workers=0, scheduler_port=0, dashboard_address="127.0.0.1:0", **options) as fixed:
    fixed_started = fixed.status.name
    fixed_listens = listening(urlsplit(fixed.scheduler_address).port)
print(f"with scheduler_port=0 the cluster was {fixed_started}, its scheduler listening: {fixed_listens}")

# %%
# .. _breaks-scheduler-connection-lost:
#
# "cancelled for reason: scheduler-connection-lost": the scheduler went away
# --------------------------------------------------------------------------
# A client connected by address outlives a scheduler that is closed (or crashes, or whose batch
# job ends). Here a second small cluster computes a sum for a client connected by its address;
# then the cluster is closed, and the client is left alone. ``timeout=2`` again keeps the wait
# short.
doomed = LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address="127.0.0.1:0", **options)
remote = Client(doomed.scheduler_address, timeout=2)
total = remote.submit(sum, range(10))
total_before = total.result()
print("before:", total.status, total_before)
log.lines.clear()
doomed.close()
started = time.perf_counter()
while remote.status != "closed" and time.perf_counter() - started < 10:
    time.sleep(0.1)
print("client status after the scheduler closed:", remote.status)
print("log:", *log.matching("Failed to reconnect"))

# %%
# The finished future, whose result we just read, is now cancelled, and asking for its result
# raises. The message starts with the future's *key*, the task's name (here ``sum-`` and a hash
# of the function and its arguments), printed as ``<key>``:
from concurrent.futures import CancelledError

try:
    total.result()
except CancelledError as error:
    lost_type = type(error).__name__
    lost_message = str(error).replace(str(error.key), "<key>")
print(f"{lost_type}: {lost_message}")

# %%
# And the closed client refuses new work:
from distributed.client import ClosedClientError

try:
    remote.submit(sum, range(10))
except ClosedClientError as error:
    closed_type = type(error).__name__
    closed_message = str(error)
print(f"{closed_type}: {closed_message}")

# %%
# **Why.** When the client's connection to the scheduler breaks, ``Client._reconnect``
# (``distributed/client.py``) cancels every future it holds, with the reason
# ``scheduler-connection-lost``: their results lived on the workers, which are gone or no longer
# reachable. It then tries to connect again for the client's ``timeout`` and, when nothing
# answers, logs the "Failed to reconnect" error above and closes the client. A future is only a
# ticket; the result it stands for was on the cluster.
#
# **How to confirm.** The log line "Failed to reconnect to scheduler" on stderr; the client's
# ``status`` is ``"closed"``; ``listening(port)`` on the old scheduler's port is ``False``.
print("the old scheduler's port still listening:", listening(urlsplit(doomed.scheduler_address).port))

# %%
# **The fix.** Connect a new client to a running scheduler and submit the work again: results
# are not carried over. To keep it from happening, let the cluster outlive its clients: close
# the client first, then the cluster, or use one ``with LocalCluster(...) as cluster,
# Client(cluster) as client:`` block, which does both in that order.
with Client(cluster.scheduler_address, timeout=2) as again:
    rerun_result = again.submit(sum, range(10)).result()
print("re-submitted to a running scheduler:", rerun_result)

# %%
# Key points
# ----------
# - "Timed out trying to connect to <address> after N s" means nothing answered at that
#   address for N seconds: a wrong or old address, a scheduler not (yet) running. ``timeout=``
#   or ``distributed.comm.timeouts.connect`` (30 s by default) sets N.
# - A failure at once ("missing port number", "unknown address scheme") means the address
#   itself is malformed.
# - ``socket.create_connection`` tells in a second whether anything listens on a port.
# - Connect to the address the cluster *reports* (``cluster.scheduler_address``) and open the
#   dashboard it reports (``cluster.dashboard_link``).
# - A dashboard port in use is only a warning, "Port N is already in use ... Hosting the HTTP
#   server on port M instead": the dashboard moved. A scheduler port in use stops the cluster:
#   "Cluster failed to start". Port 0 (any free port) avoids both.
# - When the scheduler goes away, the client cancels every future with
#   ``scheduler-connection-lost`` and closes after its timeout; reconnect and submit again.
#
# Exercise
# --------
# A port on this machine is busy: the cell below holds it with a plain socket, standing in for
# any program that got there first. Start a cluster without workers (``n_workers=0``, with the
# lesson's ``options``) that asks for its dashboard on ``busy_port``, recording the warnings it
# gives. Put in ``answer`` the port (an int) its dashboard really listens on, read from what the
# cluster reports, keep the cluster in ``exercise_cluster`` and the recorded warnings in
# ``exercise_warnings``, and run the check. Then read the warning once more: is its guess
# ("Perhaps you already have a cluster running?") right this time?
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen()
busy_port = busy.getsockname()[1]

answer = None  # your answer, computed: replace None
exercise_cluster = None  # the cluster you started: replace None
exercise_warnings = None  # the warnings you recorded: replace None

# %%
from tutorial_helpers.exercises import check

check("ports_and_connections", answer, cluster=exercise_cluster, caught=exercise_warnings, asked=busy_port)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       with warnings.catch_warnings(record=True) as exercise_warnings:
#           exercise_cluster = LocalCluster(
#               n_workers=0, dashboard_address=f"127.0.0.1:{busy_port}", **options
#           )
#       answer = urlsplit(exercise_cluster.dashboard_link).port
#       for w in exercise_warnings:
#           print(scrub(str(w.message), busy_port=busy_port, given_port=answer))
#       print("dashboard listening where the cluster says:", listening(answer))
#       check("ports_and_connections", answer, cluster=exercise_cluster, caught=exercise_warnings, asked=busy_port)

# %%
# Close the cluster
# -----------------
# Close the clients first, then the clusters, and let go of the busy port and the log handler.
# ``busy.close()`` frees the port at once; the exercise's cluster, if you made one, is closed
# too.
if exercise_cluster is not None:
    exercise_cluster.close()
busy.close()
for name in log_names:
    logging.getLogger(name).removeHandler(log)
client.close()
cluster.close()
