"""Downloaded lesson notebooks read as notebooks: no raw reST, solutions collapsed, links into the site.

Unit tests convert small reST snippets and every lesson's notebook as sphinx-gallery writes it;
the test session's strict build of the whole site checks what learners download (and
tests/test_extension.py the notebook of a tiny site's build, in `make test-fast`).
"""

import json
import re
import zipfile
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from sphinx_gallery.notebook import jupyter_notebook, save_notebook
from sphinx_gallery.py_source_parser import split_code_and_text_blocks

from conftest import LESSONS, ROOT
from tutorial_helpers.sphinxext import notebooks
from tutorial_helpers.sphinxext.notebooks import Site, to_markdown

BASE_URL = "https://example.org/dask-course/"
SITE = Site(
    base_url=BASE_URL,
    targets={
        ("term", "partition"): ("docs/glossary.html#term-partition", "partition"),
        ("term", "gil"): ("docs/glossary.html#term-GIL", "GIL"),
        ("ref", "dask-dataframe"): ("lessons/02_dataframe/index.html#dask-dataframe", "2. Dask DataFrame"),
        ("doc", "docs/data"): ("docs/data.html", "About the data"),
    },
    srcdir=ROOT,
)
NO_URL_SITE = Site(targets=SITE.targets, srcdir=ROOT)
# sphinx-gallery's settings that shape a notebook, as conf.py leaves them
GALLERY_CONF = {"first_notebook_cell": "print('first cell')", "last_notebook_cell": None, "notebook_images": False,
                "pypandoc": False, "promote_jupyter_magic": False, "remove_config_comments": True}


def markdown_cells(notebook: dict) -> list[str]:
    return ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown"]


def leftover_rst(markdown: str) -> list[str]:
    """What a learner would see as raw reST: directive lines and Sphinx roles, outside code blocks."""
    prose = re.sub(r"^ *(`{3,}).*?^ *\1 *$", "", markdown, flags=re.M | re.S)
    lines = [line for line in prose.splitlines() if re.match(r"\s*\.\.( |$)", line)]
    return lines + re.findall(r":(?:term|ref|doc):`[^`]*`", markdown)


def open_solutions(markdown: str) -> bool:
    """Whether a solution is in plain view: "Solution" outside every <details> block."""
    return "Solution" in re.sub(r"<details>.*?</details>", "", markdown, flags=re.S)


def raw_notebook(lesson: Path, folder: Path) -> Path:
    """The lesson's notebook as sphinx-gallery writes it, before conversion."""
    _, blocks = split_code_and_text_blocks(str(lesson))
    path = folder / lesson.with_suffix(".ipynb").name
    save_notebook(jupyter_notebook(blocks, GALLERY_CONF, str(folder)), path)
    return path


def docname(lesson: Path) -> str:
    return f"lessons/{lesson.parent.name}/{lesson.stem}"


# -- Each construct --------------------------------------------------------------------------

SOLUTION = """\
Exercise
--------
Count the trips.

.. dropdown:: Solution

   .. code-block:: python

      n = len(trips)

      print(n)
"""


def test_a_solution_is_collapsed_in_a_details_block():
    markdown = to_markdown(SOLUTION)
    assert markdown.endswith(
        "Count the trips.\n\n<details>\n<summary>Solution</summary>\n\n"
        "```python\nn = len(trips)\n\nprint(n)\n```\n\n</details>\n"
    )
    assert not open_solutions(markdown)


def test_a_list_table_is_a_markdown_table():
    rst = """\
.. list-table::
   :header-rows: 1

   * - Your code uses
     - Reach for
   * - pandas DataFrames
     - ``dask.dataframe``, over many :term:`partitions <partition>`,
       one per file
"""
    assert to_markdown(rst, NO_URL_SITE) == (
        "| Your code uses | Reach for |\n"
        "| --- | --- |\n"
        "| pandas DataFrames | ``dask.dataframe``, over many *partitions*, one per file |\n"
    )


def test_a_list_table_without_header_rows_gets_an_empty_header():
    markdown = to_markdown(".. list-table::\n\n   * - a | b\n     - c\n")
    assert markdown == "|  |  |\n| --- | --- |\n| a \\| b | c |\n"


def test_tabs_follow_one_another_each_under_its_name():
    rst = """\
Before and after.

.. tab-set::

   .. tab-item:: pandas

      .. code-block:: python

         pd.read_csv(path)

   .. tab-item:: Dask DataFrame

      .. code-block:: python

         dd.read_csv(paths)

Two lines change.
"""
    assert to_markdown(rst) == (
        "Before and after.\n\n**pandas**\n\n```python\npd.read_csv(path)\n```\n\n"
        "**Dask DataFrame**\n\n```python\ndd.read_csv(paths)\n```\n\nTwo lines change.\n"
    )


