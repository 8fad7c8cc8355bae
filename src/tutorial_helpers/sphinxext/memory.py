"""Each lesson's peak memory, for sphinx-gallery's ``show_memory`` ("Estimated memory usage").

A lesson's data lives mostly in the build cluster's worker processes, which sphinx-gallery's own
measurement (memory_profiler: one process, watched by a child forked from the threaded build)
does not see. ``PeakMemory()`` measures the summed resident memory (RSS) of the build process and
all its descendants (the cluster's nannies and workers, and any cluster a lesson starts itself),
sampled on a thread every 100 ms, plus the build process's own kernel high-water mark on Linux.
A spike shorter than 100 ms in a child process can be missed: the figure is a lower bound.
sphinx-gallery subtracts the figure for an empty call made just before the lesson, so a page
shows how far the lesson raised the memory the build already held.

It is an instance, not a function, because Sphinx caches (pickles) only configuration values
without functions or classes in them; its constant repr keeps the cached config unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

# A sample costs about 1 ms of the build process, which hosts the schedulers the timings on the
# pages measure: 10 a second keeps that to about 1 % of a core.
SAMPLE_SECONDS = 0.1
MIB = 2**20


def process_tree_rss() -> int:
    """Bytes resident in this process and all its descendants."""
    this_process = psutil.Process()
    total = this_process.memory_info().rss
    for child in this_process.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:  # it ended between listing and reading
            pass
    return total


def reset_own_high_water_mark() -> bool:
    """Restart this process's peak RSS (VmHWM) from its current RSS; False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def own_high_water_mark() -> int:
    """This process's peak RSS in bytes since the last reset, 0 if unknown."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    kib = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")), 0)
    return int(kib) * 1024


class PeakMemory:
    """``PeakMemory()(func)`` runs ``func`` and returns ``(peak MiB while it ran, its result)``."""

    def __call__(self, func: Callable[[], Any]) -> tuple[float, Any]:
        peak = process_tree_rss()
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.wait(SAMPLE_SECONDS):
                peak = max(peak, process_tree_rss())

        # Without the reset the high-water mark would be the whole build's, not this call's.
        own_mark_counts = reset_own_high_water_mark()
        sampler = threading.Thread(target=sample, name="PeakMemory sampler", daemon=True)
        sampler.start()
        try:
            result = func()
        finally:
            stop.set()
            sampler.join()
        peak = max(peak, process_tree_rss(), own_high_water_mark() if own_mark_counts else 0)
        return peak / MIB, result

    # Every instance measures the same way: Sphinx must see an unchanged setting between builds.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PeakMemory):
            return NotImplemented
        return True

    def __hash__(self) -> int:
        return 0  # a constant: str hashes differ between processes

    def __repr__(self) -> str:
        return "PeakMemory()"
