"""The exercise of the choosing-a-tool topic (examples/21_choosing_a_tool): Dask against pandas, in numbers.

21.1 asks, for each file format the lesson timed live, how many times faster Dask on the cluster
ran than pandas with its default threads, as a dict from the format to the ratio. Timings differ
between runs, so the reference is the learner's own measurement: the check recomputes the ratios
from the ``Timings`` the lesson made (``live``), and names the usual slips (the ratio upside
down, the one-thread pandas, a format left out).
"""

from __future__ import annotations

import math
import numbers

from tutorial_helpers.exercises import Exercise
from tutorial_helpers.timing import Timings

PANDAS, PANDAS_ONE_THREAD, DASK = "pandas", "pandas, 1 thread", "Dask, cluster"


def _ratios(live, slower):
    return {fmt: timings.speedup(slower, DASK) for fmt, timings in live.items()
            if slower in [t.name for t in timings.timings]}


def _close(answer: dict, want: dict) -> bool:
    return set(answer) == set(want) and all(math.isclose(answer[k], want[k], rel_tol=1e-9) for k in want)


def _compare_dask_vs_pandas(answer, files, live=None) -> str | None:
    if not isinstance(live, dict) or not live or not all(isinstance(t, Timings) for t in live.values()):
        return ("Pass the lesson's measurements too, check(..., live=live), so the check can recompute "
                "the ratios from them.")
    if not isinstance(answer, dict):
        return f"The answer should be a dict from format to a ratio; yours is a {type(answer).__name__}."
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and v > 0 for v in answer.values()):
        return "Each value of your dict should be a positive number: the ratio of two medians."
    want = _ratios(live, PANDAS)
    if set(answer) != set(want):
        return f"Your dict has the keys {sorted(map(str, answer))}; it should have one per format in `live`."
    if _close(answer, want):
        return None
    if _close({k: 1 / v for k, v in answer.items()}, want):
        return "Your ratios are upside down: Dask's median divided by pandas'."
    one_thread = _ratios(live, PANDAS_ONE_THREAD)
    if one_thread and any(k in one_thread and math.isclose(answer[k], one_thread[k], rel_tol=1e-9) for k in answer):
        return "Your ratio compares Dask with pandas limited to one thread, not with pandas' default."
    return "Your ratios are not the ones the medians in `live` give."


EXERCISES = {
    "plot_01_should_you_use_dask": Exercise(
        compare=_compare_dask_vs_pandas,
        hint="for each format, live[fmt].speedup(slower, faster) divides the slower row's median by the "
             "faster row's: here the slower is pandas (default threads), the faster Dask.",
        right=lambda answer: "; ".join(
            f"{fmt}: Dask ran {ratio:.2f}× as fast as pandas" for fmt, ratio in sorted(answer.items())),
    ),
}
