"""Every lesson runs as a learner runs it, and its answers match plain pandas on the same data."""

import subprocess
import sys

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient
from sphinx_gallery.notebook import jupyter_notebook
from sphinx_gallery.py_source_parser import split_code_and_text_blocks

import reference
from conftest import LESSONS, lesson_env, run_lesson_namespace, solutions
from tutorial_helpers import bikes

ids = [lesson.stem for lesson in LESSONS]


def assert_same_answers(namespace, files):
    expected = reference.answers(files)
    for name, want in expected.items():
        got = namespace[name]
        pd.testing.assert_series_equal(
            got.sort_index(), want.sort_index(), check_names=False, check_exact=False, rtol=1e-9,
            check_dtype=False, check_index_type=False,  # Dask returns Arrow-backed dtypes
        )


def check_pandas_first(namespace, files):
    assert_same_answers(namespace, files[:1])
    assert namespace["busiest_day"] in {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}


def check_same_with_dask(namespace, files):
    assert_same_answers(namespace, files)
    timings = namespace["persist_timings"]
    assert [t.name for t in timings.timings] == ["compute() twice", "persist(), then compute() twice"]
    assert all(len(t.seconds) == 3 for t in timings.timings)
    customers = namespace["busy"]
    assert (customers["count"] >= 1000).all()


RESULT_CHECKS = {
    "plot_01_pandas_first": check_pandas_first,
    "plot_01_same_with_dask": check_same_with_dask,
}


def test_every_lesson_has_a_results_check_and_an_exercise():
    assert LESSONS, "no lessons found"
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
    gallery_conf = {"first_notebook_cell": None, "last_notebook_cell": None, "notebook_images": False,
                    "pypandoc": False, "promote_jupyter_magic": False, "notebook_extensions": {".ipynb"}}
    notebook = nbformat.from_dict(jupyter_notebook(blocks, gallery_conf, str(tmp_path)))
    for key, value in lesson_env(small_data).items():
        monkeypatch.setenv(key, value)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs if o.output_type == "error"]
    assert not errors
