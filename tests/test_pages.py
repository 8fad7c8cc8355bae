"""Every output clean, every graph readable: the built lesson pages as a learner reads them.

The build tests scan each lesson page of the strictly built site (`built_site`, tests/conftest.py)
with the functions of tests/page_checks.py, and fail once per page with everything found there.
The fast tests below them check those functions on small HTML and SVG strings.
"""

import html
from pathlib import Path

import pytest

import page_checks
from conftest import LESSONS, lesson_page_name
from page_checks import (CONTENT_WIDTH_PX, MAX_FULL_SIZE_WIDTH_PX, READABLE_PX, SPECK_PX, Legibility,
                         legibility, output_noise, page_graphs, svg_label_size)

# Topics whose design promises a graph on each lesson page: partitioning (before and after
# `repartition`), schedulers, best practices.
GRAPH_PROMISED = ("06_partitioning", "08_schedulers", "12_best_practices")
HOW_TO_SHRINK = ('draw them smaller: fewer partitions or chunks for the drawing (a .head-sized subset, '
                 'npartitions 3-4), rankdir="LR" for long chains, or optimize_graph=True')


def lesson_ids(lessons):
    return [f"{lesson.parent.name}/{lesson.stem}" for lesson in lessons]


def page_of(site: Path, lesson: Path) -> Path:
    return site / lesson_page_name(lesson)


def listing(items: list[str], limit: int = page_checks.MAX_SNIPPETS) -> str:
    lines = [f"  - {item}" for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"  … and {len(items) - limit} more")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    if built_site["returncode"] != 0:
        pytest.fail("the site did not build: see test_build.py::test_strict_build_succeeds")
    return built_site["html"]


# -- The built pages ----------------------------------------------------------------------------

@pytest.mark.build
@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_ids(LESSONS))
def test_outputs_show_no_build_machine_noise(site, lesson):
    text = page_of(site, lesson).read_text()
    assert page_checks.output_texts(text), "no output found: has sphinx-gallery's markup changed?"
    noise = output_noise(text)
    if noise:
        pytest.fail(f"{lesson.parent.name}/{lesson.stem}: its outputs show what differs between builds or "
                    f"means nothing on a learner's machine (print what matters instead):\n{listing(noise)}",
                    pytrace=False)


@pytest.mark.build
@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_ids(LESSONS))
def test_every_graph_is_readable(site, lesson):
    """Labels ≥ 9 px in the content column; or, opening full size on a click, ≥ 9 px there while
    still ≥ 5 px on the page, and at most 5,000 px wide."""
    unreadable = []
    for graph in page_graphs(page_of(site, lesson)):
        seen = legibility(svg_label_size(graph.path.read_text()), graph.opens_full_size)
        if seen.problem:
            unreadable.append(f"{graph.path.name} ({graph.alt}): {seen.describe()}: {seen.problem}")
    if unreadable:
        pytest.fail(f"{lesson.parent.name}/{lesson.stem}: graphs too small to read in the "
                    f"{CONTENT_WIDTH_PX} px content column; {HOW_TO_SHRINK}:\n{listing(unreadable)}",
                    pytrace=False)


@pytest.mark.build
def test_every_graph_opens_full_size_in_a_new_tab(site):
    without = [f"{page.relative_to(site)}: {graph.src}"
               for page in sorted((site / "lessons").glob("*/plot_*.html"))
               for graph in page_graphs(page) if not graph.opens_full_size]
    assert not without, "graphs that are not a link to their SVG (tutorial_helpers.sphinxext.graphs)"


PROMISED = [lesson for lesson in LESSONS if lesson.parent.name in GRAPH_PROMISED]


@pytest.mark.build
@pytest.mark.parametrize("lesson", PROMISED, ids=lesson_ids(PROMISED))
def test_pages_promised_a_graph_show_one(site, lesson):
    if not page_graphs(page_of(site, lesson)):
        pytest.fail(f"{lesson.parent.name}/{lesson.stem}: the course design promises a task graph on the "
                    f"{lesson.parent.name[3:].replace('_', ' ')} pages, and this one shows none "
                    "(draw one with .visualize())", pytrace=False)


