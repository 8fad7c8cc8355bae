"""The course as a learner gets it: a new environment made from the Setting up page, outside the repository.

One virtual environment is made by running the pip route's commands of docs/setup.md as they stand
(so page and test cannot drift), with a fresh HOME and none of the build's packages: it has
Jupyter but not the course package. The built site is served on 127.0.0.1 at the address it was
built for. Then, as a learner would:

1. the first lesson's downloaded notebook runs in Jupyter (nbclient) and its first cell installs
   the course package from the site; the lesson then makes the course data on first use;
2. the page's own "install the course package" command runs with the wheel downloaded from the
   page's link;
3. every lesson page's code, copied block by block in page order (code cells, snippets in the
   text, exercise solutions; not the blocks marked as not run here), runs as a script from an
   empty folder, followed by the lesson's results check against plain pandas (tests/checks_*.py).
   The page's code cells are the downloaded script's (tests/test_lessons.py), so this runs the
   script too, as ``__main__``, with worker processes that re-import it as they would;
4. every lesson's downloaded notebook runs top to bottom in Jupyter.

Steps 3 and 4 use the small test data (``DASK_COURSE_DATA``), so that the suite stays fast.
"""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import LESSONS, ROOT, copied_code

pytestmark = [pytest.mark.build, pytest.mark.lessons]

SETUP_PAGE = ROOT / "docs" / "setup.md"
PIP_SECTION = "## With pip and a virtual environment"
# Where pip keeps what it downloaded: the learner's fresh HOME must not make every run fetch it all again.
PIP_CACHE = Path(os.environ.get("PIP_CACHE_DIR") or Path.home() / ".cache" / "pip")

RUN_NOTEBOOK = """
import sys
import nbformat
from nbclient import NotebookClient

notebook = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(notebook, timeout=900, kernel_name="python3",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
"""

RUN_SCRIPT_AND_CHECK = """
import runpy, sys
script, checks_dir, stem = sys.argv[1:]
namespace = runpy.run_path(script, run_name="__main__")

import importlib, pathlib
sys.path.insert(0, checks_dir)
from tutorial_helpers import bikes
checks = {}
for module in sorted(pathlib.Path(checks_dir).glob("checks_*.py")):
    checks.update(importlib.import_module(module.stem).CHECKS)
checks[stem](namespace, bikes.trip_files())
print("results check passed")
"""


def setup_commands(section: str) -> list[list[str]]:
    """The shell commands of each ``bash`` block in one section of the Setting up page."""
    text = SETUP_PAGE.read_text()
    body = text.split(section + "\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", body, flags=re.S)
    commands = []
    for block in blocks:
        joined = block.replace("\\\n", " ")
        lines = [re.sub(r"\s+#\s.*$", "", line).strip() for line in joined.splitlines()]
        commands.append([line for line in lines if line and not line.startswith("#")])
    return commands


def page_links(url: str) -> dict[str, str]:
    """The page's links by the file name they point to, as absolute URLs."""
    with urllib.request.urlopen(url, timeout=30) as response:
        soup = BeautifulSoup(response.read().decode(), "html.parser")
    return {Path(a["href"]).name: urllib.parse.urljoin(url, a["href"]) for a in soup.select("a[href]")}


def download(url: str, folder: Path) -> Path:
    target = folder / Path(urllib.parse.urlsplit(url).path).name
    with urllib.request.urlopen(url, timeout=60) as response:
        target.write_bytes(response.read())
    return target


def lesson_downloads(site_url: str, lesson: Path) -> dict[str, str]:
    return page_links(f"{site_url}lessons/{lesson.parent.name}/{lesson.stem}.html")


