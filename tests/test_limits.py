"""Per-file limits: one file over its time or memory can neither stall nor sink a run.

Every case drives the real CLI on files made here and measures the run's CPU time and peak
memory through the kernel's accounting of the whole process tree (``measured.run``), never by
the wall clock: the file over the limit must cost about the limit, not what it would have cost,
it must become one error line and one error entry of kind ``timeout`` or ``memory_limit``, and
the other files of the batch must still be written.

The slow and the large inputs are ordinary text, so they stay slow and large whatever the
readers learn; the two PDFs (a /Contents reference loop, a Flate stream that inflates to
512 MiB) are hostile files that the PDF reader may learn to refuse early, so for them a quick
refusal of the reader's own is accepted as well.
"""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

import measured
from conftest import SAMPLES
from makedocs import looping_pdf, stream_bomb_pdf

MB = 1024 * 1024
LINUX = Path("/proc/self/statm").exists()
pytestmark = pytest.mark.skipif(not LINUX, reason="limits and measurements use Linux process accounting")

SAMPLE = next(SAMPLES.glob("002_*.txt")).read_bytes()


def slow_text(megabytes: float = 4) -> bytes:
    """Goal sentences and nothing else: every sentence is a target, about 3 s of CPU per MB."""
    unit = "到2025年,全市高新技术企业达到1600家以上。\n".encode()
    return unit * int(megabytes * MB / len(unit))


