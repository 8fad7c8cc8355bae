"""
How time and memory grow with the data
======================================

Where does Dask start to pay off, and where does pandas run out of memory? This page plots a
scaling study: an analysis like the previous lesson's (filter, group-by with an exact median per
station, then a join with the station table for the names) on data from a quarter of the course's
year to many times it, with pandas in one process, Dask on threads and Dask on a local cluster, as
``make scale`` measured it on each machine whose results file is in the course repository. (The
same files hold Polars, DuckDB and Parquet measurements too; comparing those tools is a later
lesson's subject, this one is about how Dask scales.) Then it re-measures a quarter of the
course's year on the machine that runs this page, so you can see whether it agrees.

**You will be able to:** read a log–log plot of time and memory against data size, find where
one tool overtakes another, tell linear from worse-than-linear growth, and compare measured
strong scaling with the ideal.

**Estimated time:** 15 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners read a log–log plot as a linear one: ask how many
#      times the time grew when the data grew four times.
#    - **Do not skip:** The last section, where this machine re-measures the smallest size: a
#      results file is one machine on one day.
#    - **Ask the room:** On your laptop, at what size would you expect the crossover, and why?

# %%
# The results files
# -----------------
# ``make scale`` (``benchmarks/scaling.py`` in the course repository) writes one JSON file per
# machine into ``benchmarks/results/``: the machine, its cores and memory, the library versions,
# the date, notes, and every measured point. This page looks for that folder from where it runs
# upwards, so it finds it inside a copy of the repository; elsewhere it says so and shows only
# this machine's measurement.
import json
from pathlib import Path

import pandas as pd

here = Path.cwd().resolve()
folders = [folder / "benchmarks" / "results" for folder in [here, *here.parents]]
results_dir = next((folder for folder in folders if folder.is_dir()), None)
files = sorted(results_dir.glob("scaling-*.json")) if results_dir else []
results = [json.loads(path.read_text()) for path in files]
results.sort(key=lambda r: (r["machine"]["granted_cores"], r["machine"]["name"]))  # smallest first
machines = pd.DataFrame([{
    "machine": r["machine"]["name"], "cores": r["machine"]["granted_cores"],
    "memory (GiB)": r["machine"]["memory_gib"], "measured on": r["date"][:10],
    "dask": r["versions"]["dask"], "pandas": r["versions"]["pandas"], "runs per point": f"{r['runs_per_point']}"
    + (f", 1 from scale {r['one_run_from_scale']:g}" if r.get("one_run_from_scale") else ""),
} for r in results])
print(f"{len(results)} results file(s) found" + ("" if results else ": run `make scale` in the repository"))
machines

# %%
# Each file also says what else was going on, what its clock measured, and which pandas it ran:
# pandas 3.1 parses a local CSV file of 5 MiB or more on several threads of its own when it may
# use several cores (its option ``mode.max_threads``), so the harness measures pandas twice, with
# its default threads and with that option at 1; each engine's line below says how it ran. The harness imports pandas and Dask
# before it starts the clock; files written before that change have no ``timed`` entry, and their
# Dask engines' times include ``import dask.dataframe`` (measured below). A shared machine's
# numbers are what they are:
ENGINES = ["pandas", "pandas-1-thread", "dask-threads", "dask-cluster"]  # what this page plots
for r in results:
    timed = r.get("timed", "the analysis and, for the Dask engines, `import dask.dataframe`")
    print(f"{r['machine']['name']}: {r['notes'] or 'no notes'}\n  timed: {timed}")
    for engine in ENGINES:
        if engine in r["engines"]:
            print(f"  {engine}: {r['engines'][engine]}")

# %%
# Time and peak memory, per scale and engine
# ------------------------------------------
# One row per data size, one column per engine: the median wall time of the analysis (cluster
# start-up excluded) and the median peak memory of the process and its workers, all reading the
# CSV files (a file from before the harness measured Parquet too has no ``format``: CSV).


def points(result):
    """The file's CSV points of the engines this page plots, one row each."""
    weak = pd.DataFrame(result["weak"])
    weak["format"] = weak["format"].fillna("csv") if "format" in weak else "csv"
    weak = weak[(weak["format"] == "csv") & weak["engine"].isin(ENGINES)].copy()
    weak["rows (M)"] = weak["rows"] / 1e6
    weak["seconds_runs"] = weak.get("seconds")  # every timed run of the point
    weak["seconds"] = weak.get("median_seconds")
    weak["peak GiB"] = weak.get("median_peak_memory_bytes") / 2**30
    return weak


