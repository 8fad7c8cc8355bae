"""Shared fixtures: a small course data set, the lessons' exercise solutions, the built and served site."""

import contextlib
import ctypes
import functools
import gc
import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
from bs4 import BeautifulSoup

from tutorial_helpers import bikes

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "examples").glob("*/plot_*.py"))
SMALL_SCALE = 0.02  # about 20,000 trips: every code path, in seconds
SESSION_FOLDER = pytest.StashKey[Path]()
SITE_BUILD = pytest.StashKey["SiteBuild"]()
LEARNER = pytest.StashKey["LearnerEnvironment"]()
LEARNER_RUNS = pytest.StashKey["LearnerRuns"]()
LEARNER_WANTED = pytest.StashKey[bool]()

# The code blocks inside a lesson's ".. dropdown:: Solution" comment text.


@pytest.fixture(scope="module", autouse=True)
def _earlier_objects_frozen():
    """Each test module starts with what is alive frozen out of the cyclic garbage collector's sight
    (``gc.freeze``): the session's imports (Dask, pandas, Sphinx, every results check) and what
    earlier modules keep. ``tutorial_helpers.timing`` runs a full ``gc.collect()`` after every
    timed run; it then scans what this module's tests made, not ~200,000 objects each time (0.2-1 s
    a time, measured). Memory is still freed by reference counting; only cycles among the frozen
    objects wait."""
    gc.collect()
    gc.freeze()


def _session_folder(config) -> Path:
    """A folder for this test session's site build and small data, removed when the session ends
    (`pytest_unconfigure`): the build starts before pytest's tmp_path fixtures exist."""
    if SESSION_FOLDER not in config.stash:
        config.stash[SESSION_FOLDER] = Path(tempfile.mkdtemp(prefix="dask-course-tests-"))
    return config.stash[SESSION_FOLDER]


def _small_data(config) -> Path:
    data_dir = _session_folder(config) / "bluebikes"
    if not data_dir.is_dir():
        bikes.generate(data_dir, scale=SMALL_SCALE)
    return data_dir


@pytest.fixture(scope="session")
def small_data(request):
    return _small_data(request.config)


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


def session_processes(session: int) -> list[psutil.Process]:
    """The live processes of one process session: a command started with ``start_new_session=True``
    (session id = its pid) and everything it started, wherever those were reparented; not the
    Dask processes of anyone else on the machine."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if os.getsid(process.pid) == session and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (OSError, psutil.Error):  # gone meanwhile
            continue
    return found


def _stop_with_pytest() -> None:
    """In a background command's process, before it starts: on Linux, be sent SIGTERM when the
    pytest that started it dies, even by SIGKILL (no hook runs then), so that a killed test run
    leaves no site build running. Its Dask workers and loky processes exit with their parent."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def copy_tracked_tree(destination: Path) -> list[str]:
    """Copy the repository's tracked files, as the working tree has them (uncommitted edits
    included), to ``destination``; return their names."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    names = [name for name in tracked.decode().split("\0") if name and (ROOT / name).is_file()]
    for name in names:
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination / name)
    return names


TINY_SITE = ROOT / "tests" / "tiny_site"


def copy_tiny_site(destination: Path) -> Path:
    """A copy of tests/tiny_site: the course's extension and sphinx-gallery on one small lesson."""
    shutil.copytree(TINY_SITE, destination, ignore=shutil.ignore_patterns("__pycache__", "_build", "lessons"))
    return destination


