"""Hostile and oversized inputs against a real plan of the same size, measured in the same run.

Each input is extracted by ``plancli extract`` in its own process; its CPU seconds and peak
resident memory come from the kernel (``os.wait4``), so load from other processes does not
count. Per input: seconds per MB and peak RSS per MB of input, each also as a multiple of the
real plan's (the baseline, built from the samples at the same size). The PDFs run under the
limits a batch would apply to them (``--timeout``, ``--max-memory``), so what they cost is
what the limits allow.
"""
from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from corpus import MB, OUT, ROOT, SAMPLES
from measure import PLANCLI

sys.path.insert(0, str(ROOT / "tests"))
from makedocs import looping_pdf, lying_docx, stream_bomb_pdf  # noqa: E402  the files the limit tests make

MiB = 1024 * 1024


@dataclass
class Cost:
    name: str
    nbytes: int
    cpu: float
    rss: int  # bytes
    status: int
    note: str
    timeout: float | None = None  # the --timeout it ran under: judged by stopping on time, not by cost

    @property
    def s_per_mb(self) -> float:
        return self.cpu / (self.nbytes / MB)

    @property
    def rss_per_mb(self) -> float:
        return self.rss / MiB / (self.nbytes / MB)


def _plan(size: int) -> bytes:
    """The Simplified sample plan repeated to ``size`` bytes: a long real plan."""
    text = next(SAMPLES.glob("002_*.txt")).read_text(encoding="utf-8")
    data = (text * (size // len(text.encode()) + 1)).encode()[:size]
    return data.decode("utf-8", "ignore").encode()


def _samples_repeated(size: int) -> bytes:
    joined = b"\n".join(p.read_bytes() for p in sorted(SAMPLES.glob("*.txt")))
    return (joined * (size // len(joined) + 1))[:size].decode("utf-8", "ignore").encode()


def _as_html(data: bytes) -> bytes:
    lines = data.decode("utf-8").splitlines()
    return ("<html><body>" + "".join(f"<p>{line}</p>\n" for line in lines) + "</body></html>").encode()


def inputs(size: int, large: int) -> list[tuple[str, str, bytes, list[str]]]:
    """(name, file name, bytes, extra options); the first of each size is its baseline."""
    rng = random.Random(7)
    goal = "到2025年,全市高新技术企业达到1600家以上。\n".encode()
    return [
        ("real plan (baseline)", "plan.txt", _plan(size), []),
        ("random bytes", "random.txt", bytes(rng.randrange(1, 256) for _ in range(size)), []),
        ("random GB lead bytes", "gb.txt", bytes(rng.randrange(0x81, 0xFF) if rng.random() < 0.9
                                                 else rng.randrange(0x20, 0x7F) for _ in range(size)), []),
        ("random CJK with ?h marks", "cjk.txt", "".join(
            chr(rng.randrange(0x4E00, 0x9FFF)) if rng.random() < 0.9 else rng.choice("?h a1。,")
            for _ in range(size // 3)).encode(), []),
        ("one goal per line", "goals.txt", goal * (size // len(goal)), []),
        ("HTML nested 1,000,000 deep", "deep.html", b"<html><body>" + b"<div>x" * (size // 6), []),
        ("30 issuers on a line, repeated", "issuers.txt",
         ((" ".join(["中共某某县委人民政府"] * 30) + "。\n").encode() * (size // 900 + 1))[:size], []),
        ("docx whose zip lies (256 MiB)", "lie.docx", lying_docx(256), []),
        ("PDF /Contents loop", "loop.pdf", looping_pdf(), ["--timeout", "5"]),
        ("PDF Flate bomb (512 MiB)", "bomb.pdf", stream_bomb_pdf(512), ["--max-memory", "500M"]),
        (f"{large // MB} MB of the samples (baseline)", "large.txt", _samples_repeated(large), []),
        (f"{large // MB} MB of the samples as HTML", "large.html", _as_html(_samples_repeated(large)), []),
    ]


#: Runs the command and prints its CPU seconds, peak RSS and status. A small process of its own
#: starts it, because a child's peak RSS counts from its parent's size when it was forked.
_WRAPPER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status))
"""


def measure(path: Path, options: list[str]) -> tuple[float, int, int, str]:
    """CPU seconds, peak RSS (bytes), exit status and first stderr line of one extract."""
    import sys

    out = subprocess.run([sys.executable, "-c", _WRAPPER, PLANCLI, "extract", str(path), "-o", str(path) + ".json",
                          "--max-bytes", str(400 * MB), *options], capture_output=True, text=True)
    cpu, rss, status = out.stdout.split()
    note = out.stderr.strip().splitlines()
    note = note[0].replace(f"plancli: {path}: ", "") if note else ""
    return float(cpu), int(rss), int(status), note


def run(say, size: int = MB, large: int = 20 * MB) -> dict:
    """Measure every input and print the table; returns the figures the targets are judged by."""
    folder = OUT / "hostile"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.txt").write_text("到2025年,全市高新技术企业达到1600家以上。", encoding="utf-8")
    _, idle, _, _ = measure(folder / "tiny.txt", [])  # the interpreter and plancli themselves
    costs = []
    for name, fname, data, options in inputs(size, large):
        path = folder / fname
        path.write_bytes(data)
        cpu, rss, status, note = measure(path, options)
        timeout = float(options[options.index("--timeout") + 1]) if "--timeout" in options else None
        costs.append(Cost(name, len(data), cpu, rss, status, note, timeout))
    base, base_large = costs[0], next(c for c in costs[1:] if "baseline" in c.name)
    say(f"(a process that extracts one sentence peaks at {idle / MiB:.0f} MB: 'RSS/MB' is the peak beyond that, "
        "per MB of input; for inputs much smaller than the baseline 'x base' compares whole runs, marked *)")
    say(f"{'input':34} {'MB':>7} {'CPU s':>7} {'s/MB':>7} {'x base':>7} {'peak RSS':>9} {'RSS/MB':>7}  result")
    worst_s, worst_rss, overrun = (0.0, ""), (0.0, ""), (0.0, "")
    for c in costs:
        ref = base_large if c.nbytes >= large / 2 else base
        small = c.nbytes < ref.nbytes * 0.9
        ratio = c.cpu / ref.cpu if small else c.s_per_mb / ref.s_per_mb
        rss_per_mb = max(0, c.rss - idle) / MiB / (c.nbytes / MB)
        per_mb = ("      -", "      -") if small else (f"{c.s_per_mb:7.2f}", f"{rss_per_mb:7.1f}")
        say(f"{c.name:34} {c.nbytes / MB:7.2f} {c.cpu:7.2f} {per_mb[0]} {ratio:6.1f}{'*' if small else ' '} "
            f"{c.rss / MiB:8.0f}M {per_mb[1]}  {'ok' if c.status == 0 else c.note[:60]}")
        if c.timeout is not None:  # it runs until stopped: what counts is how soon after its limit
            overrun = max(overrun, (c.cpu - c.timeout, c.name))
        elif c is not ref:
            worst_s = max(worst_s, (ratio, c.name))
        if c.nbytes >= large / 2 and c is not ref:
            worst_rss = max(worst_rss, (rss_per_mb, c.name))
    return {"worst_cpu_ratio": worst_s, "worst_rss_per_mb": worst_rss, "worst_overrun": overrun,
            "largest_rss": max((c.rss, c.name) for c in costs)}
