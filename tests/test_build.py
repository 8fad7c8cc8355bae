"""The strict site build: no warning, no lesson error, graphs and tables on the pages, nothing left.

Builds with the course's real data (the same as `make html`), so that the lesson pages it leaves
in `lessons/` are the ones the site shows.
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from bs4 import BeautifulSoup

from conftest import LESSONS, ROOT

pytestmark = pytest.mark.build


def lesson_page(html_dir: Path, lesson: Path) -> BeautifulSoup:
    page = html_dir / "lessons" / lesson.parent.name / f"{lesson.stem}.html"
    return BeautifulSoup(page.read_text(), "html.parser")


def watch_listeners(root_pid: int, seen: set, stop: threading.Event) -> None:
    """Record every listening address of the build's process tree until told to stop."""
    while not stop.is_set():
        try:
            family = {root_pid} | {p.pid for p in psutil.Process(root_pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            return
        seen |= {(c.laddr.ip, c.laddr.port) for c in psutil.net_connections("inet")
                 if c.status == psutil.CONN_LISTEN and c.pid in family}
        stop.wait(0.2)


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    if "DASK_COURSE_DATA" not in os.environ:
        pytest.fail("DASK_COURSE_DATA is not set: run the tests with `make test`")
    started = time.time()
    build = subprocess.Popen(
        [sys.executable, "-m", "sphinx", "-b", "html", "-nWT", "--keep-going",
         "-d", str(out / "doctrees"), ".", str(out / "html")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"},
    )
    listeners, stop = set(), threading.Event()
    watcher = threading.Thread(target=watch_listeners, args=(build.pid, listeners, stop))
    watcher.start()
    log, _ = build.communicate(timeout=1800)
    stop.set()
    watcher.join()
    return {"html": out / "html", "log": log, "returncode": build.returncode,
            "listeners": listeners, "started": started}


def test_strict_build_succeeds(built_site):
    assert built_site["returncode"] == 0, built_site["log"][-5000:]


def test_at_most_one_cluster_per_build(built_site):
    assert built_site["log"].count("build cluster started") <= 1


def test_every_service_listened_on_loopback_only(built_site):
    assert {ip for ip, _ in built_site["listeners"]} <= {"127.0.0.1"}


def test_no_dask_process_outlives_the_build(built_site):
    leftovers = []
    for process in psutil.process_iter(["cmdline", "create_time"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if process.info["create_time"] >= built_site["started"] and (
            "spawn_main" in cmdline or "distributed" in cmdline
        ):
            leftovers.append(cmdline)
    assert not leftovers


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.stem for lesson in LESSONS])
def test_lesson_page_shows_its_outputs(built_site, lesson):
    page = lesson_page(built_site["html"], lesson)
    text = page.get_text()
    assert "Traceback" not in text
    assert "IPython.core.display" not in text and "graphviz.graphs" not in text
    assert "Where these outputs were computed" in text
    assert "worker processes" in text
    code = "\n".join(line for line in lesson.read_text().splitlines() if not line.lstrip().startswith("#"))
    graphs = page.select('img[src$=".svg"]')
    assert len(graphs) == code.count(".visualize("), "every visualize() shows as an SVG"
    assert all(img["alt"].startswith("Dask graph drawn by") for img in graphs)
    for img in graphs:
        assert (lesson_page_dir(built_site["html"], lesson) / img["src"]).stat().st_size > 1000
    assert len(page.select("table.timing-table")) == code.count("compare(")
    assert page.select(".sd-dropdown, details"), "the exercise solution is collapsed"


def lesson_page_dir(html_dir: Path, lesson: Path) -> Path:
    return html_dir / "lessons" / lesson.parent.name


def test_build_wrote_nothing_into_the_sources(built_site):
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "examples", "docs", "src"],
                            cwd=ROOT, capture_output=True, text=True).stdout
    assert status == "" or all(not line.startswith("??") for line in status.splitlines()), status
