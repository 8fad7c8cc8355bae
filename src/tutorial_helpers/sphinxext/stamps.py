"""What each page says about where and with what its outputs were computed.

Every lesson page ends with a note: the Dask schedulers and clusters its computations ran on
(as ``tutorial_helpers.schedulers`` logged them while the lesson ran), the machine, the versions of Python and of
the libraries it uses (dask, distributed, pandas, numpy, and any other library the lesson
imports), the build date and the source commit. The note is recorded when the lesson runs and
kept beside the generated pages, so a page that sphinx-gallery did not re-run still states the
run its numbers belong to. The home page states the same for the whole site build.
"""

from __future__ import annotations

import ast
import datetime
import functools
import json
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from pathlib import Path

from dask.system import CPU_COUNT
from distributed.system import MEMORY_LIMIT

from tutorial_helpers.sphinxext.gallery import gallery_root, write_json_atomic

STAMPS_FILE = "page_stamps.json"
#: Named on every page, whatever the lesson imports.
CORE_LIBRARIES = ("dask", "distributed", "pandas", "numpy")


def lesson_libraries(lesson: Path) -> list[str]:
    """The core libraries, then every other installed distribution the lesson's code imports."""
    tree = ast.parse(Path(lesson).read_text())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
    by_module = _packages_distributions()
    extra = {dist for module in modules for dist in by_module.get(module, [])}
    extra -= {"dask-course", *CORE_LIBRARIES}
    return [*CORE_LIBRARIES, *sorted(extra, key=str.lower)]


def versions(libraries: list[str]) -> str:
    """``Python 3.11.7, dask 2026.8.0, …`` for the given distributions."""
    found = [f"Python {platform.python_version()}"]
    for name in libraries:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return ", ".join(found)


def source_commit(folder: Path) -> str:
    """The git commit the sources are at (with "+ local changes" when they differ), or "unknown"."""
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    commit = git("rev-parse", "--short=10", "HEAD")
    if not commit:
        return "unknown"
    return commit + (" + local changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def build_stamp(srcdir: Path, libraries: list[str]) -> str:
    """Versions, today's date (UTC) and the source commit, as one sentence's worth of text."""
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    return f"{versions(libraries)}; built on {today} from commit {source_commit(srcdir)}"


def where_in_words(computed_on: list[str]) -> str:
    """The schedulers a lesson computed on (``schedulers.computed_on()``), and the machine, as prose."""
    words = []
    for kind in dict.fromkeys(computed_on):
        if kind.startswith("distributed: "):
            words.append("a dask.distributed cluster of " + kind.removeprefix("distributed: "))
        elif kind in ("threads", "processes", "sync"):
            words.append(f"Dask's local {kind!r} scheduler")
        else:
            words.append(kind)
    where = f"Computed on {'; then '.join(words)}" if words else "No Dask computation ran here"
    return f"{where}. Machine: {CPU_COUNT} cores, {MEMORY_LIMIT / 2**30:.1f} GiB RAM, {platform.system()}"


def record(gallery_conf: dict, lesson: str, computed_on: list[str]) -> None:
    """Record, as lesson file ``lesson`` (a name, unique in the course) ends, where and with what it computed."""
    root = gallery_root(gallery_conf)
    examples = gallery_conf["examples_dirs"]
    examples = [examples] if isinstance(examples, str) else examples
    sources = [path for folder in examples for path in Path(gallery_conf["src_dir"], folder).glob(f"**/{Path(lesson).name}")]
    libraries = lesson_libraries(sources[0]) if sources else list(CORE_LIBRARIES)
    records = recorded(root)
    records[Path(lesson).name] = {"computed_on": list(dict.fromkeys(computed_on)), "with": build_stamp(Path(gallery_conf["src_dir"]), libraries)}
    write_json_atomic(root / STAMPS_FILE, records)


def recorded(root: Path) -> dict[str, dict[str, str]]:
    """What each lesson of the gallery at ``root`` was computed on and with, by file name."""
    path = Path(root) / STAMPS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def add_stamp(app, docname: str, source: list[str]) -> None:
    """Sphinx ``source-read`` hook: the note at the end of each lesson page, and of the home page."""
    if docname == app.config.root_doc:
        stamp = build_stamp(Path(app.srcdir), list(CORE_LIBRARIES))
        source[0] += f"\n\n```{{rubric}} This site's build\n```\n\nThis site was computed with {stamp}.\n"
        return
    root = gallery_root(app.config.sphinx_gallery_conf, app.srcdir)
    if not Path(app.srcdir, docname).is_relative_to(root):
        return
    stamp = recorded(root).get(Path(docname).name + ".py")
    if stamp:
        source[0] += (
            "\n\n.. rubric:: Where these outputs were computed\n\n"
            f"{where_in_words(stamp.get('computed_on', []))}.\n\nWith {stamp['with']}.\n"
        )


@functools.cache
def _packages_distributions() -> dict[str, list[str]]:
    # Scans every installed distribution's file list: seconds, so once a build.
    return packages_distributions()
