"""Measure what course maintainers wait for: data generation and cold, no-change and one-edit builds.

Run with `make bench`. Works on a throwaway copy of the repository's tracked files and a fresh
data folder, so the working tree, its built site and its data are not touched. Prints a table and
writes the figures as JSON (default: _build/bench/results.json). A benchmark, not a test: it
reports numbers and the targets beside them; it does not fail on a missed target.
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
CLUSTER_STARTED = "build cluster started"


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


def build(site: Path, env: dict) -> tuple[float, int, int]:
    """Build the site; return seconds, cluster starts, and how many lessons ran."""
    before = {p: p.stat().st_mtime for p in site.glob("lessons/**/*.cost.json")}
    seconds, log = timed(
        [sys.executable, "-m", "sphinx", "-b", "html", "-nWT", "--keep-going", ".", "_build/html"], site, env
    )
    after = {p: p.stat().st_mtime for p in site.glob("lessons/**/*.cost.json")}
    ran = sum(1 for p, mtime in after.items() if before.get(p) != mtime)
    return seconds, log.count(CLUSTER_STARTED), ran


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
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        site, data = Path(tmp) / "site", Path(tmp) / "data"
        copy_tracked_files(site)
        env = dict(os.environ, DASK_COURSE_DATA=str(data))
        env.pop("DASK_SCHEDULER_ADDRESS", None)
        results: dict = {"machine": machine(), "steps": {}}
        steps = results["steps"]

        generate = [sys.executable, "-m", "tutorial_helpers", "data", "generate"]
        steps["data generation (default scale)"] = {"seconds": timed(generate, site, env)[0]}
        steps["data generation, data current"] = {"seconds": timed(generate, site, env)[0]}

        for step in ("cold build", "no-change rebuild"):
            seconds, starts, ran = build(site, env)
            steps[step] = {"seconds": seconds, "cluster_starts": starts, "lessons_run": ran}

        results["lessons"] = lesson_costs(site)  # as the cold build ran them
        slowest = max(results["lessons"], key=lambda row: row["seconds"])["lesson"]
        edited = site / (args.edit or f"examples/{slowest}")
        edited.write_text(edited.read_text() + "\n# An edit, to time a one-lesson rebuild.\n")
        seconds, starts, ran = build(site, env)
        steps["one lesson edited"] = {"seconds": seconds, "cluster_starts": starts, "lessons_run": ran,
                                      "lesson": str(edited.relative_to(site))}

    for name, step in steps.items():
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
    lines = [f"Machine: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']}, Python {m['python']}", ""]
    lines.append(f"{'step':34} {'seconds':>8} {'target':>7} {'clusters':>9} {'lessons run':>12}")
    for name, step in results["steps"].items():
        target = f"≤{step['target_seconds']}" if "target_seconds" in step else ""
        lines.append(f"{name:34} {step['seconds']:8.2f} {target:>7} {step.get('cluster_starts', ''):>9} "
                     f"{step.get('lessons_run', ''):>12}" + ("" if step.get("met", True) else "  MISSED"))
    edited = results["steps"]["one lesson edited"].get("lesson")
    if edited:
        lines.append(f"(one lesson edited: {edited})")
    lines += ["", f"{'lesson (cold build)':58} {'seconds':>8} {'peak MiB':>9}"]
    lines += [f"{row['lesson']:58} {row['seconds']:8.2f} {row['peak_memory_mib']:9.1f}" for row in results["lessons"]]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
