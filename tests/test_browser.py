"""The built site as a learner meets it, in a real browser: every page, image, link and copy
button, search, dark mode, the exercise solutions and how large the task graphs are drawn.

Drives Debian's headless Chromium through its chromedriver (`make browser` installs both) with
Selenium. The driver is named explicitly and SE_OFFLINE is set, so Selenium Manager never tries
to download a browser or a driver. The site is served over HTTP from 127.0.0.1, because Sphinx's
search loads its index with requests that file: pages may not make.
"""

import json
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import LESSONS, ROOT, lesson_page_name, lesson_page_url
from page_checks import CONTENT_WIDTH_PX, is_graphviz_svg, legibility, svg_label_size

pytestmark = [pytest.mark.build, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# The network is closed: without these, Chromium keeps trying to reach Google's services.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1400,1000",
]
SCREENSHOTS = ROOT / "_build" / "screenshots"
# The lesson shown in screenshots and dark mode: the DataFrame one has graphs, tables and tabs.
SHOWCASE = next((lesson for lesson in LESSONS if lesson.parent.name == "02_dataframe"), LESSONS[0])
NOT_PAGES = {"_static", "_images", "_downloads", "_sources"}  # assets, not Sphinx pages

# Runs in each page once its images were asked to load: what a learner would see broken.
INSPECT_PAGE = """
const done = arguments[arguments.length - 1];
const images = Array.from(document.images);
images.forEach(img => { img.loading = "eager"; });
const loaded = images.map(img => img.complete ? null : new Promise(ok => {
  img.addEventListener("load", ok); img.addEventListener("error", ok);
}));
Promise.all(loaded).then(() => {
  const blocks = Array.from(document.querySelectorAll("div.highlight"));
  const isOutput = block => block.closest(".sphx-glr-script-out, .output") !== null;
  const hasButton = block => block.querySelector("button.copybtn") !== null;
  const article = document.querySelector("article.bd-article");
  const style = article && getComputedStyle(article);
  done({
    brokenImages: images.filter(img => img.naturalWidth === 0).map(img => img.getAttribute("src")),
    // The content column images are scaled down to, and each SVG image as drawn in it.
    column: article ? article.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) : null,
    // Task graphs drawn by the page's code, not the thumbnails of its "Related lessons" cards.
    svgImages: images.filter(img => (img.getAttribute("src") || "").endsWith(".svg")
                                    && !img.closest(".sphx-glr-thumbcontainer")).map(img => {
      const link = img.closest("a[href]");
      return {src: img.getAttribute("src"), naturalWidth: img.naturalWidth,
              shownWidth: img.getBoundingClientRect().width,
              link: link && {href: link.getAttribute("href"), target: link.getAttribute("target")}};
    }),
    codeWithoutButton: blocks.filter(b => !isOutput(b) && !hasButton(b)).map(b => b.innerText.slice(0, 60)),
    outputsWithButton: blocks.filter(b => isOutput(b) && hasButton(b)).map(b => b.innerText.slice(0, 60)),
    codeBlocks: blocks.filter(b => !isOutput(b)).length,
  });
});
"""


@pytest.fixture(scope="module")
def site(built_site) -> Path:
    if built_site["returncode"] != 0:
        pytest.fail("the site did not build: see test_build.py::test_strict_build_succeeds")
    return built_site["html"]


@pytest.fixture(scope="module")
def pages(site) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if not NOT_PAGES & set(p.relative_to(site).parts))


@pytest.fixture(scope="module")
def server(served_site):
    return served_site


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("Chromium or its driver is missing: run `make browser` (Debian: chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SE_OFFLINE", "true")
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(60)
        yield driver
        driver.quit()


def open_page(browser, url: str) -> None:
    browser.get(url)
    WebDriverWait(browser, 30).until(lambda b: b.execute_script("return document.readyState") == "complete")


def lesson_url(server: str, lesson: Path) -> str:
    return lesson_page_url(server, lesson)


