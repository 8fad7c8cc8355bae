"""Upgrade early-warning: build the course and check its lessons with the newest releases.

`make test-latest` runs this. In a throwaway copy of the repository it makes a virtual environment
with the newest releases that pyproject allows, and the newest pre-releases of dask,
distributed, pandas, numpy and pyarrow; then it runs the strict site build (deprecations are
errors there) and every lesson's results check, and prints a short report: which versions differ
from the lock, and what broke, in which lesson, with the first error line. Needs PyPI; exits 1
when something broke, so that a scheduled job can alert.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRE_RELEASES = ("dask", "distributed", "pandas", "numpy", "pyarrow")
SMALL_SCALE = "0.02"

CHECK_LESSON = """
import pathlib, sys
lesson, checks_dir = pathlib.Path(sys.argv[1]), sys.argv[2]
sys.path.insert(0, checks_dir)
from results_checks import checks_attr
from tutorial_helpers.sphinxext.exercises import pasted_page
namespace = {"__name__": "__main__"}
exec(compile(pasted_page(lesson), str(lesson), "exec"), namespace)
from tutorial_helpers import bikes
checks_attr("CHECKS")[lesson.stem](namespace, bikes.trip_files())
"""


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)


def copy_of_the_sources(target: Path) -> Path:
    """The files git tracks, copied: the build writes its lesson pages into its own tree."""
    tracked = run(["git", "ls-files", "-z"], cwd=ROOT, check=True).stdout
    for name in filter(None, tracked.split("\0")):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def locked() -> dict[str, set[str]]:
    pins: dict[str, set[str]] = {}
    for line in (ROOT / "requirements-lock.txt").read_text().splitlines():
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)", line)
        if match:
            pins.setdefault(canonical(match.group(1)), set()).add(match.group(2))
    return pins


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def first_error(text: str) -> str:
    """The first line that says what went wrong."""
    for pattern in (r"^\w*(Error|Exception|Warning)\b.*", r".*(ERROR|WARNING).*", r"^E\s+.*"):
        match = re.search(pattern, text, flags=re.M)
        if match:
            return match.group(0).strip()[:300]
    return (text.strip().splitlines() or ["(no output)"])[-1][:300]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the throwaway copy and its environment")
    args = parser.parse_args()
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="dask-course-latest-"))
    problems: list[str] = []
    try:
        project = copy_of_the_sources(scratch / "project")
        python = scratch / "venv" / "bin" / "python"
        print(f"Making an environment with the newest releases in {scratch} ...", flush=True)
        run([sys.executable, "-m", "venv", scratch / "venv"], check=True)
        steps = [
            [python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
            [python, "-m", "pip", "install", "--quiet", "--upgrade", "--pre", *PRE_RELEASES],
            [python, "-m", "pip", "install", "--quiet", "--upgrade", "--upgrade-strategy", "only-if-needed",
             "-e", f"{project}[docs,test]"],
        ]
        for step in steps:
            result = run(step)
            if result.returncode != 0:
                print(f"could not install the newest releases: {first_error(result.stderr)}")
                return 1

        frozen = run([python, "-m", "pip", "freeze", "--exclude-editable"]).stdout.splitlines()
        installed = {canonical(name): version for name, _, version in (line.partition("==") for line in frozen) if version}
        pins = locked()
        changed = sorted((name, sorted(pins[name]), version) for name, version in installed.items()
                         if name in pins and version not in pins[name])
        print("\nVersions that differ from the lock:")
        for name, was, now in changed or [("(none)", [], "")]:
            print(f"  {name:24} {', '.join(was):>14} -> {now}")

        print("\nStrict site build ...", flush=True)
        build = run([python, "-m", "sphinx", "-b", "html", "-nWT", "--keep-going", "-d", scratch / "doctrees",
                     project, scratch / "html"], cwd=project)
        log = build.stdout + build.stderr
        if build.returncode == 0:
            print("  passed")
        else:
            failing = sorted(set(re.findall(r"examples/[\w/]+\.py", log)))
            problems.append(f"strict build: {first_error(log)}")
            print(f"  FAILED: {first_error(log)}")
            for lesson in failing:
                print(f"    in {lesson}")

        print("\nLessons' results checks (small data) ...", flush=True)
        data = scratch / "data"
        run([python, "-m", "tutorial_helpers", "data", "generate", "--scale", SMALL_SCALE, "--data-dir", data],
            check=True)
        env = {"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(scratch), "MPLBACKEND": "Agg",
               "DASK_COURSE_DATA": str(data), "LANG": "C.UTF-8"}
        for lesson in sorted(project.glob("examples/*/plot_*.py")):
            workdir = Path(tempfile.mkdtemp(dir=scratch))
            check = run([python, "-c", CHECK_LESSON, lesson, project / "tests"], cwd=workdir, env=env, timeout=900)
            name = lesson.relative_to(project).as_posix()
            if check.returncode == 0:
                print(f"  ok      {name}")
            else:
                problems.append(f"{name}: {first_error(check.stderr)}")
                print(f"  FAILED  {name}: {first_error(check.stderr)}")
    finally:
        if args.keep:
            print(f"\nkept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)

    minutes = (time.monotonic() - started) / 60
    print(f"\n{len(problems)} problem(s) with the newest releases ({minutes:.0f} min).")
    for problem in problems:
        print(f"  - {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
