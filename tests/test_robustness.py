"""Bad inputs through the real CLI: one line naming the file and the reason, no traceback.

Every case runs ``plancli`` in a subprocess, as a user would. A failure must print exactly one
line ``plancli: <file>: <reason>`` on stderr, exit non-zero and print no traceback (that needs
``--debug``); inputs that are merely odd (empty, a few invalid bytes, a 5 MB line, 10,000
headings, a file name that is not UTF-8) must give a valid document and exit 0. The cases are
independent, so they run concurrently (a module fixture) to keep the suite fast.
"""
from __future__ import annotations

import codecs
import concurrent.futures as cf
import json
import os
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import SAMPLES
from makedocs import make_pdf

_SCRIPT = Path(sys.executable).with_name("plancli")
PLANCLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "plancli.cli"]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
BIG = 200 * 1024 * 1024
GBK_NAME = os.fsdecode("政策".encode("gbk") + b".txt")  # a name from an archive unzipped on Linux

CN = "一二三四五六七八九十"


def cn(n: int) -> str:
    if n <= 10:
        return CN[n - 1]
    return ("" if n < 20 else CN[n // 10 - 1]) + "十" + (CN[n % 10 - 1] if n % 10 else "")


def outline(chapters: int = 20, sections: int = 10, items: int = 10, subitems: int = 4) -> str:
    """A plan with 20 × 10 × 10 × 4 numbered headings four levels deep (10,220 headings)."""
    lines = ["临沂市建设国家创新型城市三年行动计划"]
    for a in range(1, chapters + 1):
        lines.append(f"{cn(a)}、第{a}章")
        for b in range(1, sections + 1):
            lines.append(f"({cn(b)})第{a}.{b}节")
            for c in range(1, items + 1):
                lines.append(f"{c}.推动第{c}项工作。")
                lines += [f"({d})落实第{d}项措施,责任单位:市科技局。" for d in range(1, subitems + 1)]
    return "\n".join(lines) + "\n"


def _zip() -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("notice.txt", "临沂市人民政府")
    return buf.getvalue()


def _one_line_5mb() -> bytes:
    """A plan whose line breaks were lost (a content farm's page), repeated to 5 MB: one line."""
    text = next(SAMPLES.glob("001_*.txt")).read_text(encoding="utf-8").replace("\n", " ")
    data = text.encode() * (5 * 1024 * 1024 // len(text.encode()) + 1)
    return data[: 5 * 1024 * 1024].decode("utf-8", "ignore").encode()


def make_inputs(folder: Path) -> None:
    """Every odd input the cases below name, in ``folder``."""
    sample = next(SAMPLES.glob("002_*.txt")).read_bytes()
    files = {
        "empty.txt": b"",
        "bom-only.txt": codecs.BOM_UTF8,
        "image.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "image.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),
        "bundle.zip": _zip(),
        "broken.docx": b"PK\x03\x04" + bytes(100),
        "scan.pdf": make_pdf(None),
        "garbage.pdf": b"%PDF-1.4\n" + bytes(range(256)) * 4,
        "nul.txt": "临沂市人民政府\n".encode() + b"\x00" * 3 + "关于印发".encode(),
        "invalid-bytes.txt": sample[:3000].rsplit(b"\n", 1)[0] + b"\n\xe9\xff\xfe" + sample[3000:6000],
        "small.txt": "到2024年,高新技术企业达到1600家以上。".encode() * 10,
        "line5mb.txt": _one_line_5mb(),
        "outline.txt": outline().encode(),
        "locked.txt": sample[:100],
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / os.fsencode(GBK_NAME).decode("utf-8", "surrogateescape")).write_bytes(sample[:2000])
    (folder / "adir").mkdir()
    (folder / "broken-link.txt").symlink_to(folder / "no-such-target.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    with open(folder / "huge.txt", "wb") as fh:  # sparse: 200 MB on paper, nothing on disk
        fh.truncate(BIG)
    os.chmod(folder / "locked.txt", 0)


@dataclass
class Case:
    args: list[str]
    stdin: bytes | None = None
    env: dict[str, str] = field(default_factory=dict)


#: (file named in the message, reason it must contain) for every input that must fail.
FAILURES: dict[str, tuple[Case, str, str]] = {
    "missing": (Case(["extract", "missing.txt"]), "missing.txt", "no such file"),
    "directory": (Case(["extract", "adir"]), "adir", "is a directory"),
    "broken-symlink": (Case(["extract", "broken-link.txt"]), "broken-link.txt", "broken symbolic link"),
    "symlink-loop": (Case(["extract", "loop.txt"]), "loop.txt", "symbolic links"),
    "permission": (Case(["extract", "locked.txt"]), "locked.txt", "permission denied"),
    "png": (Case(["extract", "image.png"]), "image.png", "not a supported document: PNG image"),
    "png-named-txt": (Case(["extract", "image.txt"]), "image.txt", "not a supported document: PNG image"),
    "zip": (Case(["extract", "bundle.zip"]), "bundle.zip", "not a supported document: ZIP archive"),
    "corrupt-docx": (Case(["extract", "broken.docx"]), "broken.docx", "not a readable .docx"),
    "pdf-without-text": (Case(["extract", "scan.pdf"]), "scan.pdf", "no text layer"),
    "corrupt-pdf": (Case(["extract", "garbage.pdf"]), "garbage.pdf", "not a readable PDF"),
    "nul-bytes": (Case(["extract", "nul.txt"]), "nul.txt", "not a text document (contains NUL bytes)"),
    "200mb": (Case(["extract", "huge.txt"]), "huge.txt", f"file is {BIG} bytes, over the limit of"),
    "max-bytes": (Case(["extract", "small.txt", "--max-bytes", "100"]), "small.txt", "--max-bytes"),
    "dev-zero": (Case(["extract", "/dev/zero"]), "/dev/zero", "not a regular file (a character device)"),
    "stdin-too-large": (Case(["extract", "-", "--max-bytes", "10"], stdin=b"x" * 100), "-",
                        "standard input is larger than --max-bytes"),
    "stdin-binary": (Case(["extract", "-"], stdin=b"\x89PNG\r\n\x1a\n" + bytes(50)), "-", "not a supported document"),
    "output-is-a-folder": (Case(["extract", "small.txt", "--output", "adir"]), "adir", "cannot write the output"),
    "normalize-binary": (Case(["normalize", "image.png"]), "image.png", "not a supported document"),
    "segment-missing": (Case(["segment", "missing.txt"]), "missing.txt", "no such file"),
}

SUCCESSES: dict[str, Case] = {
    "empty": Case(["extract", "empty.txt"]),
    "bom-only": Case(["extract", "bom-only.txt"]),
    "invalid-bytes": Case(["extract", "invalid-bytes.txt"]),
    "line5mb": Case(["extract", "line5mb.txt"]),
    "outline": Case(["extract", "outline.txt"]),
    "gbk-name": Case(["extract", GBK_NAME]),
    "gbk-name-strict-locale": Case(["extract", GBK_NAME, "--format", "table"], env={"PYTHONIOENCODING": "utf-8:strict"}),
    "gbk-name-normalize": Case(["normalize", GBK_NAME, "empty.txt"], env={"PYTHONIOENCODING": "utf-8:strict"}),
}

DEBUG = {"debug-traceback": Case(["extract", "missing.txt", "--debug"])}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, float]]:
    folder = tmp_path_factory.mktemp("bad")
    make_inputs(folder)
    cases = {name: c for name, (c, _, _) in FAILURES.items()} | SUCCESSES | DEBUG

    def run(case: Case):
        started = time.monotonic()
        proc = subprocess.run([*PLANCLI, *case.args], cwd=folder, input=case.stdin, capture_output=True,
                              timeout=300, env={**os.environ, **case.env})
        return proc, time.monotonic() - started

    with cf.ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(run, case) for name, case in cases.items()}
        return {name: f.result() for name, f in futures.items()}


