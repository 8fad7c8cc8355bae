"""The lessons' peak-memory measurement: what it counts, and that Sphinx can cache it as a setting."""

import pickle
import subprocess
import sys
import threading
import time

import pytest
from sphinx.config import is_serializable

from tutorial_helpers.sphinxext.memory import PeakMemory

MB_200 = 200 * 10**6
MIB = 2**20


def hold_200_mb() -> None:
    block = bytearray(MB_200)  # zero-filled, so every page is touched and resident
    time.sleep(0.3)
    del block


def hold_200_mb_in_a_child() -> None:
    code = f"import time; block = bytearray({MB_200}); time.sleep(0.5)"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("func", [hold_200_mb, hold_200_mb_in_a_child], ids=["here", "in a child"])
def test_counts_memory_held_here_and_in_child_processes(func):
    measure = PeakMemory()
    baseline, _ = measure(lambda: None)
    peak, _ = measure(func)
    assert peak - baseline >= 150


def test_passes_the_result_through():
    assert PeakMemory()(lambda: 42)[1] == 42


def test_exceptions_propagate_and_the_sampler_stops():
    before = set(threading.enumerate())

    class LessonError(Exception):
        pass

    def broken():
        raise LessonError("boom")

    with pytest.raises(LessonError, match="boom"):
        PeakMemory()(broken)
    assert set(threading.enumerate()) == before


def test_sphinx_can_cache_it_and_sees_it_unchanged():
    measure = PeakMemory()
    assert pickle.loads(pickle.dumps(measure)) == measure
    assert is_serializable(measure) and is_serializable({"show_memory": measure})
    # Sphinx's html builder hashes str() of its settings: a rebuild must see the same string.
    assert repr(measure) == repr(PeakMemory()) == "PeakMemory()"
    assert hash(measure) == hash(PeakMemory())
    assert measure != "PeakMemory()"