for r in results:
    table = points(r).pivot(index="rows (M)", columns="engine", values=["seconds", "peak GiB"])
    print(f"\n{r['machine']['name']}, {r['date'][:10]}:\n{table.round(2).to_string()}")

# %%
# The plots
# ---------
# Both axes are logarithmic: a straight line means a power law, and a slope of 1 (the dotted
# guide) means *linear*: ten times the data, ten times the time. A flat start means fixed costs
# (building and scheduling the graph) dominate. On the memory plot the machine's RAM is drawn
# across: a line heading for it shows where that engine would run out, and a red cross marks a run
# that did (``make scale`` stops a run at 85 % of the RAM and does not give that engine more data
# in that format).
import matplotlib.pyplot as plt

styles = {"pandas": "o-", "pandas-1-thread": "o--", "dask-threads": "s-", "dask-cluster": "^-"}
for r in results:
    weak = points(r)
    fig, (time_ax, memory_ax) = plt.subplots(1, 2, figsize=(9, 3.6))
    for engine, group in weak.groupby("engine"):
        time_ax.loglog(group["rows (M)"], group["seconds"], styles.get(engine, "x-"), label=engine)
        memory_ax.loglog(group["rows (M)"], group["peak GiB"], styles.get(engine, "x-"), label=engine)
    rows = weak["rows (M)"].sort_values().unique()
    slowest = weak[weak["rows (M)"] == rows[0]]["seconds"].max()
    time_ax.loglog(rows, slowest * rows / rows[0], "k:", lw=1, label="linear")
    memory_ax.axhline(r["machine"]["memory_gib"], color="tab:red", ls="--", label="RAM")
    ran_out = weak.get("errors", pd.Series(None, index=weak.index, dtype=object)).map(  # not other failures
        lambda errors: isinstance(errors, list) and any(e.startswith("out of memory") for e in errors))
    out_of_memory = weak[ran_out]
    if len(out_of_memory):
        memory_ax.loglog(out_of_memory["rows (M)"], out_of_memory["peak_memory_bytes_at_error"] / 2**30,
                         "x", color="tab:red", ms=9, mew=2, label="ran out of memory")
    for ax in (time_ax, memory_ax):
        ax.set_xticks(rows, [f"{r:g}" for r in rows], minor=False)
        ax.set_xticks([], minor=True)
    time_ax.set(xlabel="trips (millions)", ylabel="seconds", title="Wall time")
    memory_ax.set(xlabel="trips (millions)", ylabel="GiB", title="Peak memory")
    time_ax.legend(fontsize="small")
    memory_ax.set_ylim(top=r["machine"]["memory_gib"] * 1.6)
    memory_ax.legend(fontsize="small", loc="upper left")  # small data at the left takes little memory
    fig.suptitle(f"{r['machine']['name']}: {r['machine']['granted_cores']} cores, "
                 f"{r['machine']['memory_gib']} GiB, measured {r['date'][:10]}", fontsize="medium")
    fig.tight_layout()

