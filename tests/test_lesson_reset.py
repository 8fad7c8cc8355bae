"""The build's clean start for every lesson: no cluster of its own, nothing left open, the footer's log."""

import os

import dask
import dask.array as da
import distributed
import psutil
import pytest

from tutorial_helpers import schedulers
from tutorial_helpers.sphinxext import cluster, stamps


def listening_sockets():
    """What this test process, and what it started in its own process session, listens on (not the
    site build that runs beside the tests in a session of its own: tests/conftest.py)."""
    me = psutil.Process()
    family = {me.pid} | {p.pid for p in me.children(recursive=True) if _session(p.pid) == os.getsid(0)}
    return {(c.laddr.ip, c.laddr.port) for c in psutil.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.pid in family}


@pytest.fixture
def gallery_conf(tmp_path):
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "plot_a.py").write_text("import dask\n")
    return {"gallery_dirs": ["lessons"], "examples_dirs": ["examples"], "src_dir": str(tmp_path)}


def _session(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:  # gone meanwhile
        return None


def in_process_cluster():
    return distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                                    host="127.0.0.1", dashboard_address="127.0.0.1:0")


def test_the_build_starts_no_cluster_for_a_lesson(gallery_conf, tmp_path):
    cluster.reset_lesson(gallery_conf, "plot_a.py", "before")
    with pytest.raises(ValueError):
        distributed.default_client()
    da.ones(10, chunks=5).sum().compute()
    cluster.reset_lesson(gallery_conf, "plot_a.py", "after")
    # What the learner's plain script gets too.
    assert stamps.recorded(tmp_path / "lessons")["plot_a.py"]["computed_on"] == ["threads"]


@pytest.mark.slow  # starts a Dask cluster
def test_what_a_lesson_left_open_is_closed_and_its_settings_undone(gallery_conf):
    sockets_before = listening_sockets()
    cluster.reset_lesson(gallery_conf, "plot_a.py", "before")
    left_open = in_process_cluster()
    client = distributed.Client(left_open)  # a lesson forgot to close both
    da.ones(10, chunks=5).sum().compute()
    dask.config.set(scheduler="synchronous")
    cluster.reset_lesson(gallery_conf, "plot_a.py", "after")
    assert client.status == "closed" and left_open.status.name == "closed"
    assert dask.config.get("scheduler", None) is None
    assert listening_sockets() == sockets_before
    cluster.close_lesson_clusters()  # again: harmless


@pytest.mark.slow  # starts a Dask cluster
def test_the_footer_names_the_schedulers_the_lesson_used(gallery_conf, tmp_path):
    cluster.reset_lesson(gallery_conf, "plot_a.py", "before")
    x = da.ones(10, chunks=5).sum()
    x.compute(scheduler="sync")
    with in_process_cluster() as local, distributed.Client(local):
        x.compute()
        x.persist()
    cluster.reset_lesson(gallery_conf, "plot_a.py", "after")
    computed_on = stamps.recorded(tmp_path / "lessons")["plot_a.py"]["computed_on"]
    assert computed_on == ["sync", "distributed: 1 worker × 2 threads, in this process, "
                           f"{distributed.system.MEMORY_LIMIT / 2**30:.1f} GiB memory limit per worker"]
    words = stamps.where_in_words(computed_on)
    assert words.startswith("Computed on Dask's local 'sync' scheduler; then a dask.distributed cluster of 1 worker")
    assert dask.base.get_scheduler is not schedulers._logging_get_scheduler  # the log stopped with the lesson


def test_a_lesson_without_dask_says_so():
    assert stamps.where_in_words([]).startswith("No Dask computation ran here. Machine: ")
