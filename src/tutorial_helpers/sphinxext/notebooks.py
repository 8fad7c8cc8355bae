"""Lesson notebooks that read as notebooks: their Markdown made from the lessons' reST.

sphinx-gallery writes each lesson's notebook with a small reST-to-Markdown converter of its own
(``sphinx_gallery.notebook.rst2md``). It knows headings, math, external links, ``note``,
``warning`` and code blocks, and leaves everything else as raw reST: in Jupyter a learner would
read ``.. dropdown:: Solution`` with the solution in plain view, ``list-table`` and ``tab-set``
markup, code blocks torn out of their tabs, and ``:term:`` roles and broken cross-references.
This module makes every Markdown cell of the gallery's notebooks again from the lesson's text:

- a ``dropdown`` with the ``instructor-notes`` class (``:class-container: instructor-notes``)
  goes: the notes are for whoever teaches from the page, and a learner's notebook would show them
  as one more cell to read; a text block that held nothing else leaves no empty cell behind;
- sphinx-design's other ``dropdown`` becomes a collapsed ``<details>`` block; ``tab-set`` and
  ``tab-item`` a bold line per tab followed by its content; ``container`` its content, with a
  note where it is ``not-run-here``; ``list-table`` a Markdown table; ``literalinclude`` the lines
  it shows on the page, as a code block; admonitions a quoted block; reST comments go;
- ``:term:``, ``:ref:`` and ``:doc:`` become links into the published site (``html_baseurl``),
  found through Sphinx's environment; without a base URL, their text (a term in italics);
- the rest goes through sphinx-gallery's ``rst2md`` as before.

It runs on ``env-updated``: after sphinx-gallery has written the notebooks (``builder-inited``)
and Sphinx has read every page, so that every label and term is known, and before the HTML
builder copies notebooks and zips into ``_downloads``. The cells are made from the lesson each
time, so converting a notebook that is already converted leaves it byte for byte as it was.
"""

from __future__ import annotations

import html
import json
import os
import re
import textwrap
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

from sphinx.config import Config
from sphinx.directives.code import LiteralInclude, LiteralIncludeReader
from sphinx.util import docname_join, logging
from sphinx.util.tags import Tags
from sphinx_gallery import py_source_parser
from sphinx_gallery.notebook import rst2md
from sphinx_gallery.utils import zip_files

from tutorial_helpers import files
from tutorial_helpers.sphinxext.gallery import gallery_root

logger = logging.getLogger(__name__)

NOT_RUN_HERE_NOTE = "*Not run here: this code is for another machine or set-up.*"
#: The class of the collapsed block of notes for instructors on a lesson page; notebooks drop it.
INSTRUCTOR_NOTES = "instructor-notes"


@dataclass(frozen=True)
class Site:
    """What a notebook's links need to know about the site it was downloaded from.

    ``targets`` maps ``(role, name)`` (``"term"``, ``"ref"`` or ``"doc"``; terms and labels in
    lower case) to the target's page address relative to the site root, with its anchor, and the
    text Sphinx shows for it. Links are made only when ``base_url`` is set.
    """

    base_url: str = ""
    targets: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    srcdir: Path = Path()
    source_encoding: str = "utf-8-sig"

    @classmethod
    def from_sphinx(cls, app, env) -> Site:
        """The site of this build: every glossary term, label and page Sphinx knows of."""
        std = env.domains.standard_domain
        uri = app.builder.get_target_uri
        targets = {("doc", docname): (uri(docname), env.titles[docname].astext() if docname in env.titles else docname)
                   for docname in env.all_docs}
        for label, (docname, anchor) in std.anonlabels.items():
            targets[("ref", label)] = (_with_anchor(uri(docname), anchor), "")
        for label, (docname, anchor, title) in std.labels.items():
            targets[("ref", label)] = (_with_anchor(uri(docname), anchor), title)
        for (objtype, name), (docname, anchor) in std.objects.items():
            if objtype == "term":
                targets[("term", name.lower())] = (_with_anchor(uri(docname), anchor), name)
        return cls(app.config.html_baseurl, targets, Path(app.srcdir), app.config.source_encoding)

    def link(self, role: str, target: str, docname: str = "") -> tuple[str, str | None]:
        """The text Sphinx shows for a ``:role:`target``` and its absolute address, if the site has one."""
        name = " ".join(target.split())
        key = docname_join(docname, name) if role == "doc" else name.lower()
        page, title = self.targets.get((role, key), (None, name))
        url = f"{self.base_url.rstrip('/')}/{page}" if self.base_url and page is not None else None
        return title or name, url