# %%
# What the measurements say
# -------------------------
# These sentences are computed from each file: the sizes at which a Dask engine was faster than
# pandas (with its default threads, and on one thread where the file has it) in every run, and
# where the runs of the two overlapped (within run-to-run variation) and where pandas won every
# run, how time grew between the two largest sizes (an exponent of 1 is linear, above 1 worse than
# linear, below 1 fixed costs still weigh, below 0 the larger data ran faster: something other than
# the data, such as the load, decided it; a busy machine moves it either way, the more so the
# closer the two sizes and the fewer the runs), and where pandas' memory would reach the machine's
# RAM if it kept growing at the rate of its largest size.
import math


def findings(result):
    weak = points(result).dropna(subset=["seconds"])
    times = weak.pivot(index="rows", columns="engine", values="seconds")
    lines = []
    runs = weak.set_index(["rows", "engine"])["seconds_runs"]
    for engine in ("dask-threads", "dask-cluster"):
        for baseline in ("pandas", "pandas-1-thread"):
            if engine in times and baseline in times:
                both = times[[engine, baseline]].dropna().index
                # faster in every run than the baseline's fastest run; overlapping runs are a tie
                faster = [rows for rows in both if max(runs[rows, engine]) < min(runs[rows, baseline])]
                slower = [rows for rows in both if min(runs[rows, engine]) > max(runs[rows, baseline])]
                tied = [rows for rows in both if rows not in faster + slower]
                once = {rows for rows in both if min(len(runs[rows, engine]), len(runs[rows, baseline])) == 1}
                sizes = ", ".join(f"{rows / 1e6:g}" + ("*" if rows in once else "") for rows in faster)
                line = (f"{engine} was faster than {baseline} at {sizes} M trips" if faster else
                        f"{engine} was never faster than {baseline}, up to {max(both) / 1e6:g} M trips")
                if tied:
                    line += f" (within run-to-run variation at {', '.join(f'{rows / 1e6:g}' for rows in tied)} M)"
                if slower:
                    line += "; slower in every run at " + ", ".join(
                        f"{rows / 1e6:g}" + ("*" if rows in once else "") for rows in slower) + " M"
                if once & set(faster + slower):
                    line += " (*: one run each, so no run-to-run variation was measured there)"
                lines.append(line)
        if engine in times and times[engine].notna().sum() >= 2:
            (small, t_small), (large, t_large) = list(times[engine].dropna().items())[-2:]
            exponent = math.log(t_large / t_small) / math.log(large / small)
            single = min(len(runs[small, engine]), len(runs[large, engine])) == 1
            lines.append(f"{engine}: {t_small:.2f} s at {small / 1e6:g} M trips, {t_large:.2f} s at "
                         f"{large / 1e6:g} M: time ∝ rows^{exponent:.2f}" + (" (one run each)" if single else ""))
    pandas = weak[weak["engine"] == "pandas"]
    failed = [p for p in result["weak"] if p["engine"] == "pandas" and p.get("errors")]
    if failed:
        lines.append(f"pandas failed from {min(p['rows'] for p in failed) / 1e6:.2f} M trips: {failed[0]['errors'][0]}")
    elif len(pandas):
        per_row = (pandas["peak GiB"] / pandas["rows"]).iloc[-1]
        lines.append(f"pandas peaked at {per_row * 2**30 * 1e6 / 2**20:.0f} MiB per million trips: at that "
                     f"rate the machine's RAM would be reached near "
                     f"{result['machine']['memory_gib'] / per_row / 1e6:.0f} M trips")
    return lines


for r in results:
    print(f"{r['machine']['name']}:")
    for line in findings(r):
        print(f"  - {line}")

# %%
# Strong scaling: the same data, more workers
# -------------------------------------------
# Weak scaling asks how time grows with the data; :term:`strong scaling` keeps the data fixed
# (CSV, at the scale printed below; ``make scale`` uses the course's default year unless told
# otherwise) and adds workers, one thread each, up to the machine's cores (at most 8). The ideal
# is one worker's time divided by the number of workers; the gap is what scheduling, moving data
# and the serial parts of the work cost, and on a shared machine what the other programs took. The
# weak series measured the cluster engine with as many workers as cores at the same size too: the
# same analysis, data and cluster set-up, at another moment of the run. Both measurements of that
# point are drawn and compared.