def test_code_for_another_machine_says_it_is_not_run_here():
    rst = ".. container:: not-run-here\n\n   .. code-block:: python\n\n      client = Client(address)\n"
    assert to_markdown(rst) == f"{notebooks.NOT_RUN_HERE_NOTE}\n\n```python\nclient = Client(address)\n```\n"
    assert to_markdown(".. container:: wide\n\n   Text.\n") == "Text.\n"


def test_a_literalinclude_shows_the_lines_the_page_shows(tmp_path):
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "job.sh").write_text("#!/bin/bash\n# header\nimport argparse\nrun\nif main:\n")
    rst = """\
.. literalinclude:: /examples/job.sh
   :language: bash
   :start-at: import argparse
   :end-before: if main:
"""
    assert to_markdown(rst, Site(srcdir=tmp_path), docname="lessons/x/plot_y") == "```bash\nimport argparse\nrun\n```\n"


def test_the_lessons_job_scripts_are_included_whole():
    lesson = ROOT / "examples" / "13_multi_node" / "plot_02_hpc_job_schedulers.py"
    markdown = "\n".join(notebooks.notebook_markdown(lesson, SITE, docname(lesson), GALLERY_CONF))
    for script in ("job_sge_16cores.sh", "job_slurm_16cores.sh"):
        assert (lesson.parent / script).read_text().rstrip() in markdown


def test_admonitions_literal_blocks_and_comments():
    rst = """\
.. note:: Spilled data
   goes to disk.

.. a comment for authors

Run it with::

   python bikes_batch.py

.. rubric:: Further reading

.. code-block:: console

   $ make html
"""
    assert to_markdown(rst) == (
        "> **Note**\n>\n> Spilled data goes to disk.\n\n"
        "Run it with:\n\n```\npython bikes_batch.py\n```\n\n"
        "**Further reading**\n\n```console\n$ make html\n```\n"
    )


def test_a_doctest_block_is_code_not_a_quote():
    assert to_markdown("Try it:\n\n>>> 1 + 1\n2\n") == "Try it:\n\n```pycon\n>>> 1 + 1\n2\n```\n"


def test_other_roles_show_their_text_code_roles_as_code():
    assert to_markdown("Call :func:`~dask.compute` or :py:meth:`persist`; :guilabel:`Run`.") == (
        "Call `compute` or `persist`; Run.\n")


def test_an_unknown_directive_is_left_as_rst_and_reported(monkeypatch):
    reported = []
    monkeypatch.setattr(notebooks.logger, "warning", lambda *args, **kwargs: reported.append(args))
    assert to_markdown(".. mystery:: x\n\n   body\n") == ".. mystery:: x\n\nbody\n"
    assert reported and "mystery" in reported[0]


# -- Roles and links ---------------------------------------------------------------------------

ROLES = ("Each file is a :term:`partition`; the :term:`GIL` is released. See :ref:`lesson 2 <dask-dataframe>`, "
         ":ref:`dask-dataframe` and :doc:`/docs/data`.")


def test_without_a_base_url_roles_keep_their_text_and_link_nowhere():
    assert to_markdown(ROLES, NO_URL_SITE) == (
        "Each file is a *partition*; the *GIL* is released. See lesson 2, 2. Dask DataFrame and About the data.\n"
    )


def test_with_a_base_url_roles_link_into_the_site():
    assert to_markdown(ROLES, SITE, docname="lessons/02_dataframe/plot_01_same_with_dask") == (
        f"Each file is a [partition]({BASE_URL}docs/glossary.html#term-partition); "
        f"the [GIL]({BASE_URL}docs/glossary.html#term-GIL) is released. "
        f"See [lesson 2]({BASE_URL}lessons/02_dataframe/index.html#dask-dataframe), "
        f"[2. Dask DataFrame]({BASE_URL}lessons/02_dataframe/index.html#dask-dataframe) "
        f"and [About the data]({BASE_URL}docs/data.html).\n"
    )


def test_relative_doc_paths_start_at_the_lesson_page():
    site = Site(BASE_URL, {("doc", "lessons/02_dataframe/index"): ("lessons/02_dataframe/index.html", "Dask")})
    assert to_markdown(":doc:`index`", site, docname="lessons/02_dataframe/plot_01") == (
        f"[Dask]({BASE_URL}lessons/02_dataframe/index.html)\n")