def to_markdown(rst: str, site: Site | None = None, *, docname: str = "", gallery_conf: dict | None = None,
                heading_levels: dict | None = None) -> str:
    """Markdown for Jupyter from one text block of a lesson (reST), as a learner should read it.

    ``docname`` is the lesson page's (relative ``:doc:`` and ``literalinclude`` paths start
    there); ``heading_levels`` is shared by the blocks of one notebook, as in sphinx-gallery.
    """
    context = _Context(
        site or Site(),
        docname,
        {"notebook_images": False, "rst_link_targets": {}, **(gallery_conf or {})},
        _new_heading_levels() if heading_levels is None else heading_levels,
    )
    return _convert(rst, context).strip("\n") + "\n"


def notebook_markdown(source: Path, site: Site, docname: str, gallery_conf: dict) -> list[str]:
    """The Markdown of every Markdown cell of lesson ``source``'s notebook, in order.

    Blocks are split and cleaned as sphinx-gallery does before it writes the notebook.
    """
    _, blocks = py_source_parser.split_code_and_text_blocks(str(source))
    blocks = [(label, py_source_parser.remove_ignore_blocks(content)) for label, content, _ in blocks]
    if gallery_conf.get("remove_config_comments"):
        blocks = [(label, py_source_parser.remove_config_comments(content)) for label, content in blocks]
    if blocks and blocks[-1][1].isspace():
        blocks = blocks[:-1]
    heading_levels = _new_heading_levels()
    return [to_markdown(content, site, docname=docname, gallery_conf=gallery_conf, heading_levels=heading_levels)
            for label, content in blocks if label == "text"]


def convert_notebook(notebook: Path, markdown: list[str], first_cell: str | None = None) -> bool:
    """Put ``markdown`` into the Markdown cells of ``notebook``, in order; say whether it changed.

    ``first_cell``, when given, replaces the first code cell: sphinx-gallery writes it only when a
    lesson runs, so a notebook of a lesson it did not re-run would keep an old build's address.
    """
    text = notebook.read_text(encoding="utf-8")
    content = json.loads(text)
    if first_cell is not None:
        code_cells = [cell for cell in content["cells"] if cell["cell_type"] == "code"]
        if code_cells:
            code_cells[0]["source"] = [first_cell.strip()]
    cells = [cell for cell in content["cells"] if cell["cell_type"] == "markdown"]
    shown = [source for source in markdown if source.strip()]
    if len(cells) == len(shown) != len(markdown):  # converted before: its empty cells are gone
        markdown = shown
    if len(cells) != len(markdown):
        raise ValueError(f"{notebook.name} has {len(cells)} Markdown cells but its lesson {len(markdown)} text "
                         "blocks: left as sphinx-gallery wrote it")
    for cell, source in zip(cells, markdown):
        cell["source"] = [source]
    # A block that held only instructor notes: no empty cell for the learner.
    content["cells"] = [cell for cell in content["cells"]
                        if cell["cell_type"] != "markdown" or "".join(cell["source"]).strip()]
    converted = json.dumps(content, indent=2)  # as sphinx_gallery.notebook.save_notebook writes it
    if converted == text:
        return False
    files.write_atomic(notebook, converted)
    return True


def refresh_zip(archive: Path) -> bool:
    """Rebuild ``archive`` when a notebook in it differs from the file beside it; say whether it did."""
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        stale = any(name.endswith(".ipynb") and (archive.parent / name).is_file()
                    and opened.read(name) != (archive.parent / name).read_bytes() for name in names)
    if stale:
        zip_files([archive.parent / name for name in names], archive, archive.parent)
    return stale