@pytest.fixture(scope="session")
def learner(tmp_path_factory, served_site):
    """A learner's machine: HOME, a working folder, and the environment the setup page makes."""
    home = tmp_path_factory.mktemp("learner-home")
    work = tmp_path_factory.mktemp("learner-work")
    env = {
        "HOME": str(home), "PATH": os.environ["PATH"], "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
        "PIP_CACHE_DIR": str(PIP_CACHE),
        # This workplace's pip settings (an extra index, a constraints file) hold for learners too.
        **{k: v for k, v in os.environ.items() if k.startswith("PIP_")},
    }
    make_env, install_course = setup_commands(PIP_SECTION)[:2]
    made = subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(make_env)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=1200)
    assert made.returncode == 0, made.stderr[-3000:]
    python = work / "dask-course" / "bin" / "python"
    has_course = subprocess.run([python, "-c", "import tutorial_helpers"], env=env, capture_output=True)
    assert has_course.returncode != 0, "the environment has the course package before anything installed it"
    env["PATH"] = f"{python.parent}{os.pathsep}{env['PATH']}"  # as `source .../activate` does
    return {"home": home, "work": work, "env": env, "python": python, "install_course": install_course,
            "site": served_site}


@pytest.fixture(scope="session")
def first_notebook(learner):
    """Lesson 1's notebook, downloaded and run with nothing but Jupyter installed; its result."""
    folder = learner["work"] / "first-notebook"
    folder.mkdir()
    notebook = download(lesson_downloads(learner["site"], LESSONS[0])[f"{LESSONS[0].stem}.ipynb"], folder)
    return subprocess.run([learner["python"], "-c", RUN_NOTEBOOK, notebook, folder], cwd=folder,
                          env=learner["env"], capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="session")
def course_installed(learner, first_notebook):
    """The setup page's course-package command, run with the wheel downloaded from its link."""
    folder = learner["work"]
    wheel_url = page_links(f"{learner['site']}docs/setup.html")
    wheels = [url for name, url in wheel_url.items() if name.endswith(".whl")]
    assert len(wheels) == 1, wheels
    download(wheels[0], folder)
    installed = subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(learner["install_course"])],
                               cwd=folder, env=learner["env"], capture_output=True, text=True, timeout=1200)
    assert installed.returncode == 0, installed.stderr[-3000:]
    return learner


def test_the_first_notebook_installs_the_course_from_the_site_and_makes_the_data(learner, first_notebook):
    assert first_notebook.returncode == 0, (first_notebook.stdout + first_notebook.stderr)[-4000:]
    shown = subprocess.run([learner["python"], "-m", "pip", "show", "--files", "dask-course"],
                           env=learner["env"], capture_output=True, text=True)
    assert shown.returncode == 0, "the notebook did not install the course package"
    assert "tutorial_helpers/bikes.py" in shown.stdout
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
            print(len(names))
        """)],
        env=course_installed["env"], capture_output=True, text=True,
    )
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert int(imported.stdout) >= 4  # __main__, bikes, cores, timing


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.stem for lesson in LESSONS])
def test_page_code_pasted_into_a_script_runs_and_answers_right(course_installed, small_data, lesson, tmp_path):
    url = f"{course_installed['site']}lessons/{lesson.parent.name}/{lesson.stem}.html"
    with urllib.request.urlopen(url, timeout=30) as response:
        code = copied_code(response.read().decode())
    script = tmp_path / f"pasted_{lesson.stem}.py"
    script.write_text("\n\n".join(code))
    env = dict(course_installed["env"], DASK_COURSE_DATA=str(small_data))
    result = subprocess.run(
        [course_installed["python"], "-c", RUN_SCRIPT_AND_CHECK, script, Path(__file__).parent, lesson.stem],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "results check passed" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.stem for lesson in LESSONS])
def test_downloaded_notebook_runs_top_to_bottom(course_installed, small_data, lesson, tmp_path):
    notebook = download(lesson_downloads(course_installed["site"], lesson)[f"{lesson.stem}.ipynb"], tmp_path)
    env = dict(course_installed["env"], DASK_COURSE_DATA=str(small_data))
    result = subprocess.run([course_installed["python"], "-c", RUN_NOTEBOOK, notebook, tmp_path],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
