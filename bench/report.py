"""The report stage of the benchmark: write the HTML report of 1,000 documents, then open it in
headless Chromium.

The results folder is what ``plancli batch --out`` writes for a corpus of sample copies (samples
x encodings, as for the batch measurements). Copies of one sample in one encoding have the same
bytes, so each of the 15 distinct files is extracted once and its JSON written for every copy,
with that copy's path; extraction is measured elsewhere, this stage times the report alone.

* writing: ``plancli report OUT -o report.html`` from outside, interpreter start included; it
  reads every result, reads and normalises every input again (for the text the spans index),
  compresses the texts and writes the page;
* opening: a fresh page in headless Chromium (the browser already running), from ``goto`` until
  the page has parsed its data and drawn its first view; then the targets view with its charts,
  and one document with its highlights.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import corpus
import measure

CHROMIUM = os.environ.get("PLANCLI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def results_folder(ndocs: int) -> tuple[corpus.Corpus, Path]:
    """A corpus of at least ``ndocs`` documents and the batch results of it."""
    from plancli import emit
    from plancli.pipeline import extract

    c = corpus.build(0, corpus.OUT / "report-corpus", min_docs=ndocs)
    out = corpus.OUT / "report-results"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    made: dict[bytes, dict] = {}
    for doc in c.docs:
        data = doc.path.read_bytes()
        if data not in made:
            made[data] = json.loads(emit.to_json(extract(doc.path)))
        result = dict(made[data], source=dict(made[data]["source"], path=str(doc.path)))
        (out / f"{doc.path.name}.json").write_text(json.dumps(result, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "errors.jsonl").write_text("", encoding="utf-8")
    return c, out


def time_write(out: Path, report: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run([measure.PLANCLI, "report", str(out), "-o", str(report)], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"plancli report failed: {proc.stderr[-500:]}")
    return seconds


def time_open(report: Path) -> dict[str, float] | None:
    """Seconds to open the page, to show the targets with their charts, and one document."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not os.path.exists(CHROMIUM):
        return None
    times: dict[str, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        started = time.perf_counter()
        page.goto(report.resolve().as_uri(), timeout=60_000)
        page.wait_for_selector("html[data-ready='1'] body[data-view='documents']", timeout=60_000)
        times["open"] = time.perf_counter() - started
        started = time.perf_counter()
        page.evaluate("location.hash = '#/targets'")
        page.wait_for_selector("body[data-view='targets'] details.group[open] canvas")
        times["targets"] = time.perf_counter() - started
        started = time.perf_counter()
        page.evaluate("location.hash = '#/doc/1'")
        page.wait_for_selector("body[data-view='doc:1'] #text mark.hl")
        times["document"] = time.perf_counter() - started
        browser.close()
        if errors:
            raise SystemExit(f"the report has page errors: {errors[:3]}")
    return times


def run(say, ndocs: int = 1000) -> dict:
    """Measure and print; returns what :func:`verdicts` judges."""
    say(f"\n== report: plancli report of {ndocs} documents, and opening it in headless Chromium  [{measure.load()}]")
    c, out = results_folder(ndocs)
    say(f"results of {len(c.docs)} documents ({c.nbytes / corpus.MB:.1f} MB of inputs) in {out.relative_to(corpus.ROOT)}")
    report = corpus.OUT / "report.html"
    writes = [time_write(out, report) for _ in range(2)]
    write_s = sum(writes) / len(writes)
    size = report.stat().st_size / corpus.MB
    say(f"plancli report: {', '.join(f'{s:.2f} s' for s in writes)} (mean {write_s:.2f} s, "
        f"{len(c.docs) / write_s:.0f} docs/s); page {size:.1f} MB  [{measure.load()}]")
    opened = time_open(report)
    if opened is None:
        say("opening: skipped (needs playwright and /usr/bin/chromium)")
    else:
        say(f"headless Chromium: open {opened['open']:.2f} s, then targets with charts {opened['targets']:.2f} s, "
            f"one document with highlights {opened['document']:.2f} s  [{measure.load()}]")
    return {"docs": len(c.docs), "write": write_s, "opened": opened}


def verdicts(stage: dict, verdict) -> None:
    verdict(stage["write"] < 10, f"report of {stage['docs']} documents written in < 10 s: {stage['write']:.2f} s")
    opened = stage["opened"]
    if opened is None:
        verdict(False, "report opens in headless Chromium in < 5 s: not measured (no playwright or chromium)")
    else:
        verdict(opened["open"] < 5, f"report of {stage['docs']} documents opens in headless Chromium in < 5 s: "
                                    f"{opened['open']:.2f} s")
