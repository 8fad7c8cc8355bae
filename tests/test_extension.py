"""The course's Sphinx extension on a tiny site: what it adds to a build, in a few seconds.

tests/tiny_site is a course of one small lesson with the extension and sphinx-gallery set up as
the course's conf.py sets them (the way sphinx-gallery tests itself on its "tinybuild"). It is
built strictly, in-process, in a temporary copy; the tests read what the extension added: the
note of where the outputs were computed, the graph that opens full size, the notebook in Markdown
with its solution collapsed and a first cell that installs the course package, the wheel and the
notebooks' zip in the site.
"""

import json
import os
import re
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace, patch_docutils

from conftest import TINY_SITE, copy_tiny_site, lesson_env
from page_checks import page_graphs
from tutorial_helpers.sphinxext import stamps

LESSON = "lessons/01_topic/plot_01_tiny"


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory, small_data):
    """The tiny site built once: its source copy (the build writes the gallery into it) and HTML."""
    src = copy_tiny_site(tmp_path_factory.mktemp("tiny-site") / "src")
    out = src / "_build"
    with pytest.MonkeyPatch.context() as patch:
        # The extension makes the course data before lessons run: the session's small copy.
        patch.setenv("DASK_COURSE_DATA", str(small_data))
        patch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
        patch.delenv("DASK_COURSE_SITE_URL", raising=False)
        patch.chdir(src)
        # As sphinx-build does: docutils' global registry (nodes, directives, roles) restored after,
        # or the next in-process build in this session warns that they are registered already.
        with patch_docutils(src), docutils_namespace(), open(os.devnull, "w") as quiet:
            app = Sphinx(src, src, out / "html", out / "doctrees", "html", status=quiet, warning=quiet,
                         warningiserror=True)
            app.build()
    assert app.statuscode == 0
    return {"src": src, "html": out / "html"}


def page(tiny_site, docname: str) -> BeautifulSoup:
    return BeautifulSoup((tiny_site["html"] / f"{docname}.html").read_text(), "html.parser")


def test_the_lesson_page_says_where_its_outputs_were_computed(tiny_site):
    assert stamps.recorded(tiny_site["src"] / "lessons")["plot_01_tiny.py"]["computed_on"] == ["threads"]
    text = page(tiny_site, LESSON).get_text(" ")
    assert "Where these outputs were computed" in text
    assert re.search(r"Computed on Dask.s local .threads. scheduler\. Machine: \d+ cores", text)


def test_the_home_page_states_the_sites_build(tiny_site):
    assert "This site was computed with Python" in page(tiny_site, "index").get_text(" ")


def test_the_lessons_graph_is_an_svg_that_opens_full_size(tiny_site):
    graphs = page_graphs(tiny_site["html"] / f"{LESSON}.html")
    assert len(graphs) == 1
    assert graphs[0].opens_full_size and graphs[0].alt == "Dask graph drawn by x.visualize()"
    sources = {path.name for path in (TINY_SITE / "examples" / "01_topic").iterdir()} - {"__pycache__"}
    after = {path.name for path in (tiny_site["src"] / "examples" / "01_topic").iterdir()}
    assert after == sources, "visualize() wrote into the lesson's source folder"


def test_the_notebook_is_markdown_with_the_solution_collapsed_and_installs_the_course(tiny_site):
    (notebook_path,) = (tiny_site["html"] / "_downloads").glob("*/plot_01_tiny.ipynb")
    notebook = json.loads(notebook_path.read_text())
    markdown = "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    assert markdown.count("<summary>Solution</summary>") == 1
    assert ".. dropdown::" not in markdown and ".. code-block::" not in markdown
    first = "".join(next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")["source"])
    assert "https://example.org/tiny-course/dask_course-" in first, first


def test_the_site_holds_the_course_wheel_and_the_notebooks_zip(tiny_site):
    assert len(list(tiny_site["html"].glob("dask_course-*.whl"))) == 1
    assert (tiny_site["html"] / "lessons_jupyter.zip").is_file()


@pytest.mark.slow
def test_a_build_that_runs_no_lesson_makes_no_page_outdated(tmp_path, small_data):
    """sphinx-gallery rewrites every lesson's notebook in a build that runs no lesson
    (``plot_gallery=0``); the extension's conversion of them must leave every page up to date."""
    src = copy_tiny_site(tmp_path / "src")
    env = lesson_env(small_data)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-D", "plot_gallery=0", "-nWT", "--keep-going",
               "-d", str(src / "_build" / "doctrees"), str(src), str(src / "_build" / "html")]
    builds = [subprocess.run(command, cwd=src, env=env, capture_output=True, text=True, timeout=300) for _ in range(2)]
    for build in builds:
        assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    assert "0 added, 0 changed, 0 removed" in builds[1].stdout
