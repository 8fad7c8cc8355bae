"""Re-run a lesson when what its output depends on changes, not only when its own file does.

sphinx-gallery re-runs a lesson only when the lesson file changes (it keeps an md5 of it next to
the generated page, ``lessons/<topic>/<lesson>.py.md5``, and skips a lesson whose md5 is current).
A lesson's output also depends on the course helpers it imports, the course data, the installed
libraries and the machine its cluster is sized to. This Sphinx extension fingerprints those inputs
for each lesson; the md5 record of each lesson whose fingerprint differs from the last build's is
dropped, so that lesson, and only that one, runs again; the build log says which inputs changed.

A lesson's helpers are the ``tutorial_helpers`` modules it imports, directly or through other
helpers, found by reading the sources (``ast``), never by running them: editing the build's own
extension (this subpackage) re-runs no lesson unless a lesson imports it. The data is fingerprinted
from `tutorial_helpers.bikes.info` for the lessons that import ``tutorial_helpers.bikes``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import platform
import re
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path

from distributed.system import MEMORY_LIMIT
from sphinx.util import logging

import tutorial_helpers
from tutorial_helpers import bikes, exercises
from tutorial_helpers.cores import granted_cores
from tutorial_helpers.sphinxext.gallery import gallery_root, lessons_run, write_json_atomic

FINGERPRINT_FILE = "inputs-fingerprint.json"
COURSE_DISTRIBUTION = "dask-course"
PACKAGE = "tutorial_helpers"
DATA_MODULE = "tutorial_helpers.bikes"  # a lesson that imports it reads the course data
EXERCISES_PACKAGE = "tutorial_helpers.exercises"

logger = logging.getLogger(__name__)


# -- which helper modules a lesson imports -------------------------------------------------------


class HelperModules:
    """The ``tutorial_helpers`` modules in the package folder ``package``, and what each imports.

    A module's imports are read from its source: ``import a.b``, ``from a import b`` (``b`` a
    module or a name), relative imports, ``importlib.import_module("a.b")`` with a literal name,
    and ``pkgutil.iter_modules(__path__)`` / ``walk_packages(__path__)`` in a package, which
    import that package's submodules at run time (as ``tutorial_helpers.exercises.check`` does).
    Imports inside functions count: a lesson that calls the function runs them.
    """

    def __init__(self, package: Path | None = None):
        self.package = Path(package) if package is not None else Path(tutorial_helpers.__file__).parent
        self._imports: dict[str, frozenset[str]] = {}
        self._exercise_names: dict[str, frozenset[str]] | None = None

    def path(self, module: str) -> Path | None:
        """The source file of ``module`` (``a.b`` is ``a/b.py`` or ``a/b/__init__.py``), or None."""
        parts = module.split(".")
        if parts[0] != PACKAGE:
            return None
        base = self.package.joinpath(*parts[1:])
        for candidate in (base / "__init__.py", base.with_suffix(".py")) if parts[1:] else (base / "__init__.py",):
            if candidate.is_file():
                return candidate
        return None

    def imported_by(self, module: str) -> frozenset[str]:
        """The helper modules ``module`` imports itself (not transitively)."""
        if module not in self._imports:
            path = self.path(module)
            is_package = path is not None and path.name == "__init__.py"
            self._imports[module] = frozenset() if path is None else self.imports_in(
                path.read_text(encoding="utf-8"), module if is_package else module.rpartition(".")[0], is_package
            )
        return self._imports[module]

    def imports_in(self, source: str, package: str = "", is_package: bool = False) -> frozenset[str]:
        """The helper modules the Python ``source`` imports; ``package`` anchors its relative imports."""
        found: set[str] = set()
        tree = ast.parse(source)
        # Statements only (imports are statements), unless the source may import by a call.
        nodes = ast.walk(tree) if _DYNAMIC_IMPORT.search(source) else _statements(tree.body)
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node.module or "", node.level, package)
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
            elif isinstance(node, ast.Call):
                name = _called(node)
                if name in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
                    if isinstance(node.args[0].value, str):
                        found.add(node.args[0].value)
                elif name in ("iter_modules", "walk_packages") and is_package and _names_path(node):
                    found.update(self.submodules(package, recursive=name == "walk_packages"))
        with_parents = {".".join(m.split(".")[:i]) for m in found for i in range(1, m.count(".") + 2)}
        return frozenset(m for m in with_parents if self.path(m) is not None)

    def submodules(self, package: str, recursive: bool) -> set[str]:
        """The modules and subpackages directly in ``package`` (all below it if ``recursive``)."""
        folder = self.path(package).parent
        found = set()
        for path in folder.iterdir():
            if path.suffix == ".py" and path.name != "__init__.py":
                found.add(f"{package}.{path.stem}")
            elif (path / "__init__.py").is_file():
                found.add(f"{package}.{path.name}")
                if recursive:
                    found |= self.submodules(f"{package}.{path.name}", recursive)
        return found

    def closure(self, modules: Iterable[str]) -> frozenset[str]:
        """``modules`` and every helper module they import, transitively."""
        seen: set[str] = set()
        todo = [m for m in modules if self.path(m) is not None]
        while todo:
            module = todo.pop()
            if module not in seen:
                seen.add(module)
                todo.extend(self.imported_by(module) - seen)
        return frozenset(seen)

    def of_lesson(self, lesson: Path) -> frozenset[str]:
        """Every helper module the lesson file ``lesson`` imports, directly or through other helpers.

        A lesson that calls ``check("<exercise>", ...)`` of ``tutorial_helpers.exercises`` imports
        the topic module that defines that exercise, and no other (`exercises.topics_defining`)."""
        source = Path(lesson).read_text(encoding="utf-8")
        imported = self.imports_in(source)
        checks = self.path(EXERCISES_PACKAGE)
        if EXERCISES_PACKAGE in imported and checks is not None:
            names = set(_CHECKED_EXERCISE.findall(source))
            if self._exercise_names is None:
                self._exercise_names = exercises.exercise_names(checks.parent)
            imported |= {f"{EXERCISES_PACKAGE}.{topic}" for name in names
                         for topic in exercises.topics_defining(name, self._exercise_names)}
        return self.closure(imported)

    def digest(self, modules: Iterable[str]) -> str:
        """One digest of the sources of ``modules`` (their names and bytes)."""
        digest = hashlib.sha256()
        for module in sorted(modules):
            digest.update(module.encode() + b"\0" + self.path(module).read_bytes() + b"\0")
        return digest.hexdigest()[:16]


_DYNAMIC_IMPORT = re.compile(r"import_module|__import__|iter_modules|walk_packages")
# The exercise a ``check("<name>", ...)`` call names. Read from the text, not the syntax tree (a
# walk of every lesson's tree was a third of a no-change rebuild's fingerprinting); a match in a
# comment or a string only adds a module to the fingerprint: a needless re-run, never a missed one.
_CHECKED_EXERCISE = re.compile(r"\bcheck\(\s*[\"']([^\"']+)[\"']")


def _statements(body: list) -> Iterable[ast.AST]:
    """The statements of ``body`` and of every block nested in them (functions, ifs, tries, ...)."""
    for node in body:
        yield node
        for block in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, block, None)
            if isinstance(children, list):
                yield from _statements(children)


def _absolute(module: str, level: int, package: str) -> str:
    if not level:
        return module
    anchor = package.split(".")[: len(package.split(".")) - (level - 1)]
    return ".".join([*anchor, module] if module else anchor)


def _called(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _names_path(call: ast.Call) -> bool:
    arguments = [*call.args, *(keyword.value for keyword in call.keywords)]
    return any(isinstance(arg, ast.Name) and arg.id == "__path__" for arg in arguments)


# -- the fingerprints --------------------------------------------------------------------------


# Lessons that plot the scaling study's committed results (19.2, 21.1) name this folder.
RESULTS_FOLDER = "benchmarks"


def lesson_fingerprints(
    lessons: dict[str, Path], package: Path | None = None, data_dir=None
) -> dict[str, dict[str, str]]:
    """The fingerprint of each lesson (``name -> file``): a digest of each input its output depends on.

    Every lesson: its own source, the helper modules it imports, the libraries, Python and the
    machine its cluster is sized to; a lesson that imports ``tutorial_helpers.bikes`` also the
    course data (`bikes.info` of ``data_dir``).
    """
    helpers = HelperModules(package)
    shared = shared_inputs()
    data = data_input(data_dir)
    fingerprints = {}
    for name, lesson in sorted(lessons.items()):
        modules = helpers.of_lesson(lesson)
        source = Path(lesson).read_bytes()
        results = results_input(Path(lesson)) if RESULTS_FOLDER.encode() in source else None
        fingerprints[name] = {
            "lesson": _digest(source),
            "course helpers": helpers.digest(modules),
            **({"course data": data} if DATA_MODULE in modules else {}),
            **({"committed results": results} if results else {}),
            **shared,
        }
    return fingerprints


def results_input(lesson: Path) -> str:
    """A digest of the committed ``make scale`` results a lesson plots (found, as the lesson finds them, above it)."""
    for folder in lesson.resolve().parents:
        results = folder / RESULTS_FOLDER / "results"
        if results.is_dir():
            return _digest(b"".join(path.name.encode() + path.read_bytes()
                                    for path in sorted(results.glob("*.json"))))
    return _digest(b"no results")


def shared_inputs() -> dict[str, str]:
    """The inputs of every lesson besides its own source and helpers: libraries, Python, machine."""
    # Lessons size their clusters from the cores granted and the machine's memory.
    machine = f"{granted_cores()} cores, {MEMORY_LIMIT} bytes"
    return {
        "libraries": _digest(" ".join(f"{name}={_version(name)}" for name in libraries()).encode()),
        "python": platform.python_version(),
        "machine": _digest(machine.encode()),
    }


def data_input(data_dir=None) -> str:
    """A digest of what the data folder holds (`bikes.info` without the folder's name), or of its absence."""
    try:
        held = bikes.info(data_dir)
    except bikes.DataError:
        return _digest(b"no data")
    held.pop("folder", None)  # the same data moved elsewhere gives the same outputs
    return _digest(json.dumps(held, sort_keys=True, default=str).encode())


def gallery_lessons(gallery_conf: dict, srcdir: str | Path) -> dict[str, Path]:
    """The lesson files sphinx-gallery reads, by path below the examples folder (``02_dataframe/plot_01_x.py``).

    As sphinx-gallery collects them: ``.py`` files in the examples folder and its subfolders,
    less those whose name matches ``ignore_pattern``.
    """
    dirs = gallery_conf["examples_dirs"]
    (examples_dir,) = [dirs] if isinstance(dirs, str) else dirs
    examples = Path(srcdir) / examples_dir
    ignore = gallery_conf.get("ignore_pattern", r"__init__\.py")
    files = [*examples.glob("*.py"), *examples.glob("*/*.py")]
    return {p.relative_to(examples).as_posix(): p for p in sorted(files) if not re.search(ignore, p.name)}


def rerun_if_inputs_changed(root: Path, fingerprints: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """Forget the md5 record of each lesson whose fingerprint differs from the last build's.

    ``root`` is the gallery's output folder, where lesson ``a/b.py`` has its md5 record ``a/b.py.md5``.
    Returns, for each lesson that runs again, the names of its inputs that changed.
    """
    record = root / FINGERPRINT_FILE
    previous = json.loads(record.read_text()) if record.exists() else {}
    changed = {}
    for name, inputs in fingerprints.items():
        before = previous.get(name)
        if not isinstance(before, dict):  # new lesson, first build, or a record of the older format
            changed[name] = sorted(inputs)
        elif before != inputs:
            changed[name] = sorted(k for k in inputs.keys() | before.keys() if before.get(k) != inputs.get(k))
    for name in changed:
        (root / f"{name}.md5").unlink(missing_ok=True)
    if changed or previous != fingerprints:
        write_json_atomic(record, fingerprints)
    return changed


def rerun_lessons_if_stale(app) -> None:
    """Sphinx ``builder-inited`` hook: make sphinx-gallery re-run the lessons whose inputs changed."""
    if not lessons_run(app.config):  # `make html-noplot` runs nothing
        return
    gallery_conf = app.config.sphinx_gallery_conf
    lessons = gallery_lessons(gallery_conf, app.srcdir)
    changed = rerun_if_inputs_changed(gallery_root(gallery_conf, app.srcdir), lesson_fingerprints(lessons))
    if changed:
        logger.info("tutorial_helpers: lesson inputs changed, %d of %d lessons run again (%s)",
                    len(changed), len(lessons), summary(changed))


def summary(changed: dict[str, list[str]]) -> str:
    """``"course helpers: 3 lessons, lesson: 1 lesson"``: how many lessons each input sends to run again."""
    counts: dict[str, int] = {}
    for inputs in changed.values():
        for name in inputs:
            counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{name}: {n} lesson{'s' if n != 1 else ''}" for name, n in sorted(counts.items()))


def libraries() -> list[str]:
    """Every distribution the course installs (pyproject's dependencies and extras), by name."""
    requirements = requires(COURSE_DISTRIBUTION) or []
    return sorted({re.match(r"[A-Za-z0-9._-]+", requirement).group(0).lower() for requirement in requirements})


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "absent"
