"""Shared fixtures: a small course data set, lessons run the ways learners run them, the built site."""

import os
import pickle
import re
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest

from tutorial_helpers import bikes

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "examples").glob("*/plot_*.py"))
SMALL_SCALE = 0.02  # about 20,000 trips: every code path, in seconds

# The code blocks inside a lesson's ".. dropdown:: Solution" comment text.
_SOLUTION = re.compile(r"^# \.\. dropdown:: Solution\n#\n#    \.\. code-block:: python\n#\n((?:#       .*\n|#\n)+)", re.M)


@pytest.fixture(scope="session")
def small_data(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("bluebikes")
    bikes.generate(data_dir, scale=SMALL_SCALE)
    return data_dir


def lesson_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, DASK_COURSE_DATA=str(data_dir), MPLBACKEND="Agg")
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    return env


def solutions(lesson: Path) -> list[str]:
    """The exercise solutions of a lesson, as code."""
    blocks = _SOLUTION.findall(lesson.read_text())
    return [textwrap.dedent(re.sub(r"^#(?: {7}|$)", "", b, flags=re.M)) for b in blocks]


_RUNNER = """
import pickle, runpy, sys
# As in a learner's Python: the course package's dependencies only, not the docs or test extras.
for name in ("sphinx", "sphinx_gallery", "mpi4py", "dask_mpi"):
    sys.modules[name] = None
lesson, solutions, out = sys.argv[1], sys.argv[2], sys.argv[3]
namespace = runpy.run_path(lesson, run_name="__main__")
exec(open(solutions).read(), namespace)
keep = {k: v for k, v in namespace.items() if not k.startswith("_")}
picklable = {}
for name, value in keep.items():
    try:
        picklable[name] = pickle.loads(pickle.dumps(value))
    except Exception:
        pass
with open(out, "wb") as f:
    pickle.dump(picklable, f)
"""


def run_lesson_namespace(lesson: Path, data_dir: Path, workdir: Path) -> dict:
    """Run a lesson and then its exercise solutions; return the picklable globals it left."""
    return _run_namespace(lesson, "\n".join(solutions(lesson)), data_dir, workdir)


def run_code_namespace(code: str, data_dir: Path, workdir: Path) -> dict:
    """Run ``code`` (e.g. copied from a page) as a fresh script; return its picklable globals."""
    script = workdir / "copied_lesson.py"
    script.write_text(code)
    return _run_namespace(script, "", data_dir, workdir)


def _run_namespace(script: Path, then: str, data_dir: Path, workdir: Path) -> dict:
    then_file = workdir / "then.py"
    then_file.write_text(then)
    out = workdir / "namespace.pickle"
    result = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(script), str(then_file), str(out)],
        cwd=workdir, env=lesson_env(data_dir), capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # Written by the subprocess above from this project's own code: safe to unpickle.
    return pickle.loads(out.read_bytes())


def _watch_listeners(root_pid: int, seen: set, stop: threading.Event) -> None:
    """Record every listening address of the build's process tree until told to stop."""
    while not stop.is_set():
        try:
            family = {root_pid} | {p.pid for p in psutil.Process(root_pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            return
        seen |= {(c.laddr.ip, c.laddr.port) for c in psutil.net_connections("inet")
                 if c.status == psutil.CONN_LISTEN and c.pid in family}
        stop.wait(0.2)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The whole site, built strictly once per test session with the course's real data."""
    out = tmp_path_factory.mktemp("site")
    started = time.time()
    build = subprocess.Popen(
        [sys.executable, "-m", "sphinx", "-b", "html", "-nWT", "--keep-going",
         "-d", str(out / "doctrees"), ".", str(out / "html")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"},
    )
    listeners, stop = set(), threading.Event()
    watcher = threading.Thread(target=_watch_listeners, args=(build.pid, listeners, stop))
    watcher.start()
    log, _ = build.communicate(timeout=3000)
    stop.set()
    watcher.join()
    return {"html": out / "html", "log": log, "returncode": build.returncode,
            "listeners": listeners, "started": started}