# axe-core, installed from the npm registry by `make browser`; loaded into each page, nothing fetched.
AXE_SCRIPT = Path(os.environ.get("AXE_SCRIPT") or ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js")
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(result => done(result.violations
  .filter(v => v.impact === "serious" || v.impact === "critical")
  .map(v => `${v.id} (${v.impact}, ${v.nodes.length}x): ${v.help}: ${v.nodes[0].target.join(" ")}`)));
"""
# The pages axe-core checks: the home page, the lessons index and every lesson.
AXE_PAGES = {"docs/index.html", "lessons/index.html", *(lesson_page_name(lesson) for lesson in LESSONS)}


@pytest.fixture(scope="module")
def visits(browser, server, site, pages) -> dict[str, dict]:
    """Open every page once; record its console errors, broken images and code blocks, and on
    AXE_PAGES, axe-core's serious and critical findings (with the console read first)."""
    axe = AXE_SCRIPT.read_text() if AXE_SCRIPT.is_file() else None
    browser.get_log("browser")  # start with an empty log
    seen = {}
    for page in pages:
        name = page.relative_to(site).as_posix()
        open_page(browser, server + name)
        seen[name] = browser.execute_async_script(INSPECT_PAGE)
        seen[name]["console"] = [entry["message"] for entry in browser.get_log("browser")
                                 if entry["level"] == "SEVERE"]
        if axe and name in AXE_PAGES:
            browser.execute_script(axe)
            seen[name]["axe"] = browser.execute_async_script(RUN_AXE)
            browser.get_log("browser")  # what axe-core itself logged is not the next page's
    return seen


def test_no_serious_accessibility_violations(visits):
    """axe-core on the home page, the lessons index and every lesson: no serious or critical issue."""
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"axe-core is missing at {AXE_SCRIPT}: run `make browser`")
    assert AXE_PAGES <= visits.keys(), AXE_PAGES - visits.keys()
    found = {name: visits[name]["axe"] for name in AXE_PAGES if visits[name]["axe"]}
    assert not found, found


def test_every_page_loads_without_console_errors(visits):
    assert len(visits) > 5
    errors = {name: seen["console"] for name, seen in visits.items() if seen["console"]}
    assert not errors


def test_every_image_loads(visits):
    broken = {name: seen["brokenImages"] for name, seen in visits.items() if seen["brokenImages"]}
    assert not broken


def lesson_visits(visits) -> dict[str, dict]:
    return {name: seen for name, seen in visits.items() if re.fullmatch(r"lessons/[^/]+/plot_[^/]+\.html", name)}


def test_content_column_is_as_wide_as_assumed(visits):
    """The static graph check (test_pages.py) scales graphs to CONTENT_WIDTH_PX: the width measured here."""
    widths = {name: seen["column"] for name, seen in lesson_visits(visits).items()}
    assert len(widths) == len(LESSONS)
    assert all(abs(width - CONTENT_WIDTH_PX) <= 1 for width in widths.values()), widths


def test_every_graph_is_readable_as_drawn(visits, site):
    """Each graph's smallest label (from its SVG) at the width the browser draws the image: the
    same rule as test_pages.py::test_every_graph_is_readable, from the rendered width."""
    unreadable, mismatched = {}, {}
    for name, seen in lesson_visits(visits).items():
        page = site / name
        for image in seen["svgImages"]:
            path = (page.parent / unquote(image["src"])).resolve()
            svg = path.read_text(errors="replace")
            if not is_graphviz_svg(svg):
                continue
            labels = svg_label_size(svg)
            link = image["link"]
            opens = bool(link and link["target"] == "_blank" and (page.parent / unquote(link["href"])).resolve() == path)
            drawn = legibility(labels, opens, shown_width_px=image["shownWidth"])
            if drawn.problem:
                unreadable.setdefault(name, []).append(f"{path.name}: {drawn.describe()}: {drawn.problem}")
            if abs(image["naturalWidth"] - labels.width_px) > 1:  # the static model's pt -> px
                mismatched.setdefault(name, []).append(f"{path.name}: {image['naturalWidth']} != {labels.width_px:.0f}")
    assert not mismatched, "the browser sizes an SVG otherwise than width (pt) x 4/3"
    assert not unreadable, "graphs too small to read as drawn:\n" + "\n".join(
        f"{name}:\n" + "\n".join(f"  - {problem}" for problem in problems) for name, problems in unreadable.items())


