"""The per-block peak-memory sampler used for sphinx-gallery's show_memory."""

import threading

import numpy as np
import psutil

from tutorial_helpers.memory import peak_memory


def test_peak_includes_memory_freed_before_the_block_ends():
    before = psutil.Process().memory_info().rss / 2**20

    def allocate_and_free():
        block = np.ones(300 * 2**20 // 8)  # 300 MiB, touched
        del block
        return "done"

    peak, result = peak_memory(allocate_and_free)
    assert result == "done"
    assert peak - before > 250


def test_sampler_thread_stops_even_when_the_block_raises():
    def fail():
        raise ValueError("lesson error")

    try:
        peak_memory(fail)
    except ValueError:
        pass
    assert not [t for t in threading.enumerate() if t.name == "peak-memory-sampler"]
