"""The course package as the site ships it, and one dependency list: pyproject's.

pyproject.toml is the source of the packages the course needs; the wheel in the site carries
them, the notebooks' first cell installs that wheel, the staleness fingerprint covers them, and
the Setting up page's conda route names them.
"""

import re
import subprocess
import sys
import tomllib
import zipfile

from conftest import ROOT
from tutorial_helpers.sphinxext import course_package, staleness

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# conda-forge names where they differ from PyPI's.
CONDA_NAMES = {"graphviz": "python-graphviz"}


def distribution(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9._-]+", requirement).group(0).lower()


def test_the_wheel_holds_the_learner_package_and_pyprojects_dependencies(tmp_path):
    wheel = course_package.build_wheel(tmp_path)
    assert wheel.name == course_package.wheel_name() == "dask_course-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read("dask_course-0.1.0.dist-info/METADATA").decode()
    package = ROOT / "src" / "tutorial_helpers"
    modules = {f"tutorial_helpers/{path.relative_to(package).as_posix()}" for path in package.rglob("*.py")}
    assert len(modules) >= 3 and modules <= set(names), "every module of the course package is in the wheel"
    required = {distribution(line.split(":", 1)[1].strip()) for line in metadata.splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line}
    assert required == {distribution(r) for r in PYPROJECT["project"]["dependencies"]}
    assert not any(name.startswith(("build/", "src/")) for name in names)


def test_the_setup_page_links_the_wheel_the_build_makes():
    setup = (ROOT / "docs" / "setup.md").read_text()
    assert f'href="../{course_package.wheel_name()}"' in setup
    assert f"pip install {course_package.wheel_name()}" in setup


def test_the_first_cell_installs_from_the_site_it_was_built_for():
    cell = course_package.first_notebook_cell("https://example.org/course/")
    assert 'COURSE_PACKAGE = "https://example.org/course/dask_course-0.1.0-py3-none-any.whl"' in cell
    compile(cell, "first cell", "exec")


def test_without_a_base_url_the_first_cell_points_to_the_setup_page(tmp_path):
    cell = course_package.first_notebook_cell("")
    assert "http" not in cell
    # Where the course package is missing, it stops with one line that says what to do.
    result = subprocess.run([sys.executable, "-c", "import sys; sys.modules['tutorial_helpers'] = None\n" + cell.replace(
        'importlib.util.find_spec("tutorial_helpers") is None', "True")], capture_output=True, text=True)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith("ModuleNotFoundError: The course package")


def test_the_staleness_fingerprint_covers_every_dependency():
    wanted = {distribution(r) for r in PYPROJECT["project"]["dependencies"]}
    for extra in PYPROJECT["project"]["optional-dependencies"].values():
        wanted |= {distribution(r) for r in extra}
    assert set(staleness.libraries()) == wanted


def test_the_conda_route_installs_every_dependency():
    setup = (ROOT / "docs" / "setup.md").read_text()
    conda = setup.split("## With conda", 1)[1].split("## ", 1)[0]
    command = re.search(r"conda create (.*?)\n(?!\s)", conda.replace("\\\n", " "), flags=re.S).group(1)
    named = set(command.split())
    for requirement in PYPROJECT["project"]["dependencies"]:
        name = distribution(requirement)
        assert CONDA_NAMES.get(name, name) in named, f"the conda route misses {name}"


def locked_versions() -> dict[str, list[str]]:
    """Every pinned distribution of the lock, with its versions (one per Python range)."""
    pins = {}
    for line in (ROOT / "requirements-lock.txt").read_text().splitlines():
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)", line)
        if match:
            pins.setdefault(match.group(1).lower().replace("_", "-"), []).append(match.group(2))
    return pins


def test_the_lock_pins_every_requirement_within_pyprojects_ranges():
    from packaging.requirements import Requirement

    pins = locked_versions()
    requirements = list(PYPROJECT["project"]["dependencies"])
    for extra in ("docs", "test"):
        requirements += PYPROJECT["project"]["optional-dependencies"][extra]
    for text in requirements:
        requirement = Requirement(text)
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"{name} is in pyproject but not in the lock: run `make lock`"
        assert all(requirement.specifier.contains(v, prereleases=True) for v in pins[name]), (
            f"the lock pins {name} {pins[name]}, outside pyproject's {requirement.specifier}: run `make lock`")


def test_the_build_environment_is_the_locked_one():
    from importlib.metadata import version

    pins = locked_versions()
    for name in ("dask", "distributed", "pandas", "numpy", "pyarrow", "sphinx", "sphinx-gallery"):
        assert version(name) in pins[name], f"{name} {version(name)} is installed, the lock has {pins[name]}"


def test_the_notebooks_zip_is_copied_to_the_site_root(tmp_path):
    """``workshop prepare`` downloads it from ``<html_baseurl>/lessons_jupyter.zip``."""
    from types import SimpleNamespace

    (tmp_path / "src" / "lessons").mkdir(parents=True)
    (tmp_path / "src" / "lessons" / "lessons_jupyter.zip").write_bytes(b"zip")
    app = SimpleNamespace(builder=SimpleNamespace(format="html"), srcdir=str(tmp_path / "src"),
                          outdir=str(tmp_path / "html"),
                          config=SimpleNamespace(sphinx_gallery_conf={"gallery_dirs": "lessons"}))
    (tmp_path / "html").mkdir()

    course_package.put_notebooks_in_site(app, None)

    assert (tmp_path / "html" / "lessons_jupyter.zip").read_bytes() == b"zip"
