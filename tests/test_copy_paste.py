"""Copy-paste safety: the code a learner copies from a built lesson page runs and gives the answers.

Takes every code block of each lesson page in page order (lesson cells, then the exercise
solution), as the copy button copies them, runs them as one fresh script on the small test data,
and applies the lesson's results check. Nothing may depend on code hidden from the page.
"""

import pytest
from bs4 import BeautifulSoup

from conftest import LESSONS, run_code_namespace
from test_lessons import RESULT_CHECKS
from tutorial_helpers import bikes

pytestmark = pytest.mark.build

# Lesson cells are sphinx-gallery "Python" blocks; snippets in the text are reST "python" blocks.
CODE_BLOCKS = "div.highlight-Python pre, div.highlight-python pre"


def copied_code(page_html: str) -> str:
    page = BeautifulSoup(page_html, "html.parser")
    article = page.select_one("article") or page
    # Snippets for other machines (TLS, MPI, job schedulers) sit in a "not-run-here" container.
    blocks = [pre for pre in article.select(CODE_BLOCKS) if not pre.find_parent(class_="not-run-here")]
    return "\n\n".join(pre.get_text() for pre in blocks)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.stem for lesson in LESSONS])
def test_code_copied_from_the_page_runs_and_gives_the_answers(built_site, lesson, small_data, tmp_path):
    page = built_site["html"] / "lessons" / lesson.parent.name / f"{lesson.stem}.html"
    code = copied_code(page.read_text())
    assert code.strip(), f"no code blocks found on {page.name}"
    namespace = run_code_namespace(code, small_data, tmp_path)
    RESULT_CHECKS[lesson.stem](namespace, bikes.trip_files(small_data))
