"""Every lesson has a results check and an exercise, and its page, script and notebook hold the same code.

The lessons themselves run twice in `make test`: in the strict build (test_build.py) and in the
learner's environment (test_learner_env.py). What a third run would add (that the code a learner
copies from the page, the downloaded script and the notebook are the code that ran) is checked
here without running anything.
"""

import importlib
import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sphinx_gallery.py_source_parser import split_code_and_text_blocks

from conftest import LESSONS, solutions

ids = [lesson.stem for lesson in LESSONS]
# Lesson cells are sphinx-gallery "Python" blocks; snippets in the text are reST "python" blocks.
CODE_BLOCKS = "div.highlight-Python pre, div.highlight-python pre"


def _results_checks() -> dict:
    """Each topic's checks live in tests/checks_<topic folder>.py as CHECKS = {lesson stem: check}."""
    checks = {}
    for module in sorted(Path(__file__).parent.glob("checks_*.py")):
        checks.update(importlib.import_module(module.stem).CHECKS)
    return checks


RESULT_CHECKS = _results_checks()


def code_blocks(lesson: Path) -> list[str]:
    """The lesson's code cells, as sphinx-gallery splits them."""
    _, blocks = split_code_and_text_blocks(str(lesson))
    return [block.content for block in blocks if block.type == "code"]


def copied_code(page_html: str) -> list[str]:
    """The code blocks a learner copies from a lesson page, in page order.

    Snippets for other machines (TLS, MPI, job schedulers) sit in a "not-run-here" container.
    """
    page = BeautifulSoup(page_html, "html.parser")
    article = page.select_one("article") or page
    blocks = [pre for pre in article.select(CODE_BLOCKS) if not pre.find_parent(class_="not-run-here")]
    return [pre.get_text() for pre in blocks]


def _same(blocks: list[str]) -> list[str]:
    return [block.strip() for block in blocks if block.strip()]


def test_every_lesson_has_a_results_check_and_an_exercise():
    assert LESSONS, "no lessons found"
    # Pages record where they were computed by file name, so names must be unique course-wide.
    assert len({lesson.name for lesson in LESSONS}) == len(LESSONS)
    for lesson in LESSONS:
        assert lesson.stem in RESULT_CHECKS, f"{lesson.name} has no results check"
        assert solutions(lesson), f"{lesson.name} has no exercise solution"


@pytest.mark.build
@pytest.mark.parametrize("lesson", LESSONS, ids=ids)
def test_page_script_and_notebook_hold_the_code_that_ran(built_site, lesson):
    page = built_site["html"] / "lessons" / lesson.parent.name / f"{lesson.stem}.html"
    soup = BeautifulSoup(page.read_text(), "html.parser")
    downloads = {Path(a["href"]).name: (page.parent / a["href"]).resolve()
                 for a in soup.select("div.sphx-glr-download a[href]")}

    # The downloaded script is the lesson file itself.
    assert downloads[lesson.name].read_bytes() == lesson.read_bytes()
    # The page shows the lesson's code cells, then the exercise solutions, and nothing else.
    assert _same(copied_code(page.read_text())) == _same(code_blocks(lesson) + solutions(lesson))
    # The notebook: the first cell (conf.py's, set by tutorial_helpers.sphinxext), then the same cells.
    notebook = json.loads(downloads[f"{lesson.stem}.ipynb"].read_text())
    cells = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert "tutorial_helpers" in cells[0]
    assert _same(cells[1:]) == _same(code_blocks(lesson))
