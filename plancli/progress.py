"""Batch progress on stderr: a Rich bar on a terminal, plain periodic lines in logs and CI.

Kept apart from ``plancli.batch`` so the library never prints; the CLI picks a reporter.
Failures are always one line each ("plancli: PATH: kind: message"), even with ``--quiet``.
"""
from __future__ import annotations

import sys
import time
from typing import IO

from plancli.batch import Item, Outcome, Reporter, Summary


def make_reporter(quiet: bool = False, debug: bool = False, stream: IO[str] | None = None) -> Reporter:
    stream = stream or sys.stderr
    if quiet:
        return PlainReporter(stream, debug, progress=False, summary=False)
    if hasattr(stream, "isatty") and stream.isatty():
        return RichReporter(stream, debug)
    return PlainReporter(stream, debug)


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
                 interval: float = 10.0):
        self.out, self.debug, self.progress, self.summary, self.interval = stream, debug, progress, summary, interval
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
            print_summary(summary, self.out)

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)


class RichReporter(Reporter):
    """A live bar: files, MB, records, errors, ETA; failures print above it."""

    def __init__(self, stream: IO[str], debug: bool = False):
        from rich.console import Console

        self.console = Console(file=stream)
        self.debug = debug
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
        print_summary(summary, self.console.file)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()  # restores the cursor, also after Ctrl-C
            self.progress = None


def print_summary(summary: Summary, out: IO[str]) -> None:
    """The end-of-run table: documents, records per kind, failures, time, throughput."""
    from rich.console import Console
    from rich.table import Table

    is_tty = hasattr(out, "isatty") and out.isatty()
    console = Console(file=out, force_terminal=is_tty, no_color=not is_tty, width=100)
    table = Table(title="plancli batch", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    rows = [("files", summary.files), ("documents written", summary.done),
            ("skipped (up to date)", summary.skipped), ("failed", summary.failed)]
    if summary.retried:
        rows.append(("retried after a worker died", summary.retried))
    rows += [(kind, n) for kind, n in summary.records.items()]
    rows += [("time", f"{summary.seconds:.1f} s"), ("read", _mb(summary.bytes_read)),
             ("throughput", f"{summary.mb_per_s:.2f} MB/s")]
    for what, value in rows:
        table.add_row(what, str(value))
    console.print(table)
