"""Results checks for the lessons in examples/11_futures: futures give what a plain loop gives."""

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

    # The exercise solution.
    assert namespace["exercise_pi"] == pi_from(range(200, 208), 250_000)
    assert sorted(namespace["finish_order"]) == list(range(200, 208))


CHECKS = {"plot_01_futures": check_futures}
