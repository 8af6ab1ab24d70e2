"""The report as a person sees it, in a real headless browser (Debian's chromium, driven by
Playwright): no console errors, one highlight per record with a span, a click on a target row
scrolls to its span and marks it, the filter narrows every table, the charts have drawn.

`.ci/run` installs chromium and fonts-noto-cjk; elsewhere these tests skip without a browser,
unless PLANCLI_REQUIRE_BROWSER=1 (set by .ci/run) makes that a failure. Screenshots of the
overview and of one document go to build/.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES, SHARED

BUILD = ROOT / "build"
PLANCLI = [sys.executable, "-m", "plancli.cli"]
#: Chromium on a machine without network or display: no background requests, no sandbox (root in CI).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("PLANCLI_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-headless-shell")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def _missing(why: str):
    if os.environ.get("PLANCLI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{why} (PLANCLI_REQUIRE_BROWSER=1)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install '.[test]')")
    path = chromium_path()
    if path is None:
        _missing("no chromium (apt-get install chromium fonts-noto-cjk)")
    BUILD.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield b
        b.close()


class Page:
    """A page of the report, recording console errors, page errors and requests as it goes."""

    def __init__(self, browser, report: Path):
        self.page = browser.new_page(viewport={"width": 1280, "height": 800})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.url = report.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_selector("html[data-ready='1']")
        self.data = self.page.evaluate("JSON.parse(document.getElementById('plancli-data').textContent)")

    def go(self, route: str, view: str | None = None) -> None:
        self.page.evaluate(f"location.hash = {route!r}")
        self.page.wait_for_selector(f"body[data-view='{view or route.split('/')[1]}']")

    def visible_rows(self, selector: str) -> int:
        return self.page.locator(selector).count()

    def filter(self, text: str) -> None:
        self.page.fill("#filter", text)
        self.page.wait_for_timeout(400)  # the box waits for typing to pause

    def close(self) -> None:
        self.page.close()


def span_records(doc: dict) -> list[str]:
    """The texts of a document's records that have a span (what must be highlighted)."""
    return sorted(r["text"] for kind in ("targets", "subsidies", "tasks") for r in doc.get(kind) or [] if r.get("span"))


def highlighted_texts(page: Page) -> list[str]:
    """The text under each highlight of the open document, a record's pieces joined."""
    return sorted(page.page.evaluate("""() => {
        const texts = new Map();
        for (const m of document.querySelectorAll('#text mark.hl')) {
            const key = m.dataset.k + ':' + m.dataset.i;
            texts.set(key, (texts.get(key) || '') + m.textContent);
        }
        return [...texts.values()];
    }"""))


def check_every_document(page: Page, outputs: dict[str, dict]) -> int:
    """Open every document of the report; the highlights are its records with spans, one each."""
    checked = 0
    for index, doc in enumerate(page.data["docs"]):
        page.go(f"#/doc/{index}", f"doc:{index}")
        expected = outputs[doc["path"]]
        if "error" in expected:
            assert page.page.locator("#view-doc .badge.failed").count() == 1
            continue
        assert doc["text"], f"{doc['path']}: no text in the report"
        heads = page.visible_rows("#text mark.hl:not(.cont)")
        assert heads == len(span_records(expected)), doc["path"]
        assert highlighted_texts(page) == span_records(expected), doc["path"]
        checked += 1
    return checked


def chart_state(page: Page, selector: str, nth: int = 0) -> dict:
    """Points the chart on the ``nth`` canvas matching ``selector`` drew, and how many pixels of it are painted."""
    return page.page.evaluate("""([sel, nth]) => {
        const canvas = document.querySelectorAll(sel)[nth];
        const chart = canvas && Chart.getChart(canvas);
        if (!chart) return {points: 0, painted: 0};
        const points = chart.data.datasets.reduce((n, d, k) => n + chart.getDatasetMeta(k).data.length, 0);
        const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let k = 3; k < px.length; k += 4) if (px[k] > 0) painted++;
        return {points, painted};
    }""", [selector, nth])


def outputs_of(folder: Path) -> dict[str, dict]:
    docs = {}
    for path in folder.rglob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        docs[doc["source"]["path"]] = doc
    errors = folder / "errors.jsonl"
    for line in errors.read_text(encoding="utf-8").splitlines() if errors.exists() else []:
        doc = json.loads(line)
        docs[doc["source"]["path"]] = doc
    return docs


