"""The note each page carries: where, and with which versions, date and commit, it was computed."""

import re
import subprocess

from conftest import ROOT
from tutorial_helpers.sphinxext import stamps


def test_a_lesson_names_the_core_libraries_and_what_else_it_imports(tmp_path):
    lesson = tmp_path / "plot_x.py"
    lesson.write_text("import numpy as np\nimport xarray as xr\nfrom sklearn.model_selection import GridSearchCV\n"
                      "from tutorial_helpers import bikes\nimport os\nfrom . import nothing\n")
    libraries = stamps.lesson_libraries(lesson)
    assert libraries[:4] == ["dask", "distributed", "pandas", "numpy"]
    assert set(libraries[4:]) == {"scikit-learn", "xarray"}


def test_the_stamp_has_versions_date_and_commit():
    stamp = stamps.build_stamp(ROOT, ["dask", "pandas", "no-such-library"])
    assert re.match(r"Python 3\.\d+\.\d+, dask \S+, pandas \S+; built on \d{4}-\d\d-\d\d from commit ", stamp)
    head = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert head in stamp


def test_outside_a_git_checkout_the_commit_is_unknown(tmp_path):
    assert stamps.source_commit(tmp_path) == "unknown"


def test_recorded_per_lesson_and_found_by_name(tmp_path):
    (tmp_path / "examples" / "02_topic").mkdir(parents=True)
    (tmp_path / "examples" / "02_topic" / "plot_a.py").write_text("import xarray\n")
    conf = {"gallery_dirs": "lessons", "examples_dirs": "examples", "src_dir": str(tmp_path)}
    stamps.record(conf, "plot_a.py", ["threads", "sync", "threads"])
    stamp = stamps.recorded(tmp_path / "lessons")["plot_a.py"]
    assert stamp["computed_on"] == ["threads", "sync"] and "xarray" in stamp["with"]
