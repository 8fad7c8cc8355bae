"""The course's batch jobs on a real one-node Slurm and Son of Grid Engine (tests/batch_systems.py).

Every job script of lesson 13.2 and the Grid Engine example of lesson 9.2 is submitted with
``sbatch`` or ``qsub`` from a folder holding it and the Python script it runs, as the pages tell
a learner to, with only the sizes overridden on the command line and the environment the job
needs passed as a learner would (``DASK_COURSE_VENV``, ``DASK_COURSE_DATA``; SGE passes nothing
it is not told to with ``-v``). Each job's log must hold pandas' answers and no traceback. The
dask-jobqueue clusters of lesson 13.2 submit their worker jobs to the same two systems.

The batch systems are installed from Debian's packages where the tests may (root or
password-less sudo; ``make hpc`` does it beforehand), started once per session, and stopped at
its end with their temporary folders removed.
"""

import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from distributed import Client

import batch_systems
from conftest import ROOT
from reference import answers
from tutorial_helpers import bikes

pytestmark = pytest.mark.batch

EXAMPLES = ROOT / "examples"
VENV = Path(sys.prefix)  # the course's environment, which the jobs activate
LESSON_9_2 = EXAMPLES / "09_distributed" / "plot_02_processes_threads.py"


def _system(kind):
    reason = batch_systems.install()
    if reason:
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix=f"dask-course-{kind}-"))
    system = (batch_systems.Slurm if kind == "slurm" else batch_systems.GridEngine)(folder)
    try:
        system.start()
    except Exception:
        system.stop()
        raise
    return system


@pytest.fixture(scope="module")
def slurm():
    system = _system("slurm")
    yield system
    system.stop()


@pytest.fixture(scope="module")
def sge():
    system = _system("sge")
    yield system
    system.stop()


def test_slurm_daemons_listen_on_this_machine_only(slurm):
    pids = {p.pid for p in slurm.processes}
    listening = {(c.laddr.ip, c.laddr.port) for c in psutil.net_connections("inet")
                 if c.status == psutil.CONN_LISTEN and c.pid in pids}
    assert listening and {ip for ip, _ in listening} == {"127.0.0.1"}, listening


def grid_engine_block() -> str:
    """The Grid Engine job script shown in lesson 9.2's text, as a learner copies it."""
    text = LESSON_9_2.read_text()
    block = text.split("For example, with Grid Engine", 1)[1].split(".. code-block:: bash\n#\n", 1)[1]
    lines = []
    for line in block.splitlines():
        if not line.startswith("#    "):
            break
        lines.append(line[5:])
    return "\n".join(lines) + "\n"


# name: (system, the script, the Python script beside it, the submit command's size options)
JOBS = {
    "job_sge_16cores.sh": ("sge", "13_multi_node/job_sge_16cores.sh", "09_distributed/bikes_batch.py",
                           ["-pe", "omp", "2"]),
    "job_sge_mpi_32cores.sh": ("sge", "13_multi_node/job_sge_mpi_32cores.sh", "13_multi_node/bikes_mpi.py",
                               ["-pe", "mpi_16_tasks_per_node", "4"]),
    "job_slurm_16cores.sh": ("slurm", "13_multi_node/job_slurm_16cores.sh", "09_distributed/bikes_batch.py",
                             ["--cpus-per-task=2", "--mem=4G"]),
    "job_slurm_mpi_2nodes.sh": ("slurm", "13_multi_node/job_slurm_mpi_2nodes.sh", "13_multi_node/bikes_mpi.py",
                                ["--nodes=1", "--ntasks-per-node=4"]),
    "lesson_9_2_grid_engine.sh": ("sge", None, "09_distributed/bikes_batch.py", ["-pe", "omp", "2"]),
}
# What a job needs from the submitting shell: the environment to activate, the data, and for
# the MPI jobs the loopback network and Open MPI's consent to run as root (the tests run as root).
JOB_ENV = {
    "DASK_COURSE_VENV": str(VENV),
    "DASK_INTERFACE": "lo",
    "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_btl": "self,vader",  # MPI between the ranks of one machine: shared memory only
}