def large_text(megabytes: int = 40) -> bytes:
    """A real plan repeated: reading and decoding it alone needs several times 40 MB."""
    return SAMPLE * (megabytes * MB // len(SAMPLE) + 1)


def good_folder(folder: Path) -> list[str]:
    """Three ordinary documents; their names, which every batch below must still write."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for sample in sorted(SAMPLES.glob("00[012]_*.txt")):
        (folder / sample.name).write_bytes(sample.read_bytes())
        names.append(sample.name)
    return names


def errors_of(out: Path) -> dict[str, dict]:
    entries = [json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    return {Path(e["source"]["path"]).name: e["error"] for e in entries}


def assert_one_line(run: measured.Measured, name: str, reason: str) -> None:
    failures = [line for line in run.lines if line.startswith("plancli: ") and name in line]
    assert len(failures) == 1, run.lines
    assert reason in failures[0], failures[0]
    assert not any("Traceback" in line or "internal error" in line for line in run.lines), run.lines


# --- batch ---------------------------------------------------------------------------------------

def test_batch_file_over_the_timeout_is_stopped_and_the_rest_is_written(tmp_path):
    names = good_folder(tmp_path / "in")
    (tmp_path / "in" / "slow.txt").write_bytes(slow_text(4))  # ~12 s of CPU unchecked
    run = measured.run(["batch", "in", "--out", "out", "--jobs", "2", "--timeout", "1", "--quiet"], tmp_path)
    assert run.returncode == 1, run.lines
    assert_one_line(run, "slow.txt", "timeout: took longer than --timeout 1 s")
    errors = errors_of(tmp_path / "out")
    assert set(errors) == {"slow.txt"} and errors["slow.txt"]["kind"] == "timeout"
    for name in names:
        json.loads((tmp_path / "out" / f"{name}.json").read_text(encoding="utf-8"))
    assert run.cpu < 8, f"the run took {run.cpu:.1f} s of CPU: the slow file was not stopped at 1 s"


def test_batch_file_over_the_memory_limit_is_stopped_and_the_rest_is_written(tmp_path):
    names = good_folder(tmp_path / "in")
    (tmp_path / "in" / "large.txt").write_bytes(large_text(40))
    run = measured.run(["batch", "in", "--out", "out", "--jobs", "2", "--max-memory", "150M", "--max-bytes",
                        str(200 * MB), "--quiet"], tmp_path)
    assert run.returncode == 1, run.lines
    assert_one_line(run, "large.txt", "memory_limit: needed more than --max-memory 150M")
    errors = errors_of(tmp_path / "out")
    assert set(errors) == {"large.txt"} and errors["large.txt"]["kind"] == "memory_limit"
    for name in names:
        json.loads((tmp_path / "out" / f"{name}.json").read_text(encoding="utf-8"))
    # no process of the run got far beyond the limit (the worker starts at about 60 MB)
    assert run.max_rss < 300 * MB, f"a process reached {run.max_rss / MB:.0f} MB"


def test_batch_with_hostile_pdfs_finishes_and_writes_the_rest(tmp_path):
    """A PDF whose contents loop and one whose stream inflates to 512 MiB: each is stopped by a
    limit (or refused by the reader), and the batch goes on."""
    names = good_folder(tmp_path / "in")
    (tmp_path / "in" / "loop.pdf").write_bytes(looping_pdf())
    (tmp_path / "in" / "bomb.pdf").write_bytes(stream_bomb_pdf())
    run = measured.run(["batch", "in", "--out", "out", "--jobs", "2", "--timeout", "8", "--max-memory", "300M",
                        "--quiet"], tmp_path)
    assert run.returncode == 1, run.lines
    errors = errors_of(tmp_path / "out")
    assert set(errors) == {"loop.pdf", "bomb.pdf"}
    assert errors["loop.pdf"]["kind"] in ("timeout", "corrupt"), errors
    assert errors["bomb.pdf"]["kind"] in ("memory_limit", "too_large"), errors
    assert not any("Traceback" in line or "internal error" in line for line in run.lines), run.lines
    for name in names:
        json.loads((tmp_path / "out" / f"{name}.json").read_text(encoding="utf-8"))
    assert run.cpu < 20
    assert run.max_rss < 450 * MB, f"a process reached {run.max_rss / MB:.0f} MB"


def _descendants(pid: int) -> list[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = [], [pid]
    while frontier:
        above = frontier.pop()
        kids = [p for p, parent in parents.items() if parent == above]
        found += kids
        frontier += kids
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_workers_die_with_a_batch_killed_with_sigkill(tmp_path):
    """SIGKILL cannot be caught: the workers must notice on their own, within a second or two,
    and not go on burning CPU on a slow file nobody will collect."""
    good_folder(tmp_path / "in")
    (tmp_path / "in" / "slow1.txt").write_bytes(slow_text(3))
    (tmp_path / "in" / "slow2.txt").write_bytes(slow_text(3) + b"\n")
    proc = subprocess.Popen([*measured.PLANCLI, "batch", "in", "--out", "out", "--jobs", "2", "--quiet"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(_descendants(proc.pid)) < 3 and time.monotonic() < deadline:  # fork server + 2 workers
            time.sleep(0.05)
        time.sleep(1.0)  # both workers on a slow file now
        workers = _descendants(proc.pid)
        assert len(workers) >= 3, workers
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 5
    while any(_running(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in workers if _running(p)], "processes of the batch outlived it"


# --- extract -------------------------------------------------------------------------------------

def test_extract_timeout_stops_the_file_and_goes_on(tmp_path):
    (tmp_path / "slow.txt").write_bytes(slow_text(4))
    (tmp_path / "ok.txt").write_bytes(SAMPLE)
    run = measured.run(["extract", "slow.txt", "ok.txt", "--timeout", "1", "-f", "jsonl"], tmp_path)
    assert run.returncode == 1
    assert run.lines == ["plancli: slow.txt: took longer than --timeout 1 s; stopped (raise the limit with "
                         "--timeout, or 0 for none)"]
    docs = [json.loads(line) for line in run.stdout.decode("utf-8").splitlines()]
    assert docs[0]["error"]["kind"] == "timeout" and docs[1]["source"]["path"] == "ok.txt" and docs[1]["tasks"]
    assert run.cpu < 5, f"{run.cpu:.1f} s of CPU"


def test_extract_memory_limit_is_an_error_entry_not_an_internal_error(tmp_path):
    (tmp_path / "large.txt").write_bytes(large_text(40))
    run = measured.run(["extract", "large.txt", "--max-memory", "150M", "--max-bytes", str(200 * MB)], tmp_path)
    assert run.returncode == 1
    assert run.lines == ["plancli: large.txt: needed more than --max-memory 150M; stopped (raise the limit with "
                         "--max-memory, or 0 for none)"]
    docs = json.loads(run.stdout)  # -f json is always an array; the stopped file is an error entry in it
    assert [d["error"]["kind"] for d in docs] == ["memory_limit"] and not docs[0].get("targets")
    assert run.max_rss < 260 * MB, f"{run.max_rss / MB:.0f} MB"


@pytest.mark.parametrize("make, option, kinds", [
    (looping_pdf, ["--timeout", "2"], ("took longer than --timeout 2 s", "not a readable PDF")),
    (stream_bomb_pdf, ["--max-memory", "300M"], ("needed more than --max-memory 300M", "too large", "over the limit")),
], ids=["reference-loop", "stream-bomb"])
def test_extract_hostile_pdf_is_stopped_by_its_limit(tmp_path, make, option, kinds):
    (tmp_path / "hostile.pdf").write_bytes(make())
    run = measured.run(["extract", "hostile.pdf", *option], tmp_path)
    assert run.returncode == 1
    assert len(run.lines) == 1 and run.lines[0].startswith("plancli: hostile.pdf: "), run.lines
    assert any(k in run.lines[0] for k in kinds), run.lines[0]
    assert "internal error" not in run.lines[0] and "MemoryError" not in run.lines[0]
    assert run.cpu < 15
    assert run.max_rss < 420 * MB, f"{run.max_rss / MB:.0f} MB"


def test_size_options_are_checked():
    from plancli.limits import format_size, parse_size

    assert parse_size("2G") == 2 * 1024**3 and parse_size("512M") == 512 * MB and parse_size("1.5GiB") == 1536 * MB
    assert parse_size("300") == 300 * MB and parse_size("0") == 0 and parse_size("none") == 0
    assert format_size(150 * MB) == "150M" and format_size(2 * 1024**3) == "2G"
    with pytest.raises(ValueError):
        parse_size("lots")
    bad = subprocess.run([*measured.PLANCLI, "extract", "x.txt", "--max-memory", "lots"], capture_output=True)
    assert bad.returncode == 2 and b"not a size" in bad.stderr


# --- cost in proportion to the input ----------------------------------------------------------

def _samples_repeated(megabytes: int) -> bytes:
    """Every sample (Simplified, Traditional with pinyin and mojibake, English) one after the
    other, repeated: the reading and normalising path at full size."""
    joined = b"\n".join(p.read_bytes() for p in sorted(SAMPLES.glob("*.txt")))
    return joined * (megabytes * MB // len(joined) + 1)


@pytest.mark.parametrize("kind, factor", [("txt", 8), ("html", 9)])
def test_peak_memory_is_a_small_multiple_of_a_large_input(tmp_path, kind, factor):
    """A 20 MB input: peak memory of the process a small multiple of the input beyond the
    interpreter's own (about 60 MB): about 6.5x for text, 8x for HTML (lexbor's tree of the page
    comes on top of its text). It was 13x for text, 11x for HTML (a 100 MB page took 1 GB), and
    30x once when a check listed every match of the page instead of counting them."""
    data = _samples_repeated(20)
    if kind == "html":
        lines = data.decode("utf-8").splitlines()
        data = ("<html><body>" + "".join(f"<p>{line}</p>\n" for line in lines) + "</body></html>").encode()
    (tmp_path / f"big.{kind}").write_bytes(data)
    run = measured.run(["extract", f"big.{kind}", "-o", "big.json"], tmp_path, timeout=600)
    assert run.returncode == 0, run.lines
    assert run.max_rss < 60 * MB + factor * len(data), f"{run.max_rss / MB:.0f} MB for {len(data) / MB:.0f} MB"
