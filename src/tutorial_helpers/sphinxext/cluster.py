"""Each lesson computes on the cluster it makes in view; the build gives every lesson a clean start.

Lessons start their own ``LocalCluster`` (or name a local scheduler) in code the learner runs too,
so the build starts no cluster of its own. Its hooks are wired by ``tutorial_helpers.sphinxext``;
``reset_lesson`` is a sphinx-gallery ``reset_modules`` hook named in conf.py. Before each lesson it
closes any client or cluster an earlier lesson left open (the newest open client silently becomes
every later computation's scheduler), restores Dask's configuration and starts the log of the
schedulers the lesson computes on (``tutorial_helpers.schedulers``); after it, it records that log
for the page's footer. Whatever is still open when the build ends, fails or is interrupted is
closed.
"""

from __future__ import annotations

import atexit
import copy
import gc
import warnings

import dask
import distributed
from distributed.deploy.spec import SpecCluster

from tutorial_helpers import bikes, schedulers
from tutorial_helpers.sphinxext import stamps
from tutorial_helpers.sphinxext.gallery import lessons_run

_config_before_lessons: list[dict] = []  # Dask's configuration as the first lesson found it


def close_lesson_clusters(*_args) -> None:
    """Close every client and local cluster still open in this process; safe to call again."""
    while True:
        try:
            client = distributed.default_client()
        except ValueError:
            break
        client.close()
    for cluster in list(SpecCluster._instances):
        if cluster.status.name not in ("closing", "closed", "failed"):
            cluster.close()
    # A Client that failed half-way (a malformed address) keeps its event-loop thread until it is
    # garbage collected, and collected inside the next cluster's loop thread it deadlocks the loop
    # start ("assert loop is not None", distributed/utils.py): collect it here, between lessons.
    gc.collect()


def reset_lesson(gallery_conf: dict, fname: str | None, when: str) -> None:
    """sphinx-gallery ``reset_modules`` hook: give every lesson the same, clean start."""
    if fname is None:
        return
    if when == "after":
        stamps.record(gallery_conf, fname, schedulers.stop_log())
    close_lesson_clusters()
    if not _config_before_lessons:
        _config_before_lessons.append(copy.deepcopy(dask.config.config))
        atexit.register(close_lesson_clusters)
    dask.config.config.clear()
    dask.config.config.update(copy.deepcopy(_config_before_lessons[0]))
    if when == "before":
        # Lessons run after conf.py, so its warning filters no longer hold: a deprecated call in a
        # lesson must fail the build, not print a warning nobody reads.
        warnings.filterwarnings("error", category=FutureWarning)
        warnings.filterwarnings("error", category=DeprecationWarning, module="__main__")
        schedulers.start_log()


def check_before_lessons(app) -> None:
    """Sphinx ``builder-inited`` hook: stop with one line if lessons cannot run, before any does.

    Also makes the course data on first use, so that no lesson's timing includes it.
    """
    if not lessons_run(app.config):
        return
    try:
        bikes.trip_files()
    except bikes.DataError as error:
        # An expected mistake, not a crash: no traceback, and before sphinx-gallery runs anything.
        raise SystemExit(f"error: {error}") from None