def _submit(name, system, tmp_path_factory, data):
    kind, script, program, sizes = JOBS[name]
    folder = tmp_path_factory.mktemp(name.removesuffix(".sh"))
    (folder / name).write_text((EXAMPLES / script).read_text() if script else grid_engine_block())
    shutil.copy(EXAMPLES / program, folder)
    env = dict(system.env, DASK_COURSE_DATA=str(data), **JOB_ENV)
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    if kind == "sge":
        command = ["qsub", *sizes, "-v", ",".join(["DASK_COURSE_DATA", *JOB_ENV]), name]
    else:
        command = ["sbatch", *sizes, name]
    result = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    (job_id,) = re.findall(r"\b(\d+)\b", result.stdout.splitlines()[-1])[:1]
    return {"folder": folder, "id": job_id, "system": system, "kind": kind, "started": time.monotonic()}


@pytest.fixture(scope="module")
def submitted(request, tmp_path_factory, small_data):
    """All the job scripts, submitted at once (they queue and run side by side)."""
    systems = {"sge": request.getfixturevalue("sge"), "slurm": request.getfixturevalue("slurm")}
    return {name: _submit(name, systems[kind], tmp_path_factory, small_data)
            for name, (kind, *_rest) in JOBS.items()}


def job_done(job) -> bool:
    if job["kind"] == "sge":
        out = subprocess.run([batch_systems.SGE_BIN / "qstat"], env=job["system"].env, capture_output=True, text=True)
        return not re.search(rf"^\s*{job['id']}\s", out.stdout, re.M)
    out = subprocess.run(["squeue", "-h", "-j", job["id"], "-o", "%T"], env=job["system"].env,
                         capture_output=True, text=True)
    return out.stdout.strip() == ""


def job_log(job, timeout=400) -> str:
    batch_systems.wait_for(lambda: job_done(job), timeout, f"job {job['id']} finishing")
    logs = [p for p in job["folder"].iterdir() if p.name.endswith((f".o{job['id']}", f"-{job['id']}.log"))]
    assert len(logs) == 1, f"one log expected in {job['folder']}: {sorted(p.name for p in job['folder'].iterdir())}"
    return logs[0].read_text()


def printed(log: str, heading: str) -> dict[str, str]:
    """The rows a script printed under ``heading`` (up to a blank line or the next heading)."""
    rows = {}
    for line in log.split(heading + "\n", 1)[1].splitlines():
        if not line.strip() or line.endswith(":"):
            break
        key, value = line.rsplit(maxsplit=1) if " " in line.strip() else (line, "")
        if re.fullmatch(r"-?\d+(\.\d+)?", value):  # not the index's name (pandas' to_string)
            rows[key.strip()] = value
    return rows


def check_against_pandas(log: str, data) -> None:
    want = answers(bikes.trip_files(data))
    stations = {k: int(v) for k, v in printed(log, "Busiest start stations:").items()}
    assert len(stations) >= 5
    assert stations == {name: want["trips_per_station"][name] for name in stations}
    assert sorted(stations.values(), reverse=True) == want["trips_per_station"].head(len(stations)).tolist()
    heading = "Mean trip duration (minutes) by user type:" if "Mean trip" in log else "Average minutes by user type:"
    minutes = {k: float(v) for k, v in printed(log, heading).items()}
    assert minutes == pytest.approx(want["minutes_by_usertype"].round(2).to_dict(), abs=0.011)
    if "Trips after cleaning:" in log:
        (n,) = re.findall(r"^Trips after cleaning: (\d+)$", log, re.M)
        assert int(n) == want["trips_per_station"].sum()
    if "Trips by starting hour:" in log:
        hours = {int(k): int(v) for k, v in printed(log, "Trips by starting hour:").items()}
        pd.testing.assert_series_equal(pd.Series(hours).sort_index(), want["trips_per_hour"].sort_index(),
                                       check_names=False, check_dtype=False, check_index_type=False)