def git_of_the_repository(tree: Path) -> dict[str, str]:
    """Environment that makes ``git`` in a copy of the tree read the repository's history: the
    copy's pages name the commit they were built from, and its changes show as local changes."""
    return {"GIT_DIR": str(ROOT / ".git"), "GIT_WORK_TREE": str(tree)}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class SiteBuild:
    """The strict build of the whole site, in a copy of the tree, every lesson on the small test data.

    Started as soon as the tests are collected (`pytest_collection_modifyitems`), so that the tests
    that need no site run while it builds; the tests that need it run last and wait for it
    (`built_site`). Built for publication at ``http://127.0.0.1:<port>/`` (its notebooks install the
    course package from there), the address its HTTP server holds from the start (`served_site`).
    """

    def __init__(self, folder: Path, data_dir: Path):
        self.source, self.out = folder / "tree", folder / "out"
        self.out.mkdir(parents=True)
        copy_tracked_tree(self.source)
        handler = functools.partial(_QuietHandler, directory=str(self.out / "html"))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.started = time.time()
        env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
        env.update(git_of_the_repository(self.source), DASK_COURSE_SITE_URL=self.url, DASK_COURSE_DATA=str(data_dir),
                   NO_COLOR="1")  # Sphinx colours its output where CI=true: a failing test shows this log
        self.log = open(self.out / "build.log", "w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sphinx", "-b", "html", "-nWT", "--keep-going",
             "-d", str(self.out / "doctrees"), ".", str(self.out / "html")],
            cwd=self.source, stdout=self.log, stderr=subprocess.STDOUT, text=True, env=env,
            start_new_session=True,  # what it leaves running is found by its session: `session_processes`
            preexec_fn=_stop_with_pytest,
        )
        self.listeners, self._stop = set(), threading.Event()
        self._watcher = threading.Thread(target=_watch_listeners, args=(self.process.pid, self.listeners, self._stop))
        self._watcher.start()
        self._serving = None

    def wait(self) -> dict:
        try:
            self.process.wait(timeout=3000)
        finally:
            self._stop.set()
            self._watcher.join()
        self.log.seek(0)
        return {"html": self.out / "html", "source": self.source, "log": self.log.read(),
                "returncode": self.process.returncode, "session": self.process.pid,
                "listeners": self.listeners, "started": self.started, "url": self.url}

    def serve(self) -> str:
        if self._serving is None:
            self._serving = threading.Thread(target=self.httpd.serve_forever, daemon=True)
            self._serving.start()
        return self.url

    def stop(self) -> None:
        if self.process.poll() is None:  # Ctrl-C, the timeout or an early stop: its own session gets no SIGINT
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait()
        self._stop.set()
        if self._serving is not None:
            self.httpd.shutdown()
        self.httpd.server_close()
        self.log.close()


def _needs_the_site(item) -> bool:
    return "built_site" in getattr(item, "fixturenames", ())


def _waits_for_learner_runs(item) -> int:
    """2 for a test that reads what the learner's notebooks did (it only waits for them), 1 for one
    that runs its own code in the learner's environment, 0 for the rest."""
    names = set(getattr(item, "fixturenames", ()))
    return 2 if names & {"learner_runs", "first_notebook"} else 1 if "course_installed" in names else 0


# How much less the tests beside the strict build weigh with the kernel's scheduler than the build:
# it is the longest chain of `make test` (the site's tests wait for it), and it runs one lesson at a
# time, so the other tests fill what it leaves of the cores instead of slowing it down.
NICENESS_BESIDE_THE_BUILD = 5


@pytest.hookimpl(trylast=True)  # after `-m` and `-k` deselected what will not run
def pytest_collection_modifyitems(session, config, items):
    """Tests that need the site run after the others (the batch systems' last); the site starts
    building now, and the learner's environment is made, while the others run. Of the site's tests,
    those that only read the learner's notebook runs come last, so that the others run beside them."""
    needing = sorted((item for item in items if _needs_the_site(item)), key=_waits_for_learner_runs)
    if not needing or config.option.collectonly:
        return
    # The jobs on the batch systems run after everything else, on a machine no build or notebook
    # keeps busy: their logs must stay clean, and under that load a worker's heartbeat failed once
    # (CommClosedError, fresh clone, load average 4-5).
    batch = [item for item in items if item.get_closest_marker("batch") and not _needs_the_site(item)]
    items[:] = [item for item in items if not _needs_the_site(item) and item not in batch] + needing + batch
    config.stash[SITE_BUILD] = SiteBuild(_session_folder(config), _small_data(config))
    os.nice(NICENESS_BESIDE_THE_BUILD)  # this process and what it starts from now on; not the build
    if any("learner" in item.fixturenames for item in needing):
        config.stash[LEARNER] = LearnerEnvironment(_session_folder(config))
        config.stash[LEARNER_WANTED] = True


# sphinx-gallery's "computation time summary" of a build log: one line a lesson that ran.
_LESSON_TIME = re.compile(r"^\s+- (\S+\.py):\s+([0-9.]+) sec", re.M)
SLOWEST_LESSONS_SHOWN = 10


