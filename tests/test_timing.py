"""The timing helper: what it runs, what it reports, and the memory a persisted result holds."""

import time

import dask.array as da
import distributed
import pytest

from tutorial_helpers.timing import compare


def test_warmup_then_median_of_repeats():
    calls = []

    def sleepy():
        calls.append(1)
        time.sleep(0.02)

    timings = compare({"sleep": sleepy, "nothing": lambda: None}, repeat=3, warmup=1)
    assert len(calls) == 4
    sleep = timings["sleep"]
    assert len(sleep.seconds) == 3 and min(sleep.seconds) >= 0.02
    assert timings["nothing"].median < sleep.median
    assert timings.speedup("sleep", "nothing") > 1
    assert sleep.held_bytes is None  # no distributed cluster here


def test_table_states_what_and_where():
    timings = compare({"a": lambda: None, "b": lambda: None}, repeat=3)
    text, html = repr(timings), timings._repr_html_()
    for shown in (text, html):
        assert "median of 3 runs after 1 warm-up" in shown
        assert "cores" in shown and "local" in shown
    assert html.count("<tr>") == 3 and "<caption>" in html
    assert "held on cluster" not in text


def test_fewer_than_three_runs_is_refused():
    with pytest.raises(ValueError, match="at least 3"):
        compare({"a": lambda: None}, repeat=2)


def random_array(nbytes):
    # Not da.ones: its chunks are broadcast views that hold almost no memory.
    return da.random.default_rng(0).random(nbytes // 8, chunks=2**17)


@pytest.mark.slow  # starts a Dask cluster
def test_persisted_result_is_waited_for_and_its_memory_reported():
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster, distributed.Client(cluster):
        nbytes = 8 * 2**20
        timings = compare(
            {
                "persist": lambda: random_array(nbytes).persist(),
                "compute": lambda: random_array(nbytes).sum().compute(),
            }
        )
    assert timings["persist"].held_bytes == nbytes
    assert timings["compute"].held_bytes is None
    assert "held on cluster" in repr(timings) and "8.0 MiB" in repr(timings)
    assert "1 worker × 2 thread(s)" in timings.measured_on  # processes=False: no worker process


def fixed(**runs):
    """Timings with given run times, as compare() would return them."""
    from tutorial_helpers.timing import Timing, Timings

    return Timings([Timing(name, tuple(seconds), None) for name, seconds in runs.items()],
                   repeat=3, warmup=1, measured_on="a test")


def test_verdict_follows_the_measurement(capfd):
    clear = fixed(fast=[0.10, 0.11, 0.12], slow=[0.20, 0.21, 0.22])
    assert clear.verdict("fast", "slow") == "Here fast ran 1.9× faster than slow."

    tie = fixed(fast=[0.10, 0.15, 0.20], slow=[0.12, 0.16, 0.18])
    assert "within run-to-run variation" in tie.verdict("fast", "slow")
    assert capfd.readouterr().err == ""

    surprise = fixed(fast=[0.30, 0.31, 0.32], slow=[0.20, 0.21, 0.22])
    sentence = surprise.verdict("fast", "slow", otherwise="Small data: overhead dominates.")
    assert sentence == "Here slow ran 1.5× faster than fast, against expectation. Small data: overhead dominates."
    assert "surprising result" in capfd.readouterr().err


def test_verdict_never_says_faster_for_a_slowdown():
    nearly = fixed(a=[0.100, 0.101, 0.102], b=[0.104, 0.105, 0.106])
    assert nearly.verdict("a", "b") == "Here a ran 1.04× faster than b."