# -- The scans, on small pages (fast) -----------------------------------------------------------

def page(outputs: str, prose: str = "") -> str:
    return f"<html><body><article>{prose}{outputs}</article></body></html>"


def text_output(text: str) -> str:
    return ('<div class="sphx-glr-script-out highlight-none notranslate"><div class="highlight">'
            f"<pre>{html.escape(text)}</pre></div></div>")


def html_output(html: str) -> str:
    return f'<div class="output_subarea output_html rendered_html output_result">{html}</div>'


CLIENT_REPR = html_output("""
<div><div style="width: 24px; background-color: #e1e1e1; border: 3px solid #9D9D9D;"> </div>
<div style="margin-left: 48px;"><h3>Client</h3>
<p style="color: #9D9D9D;">Client-be304432-ed99-11f1-b651-02fc00000001</p>
<table><tr><td><strong>Dashboard: </strong> <a href="http://127.0.0.1:38069/status" target="_blank">http://127.0.0.1:38069/status</a></td></tr></table>
<details><summary><h3>Cluster Info</h3></summary><div><h3>LocalCluster</h3><p style="color: #9D9D9D;">7c31d37e</p>
<table><tr><td><strong>Comm: </strong> tcp://127.0.0.1:41623</td>
<td><strong>Local directory: </strong> /tmp/dask-scratch-space/worker-riijzyi5</td></tr></table></div></details></div></div>
""")
DATAFRAME_REPR = html_output("""
<div><style scoped>.dataframe tbody tr th { vertical-align: top; } .x { color: #ECB172A0; }</style>
<table class="dataframe"><thead><tr><th></th><th>trips</th></tr></thead>
<tbody><tr><th>MIT at Mass Ave / Amherst St</th><td>14770</td></tr></tbody></table></div>
""")
ARRAY_REPR = html_output("""
<table><tr><td><table><tr><th> Bytes </th><td> 7.63 MiB </td></tr><tr><th> Shape </th><td> (1000, 1000) </td></tr></table></td>
<td><svg width="170" height="170" style="stroke:rgb(0,0,0);stroke-width:1">
<polygon points="0.0,0.0 120.0,0.0 120.0,120.0" style="fill:#ECB172A0;stroke-width:0"/>
<text x="60.0" y="140.0" font-size="1.0rem" text-anchor="middle">1000</text></svg></td></tr></table>
""")


def kinds(found: list[str]) -> set[str]:
    return {item.split(":", 1)[0] for item in found}


def test_a_client_repr_is_noise_of_every_kind():
    found = output_noise(page(CLIENT_REPR))
    assert kinds(found) == {"random id", "dashboard link", "network address", "temporary or build path"}
    assert any("Client-be304432" in item for item in found)
    assert any("LocalCluster 7c31d37e" in item for item in found)


def test_ordinary_outputs_are_clean():
    outputs = [
        DATAFRAME_REPR, ARRAY_REPR,
        text_output("dask.array<sum-aggregate, shape=(), dtype=float64, chunksize=(), chunktype=numpy.ndarray>"),
        text_output("('read_csv-8f3e0f1a2b3c4d5e6f7a8b9c0d1e2f3a', 0) done in 1.23 s; process 1000 rows"),
        text_output("Dask DataFrame Structure:\nDask Name: valuecounts, 8 expressions"),
        text_output("a dask.distributed cluster of 2 worker processes × 1 thread(s)\nWorkers: 2, threads: 2"),
        text_output("dask scheduler --host 127.0.0.1 --port 0 --dashboard-address 127.0.0.1:0"),
        text_output("mean duration 14.4996 min; ratio 1.7×; 3.0 GiB; np.float64 is NumPy's float"),
        text_output("[########################################] | 100% Completed | 201.18 ms"),
        text_output("Delayed('mean')\n<Future: finished, type: float, key: mean>"),
    ]
    assert output_noise(page("".join(outputs))) == []


