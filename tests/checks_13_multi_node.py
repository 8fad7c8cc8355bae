"""Results checks for the lessons in examples/13_multi_node: the same answers on any cluster."""

import importlib.util
import re
from pathlib import Path

import pandas as pd
import psutil

from reference import clean_trips


def check_scheduler_and_workers(namespace, files):
    quarter = files[:3]
    assert [f.name for f in namespace["files"]] == [f.name for f in quarter]
    clean = pd.concat([clean_trips(path) for path in quarter], ignore_index=True)
    for counts in ("trips_per_station", "tls_counts"):
        pd.testing.assert_series_equal(
            namespace[counts].sort_index(),
            clean["start station name"].value_counts().sort_index(),
            check_names=False, check_dtype=False, check_index_type=False,
        )
    # The scheduler and both workers exited, and the log shows both workers joining.
    assert namespace["leftovers"] == []
    assert sum("Register worker" in line for line in namespace["log_lines"]) == 2
    assert not namespace["scheduler_file"].parent.exists()
    # TLS on this machine: encrypted and on loopback only; a certificate from elsewhere is refused.
    assert re.fullmatch(r"tls://127\.0\.0\.1:\d+", namespace["tls_address"])
    assert namespace["stranger"].startswith("refused")

    # A function from a module of your own travels by name: the scheduler cannot unpickle the graph
    # until the module is uploaded; a function of the script itself travels with its code.
    sent, before, after = namespace["from_module"]
    assert b"cloudpickle" in sent["where_am_i"]
    assert b"cloudpickle" not in sent["to_minutes"] and b"trip_units" in sent["to_minutes"]
    assert before.startswith("RuntimeError: Error during deserialization of the task graph")
    assert after == 10.0

    # The exercise: three workers, the mean duration per user type, and nothing left running.
    scheduler = namespace["scheduler"]
    assert scheduler["n_workers"] == 3 == len(scheduler["workers"]) == scheduler["total_threads"]
    assert namespace["answer"] is namespace["minutes_by_usertype"]
    exercise_file = str(namespace["exercise_file"])
    assert not [p for p in psutil.process_iter(["cmdline"]) if exercise_file in " ".join(p.info["cmdline"] or [])]
    want = clean.groupby("usertype")["tripduration"].mean() / 60
    pd.testing.assert_series_equal(
        namespace["minutes_by_usertype"].sort_index(), want.sort_index(),
        check_names=False, check_dtype=False, check_index_type=False, rtol=1e-9,
    )


def directives(script: str, prefix: str) -> list[str]:
    return [line[len(prefix):].strip() for line in script.splitlines() if line.startswith(prefix)]


