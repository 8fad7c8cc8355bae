"""examples/13_multi_node/bikes_mpi.py under ``mpirun -n 4``: pandas' answers, then nothing left.

Needs an MPI library (``make mpi`` installs Open MPI through apt-get; skipped only when no
``mpirun`` is found) and the test extra's ``mpi4py`` and ``dask-mpi``.
"""

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import threading

import pandas as pd
import psutil
import pytest

from conftest import ROOT, lesson_env
from reference import clean_trips
from tutorial_helpers import bikes

SCRIPT = ROOT / "examples" / "13_multi_node" / "bikes_mpi.py"
MPIRUN = shutil.which("mpirun")
pytestmark = pytest.mark.skipif(
    MPIRUN is None,
    reason="no mpirun: install an MPI library (`make mpi`, or `apt-get install openmpi-bin`)",
)


def open_mpi_major() -> int | None:
    """Open MPI's major version, or None for another MPI library (e.g. MPICH)."""
    version = subprocess.run([MPIRUN, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"Open MPI\)? (\d+)\.", version)
    return int(found.group(1)) if found else None


def mpirun_command(script, ranks: int) -> list[str]:
    flags = []
    if open_mpi_major():
        # Open MPI refuses root unless told, and by default starts no more ranks than cores.
        flags = ["--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
    return [MPIRUN, *flags, "-n", str(ranks), sys.executable, str(script)]


def mpi_env(data_dir) -> dict[str, str]:
    env = lesson_env(data_dir)  # the script quiets Dask's logging itself
    major = open_mpi_major()
    if major:
        # The ranks share one machine: MPI talks through shared memory only. Other transports
        # (TCP, UCX) would listen on the machine's network addresses.
        env["OMPI_MCA_btl"] = "self,vader" if major < 5 else "self,sm"
    return env


def family(pid: int) -> set[int]:
    try:
        return {pid} | {p.pid for p in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def watch_listeners(pid: int, seen: set, stop: threading.Event) -> None:
    """Record (pid, ip, port) of every listening socket of ``pid``'s process tree until stopped."""
    while not stop.is_set():
        pids = family(pid)
        seen |= {(c.pid, c.laddr.ip, c.laddr.port) for c in psutil.net_connections("inet")
                 if c.status == psutil.CONN_LISTEN and c.pid in pids}
        stop.wait(0.1)


def parse(output: str) -> dict:
    """The numbers bikes_mpi.py printed."""
    lines = output.splitlines()

    def section(title):
        return lines[lines.index(title) + 1:]

    stations = {}
    for line in section("Busiest start stations:"):
        if line.endswith(":"):
            break
        name, count = line.rsplit(maxsplit=1)
        stations[name] = int(count)
    minutes = dict(line.rsplit(maxsplit=1) for line in section("Average minutes by user type:"))
    (connected,) = [line for line in lines if line.startswith("Connected to ")]
    (trips,) = [line for line in lines if line.startswith("Trips after cleaning: ")]
    return {"connected": connected, "trips": int(trips.rsplit(maxsplit=1)[1]),
            "stations": stations, "minutes": {k: float(v) for k, v in minutes.items()}}


@pytest.mark.slow
def test_bikes_mpi_matches_pandas_and_leaves_nothing(small_data, tmp_path):
    for module in ("mpi4py", "dask_mpi"):
        assert importlib.util.find_spec(module), f"{module} is missing: pip install -e '.[test]'"
    script = tmp_path / SCRIPT.name  # a path of its own, to find leftover processes by
    shutil.copy(SCRIPT, script)
    run = subprocess.Popen(
        mpirun_command(script, ranks=4), cwd=tmp_path, env=mpi_env(small_data),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    listeners, stop = set(), threading.Event()
    watcher = threading.Thread(target=watch_listeners, args=(run.pid, listeners, stop))
    watcher.start()
    try:
        out, err = run.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        out, err = run.communicate()
        pytest.fail(f"mpirun did not finish in 300 s:\n{out}\n{err[-3000:]}")
    finally:
        stop.set()
        watcher.join()
    assert run.returncode == 0, f"{out}\n{err[-3000:]}"
    # A clean log: the results, no rank's INFO lines or shutdown tracebacks (CommClosedError).
    assert "Traceback" not in err and " - INFO - " not in err, err[-3000:]

    # The answers: the same as pandas, file by file.
    got = parse(out)
    assert got["connected"].startswith("Connected to tcp://127.0.0.1:")
    assert got["connected"].endswith(" with 2 workers")
    clean = pd.concat([clean_trips(path) for path in bikes.trip_files(small_data)], ignore_index=True)
    assert got["trips"] == len(clean)
    counts = clean["start station name"].value_counts()
    assert len(got["stations"]) == 5
    assert all(counts[name] == count for name, count in got["stations"].items())
    assert sorted(got["stations"].values(), reverse=True) == counts.head(5).tolist()
    want_minutes = clean.groupby("usertype")["tripduration"].mean() / 60
    assert got["minutes"] == pytest.approx(want_minutes.round(2).to_dict(), abs=0.011)

    # Dask listened on loopback only. (Open MPI's launcher opens its own control channel on
    # every interface, whatever its oob_tcp_if_include says; its ranks inherit that socket.)
    launcher_ports = {port for pid, _, port in listeners if pid == run.pid}
    dask_listeners = {(ip, port) for _, ip, port in listeners if port not in launcher_ports}
    assert dask_listeners and {ip for ip, _ in dask_listeners} == {"127.0.0.1"}, sorted(listeners)

    # No rank outlived mpirun.
    leftovers = [p.pid for p in psutil.process_iter(["cmdline"])
                 if str(script) in " ".join(p.info["cmdline"] or [])]
    assert leftovers == []


UNSHARE = shutil.which("unshare")


@pytest.mark.skipif(os.geteuid() != 0 or UNSHARE is None,
                    reason="hiding the data from one rank needs root (unshare -m and mount)")
@pytest.mark.slow
def test_bikes_mpi_stops_in_one_line_when_a_worker_cannot_see_the_data(small_data, tmp_path):
    # MPI's multi-program form: ranks 0-2 as usual, rank 3 (a worker) in a mount namespace of its
    # own where the data folder is an empty tmpfs, like a node that does not mount the shared
    # filesystem.
    script = tmp_path / SCRIPT.name
    shutil.copy(SCRIPT, script)
    hidden = f"mount -t tmpfs none {small_data} && exec {sys.executable} {script}"
    command = mpirun_command(script, ranks=3) + [":", "-n", "1", UNSHARE, "-m", "sh", "-c", hidden]
    run = subprocess.run(command, cwd=tmp_path, env=mpi_env(small_data), capture_output=True, text=True,
                         timeout=300, start_new_session=True)
    assert run.returncode != 0
    assert "Trips after cleaning" not in run.stdout  # no work was done
    (line,) = [line for line in run.stderr.splitlines() if line.startswith("bikes_mpi.py:")]
    assert re.fullmatch(r"bikes_mpi\.py: 1 of 2 workers cannot read the course data \(tcp://127\.0\.0\.1:\d+ "
                        rf"cannot read {re.escape(str(small_data))}/\S+\): DASK_COURSE_DATA must name a folder "
                        r"on a filesystem that all nodes share", line), line
    assert "Traceback" not in run.stderr, run.stderr
    leftovers = [p.pid for p in psutil.process_iter(["cmdline"])
                 if str(script) in " ".join(p.info["cmdline"] or [])]
    assert leftovers == []