def test_only_outputs_are_scanned():
    prose = ('<p>The dashboard listens on <code>127.0.0.1:8787</code>; see /tmp/x.</p>'
             '<div class="highlight-Python"><pre>Client("tcp://scheduler:8786")</pre></div>'
             '<div class="dask-performance-report"><iframe src="images/sphx_glr_plot_01_report_001.html">'
             '</iframe></div>')
    assert output_noise(page(text_output("42"), prose=prose)) == []


@pytest.mark.parametrize("text, kind", [
    ("tcp://127.0.0.1:37169 runs on host vm, process 16679", {"network address", "process id"}),
    ("worker 1 runs in process 16679\n", "process id"),
    ("pid=4242", "process id"),
    ("Dashboard at :8787", "default dashboard port"),
    ("see http://localhost:8787/status", "dashboard link"),
    ("connected to 10.0.0.5:8786", "address with a port"),
    ("--scheduler-file /tmp/tmpchrxz0t5/scheduler.json", "temporary or build path"),
    ('File "/opt/venv/lib/python3.11/site-packages/dask/bag/core.py", line 2080', "temporary or build path"),
    ("written to _build/html/lessons", "temporary or build path"),
    ("Scheduler-1ff2349a-b9a6-470c-a383-51cebd82a248", "random id"),
    ("key: simulate-5b9c1d3e-0f6a-4b2c-9d8e-7f1a2b3c4d5e", "random id"),
    ("<function rider_age at 0x7f3a2c1b9e40>", "object address"),
    ("Delayed('truediv-7007e3670612fbc904cee1d2a95e5273')", "task key"),
    ("<Future: finished, type: int, key: inc-0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e>", "task key"),
    ("[#########################               ] | 64% Completed | 100.72 ms\n", "progress bar frame"),
    ("Expr=((DropnaFrame(frame=Filter(frame=", "raw expression repr"),
    ("{'CSV': np.float64(14.49), 'Parquet': np.int64(3)}", "NumPy scalar repr"),
    ("np.True_", "NumPy scalar repr"),
    ("distributed.comm.core.CommClosedError: in <TCP (closed)>", "shutdown error"),
    ("Traceback (most recent call last):\n  File \"<dynamic-code>\", line 121", "traceback"),
])
def test_each_kind_of_noise_is_found(text, kind):
    found = output_noise(page(text_output(text)))
    assert kinds(found) == (kind if isinstance(kind, set) else {kind}), found


def test_the_repository_path_is_noise_and_snippets_say_where():
    found = output_noise(page(text_output("read from /srv/course/data/trips.csv")), extra_paths=("/srv/course",))
    assert found == ["repository path: …read from /srv/course/data/trips.csv…"]


def test_a_link_in_an_output_is_scanned_even_when_its_text_is_clean():
    found = output_noise(page(html_output('<a href="http://127.0.0.1:38069/status">the dashboard</a>')))
    assert found == ["dashboard link: …http://127.0.0.1:38069/status…"]


GRAPHVIZ_SVG = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<!-- Generated by graphviz version 2.42.2 (0)
 -->
<svg width="{width}pt" height="116pt" viewBox="0.00 0.00 {view_width} 116.00"
 xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
