"""Run the real CLI and measure what it cost: CPU seconds and peak memory of its process tree.

Time and memory are read from the kernel's accounting of the processes (``getrusage`` of the
waited-for children), not from the wall clock, so a busy machine does not make a test fail. A
small wrapper process makes itself the "subreaper" of the run (Linux ``PR_SET_CHILD_SUBREAPER``):
workers and fork servers that outlive their parent are handed to it, and it waits for every
one of them, so their CPU time and memory are counted too. A worker that never exits keeps the
wrapper waiting, and the test's timeout fails it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

_SCRIPT = Path(sys.executable).with_name("plancli")
PLANCLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "plancli.cli"]

_WRAPPER = r"""
import ctypes, json, os, resource, subprocess, sys
try:
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
except (OSError, AttributeError):
    pass
code = subprocess.run(sys.argv[2:]).returncode
while True:  # the run's orphans (a fork server, workers) are ours now: wait for every one
    try:
        os.wait()
    except ChildProcessError:
        break
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as fh:
    json.dump({"code": code, "cpu": usage.ru_utime + usage.ru_stime, "max_rss": usage.ru_maxrss * 1024}, fh)
"""


@dataclass
class Measured:
    returncode: int
    stdout: bytes
    stderr: bytes
    cpu: float  # user + system seconds of every process of the run
    max_rss: int  # bytes: the largest resident size any one process of the run reached

    @property
    def lines(self) -> list[str]:
        """stderr as lines (what the user reads)."""
        return self.stderr.decode("utf-8", "replace").strip().splitlines()


def run(args: list[str], cwd: Path, timeout: float = 300, stdin: bytes | None = None,
        env: dict[str, str] | None = None) -> Measured:
    """``plancli ARGS`` in ``cwd``, with its cost."""
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as fh:
        report = fh.name
    try:
        proc = subprocess.run([sys.executable, "-c", _WRAPPER, report, *PLANCLI, *map(str, args)], cwd=cwd,
                              input=stdin, capture_output=True, timeout=timeout, env={**os.environ, **(env or {})})
        data = json.loads(Path(report).read_text())
    finally:
        os.unlink(report)
    return Measured(data["code"], proc.stdout, proc.stderr, data["cpu"], data["max_rss"])
