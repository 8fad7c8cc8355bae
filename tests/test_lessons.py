"""Every lesson has a results check and an exercise, and its page, script and notebook hold the same code.

Each lesson's code runs in `make test` in the strict build (test_build.py) and in the learner's
environment (test_learner_env.py: the downloaded notebook, with the page's snippets). That
the downloaded script, the page and the notebook hold the same code cells is checked here
without running anything.
"""

import ast
import json
import warnings
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sphinx_gallery.py_source_parser import split_code_and_text_blocks

from conftest import LESSONS, copied_code, lesson_page_name
from results_checks import checks_attr
from tutorial_helpers.sphinxext.exercises import solutions

ids = [lesson.stem for lesson in LESSONS]
# Each topic's checks live in tests/checks_<topic folder>.py as CHECKS = {lesson stem: check}.
RESULT_CHECKS = checks_attr("CHECKS")


def code_blocks(lesson: Path) -> list[str]:
    """The lesson's code cells, as sphinx-gallery splits them."""
    _, blocks = split_code_and_text_blocks(str(lesson))
    return [block.content for block in blocks if block.type == "code"]


def _same(blocks: list[str]) -> list[str]:
    return [block.strip() for block in blocks if block.strip()]


def test_every_lesson_has_a_results_check_and_an_exercise():
    assert LESSONS, "no lessons found"
    # Pages record where they were computed by file name, so names must be unique course-wide.
    assert len({lesson.name for lesson in LESSONS}) == len(LESSONS)
    for lesson in LESSONS:
        assert lesson.stem in RESULT_CHECKS, f"{lesson.name} has no results check"
        assert solutions(lesson), f"{lesson.name} has no exercise solution"


def test_every_lesson_parses_without_a_warning():
    """A SyntaxWarning (an invalid escape such as "\\s" in a plain string) reaches every learner on
    Python 3.12+, and makes sphinx-gallery read the whole file as code when warnings are errors."""
    for lesson in LESSONS:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ast.parse(lesson.read_text(), filename=str(lesson))


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


@pytest.mark.parametrize("lesson", LESSONS, ids=ids)
def test_a_lesson_computes_on_what_it_makes_in_view(lesson):
    """No lesson looks for a cluster it did not start (the build's, once), and none computes with
    Dask without starting a cluster or naming a local scheduler: the learner runs the same code."""
    trees = [ast.parse(lesson.read_text()), *(ast.parse(code) for code in solutions(lesson))]
    calls = [call for tree in trees for call in _calls(tree)]
    found = {_name(call) for call in calls} & {"get_client", "default_client", "current"}
    assert not found, f"{lesson.name} looks for a client it did not make: {sorted(found)}"
    computes = [call for call in calls if _name(call) in ("compute", "persist")]
    makes_cluster = any(_name(call) in ("LocalCluster", "Client") for call in calls)
    names_scheduler = all(any(k.arg == "scheduler" for k in call.keywords) for call in computes)
    assert not computes or makes_cluster or names_scheduler, (
        f"{lesson.name} computes with Dask but starts no cluster and names no scheduler")


_PROCESS_POOLS = {"Pool", "ProcessPoolExecutor", "SpecCluster"}


def _starts_processes(call: ast.Call) -> bool:
    """A call that starts worker processes: each re-imports the script that made it. (Options passed
    as ``**options`` cannot be read here: such a call counts as in-process.)"""
    keywords = {k.arg: k.value for k in call.keywords}
    in_process = None in keywords or (
        isinstance(keywords.get("processes"), ast.Constant) and keywords["processes"].value is False)
    name = _name(call)
    # A bare Client() connects to the configured scheduler-address, if there is one: only one given
    # a cluster's options surely starts a cluster of its own.
    makes_cluster = not call.args and {"n_workers", "threads_per_worker", "processes"} & set(keywords)
    if name == "LocalCluster" or (name == "Client" and makes_cluster):
        return not in_process
    scheduler = keywords.get("scheduler")
    return name in _PROCESS_POOLS or (isinstance(scheduler, ast.Constant) and scheduler.value == "processes")


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test)


def _unguarded(statements: list[ast.stmt]) -> list[ast.AST]:
    """What runs when a worker process imports the script: all but the guarded and the defined."""
    found = []
    for node in statements:
        if _is_main_guard(node) or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        found.append(node)
    return found


@pytest.mark.parametrize("lesson", LESSONS, ids=ids)
def test_a_lesson_starts_worker_processes_only_under_the_main_guard(lesson):
    """The downloaded script runs as a learner's script: worker processes re-import it, and a pool
    or cluster of them started outside ``if __name__ == "__main__":`` fails there (not in Jupyter,
    where the lesson's second run in `make test` happens). Functions that start them count too."""
    for code in [lesson.read_text(), *solutions(lesson)]:
        tree = ast.parse(code)
        starters = {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and any(_starts_processes(call) for call in _calls(node))}
        for node in _unguarded(tree.body):
            for call in _calls(node):
                assert not (_starts_processes(call) or _name(call) in starters), (
                    f"{lesson.name}, line {call.lineno} of its code: {ast.unparse(call)[:80]} starts worker "
                    f"processes outside `if __name__ == \"__main__\":`")


@pytest.mark.build
@pytest.mark.parametrize("lesson", LESSONS, ids=ids)
def test_page_script_and_notebook_hold_the_code_that_ran(built_site, lesson):
    page = built_site["html"] / lesson_page_name(lesson)
    soup = BeautifulSoup(page.read_text(), "html.parser")
    downloads = {Path(a["href"]).name: (page.parent / a["href"]).resolve()
                 for a in soup.select("div.sphx-glr-download a[href]")}

    # The downloaded script is the lesson file itself.
    assert downloads[lesson.name].read_bytes() == lesson.read_bytes()
    # The page's code cells are the lesson's, in order; its other code (snippets in the text, the
    # exercise solutions) runs in the learner's environment, pasted with the cells.
    assert _same(copied_code(page.read_text(), "div.highlight-Python pre")) == _same(code_blocks(lesson))
    assert set(_same(solutions(lesson))) <= set(_same(copied_code(page.read_text())))
    # The notebook: the first cell (conf.py's, set by tutorial_helpers.sphinxext), then the same cells.
    notebook = json.loads(downloads[f"{lesson.stem}.ipynb"].read_text())
    cells = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert "tutorial_helpers" in cells[0]
    assert _same(cells[1:]) == _same(code_blocks(lesson))


def test_the_when_it_breaks_index_lists_every_message_and_links_its_section():
    """A search for an error's text lands on the topic's index, which links the section that
    reproduces it; each message is one that a lesson's results check asserts."""
    topic = LESSONS[0].parents[1] / "20_when_it_breaks"
    index = " ".join((topic / "GALLERY_HEADER.rst").read_text().split())
    # {lesson stem: {section label: start of the message}}: the failures a lesson reproduces, whose
    # results check asserts that the run still prints a message starting so (MESSAGES in checks_*.py).
    messages = checks_attr("MESSAGES")
    lessons = sorted(topic.glob("plot_*.py"))
    assert lessons and {lesson.stem for lesson in lessons} <= set(messages), "every lesson names its failures"
    for lesson in lessons:
        for label, start in messages[lesson.stem].items():
            assert f".. _{label}:" in lesson.read_text(), f"{lesson.name} has no section labelled {label}"
            assert " ".join(start.split()) in index, f"the index does not quote {start!r}"
            assert f"<{label}>`" in index, f"the index does not link {label}"
