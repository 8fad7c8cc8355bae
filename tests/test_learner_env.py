"""The course as a learner gets it: a new environment made from the Setting up page, outside the repository.

One virtual environment is made by running the pip route's commands of docs/setup.md as they stand
(so page and test cannot drift), with a fresh HOME and none of the build's packages: it has
Jupyter but not the course package. The built site is served on 127.0.0.1 at the address it was
built for. Then, as a learner would:

1. the first lesson's downloaded notebook runs in Jupyter (nbclient) and its first cell installs
   the course package from the site; the lesson then makes the course data on first use;
2. the page's own "install the course package" command runs with the wheel downloaded from the
   page's link;
3. every lesson's downloaded notebook runs top to bottom in Jupyter (two at a time, in the
   background beside the other tests of the site: conftest's ``LearnerRuns``), with the code the page shows
   in its text (snippets and exercise solutions; not the blocks marked as not run here) as cells
   where the notebook shows it, then the lesson's results check against plain pandas
   (tests/checks_*.py), and the schedulers it computed on are compared with the page's.

With the strict build, that is each lesson's two runs in `make test`. That the page, the
downloaded script and the notebook hold the same code is proven without running them
(tests/test_lessons.py), and so is what only a script needs: worker processes started under
``if __name__ == "__main__":``. Step 3 uses the small test data (``DASK_COURSE_DATA``), as the strict build
does, except for lesson 1, whose run is step 1's, and lesson 19.1, which runs on the course data
(its results check asserts its promise at that size).
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import LESSONS, ROOT, notebook_outputs, without_shutdown_noise
from tutorial_helpers.sphinxext import stamps

pytestmark = [pytest.mark.build, pytest.mark.lessons]

def test_the_first_notebook_installs_the_course_from_the_site_and_makes_the_data(learner, first_notebook):
    run = first_notebook["run"]
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    shown = subprocess.run([learner["python"], "-m", "pip", "show", "--files", "dask-course"],
                           env=learner["env"], capture_output=True, text=True)
    assert shown.returncode == 0, "the notebook did not install the course package"
    assert "tutorial_helpers/bikes/__init__.py" in shown.stdout
    data = learner["home"] / ".cache" / "dask-course" / "bluebikes"
    assert (data / "manifest.json").is_file(), "the lesson did not make the course data on first use"


def test_the_learner_package_needs_no_sphinx(course_installed):
    """What lessons import works where Sphinx is not installed (the setup page does not install it)."""
    has_sphinx = subprocess.run([course_installed["python"], "-c", "import sphinx"], capture_output=True)
    assert has_sphinx.returncode != 0, "the learner's environment has Sphinx: this test proves nothing"
    imported = subprocess.run(
        [course_installed["python"], "-c", textwrap.dedent("""
            import pkgutil, importlib, tutorial_helpers
            names = [m.name for m in pkgutil.walk_packages(tutorial_helpers.__path__, "tutorial_helpers.")
                     if not m.name.startswith("tutorial_helpers.sphinxext")]
            for name in names:
                importlib.import_module(name)
            print(" ".join(sorted(names)))
        """)],
        env=course_installed["env"], capture_output=True, text=True,
    )
    assert imported.returncode == 0, imported.stderr[-2000:]
    package = ROOT / "src" / "tutorial_helpers"
    in_sources = {
        ".".join(["tutorial_helpers", *path.relative_to(package).with_suffix("").parts]).removesuffix(".__init__")
        for path in package.rglob("*.py") if "sphinxext" not in path.parts
    } - {"tutorial_helpers"}
    assert set(imported.stdout.split()) == in_sources, "every learner module imports without Sphinx"


def test_shutdown_noise_is_only_the_closed_comm_records():
    for name in ("shutdown-noise.txt", "shutdown-noise-heartbeat.txt"):
        noise = (Path(__file__).parent / "fixtures" / name).read_text()
        assert without_shutdown_noise(noise) == "", name
        assert "Traceback" in without_shutdown_noise(noise.replace("CommClosedError", "ValueError")), name
    # A heartbeat that failed before the end is not shutdown noise.
    heartbeat = (Path(__file__).parent / "fixtures" / "shutdown-noise-heartbeat.txt").read_text()
    assert "Traceback" in without_shutdown_noise(heartbeat + "UserWarning: computed again\n")


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.stem for lesson in LESSONS])
def test_downloaded_notebook_runs_with_the_pages_code_and_answers_right(built_site, learner_runs, lesson):
    """The lesson's second and last run in `make test` (the strict build is the first): its notebook
    in Jupyter with the page's snippets and solutions, then its results check (conftest's
    `LearnerRuns`: lesson 1's on the data it made on first use, FULL_SIZE lessons' on the course's,
    the others' on the small data)."""
    run, notebook = (learner_runs.lessons[lesson.stem].result()[key] for key in ("run", "notebook"))
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    printed = notebook_outputs(notebook, "stdout")
    assert "results check passed" in printed
    assert "Traceback" not in without_shutdown_noise(notebook_outputs(notebook, "stderr")) + without_shutdown_noise(run.stderr)
    # The learner's run computed on the same kinds of scheduler, of the same shapes, as the page.
    learner_ran_on = json.loads(printed.split("computed on: ", 1)[1].splitlines()[0])
    assert learner_ran_on == stamps.recorded(built_site["source"] / "lessons")[lesson.name]["computed_on"]
