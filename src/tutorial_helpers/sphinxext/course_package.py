"""The course package inside the site, and the first cell of every downloaded notebook.

A learner who downloads a lesson notebook may have only Python, pip and Jupyter. So every HTML
build puts a wheel of this project (``tutorial_helpers`` and, through its metadata, pyproject's
dependency list) at the root of the site, and every notebook starts with a cell that installs that
wheel from the site it was downloaded from (``html_baseurl``) when ``tutorial_helpers`` is missing.
Where the build has no ``html_baseurl``, the cell says where to get the package instead.

The site's root also gets the zip of all lesson notebooks (``lessons_jupyter.zip``, as on the
lessons page) at a fixed address, which ``python -m tutorial_helpers workshop prepare`` downloads.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

from sphinx.errors import ExtensionError

from tutorial_helpers import files
from tutorial_helpers.sphinxext.gallery import gallery_root

DISTRIBUTION = "dask-course"
#: Where the project's sources are, for building its wheel.
PROJECT_ROOT = Path(__file__).resolve().parents[3]


def wheel_name() -> str:
    """The file name of the course package's wheel (pure Python, any platform)."""
    return f"{DISTRIBUTION.replace('-', '_')}-{version(DISTRIBUTION)}-py3-none-any.whl"


def wheel_url(base_url: str) -> str | None:
    """Where the wheel is on the published site, or None when the build has no base URL."""
    return f"{base_url.rstrip('/')}/{wheel_name()}" if base_url else None


def build_wheel(outdir: Path) -> Path:
    """Put the course package's wheel into ``outdir``, built once per version of the sources."""
    target = Path(outdir) / wheel_name()
    cached = _build_cached_wheel()
    target.parent.mkdir(parents=True, exist_ok=True)
    files.copy_atomic(cached, target)
    return target


def _build_cached_wheel() -> Path:
    """The wheel of the sources as they are now, kept in a temporary folder named by their digest."""
    digest = hashlib.sha256()
    for path in [PROJECT_ROOT / "pyproject.toml", PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "src").rglob("*.py"))]:
        digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    cache = Path(tempfile.gettempdir()) / f"dask-course-wheel-{digest.hexdigest()[:16]}"
    target = cache / wheel_name()
    if target.exists():
        return target
    cache.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        # Built from a copy, so that setuptools' build/ and egg-info folders never land in the sources.
        copy = Path(scratch, "project")
        copy.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(PROJECT_ROOT / name, copy / name)
        shutil.copytree(PROJECT_ROOT / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
             "--wheel-dir", scratch, str(copy)],
            capture_output=True, text=True,
        )
        if built.returncode != 0:
            raise ExtensionError(f"could not build the course package's wheel: {built.stderr.strip()[-500:]}")
        # Two builds at once may both build it: each moves a complete file into place.
        files.copy_atomic(Path(scratch, wheel_name()), target)
    return target


def first_notebook_cell(base_url: str) -> str:
    """The code that opens every downloaded notebook: install the course package if it is missing."""
    url = wheel_url(base_url)
    if url is None:
        install = (
            '    raise ModuleNotFoundError("The course package (tutorial_helpers) is missing: install it as the '
            "course's Setting up page says, then restart the kernel.\")\n"
        )
    else:
        install = f"""\
    COURSE_PACKAGE = "{url}"
    print(f"Installing the course package and what it needs from {{COURSE_PACKAGE}} (once)...")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", COURSE_PACKAGE])
    if pip.returncode != 0:
        raise ModuleNotFoundError("Could not install the course package: install it as the course's "
                                  "Setting up page says, then restart the kernel.")
    importlib.invalidate_caches()
"""
    return f"""\
# Run this cell first. It installs the course package (tutorial_helpers, with Dask, pandas and the
# rest of what the lessons use) into this notebook's Python if it is not there yet.
import importlib.util
import shutil
import subprocess
import sys

if importlib.util.find_spec("tutorial_helpers") is None:
{install}if shutil.which("dot") is None:
    print("Graphviz's `dot` program is missing, so task graphs cannot be drawn: "
          "see the course's Setting up page.")"""


def set_first_notebook_cell(app, config) -> None:
    """Sphinx ``config-inited`` hook: give sphinx-gallery the first cell for this build's base URL."""
    config.sphinx_gallery_conf["first_notebook_cell"] = first_notebook_cell(config.html_baseurl)


def put_wheel_in_site(app) -> None:
    """Sphinx ``builder-inited`` hook: the wheel at the root of the HTML output."""
    if app.builder.format == "html":
        build_wheel(Path(app.outdir))


def put_notebooks_in_site(app, exception) -> None:
    """Sphinx ``build-finished`` hook: the notebooks' zip (converted by then) at the root of the HTML output."""
    if exception is not None or app.builder.format != "html":
        return
    root = gallery_root(app.config.sphinx_gallery_conf, app.srcdir)
    archive = root / f"{root.name}_jupyter.zip"
    if archive.is_file():
        files.copy_atomic(archive, Path(app.outdir) / archive.name)