def convert_lesson_notebooks(app, env) -> None:
    """Sphinx ``env-updated`` hook: every lesson notebook and zip of the gallery, converted."""
    if app.builder.format != "html":  # notebooks reach learners through the HTML site only
        return
    gallery_conf = app.config.sphinx_gallery_conf
    root = gallery_root(gallery_conf, app.srcdir)
    site = Site.from_sphinx(app, env)
    converted = 0
    for notebook in sorted(root.glob("**/*.ipynb")):
        source = notebook.with_suffix(".py")
        if not source.is_file():
            continue
        docname = notebook.relative_to(app.srcdir).with_suffix("").as_posix()
        try:
            markdown = notebook_markdown(source, site, docname, gallery_conf)
            converted += convert_notebook(notebook, markdown, gallery_conf.get("first_notebook_cell"))
        except ValueError as error:
            logger.warning("%s", error, location=docname, type="dask-course", subtype="notebooks")
    refreshed = sum(refresh_zip(archive) for archive in sorted(root.glob("**/*.zip")))
    if converted or refreshed:
        logger.info("tutorial_helpers: Markdown of %d lesson notebooks converted, %d zips updated",
                    converted, refreshed)
    _forget_downloads_as_dependencies(env, root)


# -- The conversion ------------------------------------------------------------------------------

@dataclass
class _Context:
    site: Site
    docname: str
    gallery_conf: dict
    heading_levels: dict


def _new_heading_levels() -> dict:
    """Heading levels by adornment, numbered in order of first use, as sphinx-gallery numbers them."""
    levels = count(start=1)
    return defaultdict(lambda: next(levels))


_DIRECTIVE = re.compile(r"^(?P<indent> *)\.\. (?P<name>[\w:+-]+)::(?:[ \t]+(?P<argument>.*?))?[ \t]*$")
# `.. anything` that is no directive, hyperlink target (`.. _x:`), substitution or footnote
_COMMENT = re.compile(r"^(?P<indent> *)\.\.(?:[ \t]+(?![_|\[]).*)?$")
_OPTION = re.compile(r"^:(?P<name>[\w-]+):(?:[ \t]+(?P<value>.*))?$")
# Left for sphinx-gallery's rst2md, which converts them already
_RST2MD_DIRECTIVES = {"math", "image", "contents"}
_ADMONITIONS = {"note": "Note", "tip": "Tip", "hint": "Hint", "important": "Important", "warning": "Warning",
                "caution": "Caution", "attention": "Attention", "danger": "Danger", "error": "Error",
                "seealso": "See also"}
_LANGUAGES = {".py": "python", ".sh": "bash", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}


def _convert(text: str, context: _Context) -> str:
    """Markdown pieces, one per paragraph run or directive, joined by blank lines."""
    lines = text.split("\n")
    pieces: list[str] = []
    prose: list[str] = []

    def add(markdown: str) -> None:
        pieces.append(_prose(prose, context))
        prose.clear()
        pieces.append(markdown)

    i = 0
    while i < len(lines):
        line = lines[i]
        indent = len(line) - len(line.lstrip(" "))
        directive = _DIRECTIVE.match(line)
        if directive and directive["name"] in _RST2MD_DIRECTIVES:
            end = _block_end(lines, i, indent)
            prose.extend(lines[i:end])
            i = end
        elif directive:
            end = _block_end(lines, i, indent)
            add(textwrap.indent(_directive(directive, lines[i + 1:end], context), directive["indent"]))
            i = end
        elif _COMMENT.match(line):
            i = _block_end(lines, i, indent)
        elif line.rstrip().endswith("::") and _starts_indented_block(lines, i, indent):
            end = _block_end(lines, i, indent)
            prose.append(_without_literal_marker(line))
            add(textwrap.indent(_fence(textwrap.dedent("\n".join(lines[i + 1:end]))), " " * indent))
            i = end
        elif line.lstrip().startswith(">>>") and (not prose or not prose[-1].strip()):
            end = next((j for j in range(i, len(lines)) if not lines[j].strip()), len(lines))
            add(textwrap.indent(_fence(textwrap.dedent("\n".join(lines[i:end])), "pycon"), " " * indent))
            i = end
        else:
            prose.append(line)
            i += 1
    pieces.append(_prose(prose, context))
    return "\n\n".join(piece for piece in pieces if piece.strip())


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """The index after the block that starts at ``start``: the lines indented deeper, or blank."""
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip(" ")) > indent):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _starts_indented_block(lines: list[str], start: int, indent: int) -> bool:
    following = next((line for line in lines[start + 1:] if line.strip()), None)
    return following is not None and len(following) - len(following.lstrip(" ")) > indent


def _without_literal_marker(line: str) -> str:
    """A paragraph's last line without reST's ``::``, the way Sphinx shows it."""
    stripped = line.rstrip()
    if stripped.strip() == "::":
        return ""
    return stripped[:-3] if stripped.endswith(" ::") else stripped[:-1]


