"""Which Dask scheduler each computation in this Python process ran on, in order.

Every ``compute()``, ``persist()`` and ``dask.compute`` picks its scheduler through
``dask.base.get_scheduler``: the ``scheduler=`` it was given, Dask's configuration, else the default
``Client``, else the collection's local default. :func:`start_log` wraps that one function, so the log
sees every choice, and :func:`computed_on` says what it saw, for example::

    from tutorial_helpers import schedulers

    schedulers.start_log()
    ...  # a lesson's code
    schedulers.computed_on()  # ['distributed: 1 worker × 2 threads, in-process', 'threads']

The course uses it to prove that a lesson's page and a learner's run of the same lesson compute on
the same kind of scheduler, with workers and threads of the same shape, and to say on each page
where its outputs were computed. Futures (``client.submit``) name their client in the code and are
not logged.
"""

from __future__ import annotations

import threading
from functools import partial

import dask
import dask.base
import dask.local
import dask.multiprocessing
import dask.threaded

_LOCAL = {dask.threaded.get: "threads", dask.multiprocessing.get: "processes", dask.local.get_sync: "sync"}

_log: list[str] = []
_shapes: dict[tuple, str] = {}
_state = threading.local()  # get_scheduler calls itself: log the outermost call only
_original_get_scheduler = dask.base.get_scheduler


def scheduler_kind(schedule) -> str:
    """What ``schedule`` (a function ``get_scheduler`` returned) computes on, in a few words.

    ``"threads"``, ``"processes"``, ``"sync"``, an executor's ``"executor: N workers"``, or
    ``"distributed: W workers × T threads, worker processes, M GiB memory limit per worker"``
    (``in this process`` for a local cluster's in-process workers), asked of the scheduler once
    per shape of the cluster.
    """
    if schedule in _LOCAL:
        return _LOCAL[schedule]
    client = getattr(schedule, "__self__", None)
    if client is not None and hasattr(client, "scheduler_info"):
        return _cluster_shape(client)
    if isinstance(schedule, partial) and schedule.func is dask.local.get_async:
        return f"executor: {schedule.args[1]} workers"
    return f"other: {getattr(schedule, '__qualname__', type(schedule).__name__)}"


def _cluster_shape(client) -> str:
    totals = client._scheduler_identity  # cached by the client: no call to the scheduler
    key = (id(client), totals.get("n_workers"), totals.get("total_threads"), totals.get("total_memory"))
    if key not in _shapes:
        workers = client.scheduler_info(n_workers=-1)["workers"].values()
        threads = "/".join(str(n) for n in sorted({w["nthreads"] for w in workers})) or "0"
        memory = "/".join(f"{m / 2**30:.1f}" for m in sorted({w["memory_limit"] for w in workers}))
        if workers and all(w.get("nanny") for w in workers):
            where = "worker processes"
        elif client.cluster is not None:  # a LocalCluster's workers without a nanny are threads of this process
            where = "in this process"
        else:
            where = "no nanny"
        _shapes[key] = (
            f"distributed: {len(workers)} worker{'' if len(workers) == 1 else 's'} × {threads} "
            f"thread{'' if threads == '1' else 's'}, {where}, {memory} GiB memory limit per worker"
        )
    return _shapes[key]


def _logging_get_scheduler(*args, **kwargs):
    outermost = not getattr(_state, "depth", 0)
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        schedule = _original_get_scheduler(*args, **kwargs)
    finally:
        _state.depth -= 1
    if outermost and schedule is not None:  # None: no choice made yet, the collection's default follows
        _log.append(scheduler_kind(schedule))
    return schedule


def start_log() -> None:
    """Log, from now on, the scheduler of every computation in this process (again: a new log)."""
    _log.clear()
    dask.base.get_scheduler = _logging_get_scheduler


def stop_log() -> list[str]:
    """Stop logging; return what was logged, in order."""
    dask.base.get_scheduler = _original_get_scheduler
    return list(_log)


def computed_on() -> list[str]:
    """The kinds of scheduler computations ran on since :func:`start_log`, each once, in order."""
    return list(dict.fromkeys(_log))