def lesson_seconds(build_log: str) -> dict[str, float]:
    """How long each lesson ran in a build, from its log, by the lesson's path."""
    return {name: float(time) for name, time in _LESSON_TIME.findall(build_log)}


def pytest_terminal_summary(terminalreporter, config):
    """After the slowest tests, the slowest lessons of the strict build: where its time went."""
    build = config.stash.get(SITE_BUILD, None)
    if build is None or build.process.poll() is None:
        return
    build.log.seek(0)
    log = build.log.read()
    seconds = lesson_seconds(log)
    if not seconds:
        terminalreporter.write_line(f"No lesson times in the strict build's log ({len(log):,} characters; sphinx-gallery's "
                                    f"summary {'found' if 'computation time summary' in log else 'missing'}).")
        return
    terminalreporter.write_sep("=", f"the strict build's {min(len(seconds), SLOWEST_LESSONS_SHOWN)} slowest lessons")
    for name, time in sorted(seconds.items(), key=lambda item: -item[1])[:SLOWEST_LESSONS_SHOWN]:
        terminalreporter.write_line(f"{time:8.1f}s {name}")
    terminalreporter.write_line(f"{sum(seconds.values()):8.1f}s in all, {len(seconds)} lessons run")


def pytest_unconfigure(config):
    for started in (LEARNER_RUNS, SITE_BUILD, LEARNER):
        if started in config.stash:
            config.stash[started].stop()
    if SESSION_FOLDER in config.stash:
        shutil.rmtree(config.stash[SESSION_FOLDER], ignore_errors=True)


@pytest.fixture(scope="session")
def built_site(request):
    """The strict build of the whole site (`SiteBuild`), once it has finished."""
    if SITE_BUILD not in request.config.stash:  # collected without the hook's ordering (e.g. a plugin's)
        request.config.stash[SITE_BUILD] = SiteBuild(_session_folder(request.config), _small_data(request.config))
    return request.config.stash[SITE_BUILD].wait()


@pytest.fixture(scope="session")
def served_site(request, built_site):
    """The built site over HTTP on 127.0.0.1, at the address it was built for; its base URL."""
    if built_site["returncode"] != 0:
        pytest.fail("the site did not build: see test_build.py::test_strict_build_succeeds")
    return request.config.stash[SITE_BUILD].serve()


# -- the learner's environment -------------------------------------------------------------------
# A new virtual environment made by the Setting up page's own commands, outside the repository,
# with a fresh HOME and none of the build's packages (tests/test_learner_env.py says what runs there).

SETUP_PAGE = ROOT / "docs" / "setup.md"
PIP_SECTION = "## With pip and a virtual environment"
# Where pip keeps what it downloaded: the learner's fresh HOME must not make every run fetch it all again.
PIP_CACHE = Path(os.environ.get("PIP_CACHE_DIR") or Path.home() / ".cache" / "pip")

RUN_NOTEBOOK = """
import sys
import nbformat
from nbclient import NotebookClient

notebook = nbformat.read(sys.argv[1], as_version=4)
try:
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": sys.argv[2]}}).execute()
finally:
    nbformat.write(notebook, sys.argv[1])  # with its outputs, for the test to read
"""

_FENCED_PYTHON = re.compile(r"^```python\n(.*?)\n```", re.S | re.M)


def notebook_as_a_learner_runs_it(notebook: Path, page_html: str, stem: str) -> Path:
    """The downloaded notebook with what a learner also runs from the page, rewritten in place.

    A learner runs the notebook's cells, and the code that the page shows in its text: snippets and
    exercise solutions (not the blocks for other machines). Each goes in as a code cell after the
    Markdown cell that shows it, so every snippet is proven to be in the notebook as well. Around
    the lesson, the scheduler log (`tutorial_helpers.schedulers`: the course package is installed
    by the notebook's first cell); at the end, the lesson's results check (tests/checks_*.py)."""
    import nbformat

    snippets = [code.strip() for code in copied_code(page_html, "div.highlight-python pre")]
    book = nbformat.read(notebook, as_version=4)

    def code_cell(source: str):
        cell = nbformat.v4.new_code_cell(source)
        if book.nbformat_minor < 5:  # sphinx-gallery writes nbformat 4.0, whose cells have no ids
            del cell["id"]
        return cell

    first, *rest = book.cells
    cells = [first, code_cell("from tutorial_helpers import schedulers\n\nschedulers.start_log()")]
    waiting = list(snippets)
    for cell in rest:
        cells.append(cell)
        if cell.cell_type != "markdown":
            continue
        for code in _FENCED_PYTHON.findall(cell.source):
            if waiting and code.strip() == waiting[0]:
                cells.append(code_cell(waiting.pop(0)))
    assert not waiting, f"{notebook.name} does not show this snippet of its page: {waiting[0][:200]!r}"
    tests = Path(__file__).parent
    cells.append(code_cell(textwrap.dedent(f"""\
        import json, sys
        schedulers.stop_log()
        print("computed on:", json.dumps(schedulers.computed_on()))
        sys.path.insert(0, {str(tests)!r})
        from results_checks import checks_attr
        from tutorial_helpers import bikes
        checks_attr("CHECKS")[{stem!r}](globals(), bikes.trip_files())
        print("results check passed")
    """)))
    book.cells = cells
    nbformat.validate(book)  # raises, where writing would only log it
    nbformat.write(book, notebook)
    return notebook


