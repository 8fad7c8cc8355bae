"""The exercises of the many-machines topic (examples/13_multi_node): clusters you start and describe yourself.

Both exercises are about the cluster, not only the numbers it computes. For 13.1 the check reads
the scheduler's own account of the cluster it ran (``client.scheduler_info()``): how many workers,
their threads, memory, address and whether a nanny or a ``LocalCluster`` started them. For 13.2
the answer is the job script a ``SLURMCluster`` would submit (dask-jobqueue writes it without a
batch system): the check reads the ``#SBATCH`` request and the ``dask worker`` command from it.
"""

from __future__ import annotations

import math
import re
import shlex

from dask.utils import parse_bytes

from tutorial_helpers.exercises import Exercise, differs, differs_in_minutes, minutes_by_usertype

# -- 13.1: a cluster started by hand, described by its scheduler -----------------------------------

BY_HAND = {"workers": 3, "threads": 1, "memory": "2GiB"}  # the exercise's cluster: the lesson's worker_command × 3


def _compare_scheduler_and_workers(answer, files, scheduler=None) -> str | None:
    problem = differs_in_minutes(answer, minutes_by_usertype(files, clean=True), "Your mean per user type")
    if problem:
        if differs(answer, minutes_by_usertype(files, clean=False), "", rel=1e-9) is None:
            return "Your means include the trips the lesson's cleaning drops (a zero duration, no end station)."
        return problem
    if scheduler is None:
        return ("The means are right; now pass the scheduler's account too, check(..., scheduler=...), "
                "taken with client.scheduler_info() inside the with block.")
    if not isinstance(scheduler, dict) or not isinstance(scheduler.get("workers"), dict):
        return "`scheduler` should be the dict client.scheduler_info() returns, with its 'workers'."
    workers = scheduler["workers"]
    if len(workers) != BY_HAND["workers"]:
        return f"The means are right, but the scheduler knew {len(workers)} worker(s) when you asked it, not three."
    if any(w.get("nthreads") != BY_HAND["threads"] for w in workers.values()):
        return "The scheduler had three workers, but not of one thread each, as worker_command starts them."
    if any(w.get("memory_limit") != parse_bytes(BY_HAND["memory"]) for w in workers.values()):
        return "The scheduler had three workers, but not with the 2 GiB memory limit worker_command gives them."
    if not str(scheduler.get("address", "")).startswith("tcp://127.0.0.1:") or any(
            not address.startswith("tcp://127.0.0.1:") for address in workers):
        return "The scheduler or its workers listened beyond this machine's loopback address."
    if any(w.get("nanny") or w.get("name") != address for address, w in workers.items()):
        return ("These workers were started by a LocalCluster or with a nanny, not by the lesson's "
                "`dask worker` commands.")
    return None


# -- 13.2: a SLURMCluster's job script ---------------------------------------------------------------

REQUEST = {  # the exercise's request, as its text states it
    "partition": "short", "account": "my_project", "cores": 32, "workers": 4, "threads": 8,
    "memory": "120GiB", "seconds": 2 * 3600, "interface": "ib0",
}
_SLURM_UNITS = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def slurm_seconds(walltime: str) -> int:
    """Seconds in a Slurm time limit: ``MM``, ``MM:SS``, ``HH:MM:SS``, ``D-HH``, ``D-HH:MM``, ``D-HH:MM:SS``."""
    days, _, clock = walltime.strip().rpartition("-")
    parts = [int(part) for part in clock.split(":")]
    if days:
        hours, minutes, seconds = (parts + [0, 0])[:3]
        return ((int(days) * 24 + hours) * 60 + minutes) * 60 + seconds
    if len(parts) == 3:
        hours, minutes, seconds = parts
    else:
        hours, (minutes, seconds) = 0, (parts + [0])[:2]
    return (hours * 60 + minutes) * 60 + seconds


def slurm_bytes(memory: str) -> int:
    """Bytes in a Slurm ``--mem`` value (``120G``; no unit means megabytes, Slurm's units are binary)."""
    found = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)B?", memory.strip().upper())
    if not found:
        raise ValueError(f"not a Slurm memory size: {memory!r}")
    number, unit = found.groups()
    return int(float(number) * _SLURM_UNITS[unit or "M"])


def job_request(script: str) -> dict[str, str]:
    """A Slurm job script's ``#SBATCH`` options, by option (``-p``, ``--mem``, ...): value."""
    options: dict[str, str] = {}
    for line in script.splitlines():
        if line.startswith("#SBATCH"):
            option, _, value = line[len("#SBATCH"):].strip().partition(" ")
            if "=" in option:
                option, _, value = option.partition("=")
            options[option] = value.strip()
    return options


