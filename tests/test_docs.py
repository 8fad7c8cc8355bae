"""The pages around the lessons: every snippet runs, every command is run or marked, every term is used.

- Each page of ``docs/`` has its Python (```` ```python ```` blocks and myst-nb ``{code-cell}``\\ s)
  run in the learner's environment (the setup page's pip route, conftest's ``course_installed``),
  on the small data: the page's blocks in page order, as one Python session, the way a learner
  pastes them into a notebook. A cluster they start may listen on 127.0.0.1 only.
- Each shell block of ``docs/*.md`` and ``README.md`` is accounted for: run here, in that
  environment with a data folder of its own; run by tests/test_learner_env.py (the setup page's
  pip route); a ``make`` command, which CI runs (``.ci/run``) and this test checks with
  ``make -n``; or marked as not run here. Marked means inside a ``not-run-here`` container
  (``:::{container} not-run-here``) on a MyST page, the class the lessons use for the same
  purpose, or after a ``<!-- not-run-here -->`` line in the README, which GitHub renders.
- Every term of the glossary is linked from at least one lesson.
"""

from __future__ import annotations

import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import (PIP_SECTION, ROOT, SETUP_PAGE, _watch_listeners, setup_commands, shell_commands,
                      without_shutdown_noise)
from tutorial_helpers import bikes

PAGES = sorted((ROOT / "docs").glob("*.md"))
README = ROOT / "README.md"
LESSONS = sorted((ROOT / "examples").rglob("*.py"))
MARK = "not-run-here"

PYTHON = {"python", "python3", "py", "ipython3"}
SHELL = {"bash", "sh", "shell", "console", "powershell", "pwsh", "ps1", "bat", "cmd", "doscon"}
LITERAL = {"text", "markdown", "md"}  # shown, never run: output, or the syntax of a page
CODE_DIRECTIVES = {"code-cell", "code-block", "code", "sourcecode"}
# Commands that need another machine, a network or rights this environment lacks.
ELSEWHERE = {"sudo", "apt", "apt-get", "dnf", "brew", "snap", "conda", "module", "git", "scp", "ssh",
             "curl", "wget", "qsub", "qrsh", "qstat", "sbatch", "srun", "squeue", "mpirun", "dask"}


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # the line of the page the code starts on, from 1
    language: str
    code: str
    marked: bool  # not run here
    tags: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line} ({self.language})"


_OPEN = re.compile(r"^(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[\w:-]+)\}\s*(?P<args>.*)$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")


def code_blocks(page: Path) -> list[Block]:
    """The code blocks of a Markdown or MyST page, nested ones included, in page order."""
    lines = page.read_text().splitlines()
    blocks, open_fences = [], []  # open_fences: (fence, marked) of the directives we are inside
    i = 0
    while i < len(lines):
        text = lines[i].strip()
        if open_fences and _closes(text, open_fences[-1][0]):
            open_fences.pop()
            i += 1
            continue
        opened = _OPEN.match(text)
        if not opened:
            i += 1
            continue
        fence, info = opened["fence"], opened["info"].strip()
        directive = _DIRECTIVE.match(info)
        inside_mark = any(marked for _, marked in open_fences) or _comment_mark(lines, i)
        if fence[0] == ":" or (directive and directive["name"] not in CODE_DIRECTIVES):
            # A directive whose content is more page (container, tab-set, glossary, ...).
            marked = bool(directive) and directive["name"] == "container" and MARK in directive["args"].split()
            open_fences.append((fence, inside_mark or marked))
            i += 1
            continue
        # A code block: literal content up to its closing fence.
        indent = len(lines[i]) - len(lines[i].lstrip())
        end = i + 1
        while end < len(lines) and not _closes(lines[end].strip(), fence):
            end += 1
        body = [line[indent:] if line[:indent].strip() == "" else line.lstrip() for line in lines[i + 1:end]]
        start, options = _options(body)
        language = (directive["args"].split() or [""])[0] if directive else (info.split() or [""])[0]
        if directive and directive["name"] == "code-cell":
            language = "python"
        classes = options.get("class", "").split()
        tags = tuple(re.findall(r"[\w-]+", options.get("tags", "")))
        blocks.append(Block(page, i + 2 + start, language.lower(), "\n".join(body[start:]) + "\n",
                            inside_mark or MARK in classes, tags))
        i = end + 1
    return blocks


