"""Every lesson's exercise has a check that says right in one line and fails typical wrong answers.

The reference solutions go through the same checks in the strict build
(``tutorial_helpers.sphinxext.exercises``) and in the learner's pasted page (test_learner_env.py).
Here each check meets the typical wrong answers the topic's results checks name
(``WRONG_ANSWERS`` in tests/checks_<topic>.py: functions of the trip files that return the
``check`` arguments of a wrong answer), on the small data.
"""

import importlib
from pathlib import Path

import pytest

from conftest import LESSONS
from tutorial_helpers import exercises


def _wrong_answers() -> dict:
    wrong = {}
    for module in sorted(Path(__file__).parent.glob("checks_*.py")):
        wrong.update(getattr(importlib.import_module(module.stem), "WRONG_ANSWERS", {}))
    return wrong


WRONG_ANSWERS = _wrong_answers()
CHECKED = [lesson for lesson in LESSONS if lesson.stem in exercises.exercises()]


def test_every_lessons_exercise_has_a_check_that_meets_a_wrong_answer():
    assert set(exercises.exercises()) == {lesson.stem for lesson in LESSONS}
    assert set(exercises.exercises()) == set(WRONG_ANSWERS), "every check is tested with a wrong answer"


@pytest.mark.parametrize("lesson", CHECKED, ids=[lesson.stem for lesson in CHECKED])
def test_the_lesson_asks_for_its_check_and_wrong_answers_fail_with_a_hint(lesson, small_data, monkeypatch, capsys):
    monkeypatch.setenv("DASK_COURSE_DATA", str(small_data))
    short = lesson.stem.split("_", 2)[-1]
    text = lesson.read_text()
    assert "answer = None" in text and f'check("{short}", answer' in text, "an answer cell and a check cell"
    from tutorial_helpers import bikes

    files = bikes.trip_files()
    for make_wrong in WRONG_ANSWERS[lesson.stem]:
        arguments = make_wrong(files)
        with pytest.raises(exercises.NotQuiteRight, match="Hint: ") as wrong:
            exercises.check(short, **arguments)
        assert len(str(wrong.value)) < 600
    exercises.check(short, None)
    assert capsys.readouterr().out.startswith("No answer yet")


def test_a_lazy_answer_is_told_to_compute(small_data, monkeypatch):
    import dask.dataframe as dd
    import pandas as pd

    monkeypatch.setenv("DASK_COURSE_DATA", str(small_data))
    lazy = dd.from_pandas(pd.Series(["a"]), npartitions=1)
    name = next(iter(exercises.exercises())).split("_", 2)[-1]
    with pytest.raises(exercises.NotQuiteRight, match=r"lazy Dask Series.*\.compute\(\)"):
        exercises.check(name, lazy)


def test_an_unknown_exercise_names_the_known_ones():
    with pytest.raises(KeyError, match="plot_01_same_with_dask"):
        exercises.check("no_such_lesson", 1)


def test_differs_names_the_kind_of_difference_not_the_answer():
    import pandas as pd

    want = pd.Series([3, 4], index=["x", "y"])
    assert exercises.differs(want[["y", "x"]], want, "The counts") is None
    assert "1 missing" in exercises.differs(want[["x"]], want, "The counts")
    assert "1 of its 2 values differ" in exercises.differs(pd.Series([3, 5], index=["x", "y"]), want, "The counts")
    assert exercises.differs(10.0, 10.0 + 1e-9, "The mean") is None
    assert exercises.differs(11.0, 10.0, "The mean") == "The mean is too high."
    assert "should be a number" in exercises.differs("10", 10.0, "The mean")
