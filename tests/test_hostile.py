"""Hostile containers and special files are refused early, with one line, at little cost.

* A .docx whose zip directory lies about a part's size (a few hundred KB on disk, 256 MiB of
  data behind a 1 KB entry): judged by the bytes it actually inflates to, never inflated whole.
* Only regular files are read: a FIFO (opening it waits for a writer forever), a device, a
  socket are refused, and in a batch they are error entries instead of vanishing.
* In a batch, a symbolic link that leads out of the input folder is not followed.
* A ``<meta charset>`` naming something no web page is written in falls back to detection.

CPU time and peak memory are measured for the child processes (``measured.run``).
"""
from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

import measured
from conftest import SAMPLES
from makedocs import lying_docx, minimal_docx

MB = 1024 * 1024
LINUX = Path("/proc/self/statm").exists()


@pytest.mark.parametrize("honest_crc, reason", [
    (True, "part word/document.xml inflates to more than the"),
    (False, "Bad CRC-32 for file 'word/document.xml'"),
], ids=["checksum-of-the-claimed-part", "wrong-checksum"])
def test_docx_whose_zip_directory_lies_is_refused_without_inflating_it(tmp_path, honest_crc, reason):
    data = lying_docx(honest_crc=honest_crc)
    assert len(data) < MB
    (tmp_path / "lie.docx").write_bytes(data)
    run = measured.run(["extract", "lie.docx"], tmp_path)
    assert run.returncode == 1
    assert len(run.lines) == 1 and run.lines[0].startswith("plancli: lie.docx: not a readable .docx"), run.lines
    assert reason in run.lines[0]
    if LINUX:
        assert run.max_rss < 150 * MB, f"{run.max_rss / MB:.0f} MB: the part was inflated"
    assert run.cpu < 10


def test_honest_docx_still_reads_after_the_check(tmp_path):
    (tmp_path / "plan.docx").write_bytes(minimal_docx(200))
    run = measured.run(["extract", "plan.docx"], tmp_path)
    assert run.returncode == 0, run.lines
    assert json.loads(run.stdout)[0]["targets"]


