"""Measure what course maintainers wait for: data generation and cold, no-change and one-edit builds.

Run with `make bench`. Works on a throwaway copy of the repository's tracked files and a fresh
data folder, so the working tree, its built site and its data are not touched. Prints a table and
writes the figures as JSON (default: _build/bench/results.json). A benchmark, not a test: it
reports numbers and the targets beside them; it does not fail on a missed target.

Rebuilds are also given as a percentage of the cold build. Besides an edited lesson, it edits the
build's extension (a comment in ``sphinxext/notebooks.py``), which should re-run no lesson. With
``--lessons REGEX`` only the lessons whose path matches run (sphinx-gallery's ``filename_pattern``;
the others' pages are rendered without running), for a figure in minutes instead of a cold build of
every lesson; the results say which subset was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {  # seconds, from the performance issue; for the 2-core, 24 GiB reference machine
    "data generation (default scale)": 30,
    "cold build": 120,
    "no-change rebuild": 5,
    "one lesson edited": 20,
}
PERCENT_TARGETS = {"no-change rebuild": 1.0}  # % of the cold build, from issue 26
EXTENSION_MODULE = "src/tutorial_helpers/sphinxext/notebooks.py"  # the build's, imported by no lesson


def copy_tracked_files(destination: Path) -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def timed(command: list[str], cwd: Path, env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"benchmark step failed: {' '.join(command)}\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return seconds, result.stdout + result.stderr


def build(site: Path, env: dict, lessons: str | None = None) -> tuple[float, int]:
    """Build the site (running only the lessons matching ``lessons``, if given); return seconds and
    how many lessons ran."""
    before = {p: p.stat().st_mtime for p in site.glob("lessons/**/*.cost.json")}
    subset = ["-D", f"sphinx_gallery_conf.filename_pattern={lessons}"] if lessons else []
    seconds, _ = timed(
        [sys.executable, "-m", "sphinx", "-b", "html", "-nWT", "--keep-going", *subset, ".", "_build/html"], site, env
    )
    after = {p: p.stat().st_mtime for p in site.glob("lessons/**/*.cost.json")}
    ran = sum(1 for p, mtime in after.items() if before.get(p) != mtime)
    return seconds, ran


def lesson_costs(site: Path) -> list[dict]:
    rows = []
    for cost in sorted(site.glob("lessons/**/*.cost.json")):
        figures = json.loads(cost.read_text())
        rows.append({"lesson": f"{cost.parent.name}/{cost.name.removesuffix('.cost.json')}.py",
                     "seconds": round(figures["time"], 2), "peak_memory_mib": round(figures["memory"], 1)})
    return rows


def machine() -> dict:
    import psutil

    return {"cores": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "cpu": platform.processor() or platform.machine(), "python": platform.python_version(),
            "system": platform.platform()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "_build" / "bench" / "results.json")
    parser.add_argument("--edit", default=None,
                        help="the lesson to edit for the one-edit rebuild (default: the slowest one "
                             "of the cold build, the worst case)")
    parser.add_argument("--lessons", default=None, metavar="REGEX",
                        help="run only the lessons whose path matches REGEX (sphinx-gallery's filename_pattern, "
                             "e.g. 'plot_01_(pandas_first|array_chunks)'); default: every lesson")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        site, data = Path(tmp) / "site", Path(tmp) / "data"
        copy_tracked_files(site)
        env = dict(os.environ, DASK_COURSE_DATA=str(data))
        # The copy's helpers and extension, not those of an editable install of the working tree:
        # the extension edit below must be the one the build imports.
        env["PYTHONPATH"] = os.pathsep.join([str(site / "src"), *filter(None, [env.get("PYTHONPATH")])])
        env.pop("DASK_SCHEDULER_ADDRESS", None)
        results: dict = {"machine": machine(), "lessons_run_filter": args.lessons, "steps": {}}
        steps = results["steps"]

        generate = [sys.executable, "-m", "tutorial_helpers", "data", "generate"]
        steps["data generation (default scale)"] = {"seconds": timed(generate, site, env)[0]}
        steps["data generation, data current"] = {"seconds": timed(generate, site, env)[0]}

        for step in ("cold build", "no-change rebuild"):
            seconds, ran = build(site, env, args.lessons)
            steps[step] = {"seconds": seconds, "lessons_run": ran}

        results["lessons"] = lesson_costs(site)  # as the cold build ran them
        slowest = max(results["lessons"], key=lambda row: row["seconds"])["lesson"]
        edited = site / (args.edit or f"examples/{slowest}")
        edited.write_text(edited.read_text() + "\n# An edit, to time a one-lesson rebuild.\n")
        seconds, ran = build(site, env, args.lessons)
        steps["one lesson edited"] = {"seconds": seconds, "lessons_run": ran, "lesson": str(edited.relative_to(site))}

        extension = site / EXTENSION_MODULE
        extension.write_text(extension.read_text() + "\n# An edit, to time a rebuild after the extension changed.\n")
        seconds, ran = build(site, env, args.lessons)
        steps["extension edited"] = {"seconds": seconds, "lessons_run": ran, "file": EXTENSION_MODULE}

    cold = steps["cold build"]["seconds"]
    for name, step in steps.items():
        if name not in ("cold build",) and "lessons_run" in step:
            step["percent_of_cold"] = round(100 * step["seconds"] / cold, 1)
            if name in PERCENT_TARGETS:
                step["target_percent"] = PERCENT_TARGETS[name]
                step["met_percent"] = step["percent_of_cold"] <= PERCENT_TARGETS[name]
        step["seconds"] = round(step["seconds"], 2)
        if name in TARGETS:
            step["target_seconds"] = TARGETS[name]
            step["met"] = step["seconds"] <= TARGETS[name]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1))
    print(report(results))
    print(f"\nwritten to {args.output}")


def report(results: dict) -> str:
    m = results["machine"]
    lines = [f"Machine: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']}, Python {m['python']}"]
    if results.get("lessons_run_filter"):
        lines.append(f"Lessons run: only those matching {results['lessons_run_filter']!r} (a subset)")
    lines.append("")
    lines.append(f"{'step':34} {'seconds':>8} {'target':>7} {'% cold':>7} {'lessons run':>12}")
    for name, step in results["steps"].items():
        target = f"≤{step['target_seconds']}" if "target_seconds" in step else ""
        percent = f"{step['percent_of_cold']:.1f}" if "percent_of_cold" in step else ""
        missed = not step.get("met", True) or not step.get("met_percent", True)
        lines.append(f"{name:34} {step['seconds']:8.2f} {target:>7} {percent:>7} {step.get('lessons_run', ''):>12}"
                     + ("  MISSED" if missed else ""))
    edited = results["steps"]["one lesson edited"].get("lesson")
    if edited:
        lines.append(f"(one lesson edited: {edited}; extension edited: {results['steps']['extension edited']['file']})")
    lines += ["", f"{'lesson (cold build)':58} {'seconds':>8} {'peak MiB':>9}"]
    lines += [f"{row['lesson']:58} {row['seconds']:8.2f} {row['peak_memory_mib']:9.1f}" for row in results["lessons"]]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
