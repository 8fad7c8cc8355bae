"""Shared fixtures: a small course data set, and lessons run the ways learners run them."""

import os
import pickle
import re
import subprocess
import sys
import textwrap
from pathlib import Path

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
    solutions_file = workdir / "solutions.py"
    solutions_file.write_text("\n".join(solutions(lesson)))
    out = workdir / "namespace.pickle"
    result = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(lesson), str(solutions_file), str(out)],
        cwd=workdir, env=lesson_env(data_dir), capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # Written by the subprocess above from this project's own lesson: safe to unpickle.
    return pickle.loads(out.read_bytes())
