"""The Dask cluster the course is built on: one per Sphinx build, shared by every lesson.

Listed in conf.py's ``extensions`` and as a sphinx-gallery ``reset_modules`` hook. The first
lesson that runs starts one ``LocalCluster`` sized to the machine (or connects to
``DASK_SCHEDULER_ADDRESS`` when that is set) and makes its ``Client`` the default scheduler, so
lesson code needs no ``Client`` line. Between lessons the hook closes any client a lesson left
open and restores Dask's configuration, so no lesson changes the scheduler of the next. The
cluster closes when the build ends, fails or is interrupted.
"""

from __future__ import annotations

import atexit
import copy
import json
import logging as std_logging
import os
import platform
import warnings
from pathlib import Path

import dask
import distributed
from distributed.deploy.utils import nprocesses_nthreads
from dask.system import CPU_COUNT
from distributed.system import MEMORY_LIMIT
from sphinx.util import logging

from tutorial_helpers import bikes

# Each worker's ceiling. Keeps the build polite on a shared login node, and lets a lesson show an
# array bigger than one worker's memory without needing a huge machine.
WORKER_MEMORY_CAP = 4 * 2**30
CONNECT_TIMEOUT = "3s"
COMPUTED_ON_FILE = "computed_on.json"

logger = logging.getLogger(__name__)  # Sphinx's logger: shows in the build output

_build: dict = {}  # "client", "cluster", "config": the one build cluster of this process


def build_cluster_spec() -> dict:
    """The keyword arguments of the build's ``LocalCluster``: all cores, loopback only."""
    n_workers, threads_per_worker = nprocesses_nthreads(CPU_COUNT)
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


def describe(client: distributed.Client | None = None) -> str:
    """Where Dask computes right now, in words: workers × threads and memory, or the local scheduler."""
    if client is None:
        client = current_client()
    if client is None:
        scheduler = dask.config.get("scheduler", None) or "threads"
        where = f"Dask's local '{scheduler}' scheduler, no cluster"
    else:
        workers = client.scheduler_info(n_workers=-1)["workers"].values()
        threads = sorted({w["nthreads"] for w in workers})
        memory = sorted({w["memory_limit"] for w in workers})
        where = (
            f"a dask.distributed cluster of {len(workers)} worker processes × "
            f"{'/'.join(map(str, threads))} thread(s), "
            f"{'/'.join(_gib(m) for m in memory)} memory limit per worker"
        )
    return f"{where}; machine: {CPU_COUNT} cores, {_gib(MEMORY_LIMIT)} RAM, {platform.system()}"


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
        _record_computed_on(gallery_conf, fname, describe(client))


def computed_on(gallery_dir: Path) -> dict[str, str]:
    """What each lesson of a built gallery was computed on, by file name."""
    path = Path(gallery_dir) / COMPUTED_ON_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def add_computed_on_note(app, docname: str, source: list[str]) -> None:
    """Sphinx ``source-read`` hook: end each lesson page with where its outputs were computed."""
    gallery_root = _gallery_root(app.config.sphinx_gallery_conf)
    if not Path(app.srcdir, docname).is_relative_to(gallery_root):
        return
    where = computed_on(gallery_root).get(Path(docname).name + ".py")
    if where:
        source[0] += f"\n\n.. rubric:: Where these outputs were computed\n\n{where}.\n"


def check_before_lessons(app) -> None:
    """Sphinx ``builder-inited`` hook: stop with one line if lessons cannot run, before any does."""
    if str(app.config.plot_gallery).lower() in ("0", "false"):
        return
    try:
        bikes.trip_files()
        if os.environ.get("DASK_SCHEDULER_ADDRESS"):
            build_client()
    except (bikes.DataError, SchedulerUnreachable) as error:
        # An expected mistake, not a crash: no traceback, and before sphinx-gallery runs anything.
        raise SystemExit(f"error: {error}") from None


def setup(app):
    # Before sphinx-gallery's builder-inited handler (priority 500), which runs the lessons.
    app.connect("builder-inited", check_before_lessons, priority=300)
    app.connect("source-read", add_computed_on_note)
    # Runs before sphinx-gallery's own build-finished handler, which raises on failed lessons.
    app.connect("build-finished", close_build_cluster, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def current_client() -> distributed.Client | None:
    """The dask.distributed client Dask computes on right now, or None for a local scheduler."""
    if dask.config.get("scheduler", None) not in ("dask.distributed", "distributed"):
        return None
    try:
        return distributed.default_client()
    except ValueError:
        return None


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


def _record_computed_on(gallery_conf: dict, fname: str, where: str) -> None:
    root = _gallery_root(gallery_conf)
    root.mkdir(parents=True, exist_ok=True)
    records = computed_on(root)
    records[Path(fname).name] = where
    tmp = root / f".{COMPUTED_ON_FILE}.tmp"
    tmp.write_text(json.dumps(records, indent=1, sort_keys=True))
    os.replace(tmp, root / COMPUTED_ON_FILE)


def _gallery_root(gallery_conf: dict) -> Path:
    """The course has one gallery; lesson file names are unique within it."""
    (gallery_dir,) = [gallery_conf["gallery_dirs"]] if isinstance(gallery_conf["gallery_dirs"], str) else gallery_conf["gallery_dirs"]
    return Path(gallery_conf["src_dir"]) / gallery_dir


def _gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:.1f} GiB"
