"""Measure how wall time and peak memory grow with the data: pandas, Polars, DuckDB and Dask, side by side.

Run with `make scale` (or `python benchmarks/scaling.py --help`). For each data scale (1 = the
course's default year of about 1 M trips, 243 MB of CSV) it takes the synthetic copy at that scale
(`tutorial_helpers.bikes.scaled`, beside the course data, made on first use), converts it once to
Parquet (one file per month, in ``<copy>-parquet/`` beside it, written to a temporary folder and
renamed: an interrupted conversion leaves nothing half-written), and writes the station table once
as ``stations.csv`` in the copy and ``stations.parquet`` in the Parquet folder. Then every engine
runs the same analysis on each format, each run in a fresh Python process:

    read the 12 monthly files; keep trips with ``tripduration > 0`` and an end station; per start
    station id: count, mean and exact median of ``tripduration``; join with the station table for
    the station's name; the result indexed and sorted by name.

Engines (see ``ENGINE_TEXT``): ``pandas`` (its default threads: pandas 3.1 parses a local CSV of
5 MB or more with ``min(cores, 6)`` threads, option ``mode.max_threads``, and reads Parquet through
Arrow's own thread pool), ``pandas-1-thread`` (``mode.max_threads = 1`` and Arrow's CPU pool set to
one thread, since ``read_parquet`` does not look at ``mode.max_threads``), ``polars`` (lazy scan,
``collect(engine="streaming")``), ``duckdb`` (SQL over ``read_csv``/``read_parquet``),
``dask-threads`` (one thread per granted core), ``dask-cluster`` (a ``LocalCluster`` of one
single-threaded worker per granted core, on loopback, or the scheduler at
``$DASK_SCHEDULER_ADDRESS``), and ``pyspark`` (local mode), run only where ``import pyspark``
works. An engine that cannot be imported is recorded under ``"skipped"`` with the reason.

Every run's result table is written to a temporary Parquet file that the parent compares with the
first result at that scale: counts exactly, means and medians to 1e-9 relative. A mismatch stops
the run with one line naming both engines and the first differing station.

Wall time is measured inside the child around the analysis alone: the child imports its libraries,
lists the files and starts the cluster (whose workers import pandas, pyarrow and Dask's DataFrame)
before the clock starts (results files from before
2026-12-07, with no ``"timed"`` field, timed ``import dask.dataframe`` inside the Dask engines'
runs, about 0.5 s). Peak memory is the largest summed resident memory (RSS) of the child and all
its descendants (the cluster's workers), sampled every 50 ms. A run that passes 85 % of the
machine's RAM is stopped and recorded as out of memory, and that engine is not run on more data in
that format. Strong scaling: the cluster engine on the CSV files at one scale with 1, 2, 4, ...
workers up to ``min(granted cores, 8)``, measured right after the other points of that scale (or
at the end, if that scale is not among them).

Writes ``benchmarks/results/scaling-<machine>.json`` after every point, with the machine, core
count, memory, library versions, date and notes. A benchmark, not a test: it records numbers and
never fails on them (only on engines that disagree).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINES = ("pandas", "pandas-1-thread", "polars", "duckdb", "dask-threads", "dask-cluster", "pyspark")
FORMATS = ("csv", "parquet")
COLUMNS = ["tripduration", "start station id", "end station id"]
TIMED = "the analysis only: imports, data listing and cluster start-up happen before the clock starts"
ANALYSIS = ("read the 12 monthly files (CSV, or their Parquet copy); keep trips with tripduration > 0 and "
            "an end station; per start station id: count, mean and exact median of tripduration; join with "
            "the station table (stations.csv / stations.parquet) for the name; result sorted by station name")
#: What each engine is, for the results file (``{cores}`` is the granted cores).
ENGINE_TEXT = {
    "pandas": ("pandas, default threads (mode.max_threads unset: read_csv of a whole local file of 5 MB or more "
               "parses with min(cores, 6) threads; read_parquet goes through Arrow's thread pool); each file read "
               "whole, its three columns kept, then concatenated (usecols would turn the parallel parser off)"),
    "pandas-1-thread": ("pandas with pd.set_option('mode.max_threads', 1) and pyarrow.set_cpu_count(1) "
                        "(read_parquet does not look at mode.max_threads): the same code as 'pandas', one thread"),
    "polars": "Polars, lazy scan_csv/scan_parquet of the files, collect(engine='streaming'), its default threads",
    "duckdb": ("DuckDB, one SQL query over read_csv/read_parquet of the files, its default threads; the CSV "
               "schema declared (auto_detect = false): its sniffer took about 0.1 s per file"),
    "dask-threads": "Dask's threaded scheduler, {cores} threads, one process (per-station stats joined in pandas)",
    "dask-cluster": "a LocalCluster of {cores} worker processes × 1 thread on 127.0.0.1, default memory limits",
    "pyspark": "PySpark in local mode, local[{cores}], exact percentile(tripduration, 0.5)",
}
RTOL = 1e-9


# -- the analysis, as each engine runs it (in a child process) ---------------------------------------


def pandas_analysis(files, stations_path, fmt):
    import pandas as pd

    if fmt == "csv":
        frames = [pd.read_csv(path)[COLUMNS] for path in files]
        stations = pd.read_csv(stations_path)
    else:
        frames = [pd.read_parquet(path, columns=COLUMNS) for path in files]
        stations = pd.read_parquet(stations_path)
    trips = pd.concat(frames, ignore_index=True)
    clean = trips[(trips["tripduration"] > 0) & trips["end station id"].notna()]
    stats = clean.groupby("start station id")["tripduration"].agg(["count", "mean", "median"])
    named = stats.join(stations.set_index("id")["name"], how="inner")
    return named.set_index("name").sort_index()


def polars_analysis(files, stations_path, fmt):
    import polars as pl

    if fmt == "csv":
        overrides = {"tripduration": pl.Int64, "start station id": pl.Int64, "end station id": pl.Float64}
        trips = pl.scan_csv([str(p) for p in files], schema_overrides=overrides, infer_schema_length=10_000)
        stations = pl.scan_csv(stations_path)
    else:
        trips = pl.scan_parquet([str(p) for p in files])
        stations = pl.scan_parquet(stations_path)
    clean = trips.select(COLUMNS).filter((pl.col("tripduration") > 0) & pl.col("end station id").is_not_null())
    stats = clean.group_by("start station id").agg(
        count=pl.len(), mean=pl.col("tripduration").mean(), median=pl.col("tripduration").median())
    named = stats.join(stations.select(pl.col("id").alias("start station id"), "name"), on="start station id")
    result = named.select("name", "count", "mean", "median").sort("name").collect(engine="streaming")
    return result.to_pandas().set_index("name")


def duckdb_analysis(files, stations_path, fmt, connection):
    listed = "[" + ", ".join("'" + str(path).replace("'", "''") + "'" for path in files) + "]"
    station_file = "'" + str(stations_path).replace("'", "''") + "'"
    if fmt == "csv":  # schema declared: DuckDB's sniffer cost about 0.1 s per file here
        from tutorial_helpers.bikes import SCHEMA

        types = {"tripduration": "BIGINT", "start station id": "BIGINT", "end station id": "DOUBLE"}
        columns = "{" + ", ".join(f"'{name}': '{types.get(name, 'VARCHAR')}'" for name in SCHEMA) + "}"
        trips = f"read_csv({listed}, header = true, auto_detect = false, columns = {columns})"
        stations = (f"read_csv({station_file}, header = true, auto_detect = false, columns = "
                    "{'id': 'BIGINT', 'name': 'VARCHAR', 'latitude': 'DOUBLE', 'longitude': 'DOUBLE'})")
    else:
        trips, stations = f"read_parquet({listed})", f"read_parquet({station_file})"
    query = f"""
        WITH stats AS (
            SELECT "start station id" AS id, count(*) AS "count", avg(tripduration) AS "mean",
                   median(tripduration::DOUBLE) AS "median"
            FROM {trips}
            WHERE tripduration > 0 AND "end station id" IS NOT NULL
            GROUP BY "start station id")
        SELECT s.name, stats."count", stats."mean", stats."median"
        FROM stats JOIN {stations} AS s ON s.id = stats.id
        ORDER BY s.name"""
    return connection.sql(query).df().set_index("name")


def dask_analysis(files, stations_path, fmt, **compute_options):
    import dask
    import dask.dataframe as dd
    import pandas as pd

    if fmt == "csv":
        trips = dd.read_csv([str(p) for p in files], usecols=COLUMNS, dtype={"end station id": "float64"})
        stations = pd.read_csv(stations_path)
    else:
        trips = dd.read_parquet([str(p) for p in files], columns=COLUMNS)
        stations = pd.read_parquet(stations_path)
    clean = trips[(trips["tripduration"] > 0) & trips["end station id"].notnull()]  # Dask has no notna
    by_station = clean.groupby("start station id")["tripduration"]
    stats, median = dask.compute(by_station.agg(["count", "mean"]), by_station.median(), **compute_options)
    named = stats.assign(median=median).join(stations.set_index("id")["name"], how="inner")
    return named.set_index("name").sort_index()


def spark_analysis(files, stations_path, fmt, spark):
    from pyspark.sql import functions as F

    if fmt == "csv":
        trips = spark.read.csv([str(p) for p in files], header=True, inferSchema=True)
        stations = spark.read.csv(str(stations_path), header=True, inferSchema=True)
    else:
        trips = spark.read.parquet(*[str(p) for p in files])
        stations = spark.read.parquet(str(stations_path))
    clean = trips.select(*COLUMNS).where((F.col("tripduration") > 0) & F.col("end station id").isNotNull())
    stats = clean.groupBy("start station id").agg(
        F.count("*").alias("count"), F.avg("tripduration").alias("mean"),
        F.expr("percentile(tripduration, 0.5)").alias("median"))
    named = stats.join(stations.select(F.col("id").alias("start station id"), "name"), on="start station id")
    return named.select("name", "count", "mean", "median").toPandas().set_index("name").sort_index()


def files_of(folder: Path, fmt: str) -> tuple[list[Path], Path]:
    """The monthly files of a scaled copy in one format, and its station table."""
    from tutorial_helpers import bikes

    csv_files = bikes.trip_files(folder, generate_if_missing=False)
    if fmt == "csv":
        return csv_files, folder / "stations.csv"
    parquet = parquet_folder(folder)
    return [parquet / path.with_suffix(".parquet").name for path in csv_files], parquet / "stations.parquet"


def run_one(engine: str, fmt: str, data_dir: Path, workers: int, result_file: Path) -> dict:
    """One timed run in this process; its result table goes to ``result_file`` (after the clock).

    Everything an engine needs is imported first (and the cluster started), outside the timing.
    """
    import pandas as pd
    import pyarrow.parquet  # noqa: F401  (pandas' read_parquet imports it on first use)

    files, stations_path = files_of(data_dir, fmt)
    close = []
    if engine in ("pandas", "pandas-1-thread"):
        if engine == "pandas-1-thread":
            import pyarrow

            pd.set_option("mode.max_threads", 1)
            pyarrow.set_cpu_count(1)
        analysis = lambda: pandas_analysis(files, stations_path, fmt)  # noqa: E731
    elif engine == "polars":
        import polars  # noqa: F401

        analysis = lambda: polars_analysis(files, stations_path, fmt)  # noqa: E731
    elif engine == "duckdb":
        import duckdb

        connection = duckdb.connect()
        close.append(connection.close)
        analysis = lambda: duckdb_analysis(files, stations_path, fmt, connection)  # noqa: E731
    elif engine == "dask-threads":
        import dask.dataframe  # noqa: F401

        analysis = lambda: dask_analysis(files, stations_path, fmt, scheduler="threads", num_workers=workers)  # noqa: E731
    elif engine == "dask-cluster":
        import dask.dataframe  # noqa: F401
        from distributed import Client, LocalCluster

        if os.environ.get("DASK_SCHEDULER_ADDRESS"):
            cluster, client = None, Client()
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1",
                                   dashboard_address="127.0.0.1:0")
            client = Client(cluster)
            close.append(cluster.close)
        close.insert(0, client.close)
        client.run(_import_on_worker)  # the workers' first task would otherwise import these, on the clock
        analysis = lambda: dask_analysis(files, stations_path, fmt)  # noqa: E731
    else:
        from pyspark.sql import SparkSession

        spark = (SparkSession.builder.master(f"local[{workers}]").appName("dask-course-scaling")
                 .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                 .config("spark.ui.enabled", "false").getOrCreate())
        close.append(spark.stop)
        analysis = lambda: spark_analysis(files, stations_path, fmt, spark)  # noqa: E731
    start = time.perf_counter()
    result = analysis()
    seconds = time.perf_counter() - start
    for step in close:
        step()
    table = pd.DataFrame({"name": result.index.astype(str), "count": result["count"].astype("int64"),
                          "mean": result["mean"].astype("float64"),
                          "median": result["median"].astype("float64")}).reset_index(drop=True)
    table.to_parquet(result_file)
    return {"seconds": seconds, "stations": len(table)}


def _import_on_worker() -> None:
    import dask.dataframe  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401


def available(engine: str) -> str | None:
    """Why ``engine`` cannot run here (its library does not import), or None."""
    module = {"polars": "polars", "duckdb": "duckdb", "pyspark": "pyspark"}.get(engine)
    if module is None:
        return None
    found = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
    if found.returncode == 0:
        return None
    return "not installed: " + (found.stderr.strip().splitlines() or ["import failed"])[-1]


# -- results must agree --------------------------------------------------------------------------------


class Disagreement(SystemExit):
    """Two engines gave different results: the run stops with one line saying where."""


def first_difference(reference, result) -> str | None:
    """The first station where ``result`` differs from ``reference`` (count exact, mean/median to 1e-9)."""
    import numpy as np

    ref_names, names = list(reference["name"]), list(result["name"])
    if ref_names != names:
        for i, (a, b) in enumerate(zip(ref_names, names)):
            if a != b:
                return f"row {i}: station {a!r} vs {b!r}"
        return f"{len(ref_names)} stations vs {len(names)}"
    for i in range(len(reference)):
        a, b = reference.iloc[i], result.iloc[i]
        if (int(a["count"]) != int(b["count"])
                or not np.isclose(b["mean"], a["mean"], rtol=RTOL, atol=0)
                or not np.isclose(b["median"], a["median"], rtol=RTOL, atol=0)):
            return (f"station {a['name']!r}: count, mean, median {int(a['count'])}, {a['mean']!r}, {a['median']!r} "
                    f"vs {int(b['count'])}, {b['mean']!r}, {b['median']!r}")
    return None


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


def measure(engine: str, data_dir: Path, workers: int, memory_guard: float, fmt: str = "csv",
            result_file: Path | None = None) -> dict:
    """Run one engine once in a fresh Python; its wall time, peak memory, or the error it died of.

    A run whose processes together pass ``memory_guard`` (a fraction of the machine's RAM) is
    stopped and recorded as out of memory: on a shared machine the kernel's OOM killer would
    otherwise pick a victim, not necessarily this run. The result table goes to ``result_file``
    (a temporary file if None, deleted).
    """
    import psutil

    keep = result_file is not None
    if not keep:
        handle, name = tempfile.mkstemp(suffix=".parquet", prefix="scaling-result-")
        os.close(handle)
        result_file = Path(name)
    command = [sys.executable, __file__, "--child", engine, "--format", fmt, "--data-dir", str(data_dir),
               "--workers", str(workers), "--result-file", str(result_file)]
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
    if not keep:
        result_file.unlink(missing_ok=True)
    if stopped:
        return {"error": f"out of memory: stopped at {stopped[0] / 2**30:.1f} GiB, "
                         f"{memory_guard:.0%} of the machine's RAM", "peak_memory_bytes": peak[0]}
    if child.returncode != 0:
        last = (err.strip().splitlines() or ["no output"])[-1]
        return {"error": last[:300], "peak_memory_bytes": peak[0]}
    return json.loads(out.strip().splitlines()[-1]) | {"peak_memory_bytes": peak[0]}


def parquet_folder(folder: Path) -> Path:
    """Where the Parquet copy of a scaled CSV copy lives: ``<folder>-parquet`` beside it."""
    return folder.with_name(f"{folder.name}-parquet")


def prepare(folder: Path) -> Path:
    """Write the station table into the CSV copy and make the Parquet copy beside it, once each.

    The Parquet folder is written under a temporary name in the same parent and renamed when
    complete; it records the CSV files it came from (``source.json``) and is remade when they change.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from tutorial_helpers import bikes, files

    stations = bikes.stations()
    if not (folder / "stations.csv").exists():
        files.write_atomic(folder / "stations.csv", stations.to_csv(index=False))
    target = parquet_folder(folder)
    source = bikes.info(folder)["trip_entries"]
    if target.is_dir() and (target / "source.json").is_file():
        if json.loads((target / "source.json").read_text()) == source:
            return target
    temporary = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{target.name}-"))
    temporary.chmod(0o755)  # readable like the CSV copy (mkdtemp makes it private)
    try:
        types = {"tripduration": pa.int64(), "start station id": pa.int64(), "end station id": pa.float64(),
                 "birth year": pa.float64()}
        for path in bikes.trip_files(folder, generate_if_missing=False):
            table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))
            pq.write_table(table, temporary / path.with_suffix(".parquet").name)
        stations.to_parquet(temporary / "stations.parquet", index=False)
        (temporary / "source.json").write_text(json.dumps(source, indent=1) + "\n")
        if target.exists():  # an older copy, from other CSV files: out of the way, then gone
            stale = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{target.name}-stale-"))
            os.rename(target, stale / "old")
            shutil.rmtree(stale)
        try:
            os.rename(temporary, target)
        except OSError:  # another run finished the same copy first: keep it if it is of these files
            if not (target / "source.json").is_file() or json.loads((target / "source.json").read_text()) != source:
                raise
    finally:
        if temporary.exists():
            shutil.rmtree(temporary)
    return target


