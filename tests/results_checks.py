"""The lessons' results checks, merged from every topic's tests/checks_<topic folder>.py.

Each topic module defines ``CHECKS = {lesson stem: check(namespace, files)}`` and may define
``WRONG_ANSWERS = {lesson stem: [function of the trip files, ...]}`` (test_exercises.py) and
``MESSAGES = {lesson stem: {section label: start of a message}}`` (test_lessons.py).

One loader for all their readers: the tests, the learner's notebook run (conftest.py's last cell,
which imports this file from the tests folder by path) and ``tools/test_latest.py``. Standard
library only: the learner's environment has no pytest.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def checks_attr(name: str, folder: Path = FOLDER) -> dict:
    """``name`` ("CHECKS", "WRONG_ANSWERS" or "MESSAGES") of every checks module in ``folder``, merged.

    A lesson stem defined by two modules is an error, not a silent override."""
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    merged: dict = {}
    for path in sorted(folder.glob("checks_*.py")):
        found = getattr(importlib.import_module(path.stem), name, {})
        twice = set(found) & set(merged)
        if twice:
            raise ValueError(f"{path.name} defines {name} for {sorted(twice)} again")
        merged.update(found)
    return merged
