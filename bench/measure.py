"""Measurements that need their own process: plancli batch runs, start-up, imports, jieba.

Everything is timed on the wall clock from outside, interpreter start included, because that is
what a user running plancli over a folder waits for.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
PLANCLI = str(BIN / "plancli")


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def wait_for_low_load(threshold: float, max_wait: float, say) -> None:
    """Poll the 1-minute load average so the numbers are not someone else's test run."""
    deadline = time.monotonic() + max_wait
    while os.getloadavg()[0] >= threshold and time.monotonic() < deadline:
        say(f"  waiting for load < {threshold} ({load()})")
        time.sleep(30)


def run_batch(folder: Path, jobs: int) -> dict:
    """``plancli batch --jobs N`` over ``folder``: wall time, its summary and peak memory.

    Memory is sampled over the whole process tree (main process, forkserver and workers) and
    summed: RSS every 50 ms, PSS every 0.5 s (reading it walks the page tables of every process,
    which on 2 cores would slow the batch being measured). The RSS sum counts shared pages once
    per process, so it over-states the machine's cost; PSS shares them out and is printed beside it.
    """
    import psutil

    with tempfile.TemporaryDirectory(prefix="plancli-bench-") as out:
        cmd = [PLANCLI, "batch", str(folder), "--out", out, "--jobs", str(jobs), "--force", "--quiet", "--json"]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        root = psutil.Process(proc.pid)
        peak = {"rss": 0, "pss": 0, "one": 0}
        samples = 0
        while proc.poll() is None:
            with_pss = samples % 10 == 0
            samples += 1
            rss = pss = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    try:
                        mem = p.memory_full_info() if with_pss else p.memory_info()
                    except psutil.Error:
                        continue
                    rss, pss = rss + mem.rss, pss + (mem.pss if with_pss else 0)
                    peak["one"] = max(peak["one"], mem.rss)
            except psutil.Error:
                pass
            peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)
            time.sleep(0.05)
        stdout, stderr = proc.communicate()
        wall = time.perf_counter() - started
    try:
        summary = json.loads(stdout)
    except ValueError:
        summary = {}
    return {"jobs": jobs, "wall": wall, "rc": proc.returncode, "summary": summary, "stderr": stderr.strip(),
            **{f"peak_{k}_mb": v / 2**20 for k, v in peak.items()}}


_SPIN = "x = 0\nfor i in range(20_000_000):\n    x += i\n"


def two_core_ceiling() -> float:
    """What two CPU-bound processes get from this machine right now: the throughput of two
    pure-Python loops run at once over one run alone (2.0 on two idle, unshared cores).

    On a shared VM this moves from run to run (1.4x-2.1x seen here within a minute), so the
    --jobs 2 scaling is printed next to it."""
    spin = [sys.executable, "-c", _SPIN]

    def alone() -> float:
        started = time.perf_counter()
        subprocess.run(spin, check=True)
        return time.perf_counter() - started

    before = alone()
    started = time.perf_counter()
    pair = [subprocess.Popen(spin) for _ in range(2)]
    for p in pair:
        p.wait()
    together = time.perf_counter() - started
    return (before + alone()) / together  # one alone before and after: drift cancels out


def median_wall(cmd: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


_IMPORTS = """
import json, sys, time
started = time.perf_counter()
from plancli.pipeline import extract
doc = extract(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - started, "script": doc.source.script,
                  "jieba": "jieba" in sys.modules, "opencc": "opencc" in sys.modules}))
"""


def imports_during_extract(path: Path) -> dict:
    """Which heavy libraries one plain library extract pulled in (fresh interpreter)."""
    out = subprocess.run([sys.executable, "-c", _IMPORTS, str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def heaviest_imports(args: list[str], top: int = 5) -> list[tuple[str, float]]:
    """Packages by import time (``python -X importtime``, cumulative) during one CLI call."""
    code = "import sys; from plancli.cli import main; sys.argv = ['plancli', *sys.argv[1:]]; main()"
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code, *args],
                         capture_output=True, text=True)
    found: dict[str, float] = {}
    for line in out.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].strip()
        # a package's own line includes its submodules; "_…" and site are interpreter set-up
        if "." not in name and not name.startswith("_") and name not in ("plancli", "site", "encodings"):
            found[name] = max(found.get(name, 0.0), int(parts[1]) / 1e6)
    return sorted(found.items(), key=lambda kv: -kv[1])[:top]


_JIEBA = """
import json, logging, sys, time
import jieba
jieba.setLogLevel(logging.WARNING)
docs = json.load(sys.stdin)
texts = [open(path, encoding=enc).read() for path, enc in docs]
started = time.perf_counter()
jieba.initialize()
init = time.perf_counter() - started
words = 0
started = time.perf_counter()
for text in texts:
    words += len(jieba.lcut(text))
print(json.dumps({"init": init, "seconds": time.perf_counter() - started, "words": words}))
"""


def time_jieba(folder: Path) -> dict:
    """``jieba.lcut`` over the decoded corpus documents, in a fresh process (the pipeline may have
    loaded jieba's dictionary in this one); the dictionary load is timed apart."""
    from corpus import encoding_of

    docs = [(str(p), encoding_of(p)) for p in sorted(folder.glob("*.txt"))]
    out = subprocess.run([sys.executable, "-c", _JIEBA], input=json.dumps(docs), capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)