@pytest.fixture(scope="module")
def samples_report(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """`plancli batch samples --report`: the results folder read back, texts normalised again."""
    work = tmp_path_factory.mktemp("samples-report")
    proc = subprocess.run([*PLANCLI, "batch", str(SAMPLES), "--out", str(work / "out"), "--report",
                           str(work / "report.html"), "-q"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return work / "report.html", outputs_of(work / "out")


def test_every_record_of_the_samples_is_highlighted_once_without_console_errors(browser, samples_report):
    report, outputs = samples_report
    page = Page(browser, report)
    assert check_every_document(page, outputs) == len(list(SAMPLES.glob("*.txt")))
    assert page.errors == []
    assert {url.split(":", 1)[0] for url in page.requests} <= {"file", "data"}  # nothing fetched
    page.close()


def test_clicking_a_target_row_scrolls_to_its_span_and_marks_it(browser, samples_report):
    report, _ = samples_report
    page = Page(browser, report)
    page.go("#/targets")
    cols, rows = page.data["kinds"]["targets"]["cols"], page.data["kinds"]["targets"]["rows"]
    # a row far down a long document, so that reaching it needs a scroll
    group = page.page.locator("details.group[open]").first
    candidates = group.locator("tr.link")
    best, best_start = 0, -1
    for k in range(candidates.count()):
        i = int(candidates.nth(k).get_attribute("data-row"))
        start = rows[i][cols.index("span")][0]
        if start > best_start:
            best, best_start = k, start
    row = candidates.nth(best)
    index = int(row.get_attribute("data-row"))
    record = dict(zip(cols, rows[index]))
    row.click()
    page.page.wait_for_selector("#text mark.hl.current")
    marked = page.page.locator("#text mark.hl.current")
    assert marked.first.get_attribute("data-i") == str(index)
    assert "".join(marked.nth(k).text_content() for k in range(marked.count())) == record["text"]
    in_view = page.page.evaluate("""() => {
        const box = document.getElementById('text').getBoundingClientRect();
        const m = document.querySelector('#text mark.hl.current').getBoundingClientRect();
        return m.top >= box.top && m.bottom <= box.bottom + 1 && m.top >= 0 && m.bottom <= window.innerHeight
            && document.getElementById('text').scrollTop > 0;
    }""")
    assert in_view, "the marked span is not scrolled into view"
    pop = page.page.locator("#pop")
    assert pop.is_visible() and record["rule"] in pop.text_content()
    page.page.screenshot(path=str(BUILD / "report-document.png"))
    # the record list beside the text scrolls the text too
    other = page.page.locator(".side li.rec.k-targets").first
    other.click()
    page.page.wait_for_function("document.querySelector('.side li.rec.k-targets').classList.contains('current')")
    assert page.errors == []
    page.close()


def test_hovering_a_highlight_shows_its_fields_and_rule(browser, samples_report):
    report, _ = samples_report
    page = Page(browser, report)
    doc = next(i for i, d in enumerate(page.data["docs"]) if d["n"]["subsidies"])
    page.go(f"#/doc/{doc}", f"doc:{doc}")
    mark = page.page.locator("#text mark.hl.k-subsidies").first
    mark.scroll_into_view_if_needed()
    mark.hover()
    pop = page.page.locator("#pop")
    pop.wait_for(state="visible")
    assert "subsidy" in pop.text_content() and "rule subsidy." in pop.text_content()
    assert "amount" in pop.text_content()
    page.close()


def test_the_filter_narrows_every_table_and_columns_sort(browser, samples_report):
    report, _ = samples_report
    page = Page(browser, report)
    place = next(d["place"] for d in page.data["docs"] if d["place"] and not d["place"].isascii())
    tables = {"documents": "#view-documents tbody tr", "targets": "#view-targets details:not([hidden]) tbody tr",
              "subsidies": "#view-subsidies tbody tr", "responsibility": "#view-responsibility tbody tr"}
    before = {}
    for tab, rows in tables.items():
        page.go(f"#/{tab}")
        before[tab] = page.visible_rows(rows)
    page.filter(place)
    for tab, rows in tables.items():
        page.go(f"#/{tab}")
        after = page.visible_rows(rows)
        if tab == "subsidies" and not any(d["place"] == place and d["n"]["subsidies"] for d in page.data["docs"]):
            assert after == 0
            continue
        assert 0 < after < before[tab], tab
    page.go("#/documents")
    places = page.page.locator("#view-documents tbody tr td:nth-child(2)").all_text_contents()
    assert set(places) == {place}
    page.filter("no-such-place-anywhere")
    page.go("#/targets")
    assert page.visible_rows(tables["targets"]) == 0
    page.filter("")
    # sorting: the value column of the first indicator group, largest first, then smallest first
    page.go("#/targets")
    group = page.page.locator("details.group[open]").first
    header = group.locator("th", has_text="value")

    def values() -> list[float]:
        cells = group.locator("tbody tr td:nth-child(5)").all_text_contents()
        return [float(c.replace(",", "").split("–")[0]) for c in cells if c and c[0].isdigit()]

    header.click()
    assert values() == sorted(values(), reverse=True) and len(values()) > 1
    header.click()
    assert values() == sorted(values())
    assert page.errors == []
    page.close()


def test_the_charts_have_drawn(browser, samples_report):
    report, _ = samples_report
    page = Page(browser, report)
    page.go("#/targets")
    page.page.wait_for_timeout(200)
    page.page.screenshot(path=str(BUILD / "report-overview.png"))
    opened = page.page.locator("details.group[open]").count()
    assert opened >= 1
    cols, rows = page.data["kinds"]["targets"]["cols"], page.data["kinds"]["targets"]["rows"]
    targets = [dict(zip(cols, row)) for row in rows]
    for k in range(opened):
        group = page.page.locator("details.group[open]").nth(k).get_attribute("data-group")
        plotted = [t for t in targets if (t.get("indicator_id") or "(none)") == group
                   and t.get("year") is not None and t.get("value") is not None and not t.get("masked")]
        drawn = chart_state(page, "details.group[open] canvas", k)
        assert drawn["points"] == len(plotted), group
        assert drawn["painted"] > 1000, f"the chart of {group} is blank"
    assert chart_state(page, "details.group[open] canvas")["points"] > 0
    page.go("#/subsidies")
    subsidies = chart_state(page, "#view-subsidies canvas")
    scols = page.data["kinds"]["subsidies"]["cols"]
    with_amount = sum(1 for row in page.data["kinds"]["subsidies"]["rows"] if (dict(zip(scols, row)).get("amount") or 0) > 0)
    assert subsidies["points"] == with_amount > 0 and subsidies["painted"] > 1000
    # the filter narrows the chart as well as the table
    page.filter("no-such-place-anywhere")
    assert chart_state(page, "#view-subsidies canvas")["points"] == 0
    assert page.errors == []
    page.close()


def test_text_with_characters_beyond_the_basic_plane_and_markup_is_highlighted_exactly(browser, tmp_path):
    doc = tmp_path / "notice.txt"
    # 𠀋 is one code point but two UTF-16 units: spans count code points, the browser units
    doc.write_text("𠀋𠀋镇关于印发发展计划的通知\n一、目标\n到2025年,全镇</script><!--特色企业达到30家以上。\n"
                   "二、措施\n(一)对新落户企业给予一次性奖励20万元。(责任单位:镇经济发展办公室)\n", encoding="utf-8")
    report = tmp_path / "report.html"
    proc = subprocess.run([*PLANCLI, "report", str(doc), "-o", str(report)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    expected = json.loads(subprocess.run([*PLANCLI, "extract", str(doc), "-f", "jsonl"], capture_output=True,
                                         text=True).stdout)
    assert expected["targets"] and expected["subsidies"]
    page = Page(browser, report)
    assert check_every_document(page, {expected["source"]["path"]: expected}) == 1
    assert page.errors == []
    page.close()


@pytest.mark.skipif(not (SHARED / "dev2" / "docs").is_dir(), reason="../shared/dev2 is not present")
def test_every_record_of_the_dev2_documents_is_highlighted_once(browser, tmp_path):
    docs = SHARED / "dev2" / "docs"
    out = tmp_path / "out"
    proc = subprocess.run([*PLANCLI, "batch", str(docs), "--out", str(out), "-q"], capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    report = tmp_path / "report.html"
    proc = subprocess.run([*PLANCLI, "report", str(out), "-o", str(report)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    page = Page(browser, report)
    outputs = outputs_of(out)
    assert len(page.data["docs"]) == len(outputs) == len([p for p in docs.iterdir() if p.is_file()])
    assert check_every_document(page, outputs) == sum(1 for d in outputs.values() if "error" not in d)
    for tab in ("targets", "subsidies", "responsibility"):
        page.go(f"#/{tab}")
    assert page.errors == []
    page.close()
