"""The Dask cluster the course is built on: one per Sphinx build, shared by every lesson.

Its hooks are wired by ``tutorial_helpers.sphinxext``; ``reset_lesson`` is a sphinx-gallery
``reset_modules`` hook named in conf.py. The first lesson that runs starts one ``LocalCluster``
sized to the cores the job was granted (or connects to ``DASK_SCHEDULER_ADDRESS`` when that is
set) and makes its ``Client`` the default scheduler, so lesson code needs no ``Client`` line. Between lessons the hook closes any client a lesson left
open and restores Dask's configuration, so no lesson changes the scheduler of the next. The
cluster closes when the build ends, fails or is interrupted.
"""

from __future__ import annotations

import atexit
import copy
import logging as std_logging
import os
import warnings

import dask
import distributed
from distributed.deploy.utils import nprocesses_nthreads
from distributed.system import MEMORY_LIMIT
from sphinx.util import logging

from tutorial_helpers import bikes
from tutorial_helpers.cores import granted_cores
from tutorial_helpers.sphinxext import stamps
from tutorial_helpers.sphinxext.gallery import lessons_run
from tutorial_helpers.timing import describe

# Each worker's ceiling. Keeps the build polite on a shared login node, and lets a lesson show an
# array bigger than one worker's memory without needing a huge machine.
WORKER_MEMORY_CAP = 4 * 2**30
CONNECT_TIMEOUT = "3s"

logger = logging.getLogger(__name__)  # Sphinx's logger: shows in the build output

_build: dict = {}  # "client", "cluster", "config": the one build cluster of this process


def build_cluster_spec() -> dict:
    """The keyword arguments of the build's ``LocalCluster``: the job's cores, loopback only.

    Sized by ``granted_cores()``, not Dask's CPU count: a build inside a batch job must not start a
    worker for every core of a node it shares (the mistake the schedulers lesson warns about).
    """
    n_workers, threads_per_worker = nprocesses_nthreads(granted_cores())
    return dict(
        n_workers=n_workers,
        threads_per_worker=threads_per_worker,
        memory_limit=min(WORKER_MEMORY_CAP, MEMORY_LIMIT // n_workers),
        processes=True,
        host="127.0.0.1",
        scheduler_port=0,
        # The default ":8787" listens on every interface even with host="127.0.0.1".
        dashboard_address="127.0.0.1:0",
        silence_logs=std_logging.ERROR,
    )


class SchedulerUnreachable(ConnectionError):
    """DASK_SCHEDULER_ADDRESS names a scheduler that does not answer."""


def build_client() -> distributed.Client:
    """The build's client, starting the cluster (or connecting to one) on first use."""
    if "client" not in _build:
        address = os.environ.get("DASK_SCHEDULER_ADDRESS")
        if address:
            try:
                client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
            except OSError:
                raise SchedulerUnreachable(
                    f"no Dask scheduler answers at DASK_SCHEDULER_ADDRESS={address} within "
                    f"{CONNECT_TIMEOUT}: start it, or unset the variable to build on a local cluster"
                ) from None
        else:
            cluster = distributed.LocalCluster(**build_cluster_spec())
            _build["cluster"] = cluster
            client = distributed.Client(cluster)
        _build["client"] = client
        _build["config"] = copy.deepcopy(dask.config.config)
        atexit.register(close_build_cluster)
        logger.info("tutorial_helpers: build cluster started: %s", describe(client))
    return _build["client"]


def close_build_cluster(*_args) -> None:
    """Close the build's client and cluster; safe to call more than once."""
    client = _build.pop("client", None)
    cluster = _build.pop("cluster", None)
    _build.pop("config", None)
    if client is not None:
        client.close()
    if cluster is not None:
        cluster.close()


def reset_lesson(gallery_conf: dict, fname: str | None, when: str) -> None:
    """sphinx-gallery ``reset_modules`` hook: give every lesson the same, clean start."""
    if fname is None:
        return
    client = build_client()
    _close_other_clients(client)
    dask.config.config.clear()
    dask.config.config.update(copy.deepcopy(_build["config"]))
    if when == "before":
        # Lessons run after conf.py, so its warning filters no longer hold: a deprecated call in a
        # lesson must fail the build, not print a warning nobody reads.
        warnings.filterwarnings("error", category=FutureWarning)
        warnings.filterwarnings("error", category=DeprecationWarning, module="__main__")
        stamps.record(gallery_conf, fname, describe(client))


def check_before_lessons(app) -> None:
    """Sphinx ``builder-inited`` hook: stop with one line if lessons cannot run, before any does.

    Also makes the course data on first use, so that no lesson's timing includes it.
    """
    if not lessons_run(app.config):
        return
    try:
        bikes.trip_files()
        if os.environ.get("DASK_SCHEDULER_ADDRESS"):
            build_client()
    except (bikes.DataError, SchedulerUnreachable) as error:
        # An expected mistake, not a crash: no traceback, and before sphinx-gallery runs anything.
        raise SystemExit(f"error: {error}") from None


def _close_other_clients(keep: distributed.Client) -> None:
    """Close clients a lesson left open: the newest open client silently becomes the default."""
    while True:
        try:
            other = distributed.default_client()
        except ValueError:
            break
        if other is keep:
            break
        other.close()
