"""Each exercise's reference solution goes through the learner's check while the lesson is built.

A lesson's exercise has a cell for the answer (``answer = None``), a cell that checks it
(``check("...", answer)``, ``tutorial_helpers.exercises``) and a collapsed solution in the text
that ends with the same check. The page shows what a learner sees before answering; after the
check cell, :data:`scraper` (a sphinx-gallery image scraper, which runs after every code block)
runs the lesson's solutions in a copy of the lesson's namespace, as a learner pasting them would.
A solution whose check raises fails the lesson, and so the strict build; what it prints is not
shown on the page; the files it writes, the graphs and figures it draws are removed.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import sys
import textwrap
from pathlib import Path

from tutorial_helpers.sphinxext import graphs

_SOLUTION = re.compile(r"^# \.\. dropdown:: Solution\n#\n#    \.\. code-block:: python\n#\n((?:#       .*\n|#\n)+)", re.M)
_CHECK_CALL = re.compile(r"^\s*check\(", re.M)


def solutions(lesson: Path) -> list[str]:
    """The code of the lesson's exercise solutions, in order."""
    return solutions_in(Path(lesson).read_text())


def pasted_page(lesson: Path) -> str:
    """The lesson's code as a learner pastes its page: the code cells, and each solution where its text stands."""
    from sphinx_gallery.py_source_parser import split_code_and_text_blocks

    _, blocks = split_code_and_text_blocks(str(lesson))
    parts = []
    for block in blocks:
        if block.type == "code":
            parts.append(block.content)
        else:
            commented = "".join(f"# {line}\n" if line else "#\n" for line in block.content.splitlines())
            parts += solutions_in(commented)
    return "\n\n".join(parts)


def solutions_in(text: str) -> list[str]:
    """The code of the exercise solutions in ``text``, a lesson's commented source, in order."""
    blocks = _SOLUTION.findall(text)
    return [textwrap.dedent(re.sub(r"^#(?: {7}|$)", "", block, flags=re.M)) for block in blocks]


class SolutionCheck:
    """After a lesson's check cell, runs its solutions (each ending with the check) in a copy of its namespace."""

    def __repr__(self) -> str:
        # Sphinx compares config values by repr to decide whether to rebuild everything.
        return "tutorial_helpers.sphinxext.exercises.SolutionCheck()"

    def __call__(self, block, block_vars: dict, gallery_conf: dict) -> str:
        if not _CHECK_CALL.search(block.content):
            return ""
        lesson = Path(block_vars["src_file"])
        namespace = dict(block_vars["example_globals"])
        # The lesson runs in its source folder; what the solutions write there (a performance
        # report, say) is theirs, not the page's, and must not turn up on the next lesson's page.
        folder = Path.cwd()
        before = set(folder.iterdir())
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                for number, code in enumerate(solutions(lesson), 1):
                    exec(compile(code, f"{lesson.name}, solution {number}", "exec"), namespace)
        finally:
            for path in set(folder.iterdir()) - before:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
            # Nor do the graphs and figures it draws belong under the page's next code block.
            graphs.forget_drawn_graphs()
            if "matplotlib.pyplot" in sys.modules:
                sys.modules["matplotlib.pyplot"].close("all")
        return ""


scraper = SolutionCheck()
