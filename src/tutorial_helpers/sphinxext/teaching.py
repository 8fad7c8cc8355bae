"""Workshop schedules computed from the lessons' own time estimates (the ``course-schedule`` directive).

A plan names lessons in teaching order; their minutes come from each lesson's
``**Estimated time:** N minutes.`` line, so a changed estimate changes every schedule that uses
the lesson (the page is read again when a lesson file changes). One line per item::

    :::{course-schedule} The 3-hour workshop
    :start: 13:00
    :length: 180

    10 Welcome: everyone in a Jupyter session on a compute node
    lesson 02_dataframe/plot_01_same_with_dask
    demo 04_bag/plot_01_bag_json
    break 10
    :::

``lesson`` is taught in full (learners run it and do its exercise: the estimate); ``demo`` is
shown by the instructor without the exercise, in half the estimate rounded up to 5 minutes;
``break N`` and ``N text`` are fixed items. The directive renders a table with clock times, a
sentence on how the plan fits ``:length:`` (a build warning when it does not), and the lessons
the plan leaves out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from tutorial_helpers.sphinxext.gallery import gallery_root

logger = logging.getLogger(__name__)

_ESTIMATE = re.compile(r"\*\*Estimated time:\*\*\s*(\d+)\s*minutes?")


@dataclass(frozen=True)
class Lesson:
    """A lesson as a schedule needs it: where it is, its title and its estimated minutes."""

    path: str  # e.g. "02_dataframe/plot_01_same_with_dask"
    title: str
    minutes: int


def read_lesson(source: Path, examples: Path) -> Lesson:
    """The title (the docstring's first line) and the estimated time of lesson ``source``."""
    text = source.read_text(encoding="utf-8")
    docstring = text.split('"""')[1]
    title = next(line.strip() for line in docstring.splitlines() if line.strip())
    found = _ESTIMATE.search(docstring)
    if found is None:
        raise ValueError(f"{source.name} has no '**Estimated time:** N minutes.' line in its docstring")
    return Lesson(source.relative_to(examples).with_suffix("").as_posix(), title, int(found[1]))


def all_lessons(examples: Path) -> dict[str, Lesson]:
    """Every lesson of the course, in course order, by path."""
    return {lesson.path: lesson for lesson in map(lambda p: read_lesson(p, examples),
                                                  sorted(examples.glob("*/plot_*.py")))}


def demo_minutes(minutes: int) -> int:
    """A lesson shown without its exercise: half its estimate, rounded up to 5 minutes."""
    return 5 * math.ceil(minutes / 10)


@dataclass(frozen=True)
class Item:
    kind: str  # "lesson", "demo", "break" or "other"
    minutes: int
    text: str
    lesson: Lesson | None = None


def parse_plan(lines: list[str], lessons: dict[str, Lesson]) -> list[Item]:
    """The items of a plan's lines; a ValueError names a line it cannot read."""
    items = []
    for line in filter(None, (line.strip() for line in lines)):
        word, _, rest = line.partition(" ")
        if word in ("lesson", "demo"):
            if rest.strip() not in lessons:
                raise ValueError(f"no lesson examples/{rest.strip()}.py")
            lesson = lessons[rest.strip()]
            minutes = lesson.minutes if word == "lesson" else demo_minutes(lesson.minutes)
            items.append(Item(word, minutes, lesson.title, lesson))
        elif word == "break" and rest.strip().isdigit():
            items.append(Item("break", int(rest), "Break"))
        elif word.isdigit() and rest.strip():
            items.append(Item("other", int(word), rest.strip()))
        else:
            raise ValueError(f"cannot read {line!r}: expected 'lesson PATH', 'demo PATH', 'break N' or 'N text'")
    return items


def clock(start: str, minutes: int) -> str:
    hours, mins = map(int, start.split(":"))
    total = hours * 60 + mins + minutes
    return f"{total // 60 % 24:02d}:{total % 60:02d}"


def fit_sentence(items: list[Item], length: int, start: str) -> tuple[str, bool]:
    """How the plan's minutes add up against ``length``, and whether it fits."""
    full = [item for item in items if item.kind == "lesson"]
    demos = [item for item in items if item.kind == "demo"]
    total = sum(item.minutes for item in items)
    parts = [f"{_count(len(full), 'lesson')} taught in full ({sum(i.minutes for i in full)} min)"]
    if demos:
        estimated = sum(item.lesson.minutes for item in demos)
        parts.append(f"{_count(len(demos), 'lesson')} shown as demonstrations ({sum(i.minutes for i in demos)} min instead of the "
                     f"{estimated} min they take in full)")
    others = sum(item.minutes for item in items if item.kind in ("break", "other"))
    parts.append(f"{others} min of breaks and other items")
    sentence = f"In all, {', '.join(parts[:-1])} and {parts[-1]}: {total} min, ending at {clock(start, total)}"
    if total <= length:
        slack = length - total
        return sentence + (f", {slack} min before the end of the {length}-min session." if slack else
                           f", exactly at the end of the {length}-min session: there is no slack."), True
    return sentence + f", {total - length} min after the end of the {length}-min session.", False


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


class CourseSchedule(SphinxDirective):
    """A timed plan of lessons; see the module's docstring."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec = {"start": directives.unchanged_required, "length": directives.positive_int}

    def run(self) -> list[nodes.Node]:
        conf = self.env.config.sphinx_gallery_conf
        examples = Path(self.env.srcdir) / conf["examples_dirs"]
        gallery = gallery_root(conf, self.env.srcdir).relative_to(self.env.srcdir).as_posix()
        for source in sorted(examples.glob("*/plot_*.py")):
            self.env.note_dependency(str(source))  # a changed estimate re-reads this page
        start = self.options.get("start", "09:00")
        length = self.options.get("length", 180)
        try:
            lessons = all_lessons(examples)
            items = parse_plan(list(self.content), lessons)
        except ValueError as error:
            raise self.error(f"course-schedule: {error}") from None

        table = self._table(items, start, gallery)
        sentence, fits = fit_sentence(items, length, start)
        if not fits:
            logger.warning("course-schedule %r does not fit: %s", self.arguments[0], sentence,
                           location=self.get_location(), type="dask-course", subtype="schedule")
        left_out = [lesson for path, lesson in lessons.items()
                    if path not in {item.lesson.path for item in items if item.lesson}]
        result = [table, nodes.paragraph("", sentence)]
        if left_out:
            paragraph = nodes.paragraph("", "Not in this plan: ")
            for i, lesson in enumerate(left_out):
                paragraph += self._link(lesson, gallery)
                paragraph += nodes.Text(f" ({lesson.minutes} min)" + (", " if i < len(left_out) - 1 else "."))
            result.append(paragraph)
        return result

    def _link(self, lesson: Lesson, gallery: str) -> nodes.Node:
        xref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget=f"/{gallery}/{lesson.path}",
                                     refexplicit=True, refwarn=True, refdoc=self.env.docname)
        xref += nodes.inline("", lesson.title)
        return xref

    def _table(self, items: list[Item], start: str, gallery: str) -> nodes.table:
        table = nodes.table(classes=["course-schedule"])
        title = nodes.title("", self.arguments[0])
        table += title
        group = nodes.tgroup(cols=4)
        table += group
        for width in (8, 8, 48, 36):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self._row(["Start", "Min", "What", "How"])
        body = nodes.tbody()
        group += body
        elapsed = 0
        for item in items:
            what = self._link(item.lesson, gallery) if item.lesson else nodes.Text(item.text)
            how = {"lesson": "Learners run it; pause for its exercise at the end.",
                   "demo": f"You run it, learners watch; its exercise is for after class "
                           f"({item.lesson.minutes if item.lesson else 0} min in full).",
                   "break": "", "other": ""}[item.kind]
            body += self._row([clock(start, elapsed), str(item.minutes), what, how])
            elapsed += item.minutes
        body += self._row([clock(start, elapsed), "", "End", ""])
        return table

    @staticmethod
    def _row(cells: list) -> nodes.row:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            paragraph = nodes.paragraph()
            paragraph += cell if isinstance(cell, nodes.Node) else nodes.Text(cell)
            entry += paragraph
            row += entry
        return row