@pytest.mark.parametrize("name", list(FAILURES))
def test_bad_input_is_one_line_naming_the_file(runs, name):
    if name == "permission" and IS_ROOT:
        pytest.skip("root reads every file: permission denied cannot happen")
    _, path, reason = FAILURES[name]
    proc, _ = runs[name]
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().split("\n")
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"plancli: {path}: "), lines[0]
    assert reason in lines[0], lines[0]
    if name == "output-is-a-folder" or FAILURES[name][0].args[0] != "extract":
        assert proc.stdout == b""
    else:  # the output has the same shape as for many inputs: an array, here of one error entry
        [entry] = json.loads(proc.stdout.decode("utf-8"))
        assert entry["source"]["path"] == path and entry["error"]["kind"] and entry["error"]["message"]
        assert set(entry) == {"schema_version", "source", "error"}


def test_size_limit_is_checked_before_reading(runs):
    """The 200 MB file is refused from its size: no time spent reading it."""
    _, seconds = runs["200mb"]
    assert seconds < 20


def test_debug_shows_the_traceback(runs):
    proc, _ = runs["debug-traceback"]
    stderr = proc.stderr.decode()
    assert proc.returncode == 1
    assert "Traceback" in stderr and "InputError" in stderr
    assert stderr.strip().split("\n")[-1] == "plancli: missing.txt: no such file"


