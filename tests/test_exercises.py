"""Every lesson's exercise has a check that says right in one line and fails typical wrong answers.

The reference solutions go through the same checks in the strict build
(``tutorial_helpers.sphinxext.exercises``) and in the learner's notebook (test_learner_env.py).
Here each check meets the typical wrong answers the topic's results checks name
(``WRONG_ANSWERS`` in tests/checks_<topic>.py: functions of the trip files that return the
``check`` arguments of a wrong answer), on the small data. Wrong answers made on a Dask cluster
of their own (read from their source) are ``slow``: `make test-fast` leaves them to `make test`.
"""

import ast
import functools
import inspect
import sys

import pytest

from conftest import LESSONS
from results_checks import checks_attr
from tutorial_helpers import exercises

WRONG_ANSWERS = checks_attr("WRONG_ANSWERS")
CHECKED = [lesson for lesson in LESSONS if lesson.stem in exercises.exercises()]
# Calls that start or join a Dask cluster: LocalCluster, SLURMCluster, ..., Client.
_STARTS_A_CLUSTER = ("Cluster", "Client")


def _called_names(node: ast.AST) -> set[str]:
    return {call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            for call in ast.walk(node) if isinstance(call, ast.Call)}


@functools.cache
def _module_functions(module: str) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(inspect.getsource(sys.modules[module]))
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def needs_a_cluster(make_wrong) -> bool:
    """Whether a wrong answer starts a Dask cluster: it, or a function of its module that it calls
    (transitively), calls a ``...Cluster`` or ``Client``. Read from the source, without running it."""
    functions = _module_functions(make_wrong.__module__)
    seen, waiting = set(), [make_wrong.__name__]
    while waiting:
        name = waiting.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        called = _called_names(functions[name])
        if any(called_name.endswith(_STARTS_A_CLUSTER) for called_name in called):
            return True
        waiting += called
    return False


def _wrong_answers(cluster: bool) -> list:
    return [pytest.param(lesson, make_wrong, id=f"{lesson.stem}-{make_wrong.__name__}")
            for lesson in CHECKED for make_wrong in WRONG_ANSWERS.get(lesson.stem, [])
            if needs_a_cluster(make_wrong) == cluster]


def test_every_lessons_exercise_has_a_check_that_meets_three_wrong_answers():
    assert set(exercises.exercises()) == {lesson.stem for lesson in LESSONS}
    assert set(exercises.exercises()) == set(WRONG_ANSWERS), "every check is tested with wrong answers"
    too_few = {stem: len(wrong) for stem, wrong in WRONG_ANSWERS.items() if len(wrong) < 3}
    assert not too_few, f"exercises with fewer than three typical wrong answers: {too_few}"


def test_wrong_answers_that_start_a_cluster_are_told_from_the_others():
    """The split below is read from the checks' source: a cluster-making wrong answer is found
    through the helper that starts it, and a plain one is not taken for one."""
    sklearn = WRONG_ANSWERS["plot_02_sklearn_on_cluster"]  # through _wide_search's LocalCluster
    assert sklearn and all(needs_a_cluster(make_wrong) for make_wrong in sklearn)
    assert not any(needs_a_cluster(make_wrong) for make_wrong in WRONG_ANSWERS["plot_01_pandas_first"])


@pytest.mark.parametrize("lesson", CHECKED, ids=[lesson.stem for lesson in CHECKED])
def test_the_lesson_asks_for_its_check_and_says_how_to_give_an_answer(lesson, capsys):
    short = lesson.stem.split("_", 2)[-1]
    text = lesson.read_text()
    assert "answer = None" in text and f'check("{short}", answer' in text, "an answer cell and a check cell"
    exercises.check(short, None)
    assert capsys.readouterr().out.startswith("No answer yet")


def _fails_with_a_hint(lesson, make_wrong, data, monkeypatch):
    monkeypatch.setenv("DASK_COURSE_DATA", str(data))
    from tutorial_helpers import bikes

    arguments = make_wrong(bikes.trip_files())
    with pytest.raises(exercises.NotQuiteRight, match="Hint: ") as wrong:
        exercises.check(lesson.stem.split("_", 2)[-1], **arguments)
    assert len(str(wrong.value)) < 600


@pytest.mark.parametrize("lesson, make_wrong", _wrong_answers(cluster=False))
def test_a_wrong_answer_fails_with_a_hint(lesson, make_wrong, small_data, monkeypatch):
    _fails_with_a_hint(lesson, make_wrong, small_data, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("lesson, make_wrong", _wrong_answers(cluster=True))
def test_a_wrong_answer_made_on_a_cluster_fails_with_a_hint(lesson, make_wrong, small_data, monkeypatch):
    _fails_with_a_hint(lesson, make_wrong, small_data, monkeypatch)


def test_a_lazy_answer_is_told_to_compute(small_data, monkeypatch):
    import dask.dataframe as dd
    import pandas as pd

    monkeypatch.setenv("DASK_COURSE_DATA", str(small_data))
    lazy = dd.from_pandas(pd.Series(["a"]), npartitions=1)
    name = next(iter(exercises.exercises())).split("_", 2)[-1]
    with pytest.raises(exercises.NotQuiteRight, match=r"lazy Dask Series.*\.compute\(\)"):
        exercises.check(name, lazy)


def test_an_unknown_exercise_names_the_known_ones():
    with pytest.raises(KeyError, match="same_with_dask"):
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
