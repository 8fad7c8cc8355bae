"""The exercise of the futures topic (examples/11_futures): π from chunks submitted as futures.

The check recomputes the estimate with a plain loop over the same seeds (each chunk's count
depends only on its seed), and reads two facts of the run: the future that combined the counts
(it must be a future of its own, not one of the chunks) and the seeds in the order they finished.
"""

from __future__ import annotations

import numbers

import numpy as np
from dask.utils import key_split

from tutorial_helpers.exercises import Exercise, differs

SEEDS = range(200, 208)
POINTS_PER_CHUNK = 250_000


def count_inside(n, seed):
    """The lesson's Monte-Carlo chunk, written out again: points of the unit square inside the quarter circle."""
    rng = np.random.default_rng(seed)
    x, y = rng.random(n), rng.random(n)
    return int(np.count_nonzero(x * x + y * y <= 1.0))


def pi_from(seeds, n=POINTS_PER_CHUNK) -> float:
    """π estimated from one chunk of ``n`` points per seed, as the lesson's ``estimate_pi`` combines them."""
    counts = [count_inside(n, seed) for seed in seeds]
    return 4 * sum(counts) / (n * len(counts))


def _compare_pi_from_futures(answer, files, future=None, order=None) -> str | None:
    if not isinstance(answer, numbers.Real) or isinstance(answer, bool):
        return f"The answer should be the estimate of π, a float; yours is a {type(answer).__name__}."
    if differs(answer, pi_from(SEEDS), "Your estimate", rel=1e-12):
        if any(answer == pi_from(range(200, stop)) for stop in (207, 209)):
            return "Your estimate combines a different number of chunks: seeds 200 to 207 are eight."
        return ("Your estimate is not the one the eight chunks of 250,000 points with the seeds 200 to 207 "
                "give together.")
    if not hasattr(future, "key") or type(future).__name__ != "Future":
        return ("The estimate is right; pass the future of your second submit too, future=..., "
                "so the check can see that the counts were combined on the cluster.")
    if key_split(future.key) == "count_inside":
        return ("The future you passed is one of the chunks; pass the one from the submit that combines them.")
    if not isinstance(order, (list, tuple)) or not all(
        isinstance(seed, numbers.Integral) and not isinstance(seed, bool) for seed in order
    ):
        kind = type(order[0]).__name__ if isinstance(order, (list, tuple)) and order else type(order).__name__
        return f"The finishing order should be a list of seeds (ints); yours holds a {kind}."
    if sorted(order) != list(SEEDS):
        return "The finishing order should hold each of the eight seeds exactly once."
    return None


EXERCISES = {
    "plot_01_futures": Exercise(
        compare=_compare_pi_from_futures,
        hint="map count_inside over the eight seeds, submit estimate_pi with the list of those futures as "
             "its input, and turn each future that as_completed yields back into its seed (a dict from "
             "future to seed).",
        right=lambda answer: f"π ≈ {answer:.5f} from eight chunks, combined on the cluster.",
    ),
}