def _jobqueue_script(function: str) -> str:
    """The job script of examples/13_multi_node/bikes_jobqueue.py's cluster, with its defaults."""
    path = Path(__file__).resolve().parents[1] / "examples" / "13_multi_node" / "bikes_jobqueue.py"
    spec = importlib.util.spec_from_file_location("bikes_jobqueue", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with getattr(module, function)(interface="lo") as cluster:
        return cluster.job_script()


def _prologue(script: str) -> list[str]:
    return [line for line in script.splitlines()
            if line and not line.startswith("#") and "dask_worker" not in line]


def check_hpc_job_schedulers(namespace, files):
    layouts = namespace["layouts"]
    assert (layouts["workers"] * layouts["threads per worker"] == layouts["cores"]).all()

    sge = namespace["sge_script"]
    assert "-pe omp 16" in directives(sge, "#$")
    assert "--nworkers 8" in sge and "--nthreads 2" in sge
    slurm = namespace["slurm_script"]
    assert {"-p normal", "-A my_project", "--cpus-per-task=16", "--mem=32G"} <= set(directives(slurm, "#SBATCH"))
    # Bound to loopback: the page can be built anywhere without opening a port to the network.
    for script in (sge, slurm):
        assert re.search(r"dask_worker tcp://127\.0\.0\.1:\d+ ", script)
        assert 'source "${DASK_COURSE_VENV:-$HOME/dask-course/.venv}/bin/activate"' in script
        assert re.search(r"^command -v module >/dev/null && module load \S+$", script, re.M)
    # An SGE queue runs job scripts with its own shell (sh or csh), which cannot read `source`.
    assert "-S /bin/bash" in directives(sge, "#$")

    # The page's SGECluster is the one bikes_jobqueue.py (which the tests run on a real SGE) makes.
    tested = _jobqueue_script("sge_cluster")
    assert set(directives(tested, "#$")) == set(directives(sge, "#$"))
    assert _prologue(tested) == _prologue(sge)

    # The exercise: whole 32-core nodes, 4 workers × 8 threads sharing 120 GiB, two hours on "short".
    exercise = namespace["exercise_script"]
    assert namespace["answer"] is exercise
    assert {"-p short", "-A my_project", "--cpus-per-task=32", "--mem=120G", "-t 02:00:00"} <= set(
        directives(exercise, "#SBATCH"))
    for option in ("--nworkers 4", "--nthreads 8", "--memory-limit 30.00GiB", "--interface ib0"):
        assert option in exercise
    assert re.search(r"dask_worker tcp://127\.0\.0\.1:\d+ ", exercise)


CHECKS = {
    "plot_01_scheduler_and_workers": check_scheduler_and_workers,
    "plot_02_hpc_job_schedulers": check_hpc_job_schedulers,
}


# -- typical wrong answers to the exercises (tests/test_exercises.py) -----------------------------


def _minutes(files, clean=True):
    trips = pd.concat([clean_trips(path) if clean else pd.read_csv(path) for path in files], ignore_index=True)
    return trips.groupby("usertype")["tripduration"].mean() / 60


def _scheduler_of(**cluster):
    """The scheduler's account of a real in-process cluster of the given shape."""
    import logging

    from distributed import Client, LocalCluster

    with LocalCluster(processes=False, protocol="tcp", host="127.0.0.1", dashboard_address="127.0.0.1:0",
                      silence_logs=logging.CRITICAL, **cluster) as local, Client(local) as client:
        return client.scheduler_info()


def _means_in_seconds(files):
    """The means left in seconds."""
    return {"answer": _minutes(files[:3]) * 60, "scheduler": None}


def _means_of_every_trip(files):
    """The means over the raw trips, without the lesson's cleaning."""
    return {"answer": _minutes(files[:3], clean=False), "scheduler": None}


def _means_of_every_month(files):
    """All the months instead of the lesson's three."""
    return {"answer": _minutes(files), "scheduler": None}


def _the_lessons_two_workers(files):
    """Right means, but the scheduler's account of a two-worker cluster, like the lesson's."""
    scheduler = _scheduler_of(n_workers=2, threads_per_worker=1, memory_limit="2GiB")
    return {"answer": _minutes(files[:3]), "scheduler": scheduler}


def _a_local_cluster_of_three(files):
    """Right means, on three workers of the right size, but from a LocalCluster, not started by hand."""
    scheduler = _scheduler_of(n_workers=3, threads_per_worker=1, memory_limit="2GiB")
    return {"answer": _minutes(files[:3]), "scheduler": scheduler}


def _slurm_script(cluster_class="SLURMCluster", **changes):
    """The job script of a real dask-jobqueue cluster for the exercise's request, with ``changes``."""
    import dask_jobqueue

    settings = dict(cores=32, processes=4, memory="120GiB", walltime="02:00:00", queue="short",
                    account="my_project", interface="ib0", python="python",
                    scheduler_options={"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"})
    settings.update(changes)
    settings = {key: value for key, value in settings.items() if value is not None}
    with getattr(dask_jobqueue, cluster_class)(**settings) as cluster:
        return {"answer": cluster.job_script()}


def _default_processes(files):
    """`processes` left out: dask-jobqueue picks its own split of the 32 cores."""
    return _slurm_script(processes=None)


def _cores_per_worker(files):
    """`cores` read as one worker's cores: the job asks for 8 cores, not the node."""
    return _slurm_script(cores=8)


def _memory_per_worker(files):
    """`memory` read as one worker's memory."""
    return _slurm_script(memory="30GiB")


def _the_whole_nodes_memory(files):
    """All of the node's memory, more than Slurm lets a job have: the job would never start."""
    return _slurm_script(memory="128GiB")


def _two_minutes(files):
    """walltime="02:00", which Slurm reads as two minutes."""
    return _slurm_script(walltime="02:00")


def _no_interface(files):
    """The workers' network left to chance."""
    return _slurm_script(interface=None)


def _an_sge_script(files):
    """SGECluster's script instead of Slurm's."""
    return _slurm_script("SGECluster", account=None, queue="short")


def _the_cluster_object(files):
    """The cluster object itself instead of its job script."""
    import dask_jobqueue

    with dask_jobqueue.SLURMCluster(cores=32, processes=4, memory="120GiB",
                                    scheduler_options={"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"},
                                    ) as cluster:
        return {"answer": cluster}


WRONG_ANSWERS = {
    "plot_01_scheduler_and_workers": [
        _means_in_seconds, _means_of_every_trip, _means_of_every_month, _the_lessons_two_workers,
        _a_local_cluster_of_three,
    ],
    "plot_02_hpc_job_schedulers": [
        _default_processes, _cores_per_worker, _memory_per_worker, _the_whole_nodes_memory, _two_minutes,
        _no_interface, _an_sge_script, _the_cluster_object,
    ],
}
