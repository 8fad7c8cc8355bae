"""Honest timings for lessons: compare alternatives and show a table of what was measured.

``compare({"name": function, ...})`` runs each zero-argument function once to warm up, then
``repeat`` more times, and reports the median wall time. A function should build its Dask
collections afresh on every call (otherwise the scheduler may hand back results it still holds).
Dask collections it returns, e.g. from ``persist()``, are waited for before the clock stops, and on
a dask.distributed cluster the memory they hold there is reported too. The table states the
machine and scheduler it was measured on, and shows as HTML in pages and notebooks, as text in a
terminal.
"""

from __future__ import annotations

import gc
import html
import platform
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import dask
import distributed
from dask.system import CPU_COUNT
from distributed.system import MEMORY_LIMIT


@dataclass(frozen=True)
class Timing:
    """One alternative's measurement: every timed run's wall time, and memory held on the cluster."""

    name: str
    seconds: tuple[float, ...]
    held_bytes: int | None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


class Timings:
    """The measurements of :func:`compare`, in the order given."""

    def __init__(self, timings: list[Timing], *, repeat: int, warmup: int, measured_on: str):
        self.timings = timings
        self.repeat = repeat
        self.warmup = warmup
        self.measured_on = measured_on

    def __getitem__(self, name: str) -> Timing:
        return next(t for t in self.timings if t.name == name)

    def speedup(self, slower: str, faster: str) -> float:
        """How many times faster ``faster`` ran than ``slower``, by median."""
        return self[slower].median / self[faster].median

    def verdict(self, expected_faster: str, than: str, *, otherwise: str = "") -> str:
        """One sentence, computed from the measurement, on how ``expected_faster`` did against ``than``.

        ``expected_faster`` is the alternative a reader would expect to win. The sentence says by
        how much it won; or that the two ran within run-to-run variation of each other (their
        ranges of timed runs overlap); or that ``than`` won, followed by ``otherwise`` (why that
        can happen). A result against the expectation is also reported on the process's
        standard error, so that it shows in a site build's log.
        """
        winner, loser = self[expected_faster], self[than]
        ratio = loser.median / winner.median
        if max(winner.seconds) < min(loser.seconds):
            return f"Here {expected_faster} ran {_times(ratio)} faster than {than}."
        if max(loser.seconds) < min(winner.seconds):
            sentence = f"Here {than} ran {_times(1 / ratio)} faster than {expected_faster}, against expectation."
            print(f"tutorial_helpers.timing: surprising result: {sentence}", file=sys.__stderr__, flush=True)
            return f"{sentence} {otherwise}".strip()
        return (
            f"Here {expected_faster} and {than} ran within run-to-run variation of each other "
            f"(medians {_seconds(winner.median)} and {_seconds(loser.median)})."
        )

    def _rows(self) -> list[list[str]]:
        fastest = min(t.median for t in self.timings)
        show_memory = any(t.held_bytes is not None for t in self.timings)
        rows = [["", "median", "min – max", "vs fastest"] + (["held on cluster"] if show_memory else [])]
        for t in self.timings:
            row = [
                t.name,
                _seconds(t.median),
                f"{_seconds(min(t.seconds))} – {_seconds(max(t.seconds))}",
                f"{t.median / fastest:.2f}×",
            ]
            if show_memory:
                row.append("–" if t.held_bytes is None else _mib(t.held_bytes))
            rows.append(row)
        return rows

    def caption(self) -> str:
        return (
            f"Wall time, median of {self.repeat} runs after {self.warmup} warm-up run(s), "
            f"measured on {self.measured_on}. A row that names a scheduler in its code ran on that one."
        )

    def __repr__(self) -> str:
        rows = self._rows()
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines + [self.caption()])

    def _repr_html_(self) -> str:
        header, *body = self._rows()
        head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in body
        )
        return (
            '<table class="timing-table">'
            f"<caption>{html.escape(self.caption())}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        )


def compare(
    alternatives: Mapping[str, Callable[[], object]], *, repeat: int = 3, warmup: int = 1
) -> Timings:
    """Time each alternative: ``warmup`` untimed runs, then the median of ``repeat`` timed runs."""
    if repeat < 3:
        raise ValueError("repeat must be at least 3 for a meaningful median")
    client = current_client()
    timings = []
    for name, function in alternatives.items():
        for _ in range(warmup):
            _run(function, client)
        runs = [_run(function, client) for _ in range(repeat)]
        held = [h for _, h in runs if h is not None]
        timings.append(
            Timing(name, tuple(s for s, _ in runs), statistics.median(held) if held else None)
        )
    return Timings(timings, repeat=repeat, warmup=warmup, measured_on=describe(client))


def _run(function: Callable[[], object], client: distributed.Client | None) -> tuple[float, int | None]:
    start = time.perf_counter()
    result = function()
    collections = [x for x in _flatten(result) if dask.is_dask_collection(x)]
    if client is not None and collections:
        distributed.wait(collections)  # persist() returns before the work is done
    seconds = time.perf_counter() - start
    held, keys = None, []
    if client is not None and collections:
        # Exactly the data the returned collections hold, not a cluster-wide difference.
        keys = list({future.key for future in distributed.futures_of(collections)})
        held = sum(client.nbytes(keys, summary=False).values())
    del result, collections
    if keys:
        # Quantiles (median_approximate) leave reference cycles that keep persisted futures alive
        # until the cyclic GC runs; the next run would then reuse the identical keys. (A full
        # collection costs 0.15-0.2 s of CPU in a lesson's process: only where futures are held.)
        gc.collect()
        _wait_until_released(client, keys)
    return seconds, held


def _wait_until_released(client: distributed.Client | None, keys: list, timeout: float = 5.0) -> None:
    """Let the cluster drop a run's data before the next run builds the same keys again."""
    deadline = time.monotonic() + timeout
    while client is not None and keys and time.monotonic() < deadline:
        if not set(keys) & set(client.nbytes(summary=False)):
            return
        time.sleep(0.02)


def _flatten(result: object) -> list[object]:
    if isinstance(result, (tuple, list)):
        return [item for part in result for item in _flatten(part)]
    if isinstance(result, dict):
        return _flatten(list(result.values()))
    return [result]


def current_client() -> distributed.Client | None:
    """The dask.distributed client Dask computes on right now, or None for a local scheduler."""
    if dask.config.get("scheduler", None) not in ("dask.distributed", "distributed"):
        return None
    try:
        return distributed.default_client()
    except ValueError:
        return None


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
        # A worker with a nanny is a process of its own; without one it may be a thread of this one.
        if all(w.get("nanny") for w in workers):
            kind = "worker process" if len(workers) == 1 else "worker processes"
        else:
            kind = "worker" if len(workers) == 1 else "workers"
        where = (
            f"a dask.distributed cluster of {len(workers)} {kind} × "
            f"{'/'.join(map(str, threads))} thread(s), "
            f"{'/'.join(_gib(m) for m in memory)} memory limit per worker"
        )
    return f"{where}; machine: {CPU_COUNT} cores, {_gib(MEMORY_LIMIT)} RAM, {platform.system()}"


def _gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:.1f} GiB"


def _times(ratio: float) -> str:
    """A speed-up in words: "1.7×", with two decimals where one would round to 1.0×."""
    return f"{ratio:.1f}×" if ratio >= 1.095 else f"{ratio:.2f}×"


def _seconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:.1f} MiB"