def test_a_target_the_site_does_not_know_keeps_its_text():
    assert to_markdown(":term:`spill` and :ref:`the end <nowhere>`", SITE) == "*spill* and the end\n"


def test_roles_inside_inline_literals_stay_literal():
    assert to_markdown("Write ``:term:`partition``` in reST.", SITE) == "Write ``:term:`partition``` in reST.\n"


# -- What sphinx-gallery's rst2md already got right -------------------------------------------

def test_headings_code_links_and_math_convert_as_before():
    rst = """\
The same with Dask
==================

A section
---------
``compute()`` runs it; see the `Dask docs
<https://docs.dask.org/>`_, `Xarray <https://docs.xarray.dev/>`__ and :math:`n^2`.
"""
    assert to_markdown(rst) == (
        "# The same with Dask\n\n## A section\n"
        "``compute()`` runs it; see the [Dask docs](https://docs.dask.org/), "
        "[Xarray](https://docs.xarray.dev/) and $n^2$.\n"
    )


# -- Whole notebooks ---------------------------------------------------------------------------

@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.stem for lesson in LESSONS])
def test_every_lesson_notebook_converts_once_and_for_all(lesson, tmp_path):
    path = raw_notebook(lesson, tmp_path)
    before = json.loads(path.read_text())
    markdown = notebooks.notebook_markdown(lesson, SITE, docname(lesson), GALLERY_CONF)
    assert notebooks.convert_notebook(path, markdown)
    converted = path.read_bytes()
    assert not notebooks.convert_notebook(path, markdown)  # converting again changes nothing
    assert path.read_bytes() == converted
    after = nbformat.reads(converted.decode(), as_version=4)
    nbformat.validate(after)
    assert [c for c in before["cells"] if c["cell_type"] == "code"] == \
        [c for c in json.loads(converted)["cells"] if c["cell_type"] == "code"]
    text = "\n".join(markdown_cells(json.loads(converted)))
    assert leftover_rst(text) == []
    assert not open_solutions(text)
    assert text.count("<summary>Solution</summary>") == lesson.read_text().count(".. dropdown:: Solution") >= 1


def test_the_first_cell_follows_the_current_build(tmp_path):
    """A lesson not re-run keeps its notebook, but its install cell must name this build's site."""
    from tutorial_helpers.sphinxext.course_package import first_notebook_cell

    lesson = LESSONS[0]
    path = raw_notebook(lesson, tmp_path)
    markdown = notebooks.notebook_markdown(lesson, SITE, docname(lesson), GALLERY_CONF)
    notebooks.convert_notebook(path, markdown, first_notebook_cell("https://old.example.org/"))
    assert notebooks.convert_notebook(path, markdown, first_notebook_cell("https://new.example.org/"))
    cells = json.loads(path.read_text())["cells"]
    first = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
    assert "https://new.example.org/dask_course-" in first and "old.example.org" not in first


def test_a_notebook_that_does_not_match_its_lesson_is_left_alone(tmp_path):
    lesson = LESSONS[0]
    path = raw_notebook(lesson, tmp_path)
    raw = path.read_bytes()
    with pytest.raises(ValueError, match="Markdown cells"):
        notebooks.convert_notebook(path, ["# one cell too many\n"] * 99)
    assert path.read_bytes() == raw


def test_zips_get_the_converted_notebook_once(tmp_path):
    lesson = LESSONS[0]
    notebook = raw_notebook(lesson, tmp_path)
    (tmp_path / lesson.name).write_text(lesson.read_text())
    archive = tmp_path / "lesson.zip"
    with zipfile.ZipFile(archive, "w") as opened:
        opened.write(tmp_path / lesson.name, lesson.name)
        opened.write(notebook, notebook.name)
    assert not notebooks.refresh_zip(archive)  # nothing converted yet
    notebooks.convert_notebook(notebook, notebooks.notebook_markdown(lesson, SITE, docname(lesson), GALLERY_CONF))
    assert notebooks.refresh_zip(archive)
    with zipfile.ZipFile(archive) as opened:
        assert opened.namelist() == [lesson.name, notebook.name]
        assert opened.read(notebook.name) == notebook.read_bytes()
    assert not notebooks.refresh_zip(archive)


# -- What a build leaves for learners ----------------------------------------------------------