def summarise(runs: list[dict]) -> dict:
    ok = [run for run in runs if "error" not in run]
    summary = {"runs": len(runs)}
    if ok:
        summary |= {
            "seconds": [round(run["seconds"], 3) for run in ok],
            "median_seconds": round(statistics.median(run["seconds"] for run in ok), 3),
            "peak_memory_bytes": [run["peak_memory_bytes"] for run in ok],
            "median_peak_memory_bytes": int(statistics.median(run["peak_memory_bytes"] for run in ok)),
            "stations": ok[-1]["stations"],
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
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("dask", "distributed", "pandas", "numpy", "pyarrow", "polars", "duckdb", "pyspark"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


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
    parser.add_argument("--scales", type=float, nargs="+", default=[0.25, 1, 4, 12, 16])
    parser.add_argument("--runs", type=int, default=3, help="runs per engine, format and scale (median reported)")
    parser.add_argument("--one-run-from", type=float, default=None,
                        help="from this scale on, one run per point (when time is short)")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--strong-scale", type=float, default=1.0,
                        help="data scale of the strong-scaling runs (0 to skip them)")
    parser.add_argument("--machine", default=None, help="name in the results file (default: <cores>core-<GiB>gib)")
    parser.add_argument("--notes", default="", help="what else a reader should know (load, storage, ...)")
    parser.add_argument("--output", type=Path, default=None,
                        help="results file (default: benchmarks/results/scaling-<machine>.json)")
    parser.add_argument("--append", action="store_true",
                        help="add these scales' points to the existing results file (the same machine), "
                             "after its own; its notes get --notes added")
    parser.add_argument("--memory-guard", type=float, default=0.85,
                        help="stop a run whose processes pass this fraction of the RAM; it counts as out of memory")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--format", choices=FORMATS, default="csv", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:  # one run, in this fresh process: print its figures as one JSON line
        print(json.dumps(run_one(args.child, args.format, args.data_dir, args.workers, args.result_file)))
        return None

    info = machine()
    name = args.machine or default_name(info)
    output = args.output or ROOT / "benchmarks" / "results" / f"scaling-{name}.json"
    cores = info["granted_cores"]
    cluster = os.environ.get("DASK_SCHEDULER_ADDRESS")
    started = datetime.datetime.now(datetime.timezone.utc)
    skipped = {engine: why for engine in args.engines if (why := available(engine))}
    engines = [engine for engine in args.engines if engine not in skipped]
    descriptions = {engine: ENGINE_TEXT[engine].format(cores=cores) for engine in args.engines}
    if cluster and "dask-cluster" in descriptions:
        descriptions["dask-cluster"] = "the scheduler at $DASK_SCHEDULER_ADDRESS"
    results = {
        "machine": {"name": name, **info},
        "versions": versions(),
        "date": started.isoformat(timespec="seconds"),
        "analysis": ANALYSIS,
        "timed": TIMED,
        "engines": descriptions,
        "skipped": skipped,
        "formats": args.formats,
        "checked": f"every run's result equal to the first at its scale: count exact, mean and median to {RTOL:g} relative",
        "notes": args.notes,
        "runs_per_point": args.runs,
        "one_run_from_scale": args.one_run_from,
        "weak": [],
        "strong": [],
    }
    out_of_memory = set()  # (engine, format) that ran out at a smaller scale are not run on more data
    if args.append and output.exists():
        earlier = json.loads(output.read_text())
        if earlier["machine"] != results["machine"]:
            raise SystemExit(f"scaling.py: {output} was measured on another machine: not appending")
        new = {"date": results["date"], "scales": args.scales, "runs_per_point": args.runs,
               "versions": results["versions"]}
        results = earlier | {"notes": f"{earlier['notes']} {args.notes}".strip(),
                             "appended": [*earlier.get("appended", []), new]}
        results["weak"] = [p for p in earlier["weak"] if p["scale"] not in args.scales]
        out_of_memory = {(p["engine"], p.get("format", "csv")) for p in results["weak"]
                         if any(error.startswith("out of memory") for error in p.get("errors", []))}
    for engine, why in skipped.items():
        print(f"{engine}: skipped, {why}", flush=True)
    with tempfile.TemporaryDirectory(prefix="scaling-results-") as scratch:
        for scale in args.scales:
            folder = bikes.scaled(scale, progress=True)
            prepare(folder)
            rows = bikes.info(folder)["trips"]
            csv_bytes = sum(p.stat().st_size for p in files_of(folder, "csv")[0])
            reference = None
            runs_here = 1 if args.one_run_from is not None and scale >= args.one_run_from else args.runs
            for fmt in args.formats:
                data_bytes = sum(p.stat().st_size for p in files_of(folder, fmt)[0])
                for engine in engines:
                    point = {"engine": engine, "format": fmt, "scale": scale, "rows": rows, "csv_bytes": csv_bytes,
                             "bytes": data_bytes,
                             "load_average_before": round(os.getloadavg()[0], 2)}  # how busy the machine was
                    if (engine, fmt) in out_of_memory:
                        results["weak"].append(point | {"runs": 0, "skipped": "ran out of memory on less data"})
                        continue
                    runs = []
                    result_file = Path(scratch) / f"{engine}-{fmt}.parquet"
                    for _ in range(runs_here):
                        result_file.unlink(missing_ok=True)
                        runs.append(measure(engine, folder, cores, args.memory_guard, fmt, result_file))
                        if "error" in runs[-1]:  # the same data fails the same way: no point repeating it
                            break
                        reference = _agree(reference, result_file, f"{engine} ({fmt})", scale)
                    point |= summarise(runs)
                    if any(run["error"].startswith("out of memory") for run in runs if "error" in run):
                        out_of_memory.add((engine, fmt))
                    results["weak"].append(point)
                    outcome = (f"{point['median_seconds']} s, {point['median_peak_memory_bytes'] / 2**20:.0f} MiB peak"
                               if "median_seconds" in point else f"failed: {point['errors'][0]}")
                    print(f"scale {scale:g} ({rows:,} rows), {fmt}, {engine}: {outcome}", flush=True)
                    _write(output, results, started)
            if scale == args.strong_scale:  # right after the weak points of that size: close in time
                _strong(args, cores, engines, cluster, results, output, started)
    if args.strong_scale not in args.scales:
        _strong(args, cores, engines, cluster, results, output, started)
    _write(output, results, started)
    print(f"wrote {output}")
    return output


def _strong(args, cores, engines, cluster, results, output, started) -> None:
    """Strong scaling: the cluster engine on the CSV files at ``--strong-scale``, 1, 2, 4, ... workers."""
    from tutorial_helpers import bikes

    if not args.strong_scale or cluster or "dask-cluster" not in engines or "csv" not in args.formats:
        return
    folder = bikes.scaled(args.strong_scale, progress=True)
    prepare(folder)
    for workers in worker_counts(cores):
        runs = [measure("dask-cluster", folder, workers, args.memory_guard) for _ in range(args.runs)]
        point = {"workers": workers, "scale": args.strong_scale, "format": "csv",
                 "load_average_before": round(os.getloadavg()[0], 2)} | summarise(runs)
        results["strong"].append(point)
        print(f"strong scaling, scale {args.strong_scale:g}, {workers} workers: "
              f"{point.get('median_seconds', 'failed')} s", flush=True)
        _write(output, results, started)


def _agree(reference, result_file: Path, label: str, scale: float):
    """The reference result at this scale (the first one), after checking ``result_file`` against it."""
    import pandas as pd

    result = pd.read_parquet(result_file)
    if reference is None:
        return label, result
    where = first_difference(reference[1], result)
    if where:
        raise Disagreement(f"scaling.py: results differ at scale {scale:g}: {label} against {reference[0]}, {where}")
    return reference


def _write(output: Path, results: dict, started: datetime.datetime) -> None:
    """Write what has been measured so far: an interrupted run keeps its finished points."""
    seconds = round((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds())
    (results["appended"][-1] if results.get("appended") else results)["duration_seconds"] = seconds
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
