"""The HTML page: the template in ``assets/`` with the styles, scripts and data written into it.

Everything the page needs is inside the one file (Chart.js included, with its MIT licence), and
its Content-Security-Policy forbids any request, so it opens offline and from disk. The page is
written as a stream: texts go out as they come, so memory holds only the compact record rows.
"""
from __future__ import annotations

import html
import time
from importlib import resources
from typing import IO, Iterable

from plancli import __version__
from plancli.report.collect import Entry
from plancli.report.data import PageData

#: Chart.js, as published on npm (dist/chart.umd.min.js, its source-map comment removed).
CHART_JS_VERSION = "4.6.1"


def asset(name: str) -> str:
    return resources.files("plancli.report").joinpath("assets", name).read_text(encoding="utf-8")


def write_page(entries: Iterable[Entry], out: IO[str], title: str, inputs: list[str]) -> PageData:
    """Write the whole page for ``entries`` to ``out``; returns what went in (counts)."""
    template = asset("report.html")
    head, rest = template.split("{{TEXTS}}")
    out.write(head.replace("{{TITLE}}", html.escape(title)).replace("{{CSS}}", asset("report.css")))
    data = PageData()
    for entry in entries:
        entry.pack()
        index = data.add(entry)
        if entry.packed is not None:
            out.write(f'<script type="application/octet-stream" id="tx-{index}">{entry.packed}</script>\n')
    meta = {"title": title, "plancli": __version__, "made": time.strftime("%Y-%m-%d %H:%M"), "inputs": inputs,
            "chartjs": CHART_JS_VERSION}
    before, after = rest.split("{{DATA}}")
    out.write(before)
    out.write(data.json(meta))
    chart = f"/*! Chart.js {CHART_JS_VERSION}, inlined. Its licence:\n{asset('chart.js.LICENSE.md')}*/\n" \
            + asset("chart.umd.min.js")
    middle, tail = after.split("{{CHART_JS}}")
    scripts, end = tail.split("{{REPORT_JS}}")
    for piece in (middle, chart, scripts, asset("report.js"), end):
        out.write(piece)
    return data