def _document(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in proc.stderr
    [data] = json.loads(proc.stdout.decode("utf-8"))  # strict UTF-8: what jq and pandas read
    from plancli.models import Document

    Document.model_validate(data)
    return data


@pytest.mark.parametrize("name", ["empty", "bom-only"])
def test_empty_file_is_a_valid_empty_document(runs, name):
    doc = _document(runs[name][0])
    assert doc["sections"] == doc["targets"] == doc["subsidies"] == doc["tasks"] == doc["units"] == []
    assert doc["metadata"]["title"] is None


def test_invalid_bytes_are_replaced_and_counted(runs):
    doc = _document(runs["invalid-bytes"][0])
    repairs = {r["kind"]: r["count"] for r in doc["source"]["repairs"]}
    assert repairs.get("invalid_bytes_replaced", 0) >= 1
    assert doc["source"]["encoding"] == "utf-8"
    assert doc["sections"], "the valid text around the bad bytes is still read"


def test_a_5mb_line_completes(runs):
    proc, seconds = runs["line5mb"]
    doc = _document(proc)
    assert 5 * 1024 * 1024 - 4 < doc["source"]["bytes"] <= 5 * 1024 * 1024
    assert doc["targets"] and doc["tasks"]
    assert seconds < 120


RUN_ON = "一、主要目标 到2024年,高新技术企业达到1600家以上。二、重点任务 1.推动国家高新区高质量发展。"


@pytest.mark.parametrize("prefix", ["当前位置: 首页 > 政策文件 > 正文 ", "扫一扫在手机打开当前页 "])
def test_boilerplate_on_a_run_on_page_keeps_the_plan(prefix):
    """A page whose line breaks were lost is one line: its breadcrumb and its plan. A "line"
    rule must not drop the plan with the furniture (it leaves lines holding a sentence alone)."""
    from plancli.normalize import normalize_text

    assert "高新技术企业达到1600家以上" in normalize_text(prefix + RUN_ON).text


def test_ten_thousand_numbered_headings(runs):
    proc, seconds = runs["outline"]
    doc = _document(proc)
    assert b"RecursionError" not in proc.stderr
    assert len(doc["sections"]) == 20 + 200 + 2000 + 8000
    assert max(s["level"] for s in doc["sections"]) == 4
    assert seconds < 120


def test_file_name_that_is_not_utf8(runs, tmp_path):
    """A GBK file name: the JSON stays valid UTF-8 and gives the name back (as \\udcxx escapes)."""
    doc = _document(runs["gbk-name"][0])
    assert doc["source"]["path"] == GBK_NAME
    assert os.fsencode(doc["source"]["path"]) == "政策".encode("gbk") + b".txt"
    for name in ("gbk-name-strict-locale", "gbk-name-normalize"):
        proc, _ = runs[name]
        assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
        proc.stdout.decode("utf-8")


def test_batch_survives_odd_names_and_broken_inputs(tmp_path):
    """One folder with a GBK-named file, a broken link, a FIFO and a binary file: the good file is
    processed, the bad ones (the FIFO too, never opened) are error entries, every stream is valid
    UTF-8 JSON/CSV."""
    src = tmp_path / "in"
    src.mkdir()
    sample = next(SAMPLES.glob("000_*.txt")).read_bytes()
    (src / GBK_NAME).write_bytes(sample)
    (src / "good.txt").write_bytes(sample)
    (src / "broken.txt").symlink_to(tmp_path / "gone.txt")
    (src / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    os.mkfifo(src / "pipe.txt")  # would block a reader forever: refused, not opened
    proc = subprocess.run([*PLANCLI, "batch", "in", "--out", "out", "--jsonl", "all.jsonl", "--csv", "csv",
                           "--jobs", "1", "--quiet"], cwd=tmp_path, capture_output=True, timeout=120)
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert stderr.count("plancli: ") == 3  # broken.txt, image.txt and pipe.txt
    lines = (tmp_path / "all.jsonl").read_bytes().decode("utf-8").splitlines()
    docs = {json.loads(line)["source"]["path"]: json.loads(line) for line in lines}
    assert set(docs) == {f"in/{n}" for n in (GBK_NAME, "good.txt", "broken.txt", "image.txt", "pipe.txt")}
    assert docs["in/broken.txt"]["error"]["kind"] == "broken_symlink"
    assert docs["in/pipe.txt"]["error"]["kind"] == "not_regular_file"
    assert docs[f"in/{GBK_NAME}"]["targets"] == docs["in/good.txt"]["targets"]
    assert (tmp_path / "out" / f"{GBK_NAME}.json").exists()
    for p in (tmp_path / "csv").iterdir():
        p.read_bytes().decode("utf-8-sig")
    assert not [p for p in tmp_path.rglob("*.part")]