def built_notebooks(html: Path, source: Path) -> dict[str, dict]:
    """Every notebook a learner can download from the site, and those in the built tree's gallery."""
    found = {str(path): json.loads(path.read_text()) for path in sorted((html / "_downloads").glob("*/*.ipynb"))}
    found.update({str(path): json.loads(path.read_text()) for path in sorted((source / "lessons").glob("*/*.ipynb"))})
    for archive in sorted((html / "_downloads").glob("*/*.zip")):
        with zipfile.ZipFile(archive) as opened:
            found.update({f"{archive.name}:{name}": json.loads(opened.read(name))
                          for name in opened.namelist() if name.endswith(".ipynb")})
    return found


def check_built_notebooks(html: Path, source: Path) -> dict[str, dict]:
    found = built_notebooks(html, source)
    downloads = [name for name in found if "/_downloads/" in name and name.endswith(".ipynb")]
    assert len(downloads) == len(LESSONS)
    assert sum(name.startswith("lessons_jupyter.zip:") for name in found) == len(LESSONS)
    for name, notebook in found.items():
        nbformat.validate(nbformat.from_dict(notebook))
        text = "\n".join(markdown_cells(notebook))
        assert leftover_rst(text) == [], name
        assert not open_solutions(text), name
        assert text.count("<summary>Solution</summary>") >= 1, name
        assert "Instructor notes" not in text, name
    return found


def check_links(html: Path, base_url: str, markdown: list[str]) -> None:
    """Links into the site at ``base_url`` reach glossary terms and lessons: pages and anchors that exist."""
    links = {link for cell in markdown for link in re.findall(rf"\]\({re.escape(base_url)}([^)\s]*)\)", cell)}
    assert any("glossary.html#term-" in link for link in links)
    assert any(link.startswith("lessons/") for link in links)
    for link in sorted(links):
        page, _, anchor = link.partition("#")
        assert (html / page).is_file(), link
        if anchor:
            assert BeautifulSoup((html / page).read_text(), "html.parser").find(id=anchor), link


@pytest.mark.build
def test_built_site_notebooks_have_no_rst_left(built_site):
    assert built_site["returncode"] == 0, built_site["log"][-5000:]
    found = check_built_notebooks(built_site["html"], built_site["source"])
    if built_site.get("url"):  # built for publication at that address: the links lead into the site
        downloaded = [notebook for name, notebook in found.items() if "/_downloads/" in name]
        check_links(built_site["html"], built_site["url"], [cell for nb in downloaded for cell in markdown_cells(nb)])


# -- Instructor notes --------------------------------------------------------------------------

NOTES = """\
.. dropdown:: Instructor notes
   :class-container: instructor-notes
   :icon: mortar-board

   - What usually goes wrong: the kernel.
"""


def test_instructor_notes_stay_out_of_the_notebook():
    assert to_markdown(f"Before.\n\n{NOTES}\nAfter.\n") == "Before.\n\nAfter.\n"
    assert to_markdown(NOTES).strip() == ""
    assert "Solution" in to_markdown(SOLUTION)  # other dropdowns stay


def test_a_block_of_only_instructor_notes_leaves_no_empty_cell(tmp_path):
    lesson = tmp_path / "plot_01_notes.py"
    lesson.write_text(f'"""\nTitle\n=====\n\nWhat you will do.\n"""\n\n# %%\n# {NOTES.replace(chr(10), chr(10) + "# ")}\n'
                      "x = 1\n\n# %%\n# Key points\n# ----------\n# One.\n\nx\n")
    path = raw_notebook(lesson, tmp_path)
    markdown = notebooks.notebook_markdown(lesson, SITE, "lessons/x/plot_01_notes", GALLERY_CONF)
    assert len(markdown_cells(json.loads(path.read_text()))) == len(markdown) == 3
    assert notebooks.convert_notebook(path, markdown)
    converted = path.read_bytes()
    cells = markdown_cells(json.loads(converted))
    assert len(cells) == 2 and all(cell.strip() for cell in cells)
    assert not any("Instructor" in cell for cell in cells)
    assert not notebooks.convert_notebook(path, markdown)  # converting again changes nothing
    assert path.read_bytes() == converted


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.stem for lesson in LESSONS])
def test_every_lesson_has_instructor_notes_that_its_notebook_leaves_out(lesson, tmp_path):
    assert re.search(r"^# \.\. dropdown:: Instructor notes\n#    :class-container: instructor-notes$",
                     lesson.read_text(), re.M), "no instructor notes near the top of the lesson"
    path = raw_notebook(lesson, tmp_path)
    notebooks.convert_notebook(path, notebooks.notebook_markdown(lesson, SITE, docname(lesson), GALLERY_CONF))
    cells = markdown_cells(json.loads(path.read_text()))
    assert all(cell.strip() for cell in cells)
    assert not any("Instructor notes" in cell or "Ask the room" in cell for cell in cells)