# distributed logs connections that close while a cluster shuts down, with their tracebacks: upstream
# noise at exit, seen about once per full `make test`. Any other traceback still fails a test.
# - "Batched Comm Closed" at INFO, once `LocalCluster.close()` has restored the log levels that
#   `silence_logs` lowered (dask/distributed#7192);
# - a worker's heartbeat that met the scheduler closing, at ERROR (dask/distributed#7105; seen under
#   load, three runs at once): noise only as the last thing written.
_BATCHED_COMM_CLOSED = re.compile(
    r"^\S+ \S+ - distributed\.batched - INFO - Batched Comm Closed[^\n]*\n"
    r"Traceback \(most recent call last\):\n(?:[ ].*\n)+?distributed\.comm\.core\.CommClosedError\n?",
    re.M,
)
_HEARTBEAT_AT_EXIT = re.compile(
    r"^\S+ \S+ - distributed\.worker - ERROR - Failed to communicate with scheduler during heartbeat\.\n"
    r"(?:(?:[ ].*|Traceback \(most recent call last\):|tornado\.iostream\.StreamClosedError: Stream is closed|"
    r"The above exception was the direct cause of the following exception:|)\n)+?"
    r"distributed\.comm\.core\.CommClosedError: in <TCP \(closed\) ConnectionPool\.heartbeat_worker [^\n]*\n?\Z",
    re.M,
)


def without_shutdown_noise(stderr: str) -> str:
    """What a run wrote to its standard error, without distributed's noise at shutdown."""
    return _HEARTBEAT_AT_EXIT.sub("", _BATCHED_COMM_CLOSED.sub("", stderr))


def notebook_outputs(notebook: Path, name: str) -> str:
    """The text a run notebook's cells wrote to one stream ("stdout" or "stderr"), in order."""
    import nbformat

    book = nbformat.read(notebook, as_version=4)
    return "".join(output.get("text", "") for cell in book.cells if cell.cell_type == "code"
                   for output in cell.get("outputs", []) if output.get("name") == name)