def _special_files(folder: Path) -> dict[str, str]:
    """A FIFO, a socket and a link to a device in ``folder``: name -> what the message says."""
    os.mkfifo(folder / "pipe.txt")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "socket.txt"))
    sock.close()
    (folder / "zero.txt").symlink_to("/dev/zero")
    return {"pipe.txt": "a FIFO (named pipe)", "socket.txt": "a socket", "zero.txt": "a character device"}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_files_are_refused_by_extract(tmp_path):
    special = _special_files(tmp_path)
    for name, what in special.items():
        run = measured.run(["extract", name], tmp_path, timeout=60)  # a FIFO opened would hang here
        assert run.returncode == 1
        assert run.lines == [f"plancli: {name}: not a regular file ({what}); to read a stream, pipe it to "
                             "standard input: plancli extract - < …"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_files_and_links_out_of_the_tree_are_listed_in_a_batch(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    good = next(SAMPLES.glob("002_*.txt"))
    (src / "good.txt").write_bytes(good.read_bytes())
    special = _special_files(src)
    secret = tmp_path / "secret.txt"
    secret.write_text("到2025年,秘密指标达到9999家以上。", encoding="utf-8")
    (src / "escape.txt").symlink_to(secret)  # leads out of the input folder
    (src / "inside.txt").symlink_to(src / "good.txt")  # stays inside: followed
    run = measured.run(["batch", "in", "--out", "out", "--jsonl", "all.jsonl", "--quiet"], tmp_path, timeout=120)
    assert run.returncode == 1
    docs = {Path(d["source"]["path"]).name: d for d in map(json.loads, (tmp_path / "all.jsonl").read_text().splitlines())}
    assert set(docs) == {"good.txt", "inside.txt", "escape.txt", *special}
    for name in special:
        assert docs[name]["error"]["kind"] == "not_regular_file"
        assert special[name] in docs[name]["error"]["message"]
    assert docs["escape.txt"]["error"] == {
        "kind": "outside_input",
        "message": f"symbolic link to {secret}, outside the input folder: not read (name the file itself to read it)"}
    assert docs["inside.txt"]["targets"] == docs["good.txt"]["targets"]
    assert "9999" not in (tmp_path / "all.jsonl").read_text()
    assert len([line for line in run.lines if line.startswith("plancli: ")]) == 4, run.lines
    errors = [json.loads(line)["source"]["path"] for line in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert sorted(Path(p).name for p in errors) == sorted(["escape.txt", *special])


GBK_PAGE = "<html><head><meta charset=\"{}\"></head><body><p>关于印发某市科技创新行动计划的通知</p>" \
           "<p>到2025年,全市高新技术企业达到1600家以上。</p></body></html>"


@pytest.mark.parametrize("charset", ["rot13", "hex", "zlib", "base64", "undefined", "idna", "punycode",
                                     "unicode_escape", "utf-7", "x-user-defined", "no-such-charset"])
def test_unusual_meta_charset_falls_back_to_detection(charset):
    from plancli.formats import read_html

    data = GBK_PAGE.format(charset).encode("gb18030")
    decoded = read_html(data)
    assert "高新技术企业达到1600家以上" in decoded.text
    assert decoded.encoding == "gb18030"


def test_unusual_meta_charset_through_the_cli(tmp_path):
    (tmp_path / "page.html").write_bytes(GBK_PAGE.format("rot13").encode("gb18030"))
    run = measured.run(["extract", "page.html"], tmp_path)
    assert run.returncode == 0, run.lines
    assert json.loads(run.stdout)[0]["targets"][0]["value"] == 1600


# --- random bytes: the mojibake step bounds its work -------------------------------------------

def _random_inputs(folder: Path) -> dict[str, Path]:
    import random

    rng = random.Random(7)
    size = 1_000_000
    made = {
        "any-bytes": bytes(rng.randrange(1, 256) for _ in range(size)),
        "gb-lead-bytes": bytes(rng.randrange(0x81, 0xFF) if rng.random() < 0.9 else rng.randrange(0x20, 0x7F)
                               for _ in range(size)),
        "cjk-with-marks": "".join(chr(rng.randrange(0x4E00, 0x9FFF)) if rng.random() < 0.9 else rng.choice("?h a1。,")
                                  for _ in range(size // 3)).encode(),
    }
    paths = {}
    for name, data in made.items():
        paths[name] = folder / f"{name}.txt"
        paths[name].write_bytes(data)
    return paths


def test_random_bytes_cost_about_what_real_text_costs(tmp_path):
    """Random bytes read as text have a "lost byte" mark every few characters; scoring each as a
    mojibake repair cost 0.3 s per KB (a megabyte ran for hours). Now such text is recognised and
    left alone, and the work is bounded in any case: a megabyte costs a small multiple of a
    megabyte of a real plan, measured in the same test."""
    real = tmp_path / "real.txt"
    plan = next(SAMPLES.glob("002_*.txt")).read_bytes()
    real.write_bytes((plan * (1_000_000 // len(plan) + 1))[:1_000_000].decode("utf-8", "ignore").encode())
    baseline = measured.run(["extract", "real.txt", "-o", "real.json"], tmp_path)
    assert baseline.returncode == 0, baseline.lines
    for name, path in _random_inputs(tmp_path).items():
        run = measured.run(["extract", path.name, "-o", f"{name}.json"], tmp_path, timeout=600)
        assert run.returncode == 0, run.lines
        repairs = {r["kind"]: r for r in json.loads((tmp_path / f"{name}.json").read_text())[0]["source"]["repairs"]}
        assert repairs["mojibake_not_examined"]["count"] > 1000, repairs
        assert "random or binary data?" in repairs["mojibake_not_examined"]["examples"][0]
        assert run.cpu < 3 * baseline.cpu + 2, f"{name}: {run.cpu:.1f} s of CPU, a real plan {baseline.cpu:.1f} s"


def test_mojibake_work_is_bounded_and_what_is_left_is_recorded():
    """Damage that looks real but comes in hundreds of places: the first ones are examined, the
    rest are counted in the repairs, not dropped silently."""
    from plancli.normalize import mojibake

    rules = mojibake.rules()
    damaged = "享受國有科研機構待遇?!笆\ue1a2奈濉逼陂g各縣區及功能板塊。\n" + "推進高質量發展加快建設創新型城市。" * 12
    assert mojibake.repair_mojibake(damaged, rules).text.startswith("享受國有科研機構待遇。“十四五”期間")
    text = damaged * 300
    result = mojibake.repair_mojibake(text, rules)
    count, why = result.not_examined["mojibake_not_examined"]
    bound = mojibake._MIN_RUNS + len(text) // mojibake._CHARS_PER_RUN
    assert count >= 300 - bound and "over the bound of" in why
    repaired = result.text.count("“十四五”期間")
    assert 0 < repaired <= bound and result.text.count("逼陂g") == 300 - repaired