def _prose(lines: list[str], context: _Context) -> str:
    """Paragraphs, lists and headings: roles made Markdown here, the rest by sphinx-gallery's rst2md."""
    text = "\n".join(lines)
    if not text.strip():
        return ""
    target_dir = context.site.srcdir / os.path.dirname(context.docname)
    markdown = rst2md(_inline(text, context) + "\n", context.gallery_conf, target_dir, context.heading_levels)
    return markdown.strip("\n")


_INLINE = re.compile(
    r"(?P<literal>``(?:[^`]|`(?!`))+?``)"  # inline literals stay as they are
    r"|(?<![\w`]):(?P<role>[\w:+.-]+):`(?P<content>[^`]+)`(?!`)"
    r"|`(?P<label>[^`<]*?)\s*<(?P<url>[^`<>]+)>`__"  # an anonymous hyperlink; rst2md knows only `_`
)
_EXPLICIT_TITLE = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
_CODE_ROLES = {"code", "file", "samp", "command", "program", "envvar", "option", "kbd", "func", "class", "meth",
               "attr", "mod", "obj", "data", "exc", "const"}


def _inline(text: str, context: _Context) -> str:
    return _INLINE.sub(lambda match: _inline_markup(match, context), text)


def _inline_markup(match: re.Match, context: _Context) -> str:
    if match["literal"]:
        return match["literal"]
    if match["url"]:
        return _markdown_link(" ".join(match["label"].split()) or match["url"], match["url"])
    role, content = match["role"], match["content"]
    explicit = _EXPLICIT_TITLE.match(content)
    title, target = (explicit["title"], explicit["target"]) if explicit else (None, content)
    if role == "math":
        return match[0]  # rst2md makes it $...$
    if role in ("term", "ref", "doc"):
        shown, url = context.site.link(role, target, context.docname)
        text = " ".join((title or shown).split())
        if url:
            return _markdown_link(text, url)
        return f"*{text}*" if role == "term" else text
    text = " ".join((title or target).split()).lstrip("!")
    if text.startswith("~"):  # as Sphinx shows ~dask.compute: compute
        text = text[1:].rsplit(".", 1)[-1]
    return f"`{text}`" if role.split(":")[-1] in _CODE_ROLES else text


def _markdown_link(text: str, url: str) -> str:
    text = text.replace("[", r"\[").replace("]", r"\]")
    return f"[{text}]({url.replace(' ', '%20').replace(')', '%29')})"


def _with_anchor(uri: str, anchor: str) -> str:
    return f"{uri}#{anchor}" if anchor else uri


def _directive(match: re.Match, block: list[str], context: _Context) -> str:
    """Markdown for one directive and its indented block."""
    name, argument = match["name"], match["argument"] or ""
    argument_more, options, body = _split_block(block)
    argument = " ".join([argument, *argument_more]).strip()
    if name == "dropdown" and INSTRUCTOR_NOTES in (options.get("class-container", "") + " " +
                                                   options.get("class", "")).split():
        return ""
    if name == "dropdown":
        summary = html.escape(" ".join(argument.split()) or "Details")
        return (f"<details{' open' if 'open' in options else ''}>\n<summary>{summary}</summary>\n\n"
                f"{_convert(body, context)}\n\n</details>")
    if name in ("tab-item", "card", "grid-item-card", "topic", "sidebar"):
        return f"**{_prose([argument], context)}**\n\n{_convert(body, context)}"
    if name == "rubric":
        return f"**{_prose([argument], context)}**"
    if name in ("tab-set", "grid", "grid-item", "div"):
        return _convert(body, context)
    if name == "container":
        note = NOT_RUN_HERE_NOTE + "\n\n" if "not-run-here" in argument.split() else ""
        return note + _convert(body, context)
    if name in ("code-block", "code", "sourcecode"):
        return _captioned(options, _fence(body, argument), context)
    if name == "literalinclude":
        return _captioned(options, _literal_include(argument, options, context), context)
    if name == "list-table":
        return _list_table(argument, options, body, context)
    if name in _ADMONITIONS or name == "admonition":
        title = _ADMONITIONS.get(name) or _prose([argument], context)
        content = _convert(body if name == "admonition" else f"{argument}\n\n{body}", context)
        return _quote(f"**{title}**\n\n{content}")
    if name == "only":
        return _convert(body, context) if Tags(["html", "format_html", "builder_html"]).eval_condition(argument) else ""
    if name == "raw":
        return body if "html" in argument.split() else ""
    if name == "highlight":
        return ""
    logger.warning("the notebook has no Markdown for the %r directive: left as reST", name,
                   location=context.docname or None, type="dask-course", subtype="notebooks")
    return "\n".join([match[0].lstrip(" "), *textwrap.dedent("\n".join(block)).split("\n")])