def strong_points(result):
    """Every measurement of n workers on the strong-scaling data, from both series of the file."""
    strong = pd.DataFrame(result["strong"])
    if strong.empty or "median_seconds" not in strong:
        return pd.DataFrame()
    strong = strong.dropna(subset=["median_seconds"]).assign(series="strong")
    weak = points(result)
    same = weak[(weak["engine"] == "dask-cluster") & weak["scale"].isin(strong["scale"]) & weak["seconds"].notna()]
    same = same.assign(workers=result["machine"]["granted_cores"], median_seconds=same["seconds"], series="weak")
    columns = ["series", "workers", "scale", "median_seconds", "load_average_before"]
    return pd.concat([strong.reindex(columns=columns), same.reindex(columns=columns)], ignore_index=True)


for r in results:
    both = strong_points(r)
    if both.empty:
        continue
    strong = both[both["series"] == "strong"]
    fig, ax = plt.subplots(figsize=(5, 3.4))
    ax.loglog(strong["workers"], strong["median_seconds"], "^-", label="measured, strong series")
    again = both[both["series"] == "weak"]
    ax.loglog(again["workers"], again["median_seconds"], "v", ms=8, label="same point, weak series")
    one = strong.loc[strong["workers"] == 1, "median_seconds"].iloc[0]
    ax.loglog(strong["workers"], one / strong["workers"], "k:", label="ideal")
    ax.set(xlabel="workers", ylabel="seconds", title=f"{r['machine']['name']}: strong scaling")
    ax.set_xticks(strong["workers"], [str(n) for n in strong["workers"]])
    ax.set_xticks([], minor=True)
    ax.yaxis.set_major_formatter("{x:g}")
    ax.yaxis.set_minor_formatter("{x:g}")
    ax.legend(fontsize="small")
    fig.tight_layout()
    print(f"{r['machine']['name']}, scale {strong['scale'].iloc[0]:g}, 1 worker: {one:.2f} s "
          f"(load average before: {strong.loc[strong['workers'] == 1, 'load_average_before'].iloc[0]})")
    for _, p in both[both["workers"] > 1].sort_values(["workers", "series"]).iterrows():
        print(f"  {int(p['workers'])} workers, {p['series']} series: {p['median_seconds']:.2f} s = "
              f"{one / p['median_seconds']:.2f}× as fast as 1 (ideal {int(p['workers'])}×; "
              f"load average before: {p['load_average_before']})")
    for workers, group in both.groupby("workers"):
        if len(group) > 1:
            spread = group["median_seconds"].max() / group["median_seconds"].min()
            print(f"  the two measurements of {workers} workers differ by {spread:.2f}×: this file puts the "
                  f"speed-up between {one / group['median_seconds'].max():.2f}× and "
                  f"{one / group['median_seconds'].min():.2f}×")

# %%
# The same command measured twice gives two times: the file records no difference in what ran,
# only when it ran (``make scale`` now runs the strong series right after the other points of its
# size; older versions of it ran the series last, after the largest data) and the load average
# before each point. A speed-up is a ratio of two such times, so it carries both their variations:
# read it as a range, and re-measure on a quiet machine before trusting a single figure.

# %%
# This machine, now
# -----------------
# The course's year at a quarter of its size (the file's smallest size, with the course's default
# data), written once beside it (``bikes.scaled``), on the machine that runs this page, where pandas
# is expected to win (Dask's fixed costs weigh most on little data): the harness's analysis in
# pandas (its default threads) and in Dask on threads, timed with ``compare`` (three runs each, the
# median counts). The station table comes from ``bikes.stations()``. This page starts no cluster,
# so the median's shuffle is the one Dask uses without a client, as in the harness's
# ``dask-threads`` engine: printed below, with the shuffle in the median's optimized plan. Unlike
# the harness, which starts a fresh Python for every run, these runs share this page's process,
# where pandas and Dask are already imported.
import dask
import dask.dataframe as dd
from tutorial_helpers import bikes
from tutorial_helpers.timing import compare

