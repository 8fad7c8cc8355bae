"""A lesson re-runs when what it imports, the data it reads, the libraries or the cluster change; no other does.

No Sphinx build: the fingerprints are computed on copies of the helpers and lessons in tmp_path
(a small made-up package, and the course's own), edited there, and compared.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tutorial_helpers
from tutorial_helpers import bikes
from tutorial_helpers.sphinxext import staleness

ROOT = Path(__file__).resolve().parents[1]
COURSE_PACKAGE = Path(tutorial_helpers.__file__).parent

# A made-up helpers package: each way a module can import another, and the build's extension.
PACKAGE = {
    "__init__.py": "",
    "a.py": "X = 1\n",
    "b.py": "from tutorial_helpers import a\n",
    "c.py": "def f():\n    import tutorial_helpers.d  # only when called\n",
    "d.py": "Y = 2\n",
    "bikes.py": "def info(data_dir=None):\n    return {}\n",
    "unused.py": "Z = 3\n",
    "sphinxext/__init__.py": "from tutorial_helpers.sphinxext import converter\n",
    "sphinxext/converter.py": "from tutorial_helpers import a\n",
    # Like tutorial_helpers.exercises: its topic modules are imported at run time through pkgutil.
    "checks/__init__.py": ("import importlib, pkgutil\n\ndef check():\n"
                           "    for m in pkgutil.iter_modules(__path__):\n"
                           "        importlib.import_module(f'{__name__}.{m.name}')\n"),
    "checks/one.py": "from ..a import X\n",
    "checks/two.py": "Q = 4\n",
}
LESSONS = {
    "uses_b": "from tutorial_helpers import b\n",
    "uses_c": "from tutorial_helpers.c import f\nf()\n",
    "uses_none": "import math\n",
    "uses_checks": "from tutorial_helpers.checks import check\ncheck()\n",
    "reads_data": "from tutorial_helpers import bikes\n",
    "uses_extension": "import tutorial_helpers.sphinxext.converter\n",
}


@pytest.fixture
def made_up(tmp_path):
    package = tmp_path / "tutorial_helpers"
    for name, text in PACKAGE.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    lessons = {}
    for name, text in LESSONS.items():
        lessons[name] = tmp_path / "examples" / f"plot_{name}.py"
        lessons[name].parent.mkdir(exist_ok=True)
        lessons[name].write_text(text)
    return package, lessons


def changed_by(edit, package, lessons, data_dir):
    """The lessons whose fingerprint ``edit()`` changes."""
    before = staleness.lesson_fingerprints(lessons, package, data_dir)
    edit()
    after = staleness.lesson_fingerprints(lessons, package, data_dir)
    return {name for name in lessons if before[name] != after[name]}


def append(path, text="\n# an edit\n"):
    return lambda: path.write_text(path.read_text() + text)


def test_each_lesson_depends_on_the_modules_it_imports_transitively(made_up):
    package, lessons = made_up
    modules = staleness.HelperModules(package)
    short = {name: {m.removeprefix("tutorial_helpers.") for m in modules.of_lesson(path)}
             for name, path in lessons.items()}
    assert short == {
        "uses_b": {"tutorial_helpers", "b", "a"},
        "uses_c": {"tutorial_helpers", "c", "d"},
        "uses_none": set(),
        "uses_checks": {"tutorial_helpers", "checks", "checks.one", "checks.two", "a"},
        "reads_data": {"tutorial_helpers", "bikes"},
        "uses_extension": {"tutorial_helpers", "sphinxext", "sphinxext.converter", "a"},
    }


@pytest.mark.parametrize(("module", "expected"), [
    ("a.py", {"uses_b", "uses_checks", "uses_extension"}),  # through b, checks.one, sphinxext.converter
    ("d.py", {"uses_c"}),  # imported inside a function
    ("checks/two.py", {"uses_checks"}),  # found by pkgutil at run time
    ("bikes.py", {"reads_data"}),
    ("unused.py", set()),
    ("sphinxext/converter.py", {"uses_extension"}),  # only the lesson that imports the extension
    ("__init__.py", set(LESSONS) - {"uses_none"}),
])
def test_editing_a_module_reruns_exactly_the_lessons_that_import_it(made_up, tmp_path, module, expected):
    package, lessons = made_up
    assert changed_by(append(package / module), package, lessons, tmp_path / "no-data") == expected


def test_editing_a_lesson_reruns_that_lesson(made_up, tmp_path):
    package, lessons = made_up
    assert changed_by(append(lessons["uses_none"]), package, lessons, tmp_path / "no-data") == {"uses_none"}


def test_new_data_reruns_the_lessons_that_read_data_and_no_other(made_up, tmp_path):
    package, lessons = made_up
    data = tmp_path / "data"
    assert changed_by(lambda: bikes.generate(data, scale=0.001), package, lessons, data) == {"reads_data"}
    assert changed_by(lambda: bikes.generate(data, scale=0.002), package, lessons, data) == {"reads_data"}
    fingerprints = staleness.lesson_fingerprints(lessons, package, data)
    assert "course data" in fingerprints["reads_data"] and "course data" not in fingerprints["uses_b"]


# -- the course's own helpers and lessons ----------------------------------------------------------


@pytest.fixture
def course(tmp_path):
    """Copies of the course's helpers and lessons, free to edit."""
    package = tmp_path / "tutorial_helpers"
    shutil.copytree(COURSE_PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    examples = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", examples, ignore=shutil.ignore_patterns("__pycache__"))
    lessons = {p.relative_to(examples).as_posix(): p for p in sorted(examples.glob("*/plot_*.py"))}
    assert lessons
    return package, lessons


def test_new_committed_results_rerun_the_lessons_that_plot_them_and_no_other(course, tmp_path):
    package, lessons = course
    results = tmp_path / "benchmarks" / "results"
    results.mkdir(parents=True)
    shutil.copy(ROOT / "benchmarks" / "results" / "scaling-2core-24gib.json", results)
    plotting = {name for name, lesson in lessons.items() if "benchmarks" in lesson.read_text()}
    assert {"19_bigger_than_memory/plot_02_scaling_study.py", "21_choosing_a_tool/plot_01_should_you_use_dask.py"} <= plotting
    another_machine = lambda: (results / "scaling-8core-64gib.json").write_text("{}")
    assert changed_by(another_machine, package, lessons, tmp_path / "no-data") == plotting


def test_editing_the_build_extension_reruns_no_lesson(course, tmp_path):
    package, lessons = course
    extension = sorted((package / "sphinxext").glob("*.py"))
    assert package / "sphinxext" / "notebooks.py" in extension

    def edit_every_extension_module():
        for path in extension:
            append(path)()

    assert changed_by(edit_every_extension_module, package, lessons, tmp_path / "no-data") == set()


def test_editing_a_course_helper_reruns_the_lessons_that_import_it(course, tmp_path):
    package, lessons = course
    importers = {name for name, path in lessons.items() if "tutorial_helpers.timing import" in path.read_text()}
    assert importers
    changed = changed_by(append(package / "timing.py"), package, lessons, tmp_path / "no-data")
    assert importers <= changed
    modules = staleness.HelperModules(package)
    assert changed == {name for name, path in lessons.items() if "tutorial_helpers.timing" in modules.of_lesson(path)}


def test_editing_a_topics_exercise_checks_reruns_that_topics_lessons_only(course, tmp_path):
    """`exercises.check` imports only the topic module that defines the exercise it is asked for."""
    package, lessons = course
    changed = changed_by(append(package / "exercises" / "futures.py"), package, lessons, tmp_path / "no-data")
    assert changed == {"11_futures/plot_01_futures.py"}
    shared = changed_by(append(package / "exercises" / "__init__.py"), package, lessons, tmp_path / "no-data")
    assert shared == set(lessons), "every lesson calls exercises.check"


def test_check_imports_only_the_topic_module_of_its_exercise(small_data):
    """What the staleness check assumes, in a fresh Python: after one check, one topic module is loaded."""
    code = ("import sys\nfrom tutorial_helpers.exercises import check\ncheck('futures', None)\n"
            "print(sorted(m for m in sys.modules if m.startswith('tutorial_helpers.exercises.')))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, DASK_COURSE_DATA=str(small_data)))
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "['tutorial_helpers.exercises.futures']"


def test_new_data_reruns_every_lesson_that_reads_it(course, tmp_path):
    package, lessons = course
    modules = staleness.HelperModules(package)
    readers = {name for name, path in lessons.items() if "tutorial_helpers.bikes" in modules.of_lesson(path)}
    direct = {name for name, path in lessons.items() if "from tutorial_helpers import bikes" in path.read_text()}
    assert direct and direct <= readers
    data = tmp_path / "data"
    assert changed_by(lambda: bikes.generate(data, scale=0.001), package, lessons, data) == readers


# -- dropping sphinx-gallery's md5 records ---------------------------------------------------------


@pytest.fixture
def gallery(tmp_path):
    root = tmp_path / "lessons"
    (root / "02_topic").mkdir(parents=True)
    return root


def md5_records(root):
    return sorted(p.relative_to(root).as_posix() for p in root.glob("**/*.py.md5"))


def run_all(root, names):
    """What sphinx-gallery leaves after running ``names``: their md5 records."""
    for name in names:
        (root / f"{name}.md5").write_text("abc")


A, B = "02_topic/plot_01_a.py", "02_topic/plot_02_b.py"


def test_first_build_runs_every_lesson(gallery):
    run_all(gallery, [A, B])
    inputs = {A: {"course helpers": "1"}, B: {"course helpers": "2"}}
    assert staleness.rerun_if_inputs_changed(gallery, inputs) == {A: ["course helpers"], B: ["course helpers"]}
    assert md5_records(gallery) == []


def test_unchanged_inputs_keep_every_md5_record(gallery):
    inputs = {A: {"course helpers": "1"}, B: {"course helpers": "2"}}
    staleness.rerun_if_inputs_changed(gallery, inputs)
    run_all(gallery, [A, B])
    assert staleness.rerun_if_inputs_changed(gallery, json.loads(json.dumps(inputs))) == {}
    assert md5_records(gallery) == [f"{A}.md5", f"{B}.md5"]


def test_a_changed_input_reruns_only_its_lessons_and_is_named(gallery):
    staleness.rerun_if_inputs_changed(gallery, {A: {"course helpers": "1", "course data": "2"},
                                                B: {"course helpers": "1"}})
    run_all(gallery, [A, B])
    changed = staleness.rerun_if_inputs_changed(gallery, {A: {"course helpers": "1", "course data": "3"},
                                                          B: {"course helpers": "1"}})
    assert changed == {A: ["course data"]}
    assert md5_records(gallery) == [f"{B}.md5"]
    assert json.loads((gallery / staleness.FINGERPRINT_FILE).read_text())[A]["course data"] == "3"


def test_a_record_of_the_older_format_reruns_every_lesson(gallery):
    (gallery / staleness.FINGERPRINT_FILE).write_text(json.dumps({"course helpers": "1", "course data": "2"}))
    run_all(gallery, [A, B])
    assert set(staleness.rerun_if_inputs_changed(gallery, {A: {"x": "1"}, B: {"x": "1"}})) == {A, B}
    assert md5_records(gallery) == []


def test_gallery_lessons_are_those_sphinx_gallery_reads(tmp_path):
    for name in ("examples/plot_top.py", "examples/01_t/plot_01_x.py", "examples/01_t/bikes_batch.py",
                 "examples/01_t/__init__.py", "examples/01_t/GALLERY_HEADER.rst", "examples/01_t/deep/plot_y.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    conf = {"examples_dirs": "examples", "ignore_pattern": r"__init__\.py|bikes_batch\.py"}
    assert sorted(staleness.gallery_lessons(conf, tmp_path)) == ["01_t/plot_01_x.py", "plot_top.py"]


def test_every_lesson_follows_the_cores_its_cluster_is_sized_to(made_up, tmp_path, monkeypatch):
    package, lessons = made_up
    monkeypatch.delenv("NSLOTS", raising=False)
    all_cores = staleness.lesson_fingerprints(lessons, package, tmp_path)
    monkeypatch.setenv("NSLOTS", "1")  # an SGE job granted one core
    one_core = staleness.lesson_fingerprints(lessons, package, tmp_path)
    assert all(all_cores[name]["machine"] != one_core[name]["machine"] for name in lessons)


def test_the_build_hook_drops_the_md5_records_where_sphinx_gallery_keeps_them(tmp_path):
    from types import SimpleNamespace

    lesson = tmp_path / "examples" / "01_t" / "plot_x.py"
    lesson.parent.mkdir(parents=True)
    lesson.write_text("import math\n")
    conf = {"examples_dirs": "examples", "gallery_dirs": "lessons", "ignore_pattern": r"__init__\.py"}
    app = SimpleNamespace(srcdir=str(tmp_path), config=SimpleNamespace(plot_gallery=True, sphinx_gallery_conf=conf))
    md5 = tmp_path / "lessons" / "01_t" / "plot_x.py.md5"
    md5.parent.mkdir(parents=True)
    md5.write_text("abc")
    staleness.rerun_lessons_if_stale(app)  # first build: no record yet
    assert not md5.exists()
    md5.write_text("abc")  # the lesson ran
    staleness.rerun_lessons_if_stale(app)
    assert md5.exists()
    lesson.write_text("import math\nimport tutorial_helpers.timing\n")
    staleness.rerun_lessons_if_stale(app)
    assert not md5.exists()