<g id="graph0" class="graph" transform="scale({scale} {scale}) rotate(0) translate(4 112)">
<g id="node1" class="node"><title>sum</title>
<ellipse fill="none" stroke="black" cx="27" cy="-90" rx="27" ry="18"/>
<text text-anchor="middle" x="27" y="-86.3" font-family="Helvetica,sans-Serif" font-size="14.00">sum</text>
</g>
<g id="node2" class="node"><title>ones</title>
<text text-anchor="middle" x="27" y="-14.3" font-family="Helvetica,sans-Serif" font-size="{small}">ones</text>
<text x="27" y="-4" font-size="2.00"> </text>
</g></g></svg>"""


def graphviz_svg(width=62, view_width=62, scale=1, small="14.00"):
    return GRAPHVIZ_SVG.format(width=width, view_width=view_width, scale=scale, small=small)


def test_labels_are_font_size_in_pt_scaled_by_viewbox_and_transforms():
    plain = svg_label_size(graphviz_svg())
    assert plain.width_px == pytest.approx(62 * 4 / 3)
    assert plain.smallest_label_px == pytest.approx(14 * 4 / 3)  # 18.7 px: graphviz's default label
    assert plain.labels == 2  # the empty <text> is not a label
    assert svg_label_size(graphviz_svg(small="10.00")).smallest_label_px == pytest.approx(10 * 4 / 3)
    # graphviz's size= attribute: a viewBox wider than the drawing, and a scale() on the graph.
    assert svg_label_size(graphviz_svg(view_width=124)).smallest_label_px == pytest.approx(7 * 4 / 3)
    assert svg_label_size(graphviz_svg(scale=0.5)).smallest_label_px == pytest.approx(7 * 4 / 3)


def test_graphviz_svgs_are_told_from_other_images():
    assert page_checks.is_graphviz_svg(graphviz_svg())
    assert not page_checks.is_graphviz_svg('<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>')


@pytest.mark.parametrize("width_pt, label_pt, opens, problem", [
    (500, 14, False, None),  # fits the column: full size on the page
    (1000, 14, False, None),  # 1,333 px scaled to 703: 9.8 px labels
    (1200, 14, False, "a click does not open"),  # 1,600 px: 8.2 px
    (1200, 14, True, None),  # ... fine behind a click
    (2000, 14, True, "not even the graph's shape"),  # 2,667 px: 4.9 px on the page, link or not
    (600, 6, True, "even full size"),  # 8 px labels full size (7 px on the page): nothing to zoom into
    (4000, 50, True, "wider than 5,000 px"),  # 5,333 px: 8.8 px on the page, and screens of scrolling
])
def test_a_graph_is_readable_on_the_page_or_full_size_behind_a_click(width_pt, label_pt, opens, problem):
    labels = page_checks.SvgLabels(width_pt * 4 / 3, 100, label_pt * 4 / 3, 10)
    seen = legibility(labels, opens)
    assert seen.shown_width_px == min(width_pt * 4 / 3, CONTENT_WIDTH_PX)
    assert (seen.problem is None) if problem is None else (problem in seen.problem), seen.describe()


def test_thresholds_are_ordered():
    assert SPECK_PX < READABLE_PX and CONTENT_WIDTH_PX < MAX_FULL_SIZE_WIDTH_PX
    seen = Legibility(width_px=1600, shown_width_px=800, label_px_full_size=18, opens_full_size=True)
    assert seen.label_px_shown == 9 and seen.problem is None
    assert seen.describe() == ("1,600 px wide, shown 800 px wide; smallest label 9.0 px on the page, "
                               "18.0 px full size")


def test_page_graphs_finds_graphviz_images_and_their_links(tmp_path):
    images = tmp_path / "_images"
    images.mkdir()
    (images / "graph_001.svg").write_text(graphviz_svg())
    (images / "graph_002.svg").write_text(graphviz_svg())
    (images / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    lesson = tmp_path / "lessons" / "topic"
    lesson.mkdir(parents=True)
    (lesson / "plot_x.html").write_text(page(
        '<a class="dask-graph-link" href="../../_images/graph_001.svg" target="_blank">'
        '<img src="../../_images/graph_001.svg" alt="Dask graph drawn by x.visualize()"></a>'
        '<a href="../../_images/graph_001.svg"><img src="../../_images/graph_002.svg" alt="Dask graph"></a>'
        '<img src="../../_images/logo.svg" alt="logo">'))
    found = page_graphs(lesson / "plot_x.html")
    assert [(graph.path.name, graph.opens_full_size) for graph in found] == [
        ("graph_001.svg", True), ("graph_002.svg", False)]  # a link to another file opens no full size
    assert found[0].alt == "Dask graph drawn by x.visualize()"