def worker_command(script: str) -> tuple[str, dict[str, str]] | None:
    """The scheduler address and the options of the job script's ``dask worker`` command, or None."""
    for line in script.splitlines():
        words = shlex.split(line, comments=False) if "dask_worker" in line or "dask worker" in line else []
        if words:
            start = next(i for i, w in enumerate(words) if w.endswith("dask_worker") or w == "worker")
            address = words[start + 1] if start + 1 < len(words) else ""
            options, rest = {}, words[start + 2:]
            for i, word in enumerate(rest):
                if word.startswith("--"):
                    nxt = rest[i + 1] if i + 1 < len(rest) and not rest[i + 1].startswith("--") else ""
                    options[word] = nxt
            return address, options
    return None


def _compare_hpc_job_schedulers(answer, files) -> str | None:
    if hasattr(answer, "job_script"):
        return "That is the cluster object; the answer is the job script it would submit, its job_script()."
    if not isinstance(answer, str):
        return f"The answer should be the job script, a str; yours is a {type(answer).__name__}."
    if "#SBATCH" not in answer:
        kind = "an SGE script (#$ lines)" if "#$" in answer else "not a batch job script"
        return f"Your script is {kind}, not a Slurm script with #SBATCH lines."
    request, command = job_request(answer), worker_command(answer)
    if command is None:
        return "Your script has no `dask worker` command: give the whole of cluster.job_script()."
    address, options = command
    want = REQUEST
    if request.get("-p") != want["partition"]:
        return "Your job does not go to the partition for short jobs."
    if request.get("-A") != want["account"]:
        return "Your job does not charge the project's account."
    cpus = int(request.get("--cpus-per-task", 0))
    if cpus != want["cores"]:
        return f"Your job asks Slurm for {cpus} cores, not for the whole node's."
    workers, threads = int(options.get("--nworkers", 1)), int(options.get("--nthreads", 0))
    if workers * threads != cpus:
        return (f"Your job starts {workers} workers × {threads} threads, which is not the {cpus} cores it asks "
                "Slurm for.")
    if workers != want["workers"]:
        return f"Your job uses its cores, but as {workers} worker processes of {threads} threads, not the split asked for."
    if "--mem" not in request:
        return "Your job asks Slurm for no memory (no --mem line)."
    try:
        asked = slurm_bytes(request["--mem"])
    except ValueError:
        return f"Your job's memory request --mem={request['--mem']} is not a size Slurm reads (e.g. 4G)."
    if asked > parse_bytes(want["memory"]):
        return "Your job asks for more memory than Slurm lets a job have on these nodes: it would never start."
    if asked < parse_bytes(want["memory"]):
        return ("Your job asks for less memory than the node lets it have: `memory` is what the job's workers "
                "share in all, not one worker's.")
    limit = parse_bytes(options.get("--memory-limit", "0").replace(" ", ""))
    if not math.isclose(limit * workers, asked, rel_tol=0.01):
        return "Your workers' memory limits do not add up to what the job asks Slurm for."
    try:
        seconds = slurm_seconds(request.get("-t", "0"))
    except ValueError:
        seconds = None
    if seconds != want["seconds"]:
        return (f"Your job's time limit {request.get('-t')!r} is not two hours in Slurm's reading "
                "(MM:SS, HH:MM:SS, D-HH:MM).")
    if options.get("--interface") != want["interface"]:
        return "Your workers do not name the nodes' InfiniBand network, so they may listen on the wrong one."
    if not address.startswith("tcp://127.0.0.1:"):
        return ("Your workers would connect to a scheduler listening beyond this machine: keep "
                "scheduler_options=on_this_machine here.")
    return None


EXERCISES = {
    "plot_01_scheduler_and_workers": Exercise(
        compare=_compare_scheduler_and_workers,
        hint="use cluster_by_hand(..., n_workers=3) in a with block; inside it, take client.scheduler_info() "
             "and compute the mean of the clean trips' durations per 'usertype', divided by 60.",
        right=lambda answer: f"mean minutes for {len(answer)} user types, on three workers you started by hand.",
    ),
    "plot_02_hpc_job_schedulers": Exercise(
        compare=_compare_hpc_job_schedulers,
        hint="cores and memory describe one whole job (one node), processes is the number of workers that "
             "share them, interface= names the workers' network; take cluster.job_script() inside the with block.",
        right=lambda answer: "a whole node for two hours, 4 workers × 8 threads sharing 120 GiB, on InfiniBand.",
    ),
}
