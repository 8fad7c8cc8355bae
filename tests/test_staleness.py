"""Lessons re-run when the helpers, the data, the libraries or the cluster change."""

import json

import pytest

import tutorial_helpers
from tutorial_helpers.sphinxext import staleness


@pytest.fixture
def gallery(tmp_path):
    root = tmp_path / "lessons"
    (root / "02_topic").mkdir(parents=True)
    for name in ("plot_01_a.py.md5", "plot_02_b.py.md5"):
        (root / "02_topic" / name).write_text("abc")
    return root


def md5_records(root):
    return sorted(p.name for p in root.glob("**/*.py.md5"))


def test_first_build_runs_everything(gallery):
    inputs = {"course helpers": "1", "course data": "2"}
    assert staleness.rerun_if_inputs_changed(gallery, inputs) == ["course data", "course helpers"]
    assert md5_records(gallery) == []


def test_unchanged_inputs_keep_the_cache(gallery):
    inputs = {"course helpers": "1", "course data": "2"}
    staleness.rerun_if_inputs_changed(gallery, inputs)
    (gallery / "02_topic" / "plot_01_a.py.md5").write_text("abc")
    assert staleness.rerun_if_inputs_changed(gallery, dict(inputs)) == []
    assert md5_records(gallery) == ["plot_01_a.py.md5"]


def test_a_changed_input_is_named_and_reruns_all_lessons(gallery):
    staleness.rerun_if_inputs_changed(gallery, {"course helpers": "1", "course data": "2"})
    (gallery / "02_topic" / "plot_01_a.py.md5").write_text("abc")
    changed = staleness.rerun_if_inputs_changed(gallery, {"course helpers": "1", "course data": "3"})
    assert changed == ["course data"]
    assert md5_records(gallery) == []
    assert json.loads((gallery / staleness.FINGERPRINT_FILE).read_text())["course data"] == "3"


def test_inputs_follow_the_data_manifest(tmp_path):
    before = staleness.lesson_inputs(tmp_path)
    (tmp_path / "manifest.json").write_text('{"files": []}')
    after = staleness.lesson_inputs(tmp_path)
    assert before["course data"] != after["course data"]
    assert {k for k in before if before[k] != after[k]} == {"course data"}


def test_inputs_follow_the_helpers_source(tmp_path, monkeypatch):
    package = tmp_path / "tutorial_helpers"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "bikes.py").write_text("A = 1\n")
    monkeypatch.setattr(tutorial_helpers, "__file__", str(package / "__init__.py"))
    before = staleness.lesson_inputs(tmp_path)["course helpers"]
    (package / "bikes.py").write_text("A = 2\n")
    assert staleness.lesson_inputs(tmp_path)["course helpers"] != before


def test_inputs_follow_the_cores_lessons_size_their_clusters_to(tmp_path, monkeypatch):
    monkeypatch.delenv("NSLOTS", raising=False)
    all_cores = staleness.lesson_inputs(tmp_path)["machine"]
    monkeypatch.setenv("NSLOTS", "1")  # an SGE job granted one core
    assert staleness.lesson_inputs(tmp_path)["machine"] != all_cores
