"""Batch progress on stderr: a Rich bar on a terminal, plain periodic lines in logs and CI.

Kept apart from ``plancli.batch`` so the library never prints; the CLI picks a reporter.
Failures are always one line each ("plancli: PATH: kind: message"), even with ``--quiet``.
"""
from __future__ import annotations

import sys
import time
from typing import IO

from plancli.batch import IGNORED_KINDS, Item, Outcome, Reporter, Summary


def make_reporter(quiet: bool = False, debug: bool = False, stream: IO[str] | None = None,
                  color: str = "auto") -> Reporter:
    """``color``: ``--color`` (auto, always, never) for the bar and the summary table."""
    stream = stream or sys.stderr
    if quiet:
        return PlainReporter(stream, debug, progress=False, summary=False)
    if hasattr(stream, "isatty") and stream.isatty():
        return RichReporter(stream, debug, color)
    return PlainReporter(stream, debug, color=color)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    return f"{h}h{rest // 60:02d}m" if h else f"{rest // 60}m{rest % 60:02d}s"


class _Counts:
    """Running totals shared by both reporters; progress is counted in bytes plus one per file
    so empty files still move the bar."""

    def __init__(self) -> None:
        self.files = self.total_files = self.bytes = self.total_bytes = 0
        self.records = self.errors = self.skipped = 0
        self.started = time.monotonic()

    def start(self, files: int, nbytes: int) -> None:
        self.total_files, self.total_bytes = files, nbytes
        self.started = time.monotonic()

    def update(self, item: Item, outcome: Outcome) -> None:
        self.files += 1
        self.bytes += item.size
        self.records += outcome.records
        self.errors += outcome.status == "failed"
        self.skipped += outcome.status == "skipped"

    def eta(self) -> str:
        done, total = self.bytes + self.files, self.total_bytes + self.total_files
        elapsed = time.monotonic() - self.started
        if not done or not elapsed:
            return "?"
        return _duration(elapsed * (total - done) / done)


class PlainReporter(Reporter):
    """A line every ``interval`` seconds: readable in a log file, no control characters."""

    def __init__(self, stream: IO[str], debug: bool = False, progress: bool = True, summary: bool = True,
                 interval: float = 10.0, color: str = "auto"):
        self.out, self.debug, self.progress, self.summary, self.interval = stream, debug, progress, summary, interval
        self.color = color
        self.counts = _Counts()
        self.last = 0.0

    def start(self, files: int, nbytes: int) -> None:
        self.counts.start(files, nbytes)
        self.last = time.monotonic()
        if self.progress:
            self._print(f"plancli batch: {files} files, {_mb(nbytes)}")

    def update(self, item: Item, outcome: Outcome) -> None:
        self.counts.update(item, outcome)
        if outcome.status == "failed":
            self._print(f"plancli: {item.path}: {outcome.error}")
            if self.debug and outcome.trace:
                self._print(outcome.trace.rstrip())
        if self.progress and time.monotonic() - self.last >= self.interval:
            self.last = time.monotonic()
            c = self.counts
            self._print(f"plancli batch: {c.files}/{c.total_files} files, {_mb(c.bytes)}/{_mb(c.total_bytes)}, "
                        f"{c.records} records, {c.errors} errors, {c.skipped} skipped, ETA {c.eta()}")

    def finish(self, summary: Summary) -> None:
        if self.summary:
            print_summary(summary, self.out, self.color)

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)


class RichReporter(Reporter):
    """A live bar: files, MB, records, errors, ETA; failures print above it."""

    def __init__(self, stream: IO[str], debug: bool = False, color: str = "auto"):
        from plancli.emit import console

        self.console = console(stream, color)
        self.debug, self.color = debug, color
        self.counts = _Counts()
        self.progress = None

    def start(self, files: int, nbytes: int) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.counts.start(files, nbytes)
        self.progress = Progress(
            TextColumn("[bold]batch"), BarColumn(),
            TextColumn("{task.fields[files]} files"), TextColumn("{task.fields[mb]}"),
            TextColumn("{task.fields[records]} records"), TextColumn("{task.fields[errors]} errors"),
            TimeRemainingColumn(), console=self.console)
        self.progress.start()
        self.task = self.progress.add_task("batch", total=nbytes + files, **self._fields())

    def _fields(self) -> dict:
        c = self.counts
        return {"files": f"{c.files}/{c.total_files}", "mb": f"{_mb(c.bytes)}/{_mb(c.total_bytes)}",
                "records": c.records, "errors": c.errors}

    def update(self, item: Item, outcome: Outcome) -> None:
        self.counts.update(item, outcome)
        if outcome.status == "failed":
            self.console.print(f"plancli: {item.path}: {outcome.error}", markup=False, highlight=False)
            if self.debug and outcome.trace:
                self.console.print(outcome.trace.rstrip(), markup=False, highlight=False)
        self.progress.update(self.task, advance=item.size + 1, **self._fields())

    def finish(self, summary: Summary) -> None:
        self.close()
        print_summary(summary, self.console.file, self.color)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()  # restores the cursor, also after Ctrl-C
            self.progress = None


def print_summary(summary: Summary, out: IO[str], color: str = "auto") -> None:
    """The end-of-run table: documents, records per kind, failures, files left out by kind,
    time, throughput."""
    from rich.table import Table

    from plancli.emit import console as make_console

    console = make_console(out, color, width=100)
    table = Table(title="plancli batch", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    rows = [("files", summary.files), ("documents written", summary.done),
            ("skipped (up to date)", summary.skipped), ("failed", summary.failed)]
    if summary.retried:
        rows.append(("retried after a worker died", summary.retried))
    rows += [(f"left out: {IGNORED_KINDS.get(kind, kind)}", n) for kind, n in sorted(summary.ignored.items())]
    rows += [(kind, n) for kind, n in summary.records.items()]
    rows += [("time", f"{summary.seconds:.1f} s"), ("read", _mb(summary.bytes_read)),
             ("throughput", f"{summary.mb_per_s:.2f} MB/s")]
    for what, value in rows:
        table.add_row(what, str(value))
    console.print(table)
