"""Every lesson runs as a learner runs it, and its answers match plain pandas on the same data."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from sphinx_gallery.notebook import jupyter_notebook
from sphinx_gallery.py_source_parser import split_code_and_text_blocks

from conftest import LESSONS, lesson_env, run_lesson_namespace, solutions
from tutorial_helpers import bikes
from tutorial_helpers.sphinxext.course_package import first_notebook_cell

ids = [lesson.stem for lesson in LESSONS]
# The notebook as downloaded starts with the check-and-install cell that tutorial_helpers.sphinxext
# gives sphinx-gallery (here for a build without html_baseurl).
FIRST_CELL = first_notebook_cell(base_url="")


def _results_checks() -> dict:
    """Each topic's checks live in tests/checks_<topic folder>.py as CHECKS = {lesson stem: check}."""
    checks = {}
    for module in sorted(Path(__file__).parent.glob("checks_*.py")):
        checks.update(importlib.import_module(module.stem).CHECKS)
    return checks


RESULT_CHECKS = _results_checks()


def test_every_lesson_has_a_results_check_and_an_exercise():
    assert LESSONS, "no lessons found"
    # Pages record where they were computed by file name, so names must be unique course-wide.
    assert len({lesson.name for lesson in LESSONS}) == len(LESSONS)
    for lesson in LESSONS:
        assert lesson.stem in RESULT_CHECKS, f"{lesson.name} has no results check"
        assert solutions(lesson), f"{lesson.name} has no exercise solution"


@pytest.mark.parametrize("lesson", LESSONS, ids=ids)
def test_lesson_runs_as_a_script(lesson, small_data, tmp_path):
    result = subprocess.run(
        [sys.executable, str(lesson)], cwd=tmp_path, env=lesson_env(small_data),
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("lesson", LESSONS, ids=ids)
def test_lesson_answers_match_pandas(lesson, small_data, tmp_path):
    namespace = run_lesson_namespace(lesson, small_data, tmp_path)
    RESULT_CHECKS[lesson.stem](namespace, bikes.trip_files(small_data))


@pytest.mark.parametrize("lesson", LESSONS, ids=ids)
def test_lesson_notebook_runs_top_to_bottom(lesson, small_data, tmp_path, monkeypatch):
    _, blocks = split_code_and_text_blocks(str(lesson))
    gallery_conf = {"first_notebook_cell": FIRST_CELL, "last_notebook_cell": None, "notebook_images": False,
                    "pypandoc": False, "promote_jupyter_magic": False, "notebook_extensions": {".ipynb"}}
    notebook = nbformat.reads(json.dumps(jupyter_notebook(blocks, gallery_conf, str(tmp_path))), as_version=4)
    for key, value in lesson_env(small_data).items():
        monkeypatch.setenv(key, value)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs if o.output_type == "error"]
    assert not errors
