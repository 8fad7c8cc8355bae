"""The strict site build: no warning, no lesson error, graphs and tables on the pages, nothing left.

Every lesson runs on the small test data (tests/conftest.py: ``built_site``); what a lesson's
results depend on is asserted by its results check, after its notebook runs (test_learner_env.py).
"""

import os
import re
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import LESSONS, git_of_the_repository, lesson_page_name, session_processes

pytestmark = pytest.mark.build


def lesson_page(html_dir: Path, lesson: Path) -> BeautifulSoup:
    return BeautifulSoup((html_dir / lesson_page_name(lesson)).read_text(), "html.parser")


def test_strict_build_succeeds(built_site):
    assert built_site["returncode"] == 0, built_site["log"][-5000:]


def test_every_service_listened_on_loopback_only(built_site):
    assert {ip for ip, _ in built_site["listeners"]} <= {"127.0.0.1"}


def test_no_dask_process_outlives_the_build(built_site):
    """Nothing the build started is still running: its workers and services (found by the build's
    process session, not by a scan for any Dask process on a machine others share)."""
    leftovers = [" ".join(process.info["cmdline"] or []) for process in session_processes(built_site["session"])]
    assert not leftovers


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.stem for lesson in LESSONS])
def test_lesson_page_shows_its_outputs(built_site, lesson):
    page = lesson_page(built_site["html"], lesson)
    text = page.get_text()
    assert not page.select(".highlight-pytb"), "a lesson rendered an uncaught traceback"
    assert "IPython.core.display" not in text and "graphviz.graphs" not in text
    assert "Where these outputs were computed" in text
    assert re.search(r"(Computed on .+|No Dask computation ran here)\. Machine: \d+ cores", text), "where it computed"
    assert re.search(r"With Python 3\.\d+\.\d+, dask \S+, distributed \S+, pandas \S+, numpy \S+.*"
                     r"; built on \d{4}-\d\d-\d\d from commit \w+", text), "the page's version stamp"
    code = "\n".join(line for line in lesson.read_text().splitlines() if not line.lstrip().startswith("#"))
    # Graphs drawn by the lesson's code; not the thumbnails of its "Related lessons" cards.
    graphs = [img for img in page.select('img[src$=".svg"]') if not img.find_parent(class_="sphx-glr-thumbcontainer")]
    assert len(graphs) == code.count(".visualize("), "every visualize() shows as an SVG"
    assert all(img["alt"].startswith("Dask graph drawn by") for img in graphs)
    for img in graphs:
        assert (lesson_page_dir(built_site["html"], lesson) / img["src"]).stat().st_size > 1000
    if "compare(" in code:  # measured: an HTML timing table, or one printed as text (08_schedulers)
        assert page.select("table.timing-table") or re.search(r"median\s+min – max", text), "a timing table"
    solutions = [d for d in page.select("details.sd-dropdown")
                 if d.select_one("summary") and d.select_one("summary").get_text().strip().startswith("Solution")]
    # Every solution the lesson writes is on the page, and none is open (instructor notes are not counted).
    assert len(solutions) == lesson.read_text().count(".. dropdown:: Solution") >= 1
    assert not any(d.has_attr("open") for d in solutions), "the exercise solution is collapsed"
    related = next(r for r in page.select(".rubric") if r.get_text().strip() == "Related lessons")
    assert len(related.find_next("div").select("a[href$='.html']")) == 3, "three related lessons"


def test_home_page_states_the_sites_build(built_site):
    home = BeautifulSoup((built_site["html"] / "docs" / "index.html").read_text(), "html.parser").get_text()
    assert re.search(r"This site was computed with Python \S+, dask \S+, distributed \S+, pandas \S+, numpy \S+; "
                     r"built on \d{4}-\d\d-\d\d from commit \w+", home)


def lesson_page_dir(html_dir: Path, lesson: Path) -> Path:
    return (html_dir / lesson_page_name(lesson)).parent


def test_build_wrote_nothing_into_the_sources(built_site):
    """The build's copy of the tree has no file in examples/, docs/ or src/ that git does not ignore
    and the repository does not track (its generated pages go to lessons/)."""
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "examples", "docs", "src"],
                            cwd=built_site["source"], capture_output=True, text=True, check=True,
                            env=dict(os.environ, **git_of_the_repository(built_site["source"]))).stdout
    assert status == "" or all(not line.startswith("??") for line in status.splitlines()), status


def test_lessons_by_function_lists_lessons_under_every_function(built_site):
    page = BeautifulSoup((built_site["html"] / "docs" / "api.html").read_text(), "html.parser")
    headings = page.select("article h3")
    assert len(headings) >= 10
    for heading in headings:
        cards = heading.find_parent("section").select(".sphx-glr-thumbcontainer a[href$='.html']")
        assert cards, f"no lesson listed under {heading.get_text().strip()}"
