"""Shared fixtures: a small course data set, the lessons' exercise solutions, the built and served site."""

import functools
import http.server
import os
import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest
from bs4 import BeautifulSoup

from tutorial_helpers import bikes

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "examples").glob("*/plot_*.py"))
SMALL_SCALE = 0.02  # about 20,000 trips: every code path, in seconds

# The code blocks inside a lesson's ".. dropdown:: Solution" comment text.
_SOLUTION = re.compile(r"^# \.\. dropdown:: Solution\n#\n#    \.\. code-block:: python\n#\n((?:#       .*\n|#\n)+)", re.M)


@pytest.fixture(scope="session")
def small_data(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("bluebikes")
    bikes.generate(data_dir, scale=SMALL_SCALE)
    return data_dir


def copied_code(page_html: str, selector: str = "div.highlight-Python pre, div.highlight-python pre") -> list[str]:
    """The code blocks a learner copies from a lesson page, in page order.

    sphinx-gallery renders the lesson's code cells as "Python" blocks; snippets in the text (the
    exercise solutions among them) are reST "python" blocks. Snippets for other machines (TLS,
    MPI, job schedulers) sit in a "not-run-here" container and are left out.
    """
    page = BeautifulSoup(page_html, "html.parser")
    article = page.select_one("article") or page
    blocks = [pre for pre in article.select(selector) if not pre.find_parent(class_="not-run-here")]
    return [pre.get_text() for pre in blocks]


def lesson_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, DASK_COURSE_DATA=str(data_dir), MPLBACKEND="Agg")
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    return env


def solutions(lesson: Path) -> list[str]:
    """The exercise solutions of a lesson, as code."""
    blocks = _SOLUTION.findall(lesson.read_text())
    return [textwrap.dedent(re.sub(r"^#(?: {7}|$)", "", b, flags=re.M)) for b in blocks]


def _watch_listeners(root_pid: int, seen: set, stop: threading.Event) -> None:
    """Record every listening address of the build's process tree until told to stop."""
    while not stop.is_set():
        try:
            family = {root_pid} | {p.pid for p in psutil.Process(root_pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            return
        seen |= {(c.laddr.ip, c.laddr.port) for c in psutil.net_connections("inet")
                 if c.status == psutil.CONN_LISTEN and c.pid in family}
        stop.wait(0.2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The whole site, built strictly once per test session with the course's real data.

    Built for publication at ``http://127.0.0.1:<port>/`` (its notebooks install the course
    package from there); `served_site` serves it at that address.
    """
    out = tmp_path_factory.mktemp("site")
    port = free_port()
    started = time.time()
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    env["DASK_COURSE_SITE_URL"] = f"http://127.0.0.1:{port}/"
    build = subprocess.Popen(
        [sys.executable, "-m", "sphinx", "-b", "html", "-nWT", "--keep-going",
         "-d", str(out / "doctrees"), ".", str(out / "html")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    listeners, stop = set(), threading.Event()
    watcher = threading.Thread(target=_watch_listeners, args=(build.pid, listeners, stop))
    watcher.start()
    log, _ = build.communicate(timeout=3000)
    stop.set()
    watcher.join()
    return {"html": out / "html", "log": log, "returncode": build.returncode,
            "listeners": listeners, "started": started, "url": env["DASK_COURSE_SITE_URL"]}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def served_site(built_site):
    """The built site over HTTP on 127.0.0.1, at the address it was built for; its base URL."""
    if built_site["returncode"] != 0:
        pytest.fail("the site did not build: see test_build.py::test_strict_build_succeeds")
    port = int(built_site["url"].rsplit(":", 1)[1].strip("/"))
    handler = functools.partial(_QuietHandler, directory=str(built_site["html"]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield built_site["url"]
    httpd.shutdown()
    httpd.server_close()
    thread.join()