def test_a_graph_opens_full_size_in_a_new_tab(browser, server):
    open_page(browser, lesson_url(server, SHOWCASE))
    graph = browser.find_element(By.CSS_SELECTOR, 'a.dask-graph-link img[alt^="Dask graph"]')
    src, here = graph.get_attribute("src"), browser.current_window_handle
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", graph)
    graph.click()
    WebDriverWait(browser, 10).until(lambda b: len(b.window_handles) == 2)
    browser.switch_to.window(next(h for h in browser.window_handles if h != here))
    try:
        WebDriverWait(browser, 10).until(lambda b: b.execute_script("return document.readyState") == "complete")
        assert browser.current_url == src  # the same file, drawn at its own size
        assert browser.execute_script("return document.documentElement.localName") == "svg"
    finally:
        browser.close()
        browser.switch_to.window(here)


def test_every_code_block_has_a_copy_button_and_no_output_has_one(visits):
    assert sum(seen["codeBlocks"] for seen in visits.values()) > 10
    assert not {name: seen["codeWithoutButton"] for name, seen in visits.items() if seen["codeWithoutButton"]}
    assert not {name: seen["outputsWithButton"] for name, seen in visits.items() if seen["outputsWithButton"]}


def test_the_copy_button_copies_the_code(browser, server):
    open_page(browser, lesson_url(server, LESSONS[0]))
    # The copy button copies through a hidden textarea: record what it holds when "copy" fires.
    browser.execute_script("""
        window.copied = null;
        document.addEventListener("copy", event => { window.copied = event.target.value; }, true);""")
    block = browser.find_element(By.CSS_SELECTOR, "div.highlight-Python div.highlight")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", block)
    ActionChains(browser).move_to_element(block).perform()  # the button shows on hover
    block.find_element(By.CSS_SELECTOR, "button.copybtn").click()
    copied = WebDriverWait(browser, 10).until(lambda b: b.execute_script("return window.copied"))
    assert copied == block.find_element(By.TAG_NAME, "pre").get_attribute("textContent").rstrip("\n")


# The elements whose attribute names another file of the site.
LINKING = [("a", "href"), ("link", "href"), ("img", "src"), ("script", "src")]


def test_every_local_link_resolves(site, pages):
    parsed = {}  # each page's link targets and anchors, parsed once: the largest are performance reports

    def read(path: Path) -> tuple[list[str], set[str]]:
        if path not in parsed:
            soup = BeautifulSoup(path.read_text(), "html.parser")
            targets = [element[attribute] for tag, attribute in LINKING for element in soup.select(f"{tag}[{attribute}]")]
            anchors = {tag["id"] for tag in soup.select("[id]")} | {tag["name"] for tag in soup.select("a[name]")}
            parsed[path] = targets, anchors
        return parsed[path]

    root, broken = site.resolve(), []
    for page in (page.resolve() for page in pages):
        for target in read(page)[0]:
            parts = urlsplit(target)
            if parts.scheme or target.startswith("//") or not target:
                continue  # another site: no network here, and not ours to check
            path = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if path.is_dir():
                path = path / "index.html"
            if not path.is_file():
                broken.append(f"{page.relative_to(root)}: {target}")
            elif parts.fragment and path.suffix == ".html" and unquote(parts.fragment) not in read(path)[1]:
                broken.append(f"{page.relative_to(root)}: {target} (no such anchor)")
    assert not broken


