"""``plancli report``: one self-contained HTML page to check records against their text and to
compare plans across places.

* ``collect``: the inputs (batch folders, JSON / JSON Lines, documents) as documents with text;
* ``place``: the place a document is for (one small function, to improve);
* ``data``: the compact data the page embeds;
* ``page``: the HTML, from ``assets/`` (template, styles, the page's script, Chart.js).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from plancli.read import DEFAULT_MAX_BYTES


@dataclass
class ReportSummary:
    documents: int
    failed: int
    warned: int
    with_text: int
    records: dict[str, int]
    problems: int  # inputs (or entries of them) that could not be read at all


def write_report(inputs: list[str], output: str | os.PathLike[str] | IO[str], rules=None,
                 max_bytes: int = DEFAULT_MAX_BYTES, with_text: bool = True, title: str | None = None,
                 problem=None, jobs: int = 0) -> ReportSummary:
    """Write the report of ``inputs`` to ``output`` (a path, written atomically, or an open text
    file). ``problem(where, why)`` hears of inputs that cannot be read; they are left out.
    ``jobs``: worker processes that normalise the inputs of results again (0: one per core)."""
    from plancli import emit
    from plancli.report.collect import collect
    from plancli.report.page import write_page

    problems = 0

    def count(where: str, why: str) -> None:
        nonlocal problems
        problems += 1
        if problem:
            problem(where, why)

    title = title or default_title(inputs)
    if not jobs:
        from plancli.batch import default_jobs

        jobs = default_jobs()
    entries = collect(inputs, rules, max_bytes, with_text, count, jobs)
    if hasattr(output, "write"):
        data = write_page(entries, output, title, list(inputs))
    else:
        with emit.atomic_writer(Path(output)) as fh:
            data = write_page(entries, fh, title, list(inputs))
    return ReportSummary(len(data.docs), data.failed, data.warned, data.with_text, dict(data.records), problems)


def default_title(inputs: list[str]) -> str:
    """The page title from the names of the inputs ("plancli report: downloads, more")."""
    names = [os.path.basename(os.path.normpath(p)) or p for p in inputs[:3]]
    return "plancli report: " + ", ".join(names) + (" …" if len(inputs) > 3 else "")