def _split_block(block: list[str]) -> tuple[list[str], dict[str, str], str]:
    """A directive's block: the rest of its argument, its options, and its body (dedented)."""
    lines = textwrap.dedent("\n".join(block)).split("\n")
    argument, options = [], {}
    i = 0
    while i < len(lines) and lines[i].strip():
        option = _OPTION.match(lines[i])
        if option:
            options[option["name"]] = (option["value"] or "").strip()
        elif options:
            break
        else:
            argument.append(lines[i].strip())
        i += 1
    if i < len(lines) and lines[i].strip():  # content right after the options, with no blank line
        return argument, options, "\n".join(lines[i:])
    return argument, options, "\n".join(lines[i:]).strip("\n")


def _fence(code: str, language: str = "") -> str:
    """A fenced code block, its fence longer than any run of backticks that starts a line of it."""
    longest = max((len(ticks) for ticks in re.findall(r"^ *(`{3,})", code, re.M)), default=2)
    ticks = "`" * (longest + 1)
    code = code.strip("\n").rstrip()
    return f"{ticks}{language}\n{code}\n{ticks}"


def _captioned(options: dict[str, str], markdown: str, context: _Context) -> str:
    caption = options.get("caption")
    return f"*{_prose([caption], context)}*\n\n{markdown}" if caption else markdown


def _literal_include(argument: str, options: dict[str, str], context: _Context) -> str:
    """The lines a ``literalinclude`` shows on the page, read as Sphinx reads them."""
    relative = argument[1:] if argument.startswith("/") else os.path.join(os.path.dirname(context.docname), argument)
    path = context.site.srcdir / relative
    spec = LiteralInclude.option_spec
    parsed = {name: spec[name](value or None) if name in spec else value for name, value in options.items()}
    config = Config({"source_encoding": context.site.source_encoding})
    try:
        code, _ = LiteralIncludeReader(path, parsed, config).read()
    except (OSError, ValueError) as error:
        logger.warning("the notebook cannot include %s: %s", argument, error,
                       location=context.docname or None, type="dask-course", subtype="notebooks")
        return f"*(not included: {argument})*"
    return _fence(code, options.get("language") or _LANGUAGES.get(path.suffix, ""))


def _list_table(argument: str, options: dict[str, str], body: str, context: _Context) -> str:
    """A ``list-table`` as a Markdown table; a cell's lines run together."""
    rows: list[list[list[str]]] = []
    for line in body.split("\n"):
        if line.startswith("*"):
            rows.append([])
            line = "  " + line[1:].lstrip()
        if not rows or not line.strip():
            continue
        cell_line = line[2:]
        if cell_line.startswith("-"):
            rows[-1].append([cell_line[1:].strip()])
        elif rows[-1]:
            rows[-1][-1].append(cell_line.strip())
    cells = [[_prose([" ".join(cell)], context).replace("|", r"\|").replace("\n", " ") for cell in row]
             for row in rows]
    width = max((len(row) for row in cells), default=0)
    cells = [row + [""] * (width - len(row)) for row in cells]
    if not int(options.get("header-rows") or 0):  # Markdown tables have a header row: an empty one
        cells.insert(0, [""] * width)
    table = [_table_row(cells[0]), _table_row(["---"] * width), *(_table_row(row) for row in cells[1:])]
    title = f"**{_prose([argument], context)}**\n\n" if argument else ""
    return title + "\n".join(table)


def _table_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _quote(markdown: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in markdown.split("\n"))


def _forget_downloads_as_dependencies(env, root: Path) -> None:
    """Stop Sphinx from reading a lesson page again whenever its notebook or zip changes.

    Sphinx notes every download as a dependency of the page that links it, yet the page shows only
    its name. The notebooks change after the pages are read (here), and in no-plot builds
    sphinx-gallery rewrites every notebook, as it wrote it, before they are: each build would
    read every lesson page again.
    """
    for files in env.dependencies.values():
        files.difference_update({path for path in files if Path(path).suffix in (".ipynb", ".zip")
                                 and Path(path).is_relative_to(root)})