def test_course_map_has_every_topic_with_its_time(site):
    """One card per topic folder, in order, its time the sum of its lessons' estimated times."""
    home = BeautifulSoup((site / "docs" / "index.html").read_text(), "html.parser")
    cards = [(card.select_one("a.sd-stretched-link")["href"], card.select_one(".sd-card-footer").get_text(strip=True))
             for card in home.select(".sd-card")]
    topics = sorted({lesson.parent for lesson in LESSONS})
    expected = []
    for topic in topics:
        minutes = sum(int(m) for lesson in topic.glob("plot_*.py")
                      for m in re.findall(r"\*\*Estimated time:\*\* (\d+) minutes", lesson.read_text()))
        expected.append((f"../lessons/{topic.name}/index.html", f"{minutes} min"))
    assert cards == expected


def test_lessons_and_their_zips_can_be_downloaded(site):
    def downloads(page: Path) -> dict[str, Path]:
        soup = BeautifulSoup(page.read_text(), "html.parser")
        files = [(page.parent / a["href"]).resolve() for a in soup.select("div.sphx-glr-download a[href]")]
        assert all(path.is_file() for path in files), files
        return {path.name: path for path in files}

    assert {"lessons_python.zip", "lessons_jupyter.zip"} <= set(downloads(site / "lessons" / "index.html"))
    for lesson in LESSONS:
        files = downloads(site / lesson_page_name(lesson))
        assert files[lesson.name].read_text() == lesson.read_text()
        notebook = json.loads(files[f"{lesson.stem}.ipynb"].read_text())
        first_cell = "".join(notebook["cells"][0]["source"])
        # Built for 127.0.0.1 (conftest.built_site): it installs the course package from there.
        assert 'COURSE_PACKAGE = "http://127.0.0.1:' in first_cell and '"pip", "install"' in first_cell


def test_search_finds_the_lesson_on_persist(browser, server):
    open_page(browser, server + "search.html?q=persist")
    summary = (By.CSS_SELECTOR, "#search-results .search-summary")
    WebDriverWait(browser, 30).until(lambda b: b.find_element(*summary).text.startswith("Search finished"))
    results = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#search-results li a")]
    assert any("/lessons/02_dataframe/" in href for href in results), results


def test_dark_mode_toggle(browser, server):
    open_page(browser, server + "docs/index.html")
    assert browser.execute_script("return document.documentElement.dataset.theme") == "light"
    browser.find_element(By.CSS_SELECTOR, "button.theme-switch-button").click()
    WebDriverWait(browser, 10).until(
        lambda b: b.find_element(By.CSS_SELECTOR, 'button.theme-change-button[data-mode="dark"]').is_displayed())
    browser.find_element(By.CSS_SELECTOR, 'button.theme-change-button[data-mode="dark"]').click()
    try:
        WebDriverWait(browser, 10).until(
            lambda b: b.execute_script("return document.documentElement.dataset.theme") == "dark")
        open_page(browser, lesson_url(server, SHOWCASE))  # the choice holds on the next page
        assert browser.find_element(By.CSS_SELECTOR, 'html[data-theme="dark"]')
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / "lesson-dark.png"))
    finally:
        browser.execute_script("localStorage.clear()")  # back to the default for the other tests


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.stem for lesson in LESSONS])
def test_exercise_solutions_open_on_click(browser, server, lesson):
    open_page(browser, lesson_url(server, lesson))
    solutions = [dropdown for dropdown in browser.find_elements(By.CSS_SELECTOR, "details.sd-dropdown")
                 if "Solution" in dropdown.find_element(By.TAG_NAME, "summary").get_attribute("textContent")]
    assert solutions, "no exercise solution on the page"
    for solution in solutions:
        assert solution.get_attribute("open") is None, "a solution starts collapsed"
        summary = solution.find_element(By.TAG_NAME, "summary")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
        summary.click()
        WebDriverWait(browser, 10).until(lambda b: solution.get_attribute("open") is not None)
        assert solution.find_element(By.TAG_NAME, "pre").is_displayed()


def test_screenshots_for_review(browser, server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(1400, 2400)
    try:
        for name, url in [("home", server + "docs/index.html"), ("lesson", lesson_url(server, SHOWCASE))]:
            open_page(browser, url)
            browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
            assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000
    finally:
        browser.set_window_size(1400, 1000)
