"""The exercises of the dask.distributed topic (examples/09_distributed): a cluster of your own, its size, its memory.

These exercises are about the cluster itself, so besides the answer each check reads facts of the
cluster the answer came from: the performance report it recorded (9.1), the worker's own memory
table (9.3). Both outlive the ``with`` block that closed the cluster, so the check can run after it.
"""

from __future__ import annotations

import html
import math
import numbers
import re
from pathlib import Path

import pandas as pd
from dask.utils import format_bytes, parse_bytes

from tutorial_helpers.exercises import Exercise, differs

# -- 9.1: a cluster in a with block, recorded by a performance report -----------------------------

# The report's Summary tab: "<li> Workers: 1 </li>", HTML-escaped inside Bokeh's JSON.
_SUMMARY_FACT = re.compile(r"\b(Workers|Threads|Memory|number of tasks): ([^<&\\]+?)\s*(?:<|&lt;|\\u003c)")


def report_facts(path) -> dict[str, str]:
    """The cluster size and task count that a ``performance_report`` file states in its Summary tab."""
    text = html.unescape(Path(path).read_text(errors="replace"))
    facts: dict[str, str] = {}
    for name, value in _SUMMARY_FACT.findall(text):
        facts.setdefault(name, value.strip())
    return facts


def _minutes_by_usertype(files) -> pd.Series:
    """Mean trip duration in minutes per user type, over every trip (no cleaning) of the three months."""
    trips = pd.concat([pd.read_csv(path, usecols=["usertype", "tripduration"]) for path in files[:3]],
                      ignore_index=True)
    return trips.groupby("usertype")["tripduration"].mean() / 60


def _compare_usertype_report(answer, files, report=None) -> str | None:
    expected = _minutes_by_usertype(files)
    if isinstance(answer, pd.DataFrame) and answer.shape[1] == 1:
        answer = answer.iloc[:, 0]
    problem = differs(answer, expected, "Your mean per user type", rel=1e-9)
    if problem:
        if isinstance(answer, pd.Series) and differs(answer, expected * 60, "", rel=1e-9) is None:
            return "Your means are in seconds, not minutes."
        return problem
    if report is None:
        return ("The means are right; now pass the report's file name too, "
                "check(..., report=\"usertype-report.html\"), so the check can read the cluster it records.")
    path = Path(report)
    if not path.is_file():
        return f"The means are right, but there is no file {str(report)!r} here to read the cluster from."
    facts = report_facts(path)
    if set(facts) != {"Workers", "Threads", "Memory", "number of tasks"}:
        return f"The means are right, but {path.name} is not a Dask performance report."
    workers, threads = int(facts["Workers"]), int(facts["Threads"])
    memory = parse_bytes(facts["Memory"].replace(" ", ""))
    if workers != 1:
        return f"The means are right, but the report was recorded on a cluster of {workers} workers, not one."
    if threads != 2:
        return f"The means are right, but the report's worker has {threads} thread(s), not two."
    if not math.isclose(memory, parse_bytes("2GiB"), rel_tol=0.01):
        return f"The means are right, but the report's worker has a memory limit of {format_bytes(memory)}, not 2 GiB."
    if int(facts["number of tasks"]) < len(files[:3]):
        return (f"The report's cluster is right, but it recorded {facts['number of tasks']} task(s), fewer than "
                "one per file read: compute the means inside the report's with block.")
    return None


# -- 9.3: how much a bigger worker keeps in memory --------------------------------------------------

ARRAY_CHUNKS = 120  # the lesson's array: 120 rows of 1,000,000 random numbers, one row per chunk
_NEEDED_ROWS = ["memory limit (MiB)", "results in memory", "results on disk"]


def _compare_chunks_in_memory(answer, files, memory=None) -> str | None:
    if not isinstance(answer, numbers.Integral) or isinstance(answer, bool):
        return f"The answer should be a number of chunks, an int; yours is a {type(answer).__name__}."
    if not isinstance(memory, pd.DataFrame) or not set(_NEEDED_ROWS) <= set(memory.index):
        return ("Pass the worker's table too, memory=worker_memory(big_client), taken inside the with block: "
                "the check reads the worker's size and what it holds from it.")
    if memory.shape[1] != 1:
        return f"The table shows {memory.shape[1]} workers; the exercise's cluster has one."
    worker = memory.iloc[:, 0]
    limit_mib = int(worker["memory limit (MiB)"])
    if limit_mib * 2**20 != parse_bytes("2GiB"):
        return f"The table is of a worker with a {limit_mib} MiB memory limit, not 2 GiB."
    in_memory, on_disk = int(worker["results in memory"]), int(worker["results on disk"])
    if in_memory + on_disk != ARRAY_CHUNKS:
        return (f"The worker holds {in_memory + on_disk} results, not the array's {ARRAY_CHUNKS} chunks: "
                "persist the array on this cluster and wait() for it before taking the table.")
    if answer == in_memory:
        return None
    if answer == on_disk:
        return "That is the number of chunks on disk; the question asks how many stay in memory."
    return "Your count is not what the worker's table says it holds in memory."


EXERCISES = {
    "plot_01_local_cluster": Exercise(
        compare=_compare_usertype_report,
        hint="start the LocalCluster with n_workers, threads_per_worker and memory_limit, and do the "
             "read_csv, groupby('usertype') and mean inside `with performance_report(...)`, inside the "
             "cluster's with block; divide the seconds by 60.",
        right=lambda answer: f"mean minutes for {len(answer)} user types, recorded on one worker with two "
                             "threads and 2 GiB.",
    ),
    "plot_03_worker_memory": Exercise(
        compare=_compare_chunks_in_memory,
        hint="start the cluster as at the top of the lesson with memory_limit=\"2GiB\", persist and wait, "
             "then read the row 'results in memory' of worker_memory(big_client).",
        right=lambda answer: f"{answer} of the {ARRAY_CHUNKS} chunks stay in memory on a 2 GiB worker.",
    ),
}
