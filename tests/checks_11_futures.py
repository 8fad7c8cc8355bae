"""Results checks for the lessons in examples/11_futures: futures give what a plain loop gives."""

import functools
import logging
import math

import numpy as np


def count_inside(n, seed):
    """The lesson's Monte-Carlo chunk, written out again as the plain-Python reference."""
    rng = np.random.default_rng(seed)
    x, y = rng.random(n), rng.random(n)
    return int(np.count_nonzero(x * x + y * y <= 1.0))


def pi_from(seeds, n):
    return 4 * sum(count_inside(n, seed) for seed in seeds) / (n * len(seeds))


def check_futures(namespace, files):
    chunk, seeds = namespace["chunk"], list(namespace["seeds"])
    assert namespace["counts"] == [count_inside(chunk, seed) for seed in seeds]
    want = pi_from(seeds, chunk)
    for name in ("pi_estimate", "pi_from_futures", "pi_from_delayed"):
        assert namespace[name] == want, name

    # as_completed: the estimate is exactly the one from the chunks used, and it stopped as soon
    # as the standard error fell below the target.
    used, target = namespace["used_seeds"], namespace["target"]
    assert len(set(used)) == len(used) >= 2
    assert namespace["dynamic_pi"] == pi_from(used, chunk)
    errors = [se for _, _, se in namespace["history"]]
    assert errors[-1] < target <= min(errors[:-1])
    assert abs(namespace["dynamic_pi"] - math.pi) < 5 * target
    assert namespace["statuses_after_cancel"] == {"cancelled": 3}

    assert namespace["error_status"] == "error"
    assert "negative dimensions" in namespace["error_message"]

    # The exercise solution: its estimate is the answer, combined by a future of its own.
    assert namespace["exercise_pi"] == pi_from(range(200, 208), 250_000)
    assert namespace["answer"] == namespace["exercise_pi"]
    assert namespace["exercise_future"].key.startswith("estimate_pi-")
    assert sorted(namespace["finish_order"]) == list(range(200, 208))


CHECKS = {"plot_01_futures": check_futures}


# -- typical wrong answers to the exercise (tests/test_exercises.py) ------------------------------


def _pi_of_the_lessons_sixteen_chunks(files):
    """The lesson's own estimate (16 chunks of 1,000,000 points), not the exercise's."""
    return {"answer": pi_from(range(16), 1_000_000), "future": None, "order": None}


def _one_seed_short(files):
    """range(200, 207): seven chunks, the last seed left out."""
    return {"answer": pi_from(range(200, 207), 250_000), "future": None, "order": None}


@functools.cache
def _run_the_exercise():
    """The exercise done on an in-process cluster; the futures outlive it, as in the lesson."""
    from distributed import Client, LocalCluster, as_completed

    def estimate_pi(counts, points_per_chunk):
        return 4 * sum(counts) / (points_per_chunk * len(counts))

    seeds = list(range(200, 208))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL) as cluster, \
            Client(cluster) as client:
        chunks = client.map(count_inside, [250_000] * 8, seeds)
        combined = client.submit(estimate_pi, chunks, 250_000)
        finished = list(as_completed(chunks))
        return combined.result(), chunks, combined, finished, dict(zip(chunks, seeds))


def _order_as_futures(files):
    """The futures as they finished, not their seeds."""
    pi, _, combined, finished, _ = _run_the_exercise()
    return {"answer": pi, "future": combined, "order": finished}


def _a_chunk_as_the_combining_future(files):
    """One of the chunks' futures passed where the combining one belongs."""
    pi, chunks, _, finished, seed_of = _run_the_exercise()
    return {"answer": pi, "future": chunks[-1], "order": [seed_of[f] for f in finished]}


WRONG_ANSWERS = {"plot_01_futures": [
    _pi_of_the_lessons_sixteen_chunks, _one_seed_short, _order_as_futures, _a_chunk_as_the_combining_future,
]}
