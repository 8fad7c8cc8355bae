"""What a built lesson page must not show, and how big its task graphs' labels are drawn.

Plain functions on HTML and SVG text, so that the build tests (test_pages.py), the browser tests
(test_browser.py) and their fast unit tests share them.

- :func:`output_noise`: build-machine noise in a page's outputs (ports, PIDs, paths, random ids,
  dashboard links, raw reprs, tracebacks) -- things that differ between two builds of an unchanged
  lesson or mean nothing on a learner's machine.
- :func:`svg_label_size` and :func:`legibility`: the size at which a graphviz SVG's smallest
  node label renders, at its natural size and when the page scales it down to the content column.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

from conftest import ROOT


# -- Output noise -------------------------------------------------------------------------------

# Where sphinx-gallery puts what a lesson printed or displayed: text outputs, and HTML reprs
# (`_repr_html_`: DataFrames, arrays, Client/cluster widgets).
OUTPUT_SELECTORS = "div.sphx-glr-script-out, div.output_subarea"

_HEX = r"[0-9a-f]"
_UUID = rf"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
# (what it is, pattern). Each pattern is narrow enough not to fire on ordinary numbers, dask keys
# made by tokenize (deterministic), or the colours in a repr's inline SVG/CSS.
NOISE_PATTERNS: list[tuple[str, re.Pattern]] = [
    # Port 0 ("pick a free port") is a setting a lesson may show, not a port of this build.
    ("address with a port", re.compile(r"\b(?:(?:\d{1,3}\.){3}\d{1,3}|localhost):(?!0\b)\d{1,5}\b")),
    ("network address", re.compile(r"\b(?:tcp|tls|ucx|inproc|ws|wss)://\S+")),
    ("default dashboard port", re.compile(r"(?<![\w.]):8787\b")),
    ("dashboard link", re.compile(r"https?://[^\s\"'<>]+/status\b")),
    # "pid 4242", "process 16679": not "process 1000 rows".
    ("process id", re.compile(r"\b(?:pid|process(?: id)?)\b[ \t]*[=:#]?[ \t]*\d{3,}\b(?![ \t]*[A-Za-z%])", re.I)),
    ("temporary or build path", re.compile(
        r"(?:/tmp|/var/tmp|/private/var|/var/folders|/work|/root|/home|/Users)/\S*"
        r"|\S*site-packages\S*|\S*dist-packages\S*|(?<![\w-])_build\b\S*|\S*dask-scratch-space\S*"
        r"|[A-Z]:\\\S+")),
    ("random id", re.compile(
        rf"\b(?:Client|LocalCluster|SpecCluster|Cluster|Scheduler|Worker|Nanny)\b[\s\-_(:'\"]*{_HEX}{{8,}}\b"
        rf"|\b{_UUID}\b")),
    ("object address", re.compile(r"\bat 0x[0-9a-fA-F]{6,}\b")),
    # Delayed and Future reprs show their task's key, random by default (pure=False): the page
    # changed between two builds of the same lesson (10_delayed). Print the value, or what it is.
    ("task key", re.compile(rf"\bDelayed\('[^']*-{_HEX}{{32}}'\)|<Future: [^>]*\bkey: [^\s>]*-{_HEX}{{32}}")),
    # dask.diagnostics.ProgressBar's updates each become a line: 0 %, 64 %, 100 % frames, as
    # many as the run took tenths of a second.
    ("progress bar frame", re.compile(r"\[[# ]+\] \| +(?:\d|[1-9]\d)% Completed")),
    ("raw expression repr", re.compile(r"\bExpr=\(")),
    ("NumPy scalar repr", re.compile(
        r"\bnp\.(?:u?int\d+|float\d+|complex\d+|longdouble|bool_?|str_|bytes_|datetime64|timedelta64)\("
        r"|\bnp\.(?:True|False)_\b")),
    ("shutdown error", re.compile(r"\b(?:CommClosedError|StreamClosedError)\b")),
    ("traceback", re.compile(r"\bTraceback \(most recent call last\)|^Traceback\b", re.M)),
]
# Attributes of output elements whose values a learner sees or follows (the dashboard link's href).
# Not <svg> drawing attributes: an array repr's inline SVG holds colours such as #ECB172A0.
_LINK_ATTRIBUTES = {"a": "href", "img": "src", "iframe": "src", "link": "href", "script": "src"}
_CONTEXT = 30  # characters either side of a match shown in the failure message
MAX_SNIPPETS = 12  # per page: enough to locate each kind of noise, short enough to read


def output_texts(html: str) -> list[str]:
    """The text of every output block of a page, and the links inside them."""
    soup = BeautifulSoup(html, "html.parser")
    texts = []
    for block in soup.select(OUTPUT_SELECTORS):
        if block.find_parent(class_=re.compile(r"^(?:sphx-glr-script-out|output_subarea)$")):
            continue  # nested in a block already taken
        for hidden in block.select("style, script"):
            hidden.decompose()
        texts.append(block.get_text(" "))  # "LocalCluster" </h3><p> "7c31d37e": two words
        for tag, attribute in _LINK_ATTRIBUTES.items():
            texts += [element[attribute] for element in block.select(f"{tag}[{attribute}]")]
    return texts


def output_noise(html: str, extra_paths: tuple[str, ...] = (str(ROOT),)) -> list[str]:
    """Snippets of the page's outputs that show build-machine noise, as "what: …snippet…".

    ``extra_paths``: literal paths that must not appear either (the repository's own path).
    """
    patterns = NOISE_PATTERNS + [("repository path", re.compile(re.escape(p))) for p in extra_paths if p]
    found: dict[str, None] = {}  # ordered and without repeats
    for text in output_texts(html):
        matches = sorted((m.start(), m.end(), what) for what, pattern in patterns for m in pattern.finditer(text))
        end_of_last = -1
        for start, end, what in matches:
            if start < end_of_last:
                continue  # the same spot, already reported under another name
            end_of_last = end
            snippet = " ".join(text[max(0, start - _CONTEXT):end + _CONTEXT].split())
            found[f"{what}: …{snippet}…"] = None
    return list(found)


# -- Graph legibility ---------------------------------------------------------------------------

# The width of a lesson page's content column in CSS px, where a graph image is scaled down to fit
# (sphinx-gallery's `img.sphx-glr-single-img { max-width: 100% }`). Measured in headless Chromium
# with the browser tests' 1400 x 1000 window: 703 px (the theme's column grows to at most 720 px,
# at 1920 px; 613 px at 1280; 725 px at 1024, where the navigation sidebar folds away).
# tests/test_browser.py::test_content_column_is_as_wide_as_assumed measures it on every run.
CONTENT_WIDTH_PX = 703
# Labels from 9 CSS px up are readable on an ordinary screen: about the size of a figure's
# annotations (the page's text is 16 px; graphviz's 14 pt labels are 18.7 px full size).
READABLE_PX = 9
# Under 5 px a label is a grey dash: the graph on the page no longer shows even its shape (how
# wide, how deep, where it fans in), which is what a learner reads off it before clicking. For
# graphviz's 14 pt labels that is a graph scaled below 27 %, wider than about 2,600 px.
SPECK_PX = 5
# Full size, a graph wider than this is unreadable too: several screens of sideways scrolling.
MAX_FULL_SIZE_WIDTH_PX = 5000
PX_PER_PT = 4 / 3  # CSS: 96 px per inch, 72 pt per inch
_SVG = "{http://www.w3.org/2000/svg}"
_SCALE = re.compile(r"scale\(\s*([-\d.eE+]+)(?:[\s,]+([-\d.eE+]+))?\s*\)")
_LENGTH = re.compile(r"^\s*([\d.eE+]+)\s*(pt|px|in|cm|mm|pc)?\s*$")
_UNIT_PX = {None: 1, "px": 1, "pt": PX_PER_PT, "pc": 16, "in": 96, "cm": 96 / 2.54, "mm": 96 / 25.4}


def is_graphviz_svg(svg: str) -> bool:
    return "Generated by graphviz" in svg[:2000] or 'class="graph"' in svg[:4000]


@dataclass(frozen=True)
class SvgLabels:
    """A graph SVG's natural size and its smallest text, in CSS px at that size."""

    width_px: float
    height_px: float
    smallest_label_px: float
    labels: int


def _length_px(value: str | None) -> float | None:
    match = _LENGTH.match(value or "")
    return float(match.group(1)) * _UNIT_PX[match.group(2)] if match else None


def svg_label_size(svg: str) -> SvgLabels:
    """Natural size and smallest label size of an SVG, in CSS px.

    The SVG's ``width``/``height`` give its natural size (graphviz writes pt; 1 pt = 4/3 CSS px);
    its ``viewBox`` maps user units onto that size; ``scale(…)`` transforms of the groups around a
    ``<text>`` scale its ``font-size`` further.
    """
    root = ET.fromstring(svg.encode() if isinstance(svg, str) else svg)
    view_box = [float(v) for v in re.split(r"[\s,]+", root.get("viewBox", "").strip()) if v]
    width = _length_px(root.get("width"))
    height = _length_px(root.get("height"))
    if len(view_box) == 4 and view_box[2] > 0:
        width = width if width is not None else view_box[2]
        height = height if height is not None else view_box[3]
        unit = min(width / view_box[2], height / view_box[3])  # preserveAspectRatio: meet
    else:
        unit = 1.0
    if width is None or height is None:
        raise ValueError("the SVG has neither a width and height nor a viewBox")

    sizes = []

    def walk(element, scale, inherited_font):
        transform = element.get("transform", "")
        for sx, sy in _SCALE.findall(transform):
            scale *= min(abs(float(sx)), abs(float(sy or sx)))
        font = _length_px(element.get("font-size")) or inherited_font
        if element.tag == f"{_SVG}text" and "".join(element.itertext()).strip():
            sizes.append(font * scale)
        for child in element:
            walk(child, scale, font)

    walk(root, unit, 16.0)  # 16 px: the initial font-size ("medium")
    return SvgLabels(width, height, min(sizes) if sizes else float("inf"), len(sizes))


@dataclass(frozen=True)
class Legibility:
    """How one graph image reads on a page: its sizes and smallest label in CSS px."""

    width_px: float  # natural width: what opens full size
    shown_width_px: float  # as drawn on the page
    label_px_full_size: float
    opens_full_size: bool

    @property
    def label_px_shown(self) -> float:
        return self.label_px_full_size * self.shown_width_px / self.width_px

    @property
    def problem(self) -> str | None:
        """Why the graph cannot be read, or None.

        Readable on the page; or, behind a click that opens it full size, readable there while
        on the page it still shows its shape.
        """
        if self.label_px_shown >= READABLE_PX:
            return None
        if self.label_px_shown < SPECK_PX:
            return f"labels under {SPECK_PX} px on the page: not even the graph's shape shows"
        if not self.opens_full_size:
            return f"labels under {READABLE_PX} px on the page, and a click does not open it full size"
        if self.label_px_full_size < READABLE_PX:
            return f"labels under {READABLE_PX} px even full size"
        if self.width_px > MAX_FULL_SIZE_WIDTH_PX:
            return f"wider than {MAX_FULL_SIZE_WIDTH_PX:,} px: unreadable full size too"
        return None

    def describe(self) -> str:
        return (f"{self.width_px:,.0f} px wide, shown {self.shown_width_px:,.0f} px wide; smallest label "
                f"{self.label_px_shown:.1f} px on the page, {self.label_px_full_size:.1f} px full size"
                f"{'' if self.opens_full_size else ' (no link to it)'}")


def legibility(labels: SvgLabels, opens_full_size: bool, shown_width_px: float | None = None) -> Legibility:
    """How a graph reads drawn ``shown_width_px`` wide: a browser's rendered width, by default
    the width it gets in the content column (natural, or scaled down to fit)."""
    if shown_width_px is None:
        shown_width_px = min(labels.width_px, CONTENT_WIDTH_PX)
    return Legibility(labels.width_px, shown_width_px, labels.smallest_label_px, opens_full_size)


@dataclass(frozen=True)
class PageGraph:
    """A graph image on a built page: its ``src``, the SVG file and whether a click opens it."""

    src: str
    path: Path
    alt: str
    opens_full_size: bool


def page_graphs(page: Path) -> list[PageGraph]:
    """The graphviz SVG images of a built page.

    ``opens_full_size``: the image sits in a link to the same SVG file that opens in a new tab.
    """
    soup = BeautifulSoup(page.read_text(), "html.parser")
    graphs = []
    for img in soup.select('img[src$=".svg"]'):
        if img.find_parent(class_="sphx-glr-thumbcontainer"):  # a "Related lessons" card, not a graph
            continue
        path = (page.parent / img["src"]).resolve()
        if not path.is_file() or not is_graphviz_svg(path.read_text(errors="replace")):
            continue
        link = img.find_parent("a", href=True)
        opens = (link is not None and link.get("target") == "_blank"
                 and (page.parent / link["href"].split("#")[0]).resolve() == path)
        graphs.append(PageGraph(img["src"], path, img.get("alt", ""), opens))
    return graphs
