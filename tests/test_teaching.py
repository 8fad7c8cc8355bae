"""The teaching page's schedules: timed by the lessons' own estimates, and honest about fitting."""

import re

import pytest

from conftest import LESSONS, ROOT
from tutorial_helpers.sphinxext import teaching

EXAMPLES = ROOT / "examples"
PAGE = ROOT / "docs" / "teaching.md"


def plans() -> dict[str, tuple[int, list[str]]]:
    """Each course-schedule block of the teaching page: its title, length and lines."""
    found = {}
    for title, options, body in re.findall(r"```\{course-schedule\} ([^\n]+)\n((?::\w+: [^\n]*\n)*)\n(.*?)```",
                                           PAGE.read_text(), re.S):
        length = int(re.search(r":length: (\d+)", options)[1])
        found[title] = (length, body.splitlines())
    return found


def test_every_lesson_has_a_title_and_an_estimate():
    lessons = teaching.all_lessons(EXAMPLES)
    assert len(lessons) == len(LESSONS)
    assert all(lesson.minutes > 0 and lesson.title for lesson in lessons.values())


def test_a_demonstration_takes_half_the_estimate_rounded_up_to_5_minutes():
    assert [teaching.demo_minutes(m) for m in (10, 15, 20, 25, 30)] == [5, 10, 10, 15, 15]


def test_the_schedule_follows_a_changed_estimate(tmp_path):
    lesson = tmp_path / "01_topic" / "plot_01_x.py"
    lesson.parent.mkdir()
    lesson.write_text('"""\nA lesson\n========\n\n**Estimated time:** 20 minutes.\n"""\n')
    plan = ["10 Welcome", "lesson 01_topic/plot_01_x", "demo 01_topic/plot_01_x"]
    items = teaching.parse_plan(plan, teaching.all_lessons(tmp_path))
    assert [item.minutes for item in items] == [10, 20, 10]

    lesson.write_text(lesson.read_text().replace("20 minutes", "40 minutes"))
    items = teaching.parse_plan(plan, teaching.all_lessons(tmp_path))
    assert [item.minutes for item in items] == [10, 40, 20]
    sentence, fits = teaching.fit_sentence(items, 60, "09:00")
    assert not fits and "70 min, ending at 10:10, 10 min after the end of the 60-min session" in sentence


def test_a_plan_line_it_cannot_read_is_named():
    with pytest.raises(ValueError, match="no lesson examples/99_x/plot_01_y.py"):
        teaching.parse_plan(["lesson 99_x/plot_01_y"], {})
    with pytest.raises(ValueError, match="cannot read 'lunch'"):
        teaching.parse_plan(["lunch"], {})


@pytest.mark.parametrize("title", ["The 3-hour workshop", "A full day"])
def test_the_pages_plans_fit_their_sessions(title):
    length, lines = plans()[title]
    items = teaching.parse_plan(lines, teaching.all_lessons(EXAMPLES))
    sentence, fits = teaching.fit_sentence(items, length, "09:00")
    assert fits, sentence


def test_the_3_hour_plan_follows_the_workshops_order():
    _, lines = plans()["The 3-hour workshop"]
    topics = [line.split()[1].split("/")[0] for line in lines if line.startswith(("lesson", "demo"))]
    order = ["01_pandas_baseline", "02_dataframe", "04_bag", "06_partitioning", "05_task_graphs", "08_schedulers",
             "09_distributed", "10_delayed", "12_best_practices"]
    assert list(dict.fromkeys(topics)) == order