def shell_commands(block: str) -> list[str]:
    """The commands of a shell block: continued lines joined, comments and blank lines left out."""
    joined = block.replace("\\\n", " ")
    lines = [re.sub(r"\s+#\s.*$", "", line).strip() for line in joined.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def setup_commands(section: str) -> list[list[str]]:
    """The shell commands of each ``bash`` block in one section of the Setting up page."""
    text = SETUP_PAGE.read_text()
    body = text.split(section + "\n", 1)[1].split("\n## ", 1)[0]
    return [shell_commands(block) for block in re.findall(r"```bash\n(.*?)```", body, flags=re.S)]


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


def lesson_page_name(lesson: Path) -> str:
    """A lesson's page in the built site, relative to its root: ``lessons/<topic>/<stem>.html``."""
    return f"lessons/{lesson.parent.name}/{lesson.stem}.html"


def lesson_page_url(site_url: str, lesson: Path) -> str:
    """Where a lesson's page is in the site served at ``site_url``."""
    return f"{site_url}{lesson_page_name(lesson)}"


def lesson_downloads(site_url: str, lesson: Path) -> dict[str, str]:
    return page_links(lesson_page_url(site_url, lesson))


def lesson_page_html(site_url: str, lesson: Path) -> str:
    """The lesson's page as a learner's browser gets it."""
    with urllib.request.urlopen(lesson_page_url(site_url, lesson), timeout=30) as response:
        return response.read().decode()


class LearnerEnvironment:
    """A learner's machine: HOME, a working folder, and the environment the setup page's pip route
    makes there, made in the background from the moment the tests are collected (it needs no site)."""

    def __init__(self, folder: Path):
        self.home, self.work, tmp = folder / "learner-home", folder / "learner-work", folder / "learner-tmp"
        for made in (self.home, self.work, tmp):
            made.mkdir()
        self.env = {
            "HOME": str(self.home), "PATH": os.environ["PATH"], "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
            # A temporary folder of its own, removed with the session's: `ipykernel install` (the
            # setup page's) leaves the empty folder it staged the kernel spec in (ipykernel 7.4).
            "TMPDIR": str(tmp),
            "PIP_CACHE_DIR": str(PIP_CACHE),
            # This workplace's pip settings (an extra index, a constraints file) hold for learners too.
            **{k: v for k, v in os.environ.items() if k.startswith("PIP_")},
        }
        make_env, self.install_course = setup_commands(PIP_SECTION)[:2]
        self.log, self._made = open(folder / "learner-env.log", "w+"), None
        self.process = subprocess.Popen(["bash", "-euo", "pipefail", "-c", "\n".join(make_env)], cwd=self.work,
                                        env=self.env, stdout=self.log, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True, preexec_fn=_stop_with_pytest)

    def wait(self) -> dict:
        """The environment, once made and checked; the same answer every time after that (the
        course package is then installed into it by what runs there)."""
        if self._made is None:
            self.process.wait(timeout=1200)
            self.log.seek(0)
            assert self.process.returncode == 0, self.log.read()[-3000:]
            python = self.work / "dask-course" / "bin" / "python"
            has_course = subprocess.run([python, "-c", "import tutorial_helpers"], env=self.env, capture_output=True)
            assert has_course.returncode != 0, "the environment has the course package before anything installed it"
            env = dict(self.env, PATH=f"{python.parent}{os.pathsep}{self.env['PATH']}")  # as `source .../activate` does
            self._made = {"home": self.home, "work": self.work, "env": env, "python": python,
                          "install_course": self.install_course}
        return self._made

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="session")
def learner(request, served_site):
    """A learner's machine (`LearnerEnvironment`), with the built site served for it to download from."""
    if LEARNER not in request.config.stash:
        request.config.stash[LEARNER] = LearnerEnvironment(_session_folder(request.config))
    return {**request.config.stash[LEARNER].wait(), "site": served_site}


# Lessons whose promise holds only at the course's size, asserted by their results checks there:
# 19.1's columns take twice its memory budget. Their notebooks run on the course data `make test` makes.
FULL_SIZE = {"plot_01_bigger_than_memory"}
# Notebooks run this many at a time: one lesson's run keeps about one of the 2 cores busy (measured:
# the machine 50 % busy while they ran one at a time with nothing beside them).
NOTEBOOKS_AT_ONCE = 2


