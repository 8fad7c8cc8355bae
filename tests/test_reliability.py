"""The build fails loudly and cleanly: lesson errors, warnings, Ctrl-C, bad input, two builds at once.

Each test builds a throwaway copy of the tiny site (tests/tiny_site: the course's extension and
sphinx-gallery set up as conf.py sets them) with one small test lesson of its own
(`examples/99_check/plot_99_*.py`), the only one that runs.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import copy_tiny_site, lesson_env, session_processes

pytestmark = pytest.mark.build


def left_running(session: int) -> list[str]:
    """The command lines of what a build started (in its own process session) that still runs."""
    return [" ".join(process.info["cmdline"] or []) for process in session_processes(session)]


def mini_site(tmp_path: Path, lesson: str, name: str = "plot_99_check.py") -> Path:
    site = copy_tiny_site(tmp_path / "site")
    topic = site / "examples" / "99_check"
    topic.mkdir(parents=True)
    (topic / "GALLERY_HEADER.rst").write_text(".. _check-lessons:\n\n99. Checks\n==========\n\nBuild checks.\n")
    (topic / name).write_text(textwrap.dedent(lesson))
    return site


def sphinx_command(site: Path) -> list[str]:
    return [sys.executable, "-m", "sphinx", "-b", "html", "-nW", "--keep-going",
            "-D", "sphinx_gallery_conf.filename_pattern=plot_99_",
            "-d", str(site / "_build" / "doctrees"), str(site), str(site / "_build" / "html")]


def build(site: Path, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    """The build, in a process session of its own (``result.session``: see `left_running`)."""
    process = subprocess.Popen(sphinx_command(site), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:  # the timeout, or Ctrl-C (its own session gets none from the terminal)
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    result.session = process.pid
    return result


@pytest.fixture
def env(small_data):
    return lesson_env(small_data)


GOOD_LESSON = '''\
"""
A check lesson
==============

Computes one sum with Dask.

**Estimated time:** 5 minutes.
"""

# %%
# Sum
# ---
import dask.array as da

total = da.ones(1000, chunks=100).sum().compute()
print(total)
'''


def test_a_failing_lesson_fails_the_build_naming_file_and_line(tmp_path, env):
    lesson = GOOD_LESSON + "\n# %%\n# Oops\n# ----\nresult = 1 / 0\n"
    error_line = lesson.splitlines().index("result = 1 / 0") + 1
    site = mini_site(tmp_path, lesson)
    result = build(site, env)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "plot_99_check.py" in output and f"line {error_line}" in output
    assert "ZeroDivisionError" in output
    assert not (site / "_build" / "html" / "lessons" / "99_check" / "plot_99_check.html").exists()
    time.sleep(1)
    assert left_running(result.session) == []


def test_a_warning_fails_the_build_and_names_the_lesson(tmp_path, env):
    lesson = GOOD_LESSON.replace("Computes one sum", "Computes one sum, see :ref:`no-such-label`")
    result = build(mini_site(tmp_path, lesson), env)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "plot_99_check" in output and "no-such-label" in output


CLUSTER_LESSON = GOOD_LESSON.replace(
    "import dask.array as da\n",
    "import dask.array as da\n"
    "from dask.distributed import Client, LocalCluster\n\n"
    "if __name__ == \"__main__\":\n"
    "    cluster = LocalCluster(n_workers=1, threads_per_worker=1, host=\"127.0.0.1\",\n"
    "                           dashboard_address=\"127.0.0.1:0\")\n"
    "    client = Client(cluster)\n",
)


def test_ctrl_c_closes_the_lesson_cluster(tmp_path, env):
    lesson = CLUSTER_LESSON + "\n# %%\n# Wait\n# ----\nimport time\n\ntime.sleep(120)\n"
    site = mini_site(tmp_path, lesson)
    # Like a terminal: SIGINT handled by default (a background job would ignore it, and so would
    # everything started from it), and Ctrl-C goes to the build's whole process group.
    build_process = subprocess.Popen(
        sphinx_command(site), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.time() + 120
        while not any("spawn_main" in c for c in left_running(build_process.pid)):
            assert time.time() < deadline and build_process.poll() is None, "the lesson's cluster never started"
            time.sleep(0.2)
        time.sleep(2)  # let the lesson reach its sleep
        os.killpg(build_process.pid, signal.SIGINT)
        output, _ = build_process.communicate(timeout=60)
    finally:
        if build_process.poll() is None:
            os.killpg(build_process.pid, signal.SIGKILL)
            build_process.communicate()
    assert "Interrupted" in output
    assert build_process.returncode != 0
    deadline = time.time() + 30
    while left_running(build_process.pid) and time.time() < deadline:
        time.sleep(0.5)
    assert left_running(build_process.pid) == []


@pytest.mark.parametrize(
    "setting, expected",
    [
        # Missing data is made on first use; data that is there but broken stops the build.
        ({"DASK_COURSE_DATA": "{tmp}/corrupt-data"}, "unreadable manifest.json"),
    ],
    ids=["corrupt-data"],
)
def test_bad_input_stops_the_build_with_one_line(tmp_path, env, setting, expected):
    (tmp_path / "corrupt-data").mkdir()
    (tmp_path / "corrupt-data" / "manifest.json").write_text("{not json")
    setting = {name: value.format(tmp=tmp_path) for name, value in setting.items()}
    site = mini_site(tmp_path, GOOD_LESSON)
    started = time.monotonic()
    result = build(site, {**env, **setting}, timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and expected in error_lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert elapsed < 15  # Sphinx's own start-up is most of it


def test_two_builds_at_once_both_succeed(tmp_path, env):
    sites = [mini_site(tmp_path / name, GOOD_LESSON) for name in ("one", "two")]
    builds = [subprocess.Popen(sphinx_command(site), env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True) for site in sites]
    outputs = [b.communicate(timeout=600)[0] for b in builds]
    for build_process, output in zip(builds, outputs):
        assert build_process.returncode == 0, output[-3000:]
    for site in sites:
        page = site / "_build" / "html" / "lessons" / "99_check" / "plot_99_check.html"
        assert "1000" in page.read_text()
