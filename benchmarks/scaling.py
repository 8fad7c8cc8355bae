"""Measure how wall time and peak memory grow with the data: pandas, Dask on threads, Dask on a cluster.

Run with `make scale` (or `python benchmarks/scaling.py --help`). For each data scale (1 = the
course's default year of about 1 M trips, 243 MB of CSV) it generates the synthetic data once into
a cache folder next to the course data, then runs the same analysis as lesson 19.1 (read the 12
monthly CSVs, drop dirty trips, count and mean duration per start station, exact median per
start station) with each engine, each run in a fresh Python process:

- ``pandas``: read every file into one DataFrame, then analyse it, in one process;
- ``dask-threads``: Dask's threaded scheduler in one process, one thread per granted core;
- ``dask-cluster``: a ``LocalCluster`` of one single-threaded worker per granted core (or the
  scheduler at ``$DASK_SCHEDULER_ADDRESS``, whose workers must see the same data folder).

Wall time is measured inside the child around the analysis alone: the child imports pandas and
Dask and starts the cluster before the clock starts (results files from before 2026-12-07, with no
``"timed"`` field, timed ``import dask.dataframe`` inside the Dask engines' runs, about 0.5 s);
peak memory is the largest summed resident memory (RSS) of the child and all its descendants
(the cluster's workers), sampled every 50 ms. A run that passes 85 % of the machine's RAM is
stopped and recorded as out of memory, and that engine is not run on more data. Then strong
scaling: the cluster engine at one scale with 1, 2, 4, ... workers up to ``min(granted cores, 8)``.

Writes ``benchmarks/results/scaling-<machine>.json`` with the machine, core count, memory, library
versions, date and notes. A benchmark, not a test: it records numbers and never fails on them.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINES = ("pandas", "dask-threads", "dask-cluster")
TRIP_DTYPES = {"birth year": "float64", "end station id": "float64"}
TIMED = "the analysis only: imports, data listing and cluster start-up happen before the clock starts"
ANALYSIS = ("read the 12 monthly CSVs (all columns, dates parsed); drop trips with tripduration <= 0 "
            "or no end station; per start station: count, mean and exact median of tripduration")


# -- the analysis, as each engine runs it (in a child process) ---------------------------------------


def pandas_analysis(files):
    import pandas as pd  # imported by run_one before the clock starts: this import is free

    trips = pd.concat([pd.read_csv(path, parse_dates=["starttime", "stoptime"]) for path in files],
                      ignore_index=True)
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    by_station = clean.groupby("start station name")["tripduration"]
    return by_station.agg(["count", "mean", "median"])


def dask_analysis(files, **compute_options):
    import dask  # imported by run_one before the clock starts: these imports are free
    import dask.dataframe as dd

    trips = dd.read_csv(files, dtype=TRIP_DTYPES, parse_dates=["starttime", "stoptime"])
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    by_station = clean.groupby("start station name")["tripduration"]
    stats, median = dask.compute(by_station.agg(["count", "mean"]), by_station.median(), **compute_options)
    return stats.assign(median=median)


def run_one(engine: str, data_dir: Path, workers: int) -> dict:
    """One timed run in this process; the answer's size keeps the work from being skipped.

    Everything an engine needs is imported first (and the cluster started), outside the timing.
    """
    import dask.dataframe  # noqa: F401
    import pandas  # noqa: F401

    from tutorial_helpers import bikes

    files = bikes.trip_files(data_dir, generate_if_missing=False)
    if engine == "pandas":
        start = time.perf_counter()
        result = pandas_analysis(files)
    elif engine == "dask-threads":
        start = time.perf_counter()
        result = dask_analysis(files, scheduler="threads", num_workers=workers)
    else:
        from distributed import Client, LocalCluster

        if os.environ.get("DASK_SCHEDULER_ADDRESS"):
            cluster, client = None, Client()
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1",
                                   dashboard_address="127.0.0.1:0")
            client = Client(cluster)
        start = time.perf_counter()
        result = dask_analysis(files)
        seconds = time.perf_counter() - start
        client.close()
        if cluster is not None:
            cluster.close()
        return {"seconds": seconds, "stations": len(result)}
    return {"seconds": time.perf_counter() - start, "stations": len(result)}


# -- the parent: data, child processes, memory sampling ------------------------------------------------


def _tree_rss(process) -> int:
    import psutil

    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(engine: str, data_dir: Path, workers: int, memory_guard: float) -> dict:
    """Run one engine once in a fresh Python; its wall time, peak memory, or the error it died of.

    A run whose processes together pass ``memory_guard`` (a fraction of the machine's RAM) is
    stopped and recorded as out of memory: on a shared machine the kernel's OOM killer would
    otherwise pick a victim, not necessarily this run.
    """
    import psutil

    command = [sys.executable, __file__, "--child", engine, "--data-dir", str(data_dir), "--workers", str(workers)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process, peak, done = psutil.Process(child.pid), [0], threading.Event()
    ceiling = memory_guard * psutil.virtual_memory().total
    stopped = []

    def sample():
        while not done.is_set():
            try:
                peak[0] = max(peak[0], _tree_rss(process))
                if peak[0] > ceiling and not stopped:
                    stopped.append(peak[0])
                    for member in [*process.children(recursive=True), process]:
                        member.kill()
            except psutil.Error:
                pass
            done.wait(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = child.communicate()
    done.set()
    sampler.join()
    if stopped:
        return {"error": f"out of memory: stopped at {stopped[0] / 2**30:.1f} GiB, "
                         f"{memory_guard:.0%} of the machine's RAM", "peak_memory_bytes": peak[0]}
    if child.returncode != 0:
        last = (err.strip().splitlines() or ["no output"])[-1]
        return {"error": last[:300], "peak_memory_bytes": peak[0]}
    return json.loads(out.strip().splitlines()[-1]) | {"peak_memory_bytes": peak[0]}


def scaled_data(scale: float, root: Path) -> Path:
    """The folder of the data set at ``scale``, generated on first use (bikes.generate reuses it)."""
    from tutorial_helpers import bikes

    folder = root / f"bluebikes-scale-{scale:g}"
    bikes.generate(folder, scale=scale, progress=True)
    return folder


def summarise(runs: list[dict]) -> dict:
    ok = [run for run in runs if "error" not in run]
    summary = {"runs": len(runs)}
    if ok:
        summary |= {
            "seconds": [round(run["seconds"], 3) for run in ok],
            "median_seconds": round(statistics.median(run["seconds"] for run in ok), 3),
            "peak_memory_bytes": [run["peak_memory_bytes"] for run in ok],
            "median_peak_memory_bytes": int(statistics.median(run["peak_memory_bytes"] for run in ok)),
        }
    errors = [run["error"] for run in runs if "error" in run]
    if errors:
        summary["errors"] = errors
        summary["peak_memory_bytes_at_error"] = max(run["peak_memory_bytes"] for run in runs if "error" in run)
    return summary


def machine() -> dict:
    import psutil

    from tutorial_helpers.cores import granted_cores

    return {"cores": os.cpu_count(), "granted_cores": granted_cores(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "cpu": platform.processor() or platform.machine(), "system": platform.system(),
            "python": platform.python_version()}


def versions() -> dict:
    from importlib.metadata import version

    return {name: version(name) for name in ("dask", "distributed", "pandas", "numpy", "pyarrow")}


def worker_counts(cores: int) -> list[int]:
    """1, 2, 4, ... up to min(cores, 8), and that maximum itself."""
    top = max(1, min(cores, 8))
    counts = [n for n in (1, 2, 4, 8) if n <= top]
    return counts if counts[-1] == top else [*counts, top]


def default_name(info: dict) -> str:
    return f"{info['granted_cores']}core-{round(info['memory_gib'])}gib"


def main(argv=None) -> Path:
    from tutorial_helpers import bikes

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.25, 1, 4, 16, 32])
    parser.add_argument("--runs", type=int, default=3, help="runs per engine and scale (median reported)")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--strong-scale", type=float, default=1.0,
                        help="data scale of the strong-scaling runs (0 to skip them)")
    parser.add_argument("--data-root", type=Path, default=bikes.data_dir().parent,
                        help="where the scaled data sets are generated and kept (default: beside the course data)")
    parser.add_argument("--machine", default=None, help="name in the results file (default: <cores>core-<GiB>gib)")
    parser.add_argument("--notes", default="", help="what else a reader should know (load, storage, ...)")
    parser.add_argument("--output", type=Path, default=None,
                        help="results file (default: benchmarks/results/scaling-<machine>.json)")
    parser.add_argument("--memory-guard", type=float, default=0.85,
                        help="stop a run whose processes pass this fraction of the RAM; it counts as out of memory")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:  # one run, in this fresh process: print its figures as one JSON line
        print(json.dumps(run_one(args.child, args.data_dir, args.workers)))
        return None

    info = machine()
    name = args.machine or default_name(info)
    output = args.output or ROOT / "benchmarks" / "results" / f"scaling-{name}.json"
    cores = info["granted_cores"]
    cluster = os.environ.get("DASK_SCHEDULER_ADDRESS")
    started = datetime.datetime.now(datetime.timezone.utc)
    results = {
        "machine": {"name": name, **info},
        "versions": versions(),
        "date": started.isoformat(timespec="seconds"),
        "analysis": ANALYSIS,
        "timed": TIMED,
        "engines": {
            "pandas": "pandas in one process, all files in one DataFrame",
            "dask-threads": f"Dask's threaded scheduler, {cores} threads, one process",
            "dask-cluster": ("the scheduler at $DASK_SCHEDULER_ADDRESS" if cluster else
                             f"a LocalCluster of {cores} worker processes × 1 thread, default memory limits"),
        },
        "notes": args.notes,
        "runs_per_point": args.runs,
        "weak": [],
        "strong": [],
    }
    out_of_memory = set()  # engines that ran out at a smaller scale are not run on more data
    for scale in args.scales:
        folder = scaled_data(scale, args.data_root)
        files = bikes.trip_files(folder)
        rows = sum(entry["rows"] for entry in json.loads((folder / "manifest.json").read_text())["files"])
        for engine in args.engines:
            point = {"engine": engine, "scale": scale, "rows": rows,
                     "csv_bytes": sum(p.stat().st_size for p in files),
                     "load_average_before": round(os.getloadavg()[0], 2)}  # how busy the machine was
            if engine in out_of_memory:
                results["weak"].append(point | {"runs": 0, "skipped": "ran out of memory on less data"})
                continue
            runs = []
            for _ in range(args.runs):
                runs.append(measure(engine, folder, cores, args.memory_guard))
                if "error" in runs[-1]:  # the same data fails the same way: no point repeating it
                    break
            point |= summarise(runs)
            if any(run["error"].startswith("out of memory") for run in runs if "error" in run):
                out_of_memory.add(engine)
            results["weak"].append(point)
            outcome = (f"{point['median_seconds']} s, {point['median_peak_memory_bytes'] / 2**20:.0f} MiB peak"
                       if "median_seconds" in point else f"failed: {point['errors'][0]}")
            print(f"scale {scale:g} ({rows:,} rows), {engine}: {outcome}", flush=True)
            _write(output, results, started)
    if args.strong_scale and not cluster and "dask-cluster" in args.engines:
        folder = scaled_data(args.strong_scale, args.data_root)
        for workers in worker_counts(cores):
            runs = [measure("dask-cluster", folder, workers, args.memory_guard) for _ in range(args.runs)]
            point = {"workers": workers, "scale": args.strong_scale,
                     "load_average_before": round(os.getloadavg()[0], 2)} | summarise(runs)
            results["strong"].append(point)
            print(f"strong scaling, scale {args.strong_scale:g}, {workers} workers: "
                  f"{point.get('median_seconds', 'failed')} s", flush=True)
            _write(output, results, started)
    _write(output, results, started)
    print(f"wrote {output}")
    return output


def _write(output: Path, results: dict, started: datetime.datetime) -> None:
    """Write what has been measured so far: an interrupted run keeps its finished points."""
    results["duration_seconds"] = round((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds())
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
