"""`plancli batch` and piping, run as real subprocesses on a temp folder of documents.

The corpus: every sample as UTF-8, Chinese samples as GB18030 and UTF-16, an .html page, a
.docx and a text PDF made from samples, a file without suffix, and broken inputs (a PNG and a
NUL-byte file named .txt, a scanned PDF). Extraction is still changing, so these tests check
behaviour (files, order, counts, formats), not extracted values.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from makedocs import SAMPLES, make_docx, make_html, make_pdf, sample_lines

_SCRIPT = Path(sys.executable).with_name("plancli")
PLANCLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "plancli.cli"]
KINDS = ("targets", "subsidies", "tasks", "units")
BROKEN = {"bad/image.txt", "bad/nul.txt", "office/scan.pdf"}
IGNORED = {"readme.md", ".hidden.txt", "sub/.cache/x.txt"}


def plancli(*args: str, cwd: Path, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*PLANCLI, *map(str, args)], cwd=cwd, input=stdin, capture_output=True, timeout=timeout)


def summary_of(result: subprocess.CompletedProcess) -> dict:
    return json.loads(result.stdout)


def walk_order(root: Path) -> list[str]:
    """Input order as documented: sorted names, a folder's files before its subfolders."""
    order = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        order += [Path(dirpath, f).relative_to(root).as_posix() for f in sorted(filenames)]
    return order


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("batch")
    src = base / "in"
    for d in ("enc", "web", "office", "bad", "sub/.cache"):
        (src / d).mkdir(parents=True)
    for sample in sorted(SAMPLES.glob("*.txt")):
        shutil.copy(sample, src / sample.name)
    for name in ("002", "004"):
        text = next(SAMPLES.glob(f"{name}*.txt")).read_text(encoding="utf-8")
        (src / "enc" / f"{name}.gb18030.txt").write_bytes(text.encode("gb18030"))
        (src / "enc" / f"{name}.utf16.txt").write_bytes(text.encode("utf-16"))
    zh = sample_lines("002")
    (src / "web" / "002.html").write_bytes(make_html(zh[1], zh[2:60], [["指标", "2021年", "2024年"],
                                                                     ["高新技术企业数(家)", "1117", "1600"]]))
    make_docx(src / "office" / "002.docx", zh[1], zh[2:30], [["序号", "任务", "牵头单位"],
                                                           ["1", zh[30][:20], "市科技局"]], zh[31:60])
    (src / "office" / "000.pdf").write_bytes(make_pdf(sample_lines("000")[:40]))
    (src / "office" / "scan.pdf").write_bytes(make_pdf(None))
    (src / "bad" / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (src / "bad" / "nul.txt").write_bytes(b"\x00" * 301)
    (src / "notice").write_bytes(next(SAMPLES.glob("000*.txt")).read_bytes())  # no suffix
    for name in IGNORED:
        (src / name).write_text("not an input", encoding="utf-8")
    return base


@pytest.fixture(scope="module")
def first_run(corpus):
    result = plancli("batch", "in", "--out", "out", "--jsonl", "all.jsonl", "--csv", "csv", "--jobs", "2",
                     "--json", cwd=corpus)
    return result


def good_inputs(corpus: Path) -> list[str]:
    return [p for p in walk_order(corpus / "in") if p not in BROKEN and p not in IGNORED]


# --- one run over the corpus ------------------------------------------------------------------

def test_batch_exit_status_and_summary(corpus, first_run):
    assert first_run.returncode == 1, first_run.stderr.decode()
    summary = summary_of(first_run)
    good = good_inputs(corpus)
    assert summary["files"] == len(good) + len(BROKEN)
    assert (summary["processed"], summary["skipped"], summary["failed"]) == (len(good), 0, len(BROKEN))
    # what the walk left out, by kind: readme.md, .hidden.txt and the folder sub/.cache
    assert summary["ignored"] == {"hidden": 1, "hidden_folder": 1, "unsupported_type": 1}
    stderr = first_run.stderr.decode()
    for name in BROKEN:
        assert f"plancli: in/{name}: " in stderr  # one line naming the file
    assert "Traceback" not in stderr
    assert "documents written" in stderr  # the summary table
    assert "left out: unsupported type" in stderr and "left out: hidden folders" in stderr


def test_one_output_per_good_input_mirroring_the_tree(corpus, first_run):
    out = corpus / "out"
    for rel in good_inputs(corpus):
        doc = json.loads((out / f"{rel}.json").read_text(encoding="utf-8"))
        assert doc["schema_version"] == "1"
        assert doc["source"]["path"] == f"in/{rel}"
        assert doc["source"]["sha256"] == hashlib.sha256((corpus / "in" / rel).read_bytes()).hexdigest()
        assert set(KINDS) <= doc.keys()
    for rel in BROKEN | IGNORED:
        assert not (out / f"{rel}.json").exists()
    formats = {rel: json.loads((out / f"{rel}.json").read_text(encoding="utf-8"))["source"]
               for rel in ("web/002.html", "office/002.docx", "office/000.pdf", "enc/002.gb18030.txt",
                           "enc/002.utf16.txt", "notice")}
    assert [formats[r]["format"] for r in ("web/002.html", "office/002.docx", "office/000.pdf")] == ["html", "docx", "pdf"]
    assert formats["enc/002.gb18030.txt"]["encoding"] == "gb18030"
    assert formats["enc/002.utf16.txt"]["encoding"] == "utf-16"
    assert formats["notice"]["format"] == "text"


def test_error_entries(corpus, first_run):
    lines = (corpus / "out" / "errors.jsonl").read_text(encoding="utf-8").splitlines()
    errors = [json.loads(line) for line in lines]
    assert [e["source"]["path"] for e in errors] == [f"in/{p}" for p in walk_order(corpus / "in") if p in BROKEN]
    for e in errors:
        assert set(e) == {"schema_version", "source", "error"}
        assert e["schema_version"] == "1" and e["error"]["kind"] and e["error"]["message"]
    kinds = {e["source"]["path"]: e["error"]["kind"] for e in errors}
    assert kinds["in/office/scan.pdf"] == "no_text_layer"
    assert kinds["in/bad/image.txt"] == "unsupported_format" and kinds["in/bad/nul.txt"] == "binary"


def test_jsonl_stream_in_input_order(corpus, first_run):
    lines = (corpus / "all.jsonl").read_text(encoding="utf-8").splitlines()
    docs = [json.loads(line) for line in lines]
    expected = [f"in/{p}" for p in walk_order(corpus / "in") if p not in IGNORED]
    assert [d["source"]["path"] for d in docs] == expected
    assert sum("error" in d for d in docs) == len(BROKEN)


def test_csv_tables_round_trip(corpus, first_run):
    docs = [json.loads(line) for line in (corpus / "all.jsonl").read_text(encoding="utf-8").splitlines()]
    tables = {}
    for name in ("documents", *KINDS):
        raw = (corpus / "csv" / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens Chinese correctly
        with open(corpus / "csv" / f"{name}.csv", encoding="utf-8-sig", newline="") as fh:
            tables[name] = list(csv.DictReader(fh))
        with open(corpus / "csv" / f"{name}.csv", encoding="utf-8-sig", newline="") as fh:
            assert next(csv.reader(fh))[0] == "doc"
    assert [r["doc"] for r in tables["documents"]] == [d["source"]["path"] for d in docs]
    assert [r["error_kind"] for r in tables["documents"]] == [d.get("error", {}).get("kind", "") for d in docs]
    made = [(r["generator_plancli"], r["generator_rules"], r["generator_keywords"]) for r in tables["documents"]]
    assert made == [tuple(str(v).lower() if isinstance(v, bool) else v for v in d["generator"].values())
                    if "generator" in d else ("", "", "") for d in docs]
    for kind in KINDS:
        expected = [(d["source"]["path"], rec) for d in docs for rec in d.get(kind, [])]
        rows = tables[kind]
        assert len(rows) == len(expected)
        for row, (path, rec) in zip(rows, expected):
            assert row["doc"] == path
            if "span" in rec:
                assert (int(row["span_start"]), int(row["span_end"])) == tuple(rec["span"])
                assert row["text"] == rec["text"]
    with open(corpus / "csv" / "tasks.csv", encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    assert {"responsible_lead", "responsible_support", "span_start", "span_end"} <= set(header)
    for name in ("sections", "task_units"):
        with open(corpus / "csv" / f"{name}.csv", encoding="utf-8-sig", newline="") as fh:
            tables[name] = list(csv.DictReader(fh))
    assert [(r["doc"], r["id"], r["title"]) for r in tables["sections"]] == \
        [(d["source"]["path"], s["id"], s["title"]) for d in docs for s in d.get("sections", [])]
    links = [(d["source"]["path"], t["id"], u, "lead" if u in t["responsible"]["lead"] else
              "support" if u in t["responsible"]["support"] else "unspecified")
             for d in docs for t in d.get("tasks", []) for u in t["units"]]
    assert links and [tuple(r.values()) for r in tables["task_units"]] == links
    # the keys join: every link names a task and a unit of its own document
    tasks = {(r["doc"], r["id"]) for r in tables["tasks"]}
    units = {(r["doc"], r["name"]) for r in tables["units"]}
    assert all((r["doc"], r["task"]) in tasks and (r["doc"], r["unit"]) in units for r in tables["task_units"])
    # counts, years and offsets are written as integers (never 2025.0)
    whole = {"documents": ("bytes", "period_start", "period_end", "sections", *KINDS),
             "targets": ("year", "baseline_year", "span_start", "span_end"),
             "sections": ("level", "span_start", "span_end"), "units": ("mentions", "lead", "support")}
    for name, columns in whole.items():
        values = [r[c] for r in tables[name] for c in columns if r[c] != ""]
        assert values and all(v.isdigit() for v in values), name
    with open(corpus / "csv" / "targets.csv", encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    assert {"baseline_value", "baseline_year"} <= set(header)


def test_resume_skips_everything_done(corpus, first_run):
    out = corpus / "out"
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.json")}
    first_jsonl = (corpus / "all.jsonl").read_text(encoding="utf-8")
    again = plancli("batch", "in", "--out", "out", "--jsonl", "all.jsonl", "--csv", "csv", "--json", cwd=corpus)
    summary = summary_of(again)
    assert again.returncode == 1  # the broken files are retried and fail again
    assert (summary["skipped"], summary["processed"], summary["failed"]) == (len(good_inputs(corpus)), 0, len(BROKEN))
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.json")} == mtimes
    assert (corpus / "all.jsonl").read_text(encoding="utf-8") == first_jsonl  # streams stay complete

    changed = corpus / "in" / "notice"
    changed.write_bytes(changed.read_bytes() + b"\nOne more line.\n")
    third = plancli("batch", "in", "--out", "out", "--json", "--quiet", cwd=corpus)
    assert summary_of(third)["processed"] == 1
    stderr = third.stderr.decode()
    assert stderr.count("plancli: ") == len(BROKEN)  # --quiet: only the failure lines
    assert "documents written" not in stderr


# --- interrupted runs -------------------------------------------------------------------------

COPIES = 60


def test_killed_run_leaves_no_partial_json_and_resumes(tmp_path):
    src = tmp_path / "in"
    english = next(SAMPLES.glob("000*.txt")).read_bytes()
    for i in range(COPIES):
        (src / f"d{i % 4}").mkdir(parents=True, exist_ok=True)
        (src / f"d{i % 4}" / f"copy{i:03d}.txt").write_bytes(english + f"\nCopy {i}.\n".encode())
    out = tmp_path / "out"
    proc = subprocess.Popen([*PLANCLI, "batch", "in", "--out", "out", "--jobs", "1", "--jsonl", "all.jsonl",
                             "--quiet"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not any(out.rglob("*.json")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.2)
    workers = descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert wait_until_gone(workers, 5) == [], "workers outlived their parent"

    files = [p for p in tmp_path.rglob("*") if p.is_file() and src not in p.parents]
    finished = [p for p in files if p.name.endswith(".json")]
    assert 0 < len(finished) < COPIES
    for p in files:
        assert p.name.endswith((".json", ".part")) or p.name == ".plancli-batch.lock", p  # only whole outputs and temp files
    for p in finished:
        json.loads(p.read_text(encoding="utf-8"))  # none is truncated
    mtimes = {p: p.stat().st_mtime_ns for p in finished}

    again = plancli("batch", "in", "--out", "out", "--jobs", "1", "--json", "--quiet", cwd=tmp_path)
    assert again.returncode == 0, again.stderr.decode()
    summary = summary_of(again)
    assert (summary["skipped"], summary["processed"]) == (len(finished), COPIES - len(finished))
    assert all(p.stat().st_mtime_ns == m for p, m in mtimes.items())
    assert len(list(out.rglob("*.json"))) == COPIES

    forced = plancli("batch", "in", "--out", "out", "--glob", "copy00*", "--force", "--json", "--quiet", cwd=tmp_path)
    assert summary_of(forced)["processed"] == 10


def test_output_never_leaves_outdir(tmp_path):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    text = next(SAMPLES.glob("000*.txt")).read_bytes()
    (tmp_path / "in" / "a.txt").write_bytes(text)
    (tmp_path / "in" / "sub" / "b.txt").write_bytes(text)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "sub").symlink_to(outside, target_is_directory=True)
    result = plancli("batch", "in", "--out", "out", "--jobs", "1", "--quiet", cwd=tmp_path)
    assert result.returncode == 1
    assert list(outside.iterdir()) == []
    assert (tmp_path / "out" / "a.txt.json").exists()
    error = json.loads((tmp_path / "out" / "errors.jsonl").read_text(encoding="utf-8"))
    assert error["source"]["path"] == "in/sub/b.txt" and error["error"]["kind"] == "unsafe_output_path"


def test_usage_errors_exit_2(tmp_path):
    missing = plancli("batch", "no-such-folder", "--out", "out", cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.decode().strip() == "plancli: no-such-folder: no such file or directory"
    assert plancli("batch", ".", "--out", "out", "--scheduler", "tcp://x:1", cwd=tmp_path).returncode == 2


# --- dask -------------------------------------------------------------------------------------

def test_dask_engine_gives_the_same_records_as_one_job(tmp_path):
    distributed = pytest.importorskip("distributed")
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for name in ("000", "004"):
        shutil.copy(next(SAMPLES.glob(f"{name}*.txt")), src / ("sub" if name == "004" else "") / f"{name}.txt")
    (src / "broken.txt").write_bytes(b"\x00" * 65)
    local = plancli("batch", "in", "--out", "out1", "--jobs", "1", "--jsonl", "one.jsonl", "--quiet", cwd=tmp_path)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                  dashboard_address=None) as cluster:
        remote = plancli("batch", "in", "--out", "out2", "--engine", "dask", "--scheduler",
                         cluster.scheduler_address, "--jsonl", "dask.jsonl", "--quiet", cwd=tmp_path)
    assert local.returncode == remote.returncode == 1
    assert (tmp_path / "one.jsonl").read_text(encoding="utf-8") == (tmp_path / "dask.jsonl").read_text(encoding="utf-8")
    outputs = sorted(p.relative_to(tmp_path / "out1") for p in (tmp_path / "out1").rglob("*.json*"))
    assert len(outputs) == 3  # two documents and errors.jsonl
    for rel in outputs:
        assert (tmp_path / "out1" / rel).read_text(encoding="utf-8") == (tmp_path / "out2" / rel).read_text(encoding="utf-8")


# --- piping and several paths -----------------------------------------------------------------

def test_extract_from_stdin_pipes_to_json(tmp_path):
    notice = next(SAMPLES.glob("000*.txt")).read_bytes()
    result = plancli("extract", "-", cwd=tmp_path, stdin=notice)
    assert result.returncode == 0, result.stderr.decode()
    [doc] = json.loads(result.stdout)  # what `| jq '.[0].targets[] | .indicator'` reads
    assert doc["source"]["path"] == "-"
    assert all("indicator" in t for t in doc["targets"])


def test_extract_several_paths_and_globs_as_jsonl(tmp_path):
    for name in ("000", "004"):
        shutil.copy(next(SAMPLES.glob(f"{name}*.txt")), tmp_path / f"{name}.txt")
    (tmp_path / "bad.txt").write_bytes(b"\x00" * 11)
    result = plancli("extract", "*.txt", "--format", "jsonl", cwd=tmp_path)
    assert result.returncode == 1  # bad.txt failed, the others are still there
    docs = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert [d["source"]["path"] for d in docs] == ["000.txt", "004.txt", "bad.txt"]
    assert "error" in docs[2] and "error" not in docs[0]


def test_resume_redoes_an_output_a_power_cut_left_empty_or_cut(tmp_path):
    """Batch outputs are not flushed to disk one by one; resume must not trust what it finds."""
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    (folder / "a.txt").write_text("到2025年，新增企业100家。", encoding="utf-8")
    (folder / "b.txt").write_text("到2025年，新增企业200家。", encoding="utf-8")
    first = plancli("batch", folder, "--out", out, "--jobs", "1", "--quiet", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    good = (out / "b.txt.json").read_text(encoding="utf-8")
    (out / "a.txt.json").write_text("", encoding="utf-8")  # what a power cut can leave behind
    (out / "b.txt.json").write_text(good[: len(good) // 2], encoding="utf-8")
    again = plancli("batch", folder, "--out", out, "--jobs", "1", "--quiet", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "a.txt.json").read_text(encoding="utf-8"))["targets"][0]["value"] == 100
    assert (out / "b.txt.json").read_text(encoding="utf-8") == good


def test_fork_server_warm_up_meets_every_extractor():
    """Workers start from a server that ran this text: it must reach every rules file in use."""
    from plancli import warm
    from plancli.pipeline import extract_text

    doc = extract_text(warm.SAMPLE)
    assert doc.source.script == "traditional"
    assert {r.kind for r in doc.source.repairs} >= {"pinyin_annotation_removed", "traditional_converted"}
    assert doc.targets and doc.subsidies and doc.tasks and doc.units and doc.metadata.title


def _parents() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state) of every process (Linux /proc)."""
    found = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(stat_file.parent.name)] = (int(fields[1]), fields[0])
    return found


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``: a batch's fork server and its pool workers."""
    parents, found, frontier = _parents(), [], [pid]
    while frontier:
        above = frontier.pop()
        kids = [p for p, (parent, _) in parents.items() if parent == above]
        found += kids
        frontier += kids
    return found


def wait_until_gone(pids: list[int], seconds: float) -> list[int]:
    """Wait for ``pids`` to exit (zombies count as gone); the ones still running after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        states = _parents()
        alive = [p for p in pids if p in states and states[p][1] != "Z"]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def _grandchildren(pid: int) -> list[int]:
    """Processes two generations below ``pid`` (Linux /proc): a batch's pool workers, which its
    fork server forks."""
    parents = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat_file.parent.name)] = int(fields[1])
    children = {p for p, parent in parents.items() if parent == pid}
    return [p for p, parent in parents.items() if parent in children]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the workers through /proc")
def test_a_worker_killed_mid_run_costs_no_file(tmp_path):
    """What the kernel's OOM killer does to a worker: the pool is replaced, the files it lost
    (whole chunks, most of them innocent) are retried one by one, and every input gets its output."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    english = next(SAMPLES.glob("000*.txt")).read_bytes()
    for i in range(200):
        (src / f"copy{i:03d}.txt").write_bytes(english + f"\nCopy {i}.\n".encode())
    proc = subprocess.Popen([*PLANCLI, "batch", "in", "--out", "out", "--jobs", "2", "--json", "--quiet"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(out.glob("*.json")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    workers = _grandchildren(proc.pid)
    assert workers, "no pool workers found"
    os.kill(workers[0], signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr.decode()
    summary = json.loads(stdout)
    assert summary["retried"] > 0  # the kill hit work in flight
    assert (summary["processed"], summary["failed"]) == (200, 0)
    assert len(list(out.glob("*.json"))) == 200
    assert (out / "errors.jsonl").read_text(encoding="utf-8") == ""


def test_resume_redoes_outputs_made_with_other_rules_or_options(tmp_path):
    """Resume compares how an output was made (plancli version, rules, --keywords) as well as
    the input: after editing the rules or turning on --keywords the documents are redone."""
    from conftest import edited_rules_file

    folder, out, rules = tmp_path / "in", tmp_path / "out", tmp_path / "rules"
    folder.mkdir()
    rules.mkdir()
    (folder / "a.txt").write_text("一、重点任务\n1.培育创新主体。责任单位：市科技局\n", encoding="utf-8")
    (folder / "b.txt").write_text("到2025年，新增企业200家。", encoding="utf-8")

    def batch(*extra: str) -> tuple[int, int]:
        result = plancli("batch", folder, "--out", out, "--rules", rules, "--jobs", "1", "--json", "--quiet", *extra,
                         cwd=tmp_path)
        assert result.returncode == 0, result.stderr.decode()
        summary = summary_of(result)
        return summary["processed"], summary["skipped"]

    def generator() -> dict:
        return json.loads((out / "a.txt.json").read_text(encoding="utf-8"))["generator"]

    assert batch() == (2, 0)
    first = generator()
    assert batch() == (0, 2)
    path = edited_rules_file(rules, "units", "rules:", "rules:")
    path.write_text(path.read_text(encoding="utf-8") + "# a local edit\n", encoding="utf-8")
    assert batch() == (2, 0)
    assert generator()["rules"] != first["rules"]
    assert batch() == (0, 2)
    assert batch("--keywords") == (2, 0)
    assert generator()["keywords"] is True
    assert batch("--keywords") == (0, 2)
