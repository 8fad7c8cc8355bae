"""Re-run lessons when what their outputs depend on changes, not only when their own file does.

sphinx-gallery re-runs a lesson only when the lesson file changes (it keeps an md5 of it). The
pages also depend on the course helpers, the course data, the installed libraries and the
machine the lessons' clusters are sized to. This Sphinx extension fingerprints those inputs; when the fingerprint
differs from the last build's, it drops sphinx-gallery's md5 records so every lesson runs again,
and says in the build log which inputs changed.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path

from distributed.system import MEMORY_LIMIT
from sphinx.util import logging

import tutorial_helpers
from tutorial_helpers import bikes
from tutorial_helpers.cores import granted_cores
from tutorial_helpers.sphinxext.gallery import gallery_root, lessons_run, write_json_atomic

FINGERPRINT_FILE = "inputs-fingerprint.json"
COURSE_DISTRIBUTION = "dask-course"

logger = logging.getLogger(__name__)


def lesson_inputs(data_dir: Path | None = None) -> dict[str, str]:
    """A digest of each input that every lesson's output depends on, besides the lesson itself."""
    helpers = hashlib.sha256()
    package = Path(tutorial_helpers.__file__).parent
    for path in sorted(package.rglob("*.py")):
        helpers.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    manifest = Path(data_dir or bikes.data_dir()) / "manifest.json"
    # Lessons size their clusters from the cores granted and the machine's memory.
    machine = f"{granted_cores()} cores, {MEMORY_LIMIT} bytes"
    return {
        "course helpers": helpers.hexdigest(),
        "course data": _digest(manifest.read_bytes() if manifest.exists() else b"no data"),
        "libraries": _digest(" ".join(f"{name}={_version(name)}" for name in libraries()).encode()),
        "python": platform.python_version(),
        "machine": _digest(machine.encode()),
    }


def rerun_if_inputs_changed(root: Path, inputs: dict[str, str]) -> list[str]:
    """Forget the md5 records of the gallery at ``root`` if ``inputs`` differ from the last build's; say which."""
    record = root / FINGERPRINT_FILE
    previous = json.loads(record.read_text()) if record.exists() else None
    if previous == inputs:
        return []
    changed = sorted(inputs) if previous is None else sorted(k for k in inputs if previous.get(k) != inputs[k])
    for md5 in root.glob("**/*.py.md5"):
        md5.unlink()
    write_json_atomic(record, inputs)
    return changed


def rerun_lessons_if_stale(app) -> None:
    """Sphinx ``builder-inited`` hook: make sphinx-gallery re-run every lesson if an input changed."""
    if not lessons_run(app.config):  # `make html-noplot` runs nothing
        return
    root = gallery_root(app.config.sphinx_gallery_conf, app.srcdir)
    changed = rerun_if_inputs_changed(root, lesson_inputs())
    if changed:
        logger.info("tutorial_helpers: lesson inputs changed (%s): every lesson runs again", ", ".join(changed))


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