def _closes(text: str, fence: str) -> bool:
    return len(text) >= len(fence) and set(text) == {fence[0]}


def _comment_mark(lines: list[str], i: int) -> bool:
    """Whether the nearest non-blank line above line ``i`` is ``<!-- not-run-here -->``."""
    above = [line.strip() for line in lines[:i] if line.strip()]
    return bool(above) and above[-1] == f"<!-- {MARK} -->"


def _options(body: list[str]) -> tuple[int, dict[str, str]]:
    """A directive's ``:key: value`` lines (or ``---`` front matter) at the top of its content."""
    options, start = {}, 0
    if body and body[0].strip() == "---":
        end = body.index("---", 1)
        for line in body[1:end]:
            key, _, value = line.partition(":")
            options[key.strip()] = value.strip()
        return end + 1, options
    while start < len(body) and (option := _OPTION.match(body[start].strip())):
        options[option["key"]] = option["value"]
        start += 1
    return start, options


def all_blocks() -> list[Block]:
    return [block for page in [*PAGES, README] for block in code_blocks(page)]


def python_code(page: Path) -> str:
    """The page's Python, block after block, each at its own line numbers: tracebacks name the page's lines."""
    lines = []
    for block in code_blocks(page):
        if block.language in PYTHON and not block.marked and "remove-cell" not in block.tags:
            code = block.code.splitlines()
            lines += [""] * (block.line - 1 - len(lines)) + code
    return "\n".join(lines) + "\n"


# -- which shell block runs where ----------------------------------------------------------------------

def commands(block: Block) -> list[str]:
    return shell_commands(block.code)


def pip_route() -> list[list[str]]:
    """The blocks tests/test_learner_env.py runs (through conftest's ``learner`` fixture)."""
    return setup_commands(PIP_SECTION)[:2]


def where_it_runs(block: Block) -> str:
    """``marked``, ``learner_env``, ``ci`` or ``here``; an AssertionError says why a block is none of them."""
    if block.marked:
        return "marked"
    if block.page == SETUP_PAGE and commands(block) in pip_route():
        return "learner_env"
    assert block.language in {"bash", "sh", "shell", "console"}, (
        f"{block}: only bash runs here; mark the block {MARK!r}")
    lines = commands(block)
    makes = [line for line in lines if line.split()[0] == "make"]
    if makes:
        assert makes == lines, f"{block}: keep `make` commands (run by CI) apart from commands run here"
        return "ci"
    for line in lines:
        assert line.split()[0] not in ELSEWHERE, (
            f"{block}: `{line}` needs another machine, a network or more rights: mark the block {MARK!r}")
    return "here"


def test_every_code_block_is_in_a_known_language():
    unknown = [str(block) for block in all_blocks() if block.language not in PYTHON | SHELL | LITERAL]
    assert not unknown, "say how these run (tests/test_docs.py), or mark them: " + ", ".join(unknown)


def test_every_shell_block_is_run_somewhere_or_marked():
    shell = [block for block in all_blocks() if block.language in SHELL]
    where = {str(block): where_it_runs(block) for block in shell}
    # The pip route is where tests/test_learner_env.py reads it, so it cannot be marked away.
    assert sum(place == "learner_env" for place in where.values()) == len(pip_route()) == 2, where
    assert any(place == "here" for place in where.values()), where


def test_the_make_commands_name_targets_that_exist():
    targets = {line for block in all_blocks() if block.language in SHELL and not block.marked
               for line in commands(block) if line.split()[0] == "make"}
    assert targets
    for line in sorted(targets):
        dry_run = subprocess.run([*line.split(), "-n"], cwd=ROOT, capture_output=True, text=True)
        assert dry_run.returncode == 0, f"`{line}`: {dry_run.stderr}"


def test_the_parser_finds_nested_and_marked_blocks(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "```bash\nmake html\n```\n"
        ":::::{container} not-run-here\n::::{tab-set}\n:::{tab-item} SGE\n```bash\nqsub job.sh\n```\n:::\n::::\n:::::\n"
        "```{code-cell} python3\n:tags: [remove-cell]\nx = 1\n```\n"
        "````markdown\n```bash\nnot a block\n```\n````\n"
        "<!-- not-run-here -->\n\n  ```bash\n  conda activate x\n  ```\n"
        "```{code-block} python\n:class: not-run-here\nclient = Client(address)\n```\n"
    )
    found = [(b.line, b.language, b.code, b.marked, b.tags) for b in code_blocks(page)]
    assert found == [
        (2, "bash", "make html\n", False, ()),
        (8, "bash", "qsub job.sh\n", True, ()),
        (15, "python", "x = 1\n", False, ("remove-cell",)),
        (18, "markdown", "```bash\nnot a block\n```\n", False, ()),
        (25, "bash", "conda activate x\n", True, ()),
        (29, "python", "client = Client(address)\n", True, ()),
    ]