class LearnerRuns:
    """What runs in the learner's environment, in the background from the first test that needs the
    built site (`pytest_runtest_setup`), while the other tests of the site run:

    1. lesson 1's downloaded notebook, with nothing but Jupyter installed: its first cell installs
       the course package from the site, and the lesson makes the course data on first use;
    2. the setup page's course-package command, with the wheel downloaded from the page's link;
    3. every other lesson's notebook on the small data (the course's for FULL_SIZE),
       NOTEBOOKS_AT_ONCE at a time, the longest first (FULL_SIZE, then by the time the lesson took
       in the strict build), so that no long one is left to run alone at the end.

    Each notebook runs as `notebook_as_a_learner_runs_it` makes it; each step is a future that the
    tests read (``first``, ``installed``, ``lessons[stem]``)."""

    def __init__(self, learner: dict, small_data: Path, build_log: str):
        self.learner, self._running, self._stopped, self._starting = learner, set(), False, threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=NOTEBOOKS_AT_ONCE)
        # Lesson 1's run makes the course data on first use: twice the others' time limit, as before.
        self.first = self._pool.submit(self._notebook, LESSONS[0], learner["env"], 1800)
        self.installed = self._pool.submit(self._install_course)
        built_in = {Path(name).stem: seconds for name, seconds in lesson_seconds(build_log).items()}
        longest_first = sorted(LESSONS[1:], key=lambda lesson: (lesson.stem not in FULL_SIZE, -built_in.get(lesson.stem, 0)))
        self.lessons = {LESSONS[0].stem: self.first, **{
            lesson.stem: self._pool.submit(self._notebook_after_install, lesson, small_data) for lesson in longest_first}}

    def _run(self, args: list, cwd: Path, env: dict, timeout: float) -> subprocess.CompletedProcess:
        """`subprocess.run`, in a session of its own that `stop` ends (and so does pytest's death)."""
        with self._starting:
            if self._stopped:
                raise RuntimeError("the learner's runs were stopped")
            process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True, start_new_session=True, preexec_fn=_stop_with_pytest)
            self._running.add(process)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            stderr += f"\n[killed after {timeout} s]"
        finally:
            self._running.discard(process)
        return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)

    def _notebook(self, lesson: Path, env: dict, timeout: float = 900) -> dict:
        """The lesson's notebook, downloaded and run as a learner runs it: the run, and the notebook
        with its outputs."""
        site = self.learner["site"]
        folder = self.learner["work"] / "notebooks" / lesson.stem
        folder.mkdir(parents=True)
        notebook = download(lesson_downloads(site, lesson)[f"{lesson.stem}.ipynb"], folder)
        notebook_as_a_learner_runs_it(notebook, lesson_page_html(site, lesson), lesson.stem)
        run = self._run([self.learner["python"], "-c", RUN_NOTEBOOK, notebook, folder], folder, env, timeout)
        return {"run": run, "notebook": notebook}

    def _install_course(self) -> dict:
        self.first.result()  # the setup page's command comes after the first notebook's own install
        folder = self.learner["work"]
        wheels = [url for name, url in page_links(f"{self.learner['site']}docs/setup.html").items()
                  if name.endswith(".whl")]
        assert len(wheels) == 1, wheels
        download(wheels[0], folder)
        installed = self._run(["bash", "-euo", "pipefail", "-c", "\n".join(self.learner["install_course"])],
                              folder, self.learner["env"], timeout=1200)
        assert installed.returncode == 0, installed.stderr[-3000:]
        return self.learner

    def _notebook_after_install(self, lesson: Path, small_data: Path) -> dict:
        self.installed.result()
        data = bikes.data_dir() if lesson.stem in FULL_SIZE else small_data
        return self._notebook(lesson, dict(self.learner["env"], DASK_COURSE_DATA=str(data)))

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._starting:
            self._stopped = True
            for process in list(self._running):
                with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                    os.killpg(process.pid, signal.SIGTERM)
        self._pool.shutdown(wait=True)


def _learner_runs(config) -> LearnerRuns:
    """The learner's runs (`LearnerRuns`), started once, on the built and served site."""
    if LEARNER_RUNS not in config.stash:
        build = config.stash[SITE_BUILD].wait()
        learner = {**config.stash[LEARNER].wait(), "site": config.stash[SITE_BUILD].serve()}
        config.stash[LEARNER_RUNS] = LearnerRuns(learner, _small_data(config), build["log"])
    return config.stash[LEARNER_RUNS]


@pytest.fixture(scope="session")
def learner_runs(request, learner):
    """The learner's runs (`LearnerRuns`), once the site built and the learner's environment is made."""
    return _learner_runs(request.config)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """With the first test that needs the site, once it built, the learner's runs start in the
    background, if any test reads them: before that test's fixtures, so that a module's own long
    fixture (test_browser's visit of every page) does not hold them back."""
    config = item.config
    if not (config.stash.get(LEARNER_WANTED, False) and _needs_the_site(item)):
        return
    config.stash[LEARNER_WANTED] = False
    if config.stash[SITE_BUILD].wait()["returncode"] == 0:
        with contextlib.suppress(Exception):  # no learner's environment: the tests that use it say why (`learner`)
            _learner_runs(config)


@pytest.fixture(scope="session")
def first_notebook(learner_runs):
    """Lesson 1's notebook, run as a learner runs it with nothing but Jupyter installed (`LearnerRuns`)."""
    return learner_runs.first.result()


@pytest.fixture(scope="session")
def course_installed(learner_runs):
    """The learner's environment once the setup page's course-package command has run (`LearnerRuns`)."""
    return learner_runs.installed.result()