def test_the_lesson_9_2_block_is_a_grid_engine_script():
    block = grid_engine_block()
    assert block.startswith("#!/bin/bash") and "#$ -S /bin/bash" in block and "#$ -cwd" in block
    assert 'python bikes_batch.py --workers "$NSLOTS"' in block


@pytest.mark.parametrize("name", list(JOBS))
def test_job_script_gives_pandas_answers_with_a_clean_log(name, submitted, small_data):
    job = submitted[name]
    log = job_log(job)
    print(f"{name} ({job['kind']}), log {len(log.splitlines())} lines:\n{log}")
    assert "Traceback" not in log, log
    assert "command not found" not in log and "Illegal variable name" not in log, log
    check_against_pandas(log, small_data)
    if "_mpi_" in name:  # 4 ranks: scheduler, client and 2 workers, on loopback
        assert re.search(r"^Connected to tcp://127\.0\.0\.1:\d+ with 2 workers$", log, re.M), log
        assert len(log.splitlines()) < 20, log  # results, not the ranks' INFO chatter
    else:
        assert re.search(r"on 1 worker\(s\) × 2 thread\(s\)|on 2 worker\(s\) × 1 thread\(s\)", log), log


def _load_jobqueue_lesson():
    spec = importlib.util.spec_from_file_location("bikes_jobqueue", EXAMPLES / "13_multi_node" / "bikes_jobqueue.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kind", ["sge", "slurm"])
def test_jobqueue_cluster_runs_the_analysis_on_worker_jobs(kind, request, small_data, tmp_path, monkeypatch):
    system = request.getfixturevalue(kind)
    lesson = _load_jobqueue_lesson()
    for key, value in system.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DASK_COURSE_VENV", str(VENV))
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    options = {"log_directory": str(tmp_path)}
    if kind == "sge":
        make = lesson.sge_cluster
        options["job_extra_directives"] = ["-v DASK_COURSE_VENV"]
    else:
        make = lesson.slurm_cluster
    with make(cores=2, processes=1, memory="2GiB", interface="lo", **options) as cluster, Client(cluster) as client:
        script = cluster.job_script()
        assert re.search(r"dask_worker tcp://127\.0\.0\.1:\d+ ", script), script
        cluster.scale(jobs=1)
        n_trips, busiest, minutes = lesson.analyse(client, bikes.trip_files(small_data), workers=1)
        workers = client.scheduler_info()["workers"]
        assert all(address.startswith("tcp://127.0.0.1:") for address in workers), workers
    want = answers(bikes.trip_files(small_data))
    assert n_trips == want["trips_per_station"].sum()
    assert busiest.tolist() == want["trips_per_station"].head(5).tolist()
    pd.testing.assert_series_equal(minutes.sort_index(), want["minutes_by_usertype"].sort_index(),
                                   check_names=False, check_dtype=False, check_index_type=False, rtol=1e-9)
    # Closing the cluster ended its worker job.
    batch_systems.wait_for(lambda: not [j for j in _jobs_named(system, kind, "dask-work")], 60,
                           "the worker job ending")
    text = "".join(p.read_text() for p in sorted(tmp_path.iterdir()) if p.is_file())
    print(f"jobqueue {kind} worker job log:\n{text}")
    assert "Registered to:      tcp://127.0.0.1:" in text


def _jobs_named(system, kind, name) -> list[str]:
    if kind == "sge":
        out = subprocess.run([batch_systems.SGE_BIN / "qstat"], env=system.env, capture_output=True, text=True).stdout
    else:
        out = subprocess.run(["squeue", "-h", "-o", "%j %i"], env=system.env, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if name in line]
