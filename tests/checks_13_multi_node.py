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

    # The exercise: three workers, the mean duration per user type, and nothing left running.
    assert namespace["n_workers_seen"] == 3
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

    # The exercise: whole 32-core nodes, 4 workers × 8 threads, two hours on "short".
    exercise = namespace["exercise_script"]
    assert {"-p short", "--cpus-per-task=32", "-t 02:00:00"} <= set(directives(exercise, "#SBATCH"))
    assert "--nworkers 4" in exercise and "--nthreads 8" in exercise


CHECKS = {
    "plot_01_scheduler_and_workers": check_scheduler_and_workers,
    "plot_02_hpc_job_schedulers": check_hpc_job_schedulers,
}