COLUMNS = ["tripduration", "start station id", "end station id"]
stations = bikes.stations().set_index("id")["name"]


def pandas_analysis(paths):
    # Whole files: pandas' parallel parser does not run with usecols
    trips = pd.concat([pd.read_csv(p)[COLUMNS] for p in paths], ignore_index=True)
    clean = trips[(trips["tripduration"] > 0) & trips["end station id"].notna()]
    stats = clean.groupby("start station id")["tripduration"].agg(["count", "mean", "median"])
    return stats.join(stations, how="inner").set_index("name").sort_index()


def dask_analysis(paths, scheduler):
    trips = dd.read_csv(paths, usecols=COLUMNS, dtype={"end station id": "float64"})
    clean = trips[(trips["tripduration"] > 0) & trips["end station id"].notnull()]
    by_station = clean.groupby("start station id")["tripduration"]
    stats, median = dask.compute(by_station.agg(["count", "mean"]), by_station.median(), scheduler=scheduler)
    return stats.assign(median=median).join(stations, how="inner").set_index("name").sort_index()


# %%
bikes.trip_files()  # the course's data, made on first use
scale = 0.25 * bikes.info()["scale"]
small_files = bikes.trip_files(bikes.scaled(scale))
print(f"the shuffle Dask uses here: {dask.utils.get_default_shuffle_method()}")
median_plan = dd.read_csv(small_files, usecols=COLUMNS).groupby("start station id")["tripduration"].median()
median_shuffles = sorted({type(e).__name__ for e in median_plan.optimize().expr.walk()
                          if "Shuffle" in type(e).__name__})
print(f"the median's plan shuffles with: {', '.join(median_shuffles)}")
now = compare({
    "pandas": lambda: pandas_analysis(small_files),
    "Dask, threads": lambda: dask_analysis(small_files, scheduler="threads"),
}, warmup=0)
now

# %%
# How does this relate to the results file? Its first machine measured the same analysis at its
# smallest size in a fresh Python per run; here both run in this page's process, already
# imported. A ratio of two times is what can be compared across machines and days, and each time
# varies from run to run, so the page compares *ranges*: the lowest and highest ratio the runs
# allow (slowest pandas run over fastest Dask run, and the other way round), from the file's runs
# and from the three runs above. If the ranges overlap, this machine, now, agrees with the file
# within run-to-run variation; if not, the sentence says which way it moved and how busy each
# machine was. If the file has no ``timed`` entry, its Dask times also include
# ``import dask.dataframe``, timed here in a fresh Python after pandas, as the old harness's
# child did.
import os
import subprocess
import sys

print(now.verdict("pandas", "Dask, threads",
                  otherwise="Even at this size, Dask's threads gained more here than its overheads (building "
                            "the graph, the disk shuffle for the median) cost."))
IMPORT = "import time, pandas; start = time.perf_counter(); import dask.dataframe; print(time.perf_counter() - start)"
import_seconds = float(subprocess.run([sys.executable, "-c", IMPORT], capture_output=True, text=True,
                                      check=True).stdout)
dask_now = now["Dask, threads"].median
print(f"import dask.dataframe in a fresh Python here, now: {import_seconds:.2f} s, "
      f"{import_seconds / dask_now:.2f}× this page's Dask run ({dask_now:.2f} s)")


def ratio_range(slower_seconds, faster_seconds):
    """The lowest and highest ratio of two sets of run times: slowest over fastest, and fastest over slowest."""
    return min(slower_seconds) / max(faster_seconds), max(slower_seconds) / min(faster_seconds)


