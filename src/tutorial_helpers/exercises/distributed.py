"""The exercises of the dask.distributed topic (examples/09_distributed): a cluster of your own, its size, its memory.

These exercises are about the cluster itself, so besides the answer each check reads facts of the
cluster the answer came from: the performance report it recorded (9.1), the scheduler's description
of the timed cluster and the learner's own timings (9.2), the worker's own memory table (9.3).
All outlive the ``with`` block that closed the cluster, so the check can run after it.
"""

from __future__ import annotations

import html
import math
import numbers
import re
from pathlib import Path

import pandas as pd
from dask.utils import format_bytes, parse_bytes

from tutorial_helpers.cores import granted_cores
from tutorial_helpers.exercises import Exercise, differs, differs_in_minutes, minutes_by_usertype
from tutorial_helpers.timing import Timings

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


def _compare_usertype_report(answer, files, report=None) -> str | None:
    problem = differs_in_minutes(answer, minutes_by_usertype(files, clean=False), "Your mean per user type")
    if problem:
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


# -- 9.2: the dates parsed by read_csv, timed on the many-processes shape with the job's memory -------

JOB_MEMORY = "4GiB"  # the memory the exercise's job has, split between the workers of its cluster
ROWS = ["to_datetime", "parse_dates"]  # the lesson's runs of the shape, and the learner's
_DATES = ["starttime", "stoptime"]


def _station_minutes(files) -> pd.DataFrame:
    """Count and mean ride in minutes per start station, May to December, with pandas parsing the dates.

    Read with pyarrow's parser (several times faster here than pandas' own, which tokenizes every
    column of these files): the learner waits for this.
    """
    trips = pd.concat([pd.read_csv(path, usecols=[*_DATES, "start station name"], parse_dates=_DATES,
                                   engine="pyarrow") for path in files[4:12]], ignore_index=True)
    minutes = (trips["stoptime"] - trips["starttime"]).dt.total_seconds() / 60
    return minutes.groupby(trips["start station name"]).agg(["count", "mean"])


def _shape_problem(name: str, info) -> str | None:
    """What is wrong with the cluster ``info`` (a scheduler_info() or its client) for the shape ``name``, "W × T"."""
    if hasattr(info, "scheduler_info"):
        info = info.scheduler_info(n_workers=-1)
    workers = list(info.get("workers", {}).values()) if isinstance(info, dict) else []
    if not workers:
        return ("parsed_cluster is not a scheduler's description of workers: take "
                "client.scheduler_info() inside the cluster's with block.")
    if len(workers) != info.get("n_workers", len(workers)):
        return "parsed_cluster lists only some of its workers: take scheduler_info(n_workers=-1)."
    n_workers, threads = (int(part) for part in name.split(" × "))
    if len(workers) != n_workers or {w["nthreads"] for w in workers} != {threads}:
        shown = "/".join(str(n) for n in sorted({w["nthreads"] for w in workers}))
        return (f"Your cluster had {len(workers)} worker(s) × {shown} thread(s), not the shape of "
                f"the lesson's {name!r} row.")
    if not all(w.get("nanny") for w in workers):
        return ("The workers of your cluster are threads of your Python process (processes=False), "
                "not worker processes like those of the lesson's row.")
    total = sum(w["memory_limit"] for w in workers)
    if len({w["memory_limit"] for w in workers}) != 1:
        return "The workers of your cluster have different memory limits, not an even split."
    if not math.isclose(total, parse_bytes(JOB_MEMORY), rel_tol=0.01):
        return (f"The workers of your cluster have {format_bytes(total)} of memory together, "
                f"not the job's {format_bytes(parse_bytes(JOB_MEMORY))}.")
    return None


def _compare_parsing(answer, files, timings=None, cluster=None, faster=None) -> str | None:
    problem = differs(answer, _station_minutes(files), "Your count and mean per start station", rel=1e-9)
    if problem:
        return problem
    cores = min(granted_cores(), 8)
    if not isinstance(timings, Timings):
        return ("The result is right; now pass your measurement too, check(..., timings=parsed_timings), "
                "a Timings of the two ways of parsing the dates.")
    timed = [t.name for t in timings.timings]
    if sorted(timed) != sorted(ROWS):
        return (f"Your Timings has the rows {timed}: the exercise times one row per way of parsing the "
                f"dates, named {ROWS}.")
    if any(len(t.seconds) < 3 for t in timings.timings):
        return "A row of your Timings has fewer than three timed runs: time each three times."
    if cluster is None:
        return "Pass your timed cluster's scheduler_info() too, check(..., cluster=parsed_cluster)."
    problem = _shape_problem(f"{cores} × 1", cluster)
    if problem:
        return problem
    if faster not in ROWS:
        return f"Name the row with the lower median in your own table, check(..., faster=...), one of {ROWS}."
    if timings[faster].median > min(t.median for t in timings.timings):
        return f"Your own table gives {faster!r} the higher median of the two: read the table, not the expectation."
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
    "plot_02_processes_threads": Exercise(
        compare=_compare_parsing,
        hint="pass memory_limit (a worker's share of the job's 4 GiB) and the workload to time_cluster, which "
             "returns the cluster's scheduler_info(); build the Timings as the lesson does, from the lesson's "
             "runs of that shape and yours, and read the medians in it before naming the faster row.",
        right=lambda answer: f"mean ride minutes for {len(answer)} start stations, timed on worker processes "
                             "with the job's memory split between them, and the faster way of parsing the "
                             "dates read from your own table.",
    ),
    "plot_03_worker_memory": Exercise(
        compare=_compare_chunks_in_memory,
        hint="start the cluster as at the top of the lesson with memory_limit=\"2GiB\", persist and wait, "
             "then read the row 'results in memory' of worker_memory(big_client).",
        right=lambda answer: f"{answer} of the {ARRAY_CHUNKS} chunks stay in memory on a 2 GiB worker.",
    ),
}
