"""Peak memory of each lesson code block, for sphinx-gallery's ``show_memory``.

sphinx-gallery's default, memory_profiler, forks the build process for every code block; the
build process runs Dask's event-loop threads, and forking a threaded process can deadlock. This
samples the build process's resident memory from a thread instead. Work done on the cluster's
workers is not counted: it is the build process's peak.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import psutil

SAMPLE_EVERY = 0.01  # seconds


def peak_memory(block: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``block``; return the process's peak resident memory while it ran (MiB) and its result."""
    process = psutil.Process()
    peak = process.memory_info().rss
    finished = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not finished.wait(SAMPLE_EVERY):
            peak = max(peak, process.memory_info().rss)

    sampler = threading.Thread(target=sample, name="peak-memory-sampler", daemon=True)
    sampler.start()
    try:
        result = block()
    finally:
        finished.set()
        sampler.join()
    return max(peak, process.memory_info().rss) / 2**20, result
