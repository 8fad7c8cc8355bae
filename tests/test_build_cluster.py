"""The build cluster: one per build, loopback only, a clean start for every lesson, nothing left."""

import dask
import distributed
import psutil
import pytest

from tutorial_helpers.sphinxext import cluster, stamps
from tutorial_helpers.cores import granted_cores
from tutorial_helpers.timing import describe


@pytest.fixture(scope="module")
def sockets_before():
    """What this process listened on before the build cluster started (e.g. the test session's site server)."""
    return listening_sockets(psutil.Process())


@pytest.fixture(scope="module")
def build_client(sockets_before):
    client = cluster.build_client()
    yield client
    cluster.close_build_cluster()


def listening_sockets(process):
    family = {p.pid for p in [process, *process.children(recursive=True)]}
    return {
        (c.laddr.ip, c.laddr.port)
        for c in psutil.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.pid in family
    }


def listening_addresses(process):
    return {ip for ip, _ in listening_sockets(process)}


def test_one_cluster_sized_to_the_machine(build_client):
    assert cluster.build_client() is build_client
    spec = cluster.build_cluster_spec()
    workers = build_client.scheduler_info(n_workers=-1)["workers"].values()
    assert len(workers) == spec["n_workers"]
    assert {w["nthreads"] for w in workers} == {spec["threads_per_worker"]}
    assert {w["memory_limit"] for w in workers} == {spec["memory_limit"]}
    assert spec["n_workers"] * spec["threads_per_worker"] == granted_cores()


def test_every_service_listens_on_loopback_only(build_client):
    assert build_client.scheduler.address.startswith("tcp://127.0.0.1:")
    assert "127.0.0.1" in build_client.dashboard_link
    assert listening_addresses(psutil.Process()) == {"127.0.0.1"}


def test_computations_run_on_the_build_cluster(build_client):
    cluster.reset_lesson({"gallery_dirs": ["lessons"], "src_dir": "/nonexistent"}, None, "before")
    assert dask.base.get_scheduler() == build_client.get
    assert "worker processes" in describe()


def test_reset_undoes_what_a_lesson_changed(build_client, tmp_path):
    gallery_conf = {"gallery_dirs": ["lessons"], "examples_dirs": ["examples"], "src_dir": str(tmp_path)}
    cluster.reset_lesson(gallery_conf, "plot_a.py", "before")
    leaked = distributed.Client(build_client.scheduler.address)  # a lesson forgot to close this
    dask.config.set(scheduler="synchronous")
    cluster.reset_lesson(gallery_conf, "plot_a.py", "after")
    assert leaked.status == "closed"
    assert distributed.default_client() is build_client
    assert dask.base.get_scheduler() == build_client.get
    assert "worker processes" in stamps.recorded(tmp_path / "lessons")["plot_a.py"]["where"]


def test_closing_leaves_no_process_or_port(sockets_before):
    client = cluster.build_client()
    # Python's multiprocessing resource tracker is not Dask's: it lives as long as this process.
    workers = [
        p for p in psutil.Process().children(recursive=True) if "spawn_main" in " ".join(p.cmdline())
    ]
    assert len(workers) == cluster.build_cluster_spec()["n_workers"]
    cluster.close_build_cluster()
    cluster.close_build_cluster()  # twice is harmless
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive
    assert listening_sockets(psutil.Process()) == sockets_before
    assert client.status == "closed"


def test_the_results_checks_know_the_worker_cap():
    from checks_03_array import WORKER_MEMORY_CAP

    assert WORKER_MEMORY_CAP == cluster.WORKER_MEMORY_CAP
