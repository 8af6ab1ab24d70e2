"""Outputs never lie: a write that fails is an error, a failed run leaves old files as they were,
a batch that cannot write OUTDIR stops with a summary and exit status 3, two batches never write
one OUTDIR at once, no list is cut without a word, and CSV is safe to open in a spreadsheet.

A full disk is a real one: a 64 KB tmpfs mounted in a private mount namespace (``unshare``), so
the test needs no clean-up and touches nothing outside it. Where namespaces are not allowed the
tmpfs cases are skipped; ``/dev/full`` (every write fails with ENOSPC) works everywhere.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import measured
from conftest import SAMPLES

PLANCLI = measured.PLANCLI
BIG_SAMPLE = next(SAMPLES.glob("001_*.txt"))  # its JSON is about 150 KB
SMALL_SAMPLE = next(SAMPLES.glob("004_*.txt"))


def _unshare() -> list[str] | None:
    """The command prefix that runs a shell in a private mount namespace where it may mount a tmpfs."""
    if not shutil.which("unshare"):
        return None
    for prefix in (["unshare", "-m"], ["unshare", "-rm"]):
        probe = subprocess.run([*prefix, "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True)
        if probe.returncode == 0:
            return prefix
    return None


UNSHARE = _unshare()
needs_tmpfs = pytest.mark.skipif(UNSHARE is None, reason="cannot mount a tmpfs in a private namespace here")


def on_small_disk(script: str, cwd: Path, size: str = "64k") -> subprocess.CompletedProcess:
    """Run ``script`` (sh) with a ``size`` tmpfs mounted at ./disk, in a private mount namespace.
    ``$PLANCLI`` is the command; PYTHONUNBUFFERED is set, as in many containers, because that
    is where Python itself drops the rest of a short write."""
    (cwd / "disk").mkdir(exist_ok=True)
    full = f"mount -t tmpfs -o size={size} tmpfs disk || exit 99\n{script}"
    env = {**os.environ, "PLANCLI": " ".join(PLANCLI), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run([*UNSHARE, "sh", "-c", full], cwd=cwd, capture_output=True, timeout=300, env=env)
    assert proc.returncode != 99, proc.stderr
    return proc


def lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "replace").strip().splitlines()


# --- standard output and -o ---------------------------------------------------------------------

@pytest.mark.parametrize("command", [["extract", str(SMALL_SAMPLE)], ["extract", str(SMALL_SAMPLE), "-f", "jsonl"],
                                     ["normalize", str(SMALL_SAMPLE)], ["schema"]])
def test_stdout_that_cannot_be_written_is_an_error(command):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([*PLANCLI, *command], stdout=full, stderr=subprocess.PIPE, timeout=120)
    assert proc.returncode == 1
    assert len(lines(proc.stderr)) == 1, proc.stderr
    assert "standard output" in lines(proc.stderr)[0] and "No space left on device" in lines(proc.stderr)[0]


@needs_tmpfs
def test_stdout_on_a_full_disk_is_not_cut_silently(tmp_path):
    """The disk fills up in the middle of the JSON: Python's unbuffered stdout would drop the rest
    of that short write and exit 0; plancli must report it."""
    proc = on_small_disk(f'$PLANCLI extract {BIG_SAMPLE} > disk/out.json; echo "status $?"; '
                         "wc -c < disk/out.json", tmp_path)
    out = lines(proc.stdout)
    assert out[0] == "status 1", (proc.stdout, proc.stderr)
    assert int(out[1]) < 150_000  # it was indeed cut by the full disk
    assert lines(proc.stderr) == ["plancli: standard output: cannot write the output: No space left on device"]


def test_failed_extract_never_empties_an_existing_output_file(tmp_path):
    """-f table has nothing to show: the file is left as it was. JSON holds the error entry, as
    it would on stdout (one output shape, whatever failed), never an empty file."""
    target = tmp_path / "result.json"
    target.write_text("earlier result\n", encoding="utf-8")
    proc = subprocess.run([*PLANCLI, "extract", "missing.txt", "-o", str(target), "-f", "table"], cwd=tmp_path,
                          capture_output=True, timeout=60)
    assert proc.returncode == 1
    assert lines(proc.stderr) == ["plancli: missing.txt: no such file"]
    assert target.read_text(encoding="utf-8") == "earlier result\n"
    proc = subprocess.run([*PLANCLI, "extract", "missing.txt", "-o", str(target)], cwd=tmp_path,
                          capture_output=True, timeout=60)
    assert proc.returncode == 1
    assert lines(proc.stderr) == ["plancli: missing.txt: no such file"]
    printed = subprocess.run([*PLANCLI, "extract", "missing.txt"], cwd=tmp_path, capture_output=True, timeout=60)
    [entry] = json.loads(target.read_text(encoding="utf-8"))
    assert entry["error"]["kind"] == "not_found" and [entry] == json.loads(printed.stdout)


@needs_tmpfs
def test_output_file_on_a_full_disk_keeps_its_old_content(tmp_path):
    proc = on_small_disk(f'echo old > disk/result.json; $PLANCLI extract {BIG_SAMPLE} -o disk/result.json; '
                         'echo "status $?"; cat disk/result.json; ls -a disk', tmp_path)
    out = lines(proc.stdout)
    assert out[:2] == ["status 1", "old"], (proc.stdout, proc.stderr)
    assert not [name for name in out[2:] if name.endswith(".part")], out  # no temp file left behind
    assert lines(proc.stderr) == ["plancli: disk/result.json: cannot write the output: No space left on device"]


# --- batch: OUTDIR that cannot be written, and the lock --------------------------------------------

def _inputs(folder: Path, copies: int = 6) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = BIG_SAMPLE.read_bytes()
    for i in range(copies):
        (folder / f"doc{i}.txt").write_bytes(text + f"\n第{i}份。\n".encode())


@needs_tmpfs
def test_batch_on_a_full_disk_stops_with_a_summary_and_exit_status_3(tmp_path):
    _inputs(tmp_path / "in")
    proc = on_small_disk('$PLANCLI batch in --out disk/out --jobs 2 --json; echo "status $?"; '
                         'for f in disk/out/*.json; do python3 -m json.tool "$f" > /dev/null || echo "BAD $f"; done',
                         tmp_path, size="400k")
    out = lines(proc.stdout)
    assert "status 3" in out, (proc.stdout, proc.stderr)
    assert not [line for line in out if line.startswith("BAD")], out  # what was written is whole
    summary = json.loads(out[0])
    assert summary["files"] == 6 and summary["processed"] < 6
    err = lines(proc.stderr)
    assert any("documents written" in line for line in err), err  # the summary table, as after any run
    failures = [line for line in err if line.startswith("plancli: ")]
    assert len(failures) == 1 and failures == err[-1:], err
    assert err[-1].startswith("plancli: cannot write disk/out: No space left on device; stopped"), err


@needs_tmpfs
def test_batch_into_a_read_only_folder_exits_3_with_one_line(tmp_path):
    _inputs(tmp_path / "in", copies=2)
    proc = on_small_disk('mkdir disk/out; mount -o remount,ro disk; $PLANCLI batch in --out disk/out --quiet; '
                         'echo "status $?"', tmp_path)
    assert lines(proc.stdout) == ["status 3"], proc.stderr
    err = lines(proc.stderr)
    assert len(err) == 1 and err[0].startswith("plancli: cannot write disk/out: Read-only file system"), err


def test_two_batches_never_write_one_outdir_at_once(tmp_path):
    _inputs(tmp_path / "in", copies=2)
    slow = "到2025年,全市高新技术企业达到1600家以上。\n".encode() * 60_000
    (tmp_path / "in" / "slow.txt").write_bytes(slow)
    first = subprocess.Popen([*PLANCLI, "batch", "in", "--out", "out", "--jobs", "1", "--quiet"], cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lock = tmp_path / "out" / ".plancli-batch.lock"
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.05)
        second = subprocess.run([*PLANCLI, "batch", "in", "--out", "out", "--quiet"], cwd=tmp_path,
                                capture_output=True, timeout=60)
        assert first.poll() is None, "the first run ended too soon for this test"
    finally:
        first.kill()
        first.wait()
    assert second.returncode == 3
    assert lines(second.stderr) == [f"plancli: out is being written by another plancli batch (process {first.pid}); "
                                    "wait for it to finish or choose another --out"]
    after = subprocess.run([*PLANCLI, "batch", "in", "--out", "out", "--quiet", "--glob", "doc*"], cwd=tmp_path,
                           capture_output=True, timeout=120)
    assert after.returncode == 0, after.stderr  # the lock dies with its holder, even after SIGKILL


# --- lists are never cut silently ---------------------------------------------------------------

def test_150_numbered_tasks_are_all_kept(tmp_path):
    lines_ = ["某市推进数字经济发展实施方案", "一、总体要求", "到2025年,数字经济核心产业增加值达到500亿元。", "二、重点任务"]
    lines_ += [f"{i}.推进第{i}项重点工作。(责任单位:市发展改革委)" for i in range(1, 151)]
    (tmp_path / "plan.txt").write_text("\n".join(lines_) + "\n", encoding="utf-8")
    proc = subprocess.run([*PLANCLI, "extract", "plan.txt"], cwd=tmp_path, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    [doc] = json.loads(proc.stdout)
    tasks = doc["tasks"]
    assert [t["marker"] for t in tasks] == [f"{i}." for i in range(1, 151)]
    assert tasks[-1]["title"] == "推进第150项重点工作" and tasks[-1]["units"] == ["市发展改革委"]


# --- CSV for spreadsheets ---------------------------------------------------------------------

FORMULAS = "某市行动计划\n一、主要目标\n到2025年,单位生产总值能耗下降15%。\n二、重点任务\n" \
           '1.=HYPERLINK("http://example.invalid")推进工作。(责任单位:@市科技局)\n' \
           "2.+SUM(A1:A9)加快建设。(责任单位:-市财政局)\n"


def _read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_csv_cells_that_excel_would_run_are_neutralised(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "=cmd.txt").write_text(FORMULAS, encoding="utf-8")
    (tmp_path / "=in").mkdir()
    (tmp_path / "=in" / "plan.txt").write_text(FORMULAS, encoding="utf-8")
    proc = subprocess.run([*PLANCLI, "batch", "in", "=in", "--out", "out", "--csv", "csv", "--quiet"], cwd=tmp_path,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    tasks = _read_csv(tmp_path / "csv" / "tasks.csv")
    assert [t["title"] for t in tasks[:2]] == ["'=HYPERLINK(\"http://example.invalid\")推进工作", "'+SUM(A1:A9)加快建设"]
    assert tasks[0]["units"] == "'@市科技局" and tasks[1]["units"] == "'-市财政局"
    units = _read_csv(tmp_path / "csv" / "units.csv")
    assert {u["name"] for u in units} == {"'@市科技局", "'-市财政局"}
    targets = _read_csv(tmp_path / "csv" / "targets.csv")
    assert (targets[0]["comparator"], targets[0]["value"], targets[0]["unit"]) == ("-", "15", "%")  # not text: as is
    docs = {d["doc"] for d in _read_csv(tmp_path / "csv" / "documents.csv")}
    assert any(d.startswith("'=in/") for d in docs), docs  # a path that starts a formula
    for path in (tmp_path / "csv").glob("*.csv"):
        for row in _read_csv(path):
            for value in row.values():
                assert not value.startswith(("=", "+", "@")), (path.name, value)

    raw = subprocess.run([*PLANCLI, "batch", "in", "--out", "out2", "--csv", "raw", "--csv-raw", "--quiet"],
                         cwd=tmp_path, capture_output=True, timeout=120)
    assert raw.returncode == 0, raw.stderr
    assert _read_csv(tmp_path / "raw" / "tasks.csv")[0]["title"] == '=HYPERLINK("http://example.invalid")推进工作'


def test_csv_number_and_comparator_columns_are_never_changed(tmp_path):
    """A negative number stays a number; comparators (">=", "-", "+", "=") are our own values."""
    from plancli import emit

    doc = {"source": {"path": "-plan.txt"}, "metadata": {"title": "=1+1"},
           "targets": [{"id": "t1", "indicator": "-重点指标", "value": -5.0, "value_max": None, "unit": "%",
                        "comparator": c, "text": "+text", "span": [0, 3], "rule": "target.x"}
                       for c in (">=", "-", "+", "=")]}
    with emit.csv_tables(tmp_path) as tables:
        tables.add(doc)
    rows = _read_csv(tmp_path / "targets.csv")
    assert [r["comparator"] for r in rows] == [">=", "-", "+", "="]
    assert {(r["value"], r["indicator"], r["text"], r["doc"]) for r in rows} == {("-5", "'-重点指标", "'+text", "'-plan.txt")}
    assert _read_csv(tmp_path / "documents.csv")[0]["title"] == "'=1+1"


def test_extract_csv_is_as_safe_as_batch_csv_and_task_units_too(tmp_path):
    (tmp_path / "plan.txt").write_text(FORMULAS, encoding="utf-8")
    proc = subprocess.run([*PLANCLI, "extract", "plan.txt", "-f", "csv", "-o", "tables"], cwd=tmp_path,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    links = _read_csv(tmp_path / "tables" / "task_units.csv")
    assert {link["unit"] for link in links} == {"'@市科技局", "'-市财政局"}
    assert _read_csv(tmp_path / "tables" / "tasks.csv")[0]["title"].startswith("'=HYPERLINK")
    one = subprocess.run([*PLANCLI, "extract", "plan.txt", "-f", "csv", "-t", "tasks"], cwd=tmp_path,
                         capture_output=True, timeout=120)
    assert list(csv.DictReader(one.stdout.decode("utf-8").splitlines()))[1]["title"] == "'+SUM(A1:A9)加快建设"
    raw = subprocess.run([*PLANCLI, "extract", "plan.txt", "-f", "csv", "-t", "tasks", "--csv-raw"], cwd=tmp_path,
                         capture_output=True, timeout=120)
    assert list(csv.DictReader(raw.stdout.decode("utf-8").splitlines()))[1]["title"] == "+SUM(A1:A9)加快建设"
    wrong = subprocess.run([*PLANCLI, "extract", "plan.txt", "--csv-raw"], cwd=tmp_path, capture_output=True, timeout=60)
    assert wrong.returncode == 2 and lines(wrong.stderr) == ["plancli: --csv-raw goes with --format csv"]


def test_xlsx_never_holds_a_formula_and_keeps_the_text(tmp_path):
    """Every text is a string cell, never a formula; one that starts like a formula also gets
    Excel's quote prefix (so editing it keeps it text), and its value is the text unchanged."""
    openpyxl = pytest.importorskip("openpyxl")
    (tmp_path / "=plan.txt").write_text(FORMULAS, encoding="utf-8")
    proc = subprocess.run([*PLANCLI, "extract", "=plan.txt", "-f", "xlsx", "-o", "plans.xlsx"], cwd=tmp_path,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    book = openpyxl.load_workbook(tmp_path / "plans.xlsx")
    cells = [cell for sheet in book for row in sheet.iter_rows(min_row=2) for cell in row if cell.value is not None]
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    tasks = book["tasks"]
    col = {c.value: i for i, c in enumerate(tasks[1])}
    title = tasks.cell(row=2, column=col["title"] + 1)
    assert (title.value, title.data_type, title.quotePrefix) == ('=HYPERLINK("http://example.invalid")推进工作', "s", True)
    doc = book["documents"].cell(row=2, column=1)
    assert (doc.value, doc.quotePrefix) == ("=plan.txt", True)
    value = book["targets"].cell(row=2, column=[c.value for c in book["targets"][1]].index("value") + 1)
    assert value.value == 15 and value.data_type == "n"