rows_now = bikes.info(small_files[0].parent)["trips"]
now_range = ratio_range(now["pandas"].seconds, now["Dask, threads"].seconds)
agree = then_range = None
if results:
    first = points(results[0]).dropna(subset=["seconds"])
    both_ran = first.groupby("scale")["engine"].agg(lambda e: {"pandas", "dask-threads"} <= set(e))
    then = first[first["scale"] == both_ran[both_ran].index.min()].set_index("engine")  # smallest such size
    then_range = ratio_range(then.loc["pandas", "seconds_runs"], then.loc["dask-threads", "seconds_runs"])
    agree = then_range[0] <= now_range[1] and now_range[0] <= then_range[1]
    with_import = "" if "timed" in results[0] else ", import included in Dask's time"
    load_then = then.loc["pandas", "load_average_before"] if "load_average_before" in then else "not recorded"
    print(f"pandas' time ÷ Dask-on-threads' time (above 1: Dask was faster), lowest to highest:\n"
          f"  {then_range[0]:.2f} to {then_range[1]:.2f} in the file of {results[0]['machine']['name']}, "
          f"{results[0]['date'][:10]}, at {then.loc['pandas', 'rows']:,.0f} trips, fresh processes{with_import} "
          f"(load average before: {load_then})\n"
          f"  {now_range[0]:.2f} to {now_range[1]:.2f} here, now, at {rows_now:,} trips, in this page's process "
          f"(load average now: {os.getloadavg()[0]:.2f})")
    if then.loc["pandas", "rows"] != rows_now:
        print(f"The sizes differ ({then.loc['pandas', 'rows']:,.0f} and {rows_now:,} trips): the two ratios are "
              f"of different sizes, and the ratio moves with the size.")
    if agree:
        print("The ranges overlap: this machine, now, agrees with the file within run-to-run variation.")
    else:
        direction = "more in Dask's favour" if now_range[0] > then_range[1] else "more in pandas' favour"
        print(f"The ranges do not overlap: here, now, the ratio came out {direction} than in the file. "
              f"Another machine, another load or another size moves it; trust the measurement on your own "
              f"machine over the file.")

# %%
# Key points
# ----------
# - On log–log axes a slope of 1 is linear growth; a flat start is fixed costs.
# - Count an engine faster at a size only where every run of it beat every run of the other;
#   overlapping runs are a tie.
# - A speed-up is a ratio of two times that vary: read it as a range.
# - A results file is one machine on one day, under its load: re-measure on yours.

# %%
# Exercise
# --------
# How much do the threads buy? Time ``dask_analysis(small_files, ...)`` with Dask's synchronous
# scheduler (every task in this thread, one after another) against its threads, with ``compare``
# (rows named ``"Dask, one thread"`` and ``"Dask, threads"``, three runs each). Put in ``answer`` how many
# times as fast the threads ran (a float: the one-thread median divided by the threads median),
# and run the check with your Timings, the synchronous run's result and the files: it checks the
# ratio against your own measurement (timings differ between runs, so there is no other
# reference), the Timings' rows and runs, and the result against pandas on the same files.
answer = None  # your answer, computed: replace None

# %%
from tutorial_helpers.exercises import check

check("scaling_study", answer)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       threads_or_not = compare({
#           "Dask, one thread": lambda: dask_analysis(small_files, scheduler="synchronous"),
#           "Dask, threads": lambda: dask_analysis(small_files, scheduler="threads"),
#       }, warmup=0)
#       print(threads_or_not)
#       print(threads_or_not.verdict("Dask, threads", "Dask, one thread",
#                                    otherwise="Here coordinating the threads cost more than they "
#                                              "saved, or other programs had the cores."))
#       answer = threads_or_not.speedup("Dask, one thread", "Dask, threads")
#       result = dask_analysis(small_files, scheduler="synchronous")
#       check("scaling_study", answer, timings=threads_or_not, result=result, paths=small_files)