# -- the glossary ---------------------------------------------------------------------------------------

def glossary_terms() -> list[str]:
    text = (ROOT / "docs" / "glossary.md").read_text()
    body = text.split("```{glossary}\n", 1)[1].split("\n```", 1)[0]
    return [line.strip() for line in body.splitlines() if line.strip() and not line[0].isspace() and not line.startswith(":")]


def test_every_glossary_term_is_linked_from_a_lesson():
    terms = glossary_terms()
    assert len(terms) >= 19
    linked = set()
    for lesson in LESSONS:
        for role in re.findall(r":term:`([^`]+)`", lesson.read_text()):
            target = re.search(r"<([^>]+)>\s*$", role)
            linked.add((target[1] if target else role).strip().lower())
    assert not [term for term in terms if term.lower() not in linked]


# -- run in the learner's environment --------------------------------------------------------------------

RUN_SESSION = """
import sys
path, name = sys.argv[1:]
exec(compile(open(path).read(), name, "exec"), {"__name__": "__main__"})
"""


def run_watched(command: list, **kwargs) -> tuple[subprocess.CompletedProcess, set]:
    """Run ``command``; return its result and every address its processes listened on."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    listeners, stop = set(), threading.Event()
    watcher = threading.Thread(target=_watch_listeners, args=(process.pid, listeners, stop))
    watcher.start()
    try:
        stdout, stderr = process.communicate(timeout=900)
    finally:
        stop.set()
        watcher.join()
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr), listeners


PAGES_WITH_PYTHON = [page for page in PAGES if python_code(page).strip()]


@pytest.mark.build
@pytest.mark.lessons
@pytest.mark.parametrize("page", PAGES_WITH_PYTHON, ids=[page.stem for page in PAGES_WITH_PYTHON])
def test_page_python_runs_in_the_learners_environment(course_installed, small_data, page, tmp_path):
    script = tmp_path / f"{page.stem}.py"
    script.write_text(python_code(page))
    # The cheat sheet runs on the course's own data, as a learner keeps it open beside the lessons:
    # some of its traps (a persisted multi-file Parquet read) need more than one partition.
    data = bikes.data_dir() if page.stem == "cheatsheet" else small_data
    env = dict(course_installed["env"], DASK_COURSE_DATA=str(data))
    result, listeners = run_watched([course_installed["python"], "-c", RUN_SESSION, script,
                                     str(page.relative_to(ROOT))], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-4000:]
    written = without_shutdown_noise(result.stderr)
    # A warning is something a learner pasting the page meets too ("Sending large graph", say).
    assert "Traceback" not in written and not re.search(r"\w+Warning: ", written), result.stderr[-4000:]
    assert {ip for ip, _ in listeners} <= {"127.0.0.1"}, listeners


@pytest.fixture(scope="module")
def shell_data(tmp_path_factory):
    """A data folder the shell blocks share, empty at first, as on a learner's new machine."""
    return tmp_path_factory.mktemp("shell-data") / "bluebikes"


def runs_here(block: Block) -> bool:
    try:
        return block.language in SHELL and where_it_runs(block) == "here"
    except AssertionError:  # test_every_shell_block_is_run_somewhere_or_marked says why
        return False


# In a learner's order, the Setting up page first: its `data generate` makes the course data in the
# shared folder, where the cheat sheet's finds it made (its `--scale 0.1` then writes it anew).
SHELL_HERE = sorted((block for block in all_blocks() if runs_here(block)), key=lambda block: block.page != SETUP_PAGE)


@pytest.mark.build
@pytest.mark.lessons
@pytest.mark.parametrize("block", SHELL_HERE, ids=[f"{b.page.stem}:{b.line}" for b in SHELL_HERE])
def test_shell_block_runs_in_the_learners_environment(course_installed, shell_data, block, tmp_path):
    env = dict(course_installed["env"], DASK_COURSE_DATA=str(shell_data))
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", block.code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{block}\n{result.stderr[-3000:]}"
