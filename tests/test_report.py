"""`plancli report` without a browser: what goes into the page, from which inputs, and the CLI.

What the page shows is tested in a real browser in test_report_browser.py.
"""
from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from conftest import sample

from plancli.report import write_report
from plancli.report.collect import collect
from plancli.report.place import place

PLANCLI = [sys.executable, "-m", "plancli.cli"]

NOTICE = """某市人民政府办公室关于印发某市数字经济发展行动计划的通知

一、发展目标
到2026年,全市数字经济核心产业增加值达到800亿元以上。

二、重点任务
(一)培育龙头企业。对首次入选的企业给予一次性奖励50万元。(责任单位:市工业和信息化局、市财政局)
(二)建设算力设施。新建数据中心机架5000个。(牵头单位:市发展改革委;配合单位:市通信管理局)
"""


def page_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="plancli-data">(.*?)</script>', html, re.S)
    assert match, "no data in the page"
    return json.loads(match.group(1))


def page_text(html: str, index: int) -> str | None:
    match = re.search(rf'<script type="application/octet-stream" id="tx-{index}">(.*?)</script>', html)
    return zlib.decompress(base64.b64decode(match.group(1))).decode("utf-8") if match else None


def rows(data: dict, kind: str) -> list[dict]:
    cols = data["kinds"][kind]["cols"]
    return [dict(zip(cols, row)) for row in data["kinds"][kind]["rows"]]


@pytest.fixture()
def notice(tmp_path) -> Path:
    path = tmp_path / "notice.txt"
    path.write_text(NOTICE, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------ place

@pytest.mark.parametrize("metadata, expected", [
    ({"issuer": "临沂市人民政府办公室", "title": "某某行动计划"}, "临沂市"),
    ({"issuer": None, "title": "连云港市重大产业创新平台建设实施方案"}, "连云港市"),
    ({"issuer": "中共某某县委 某某县人民政府"}, "某某县"),
    ({"title": "关于印发《甲乙市丙丁区促进消费若干措施》的通知"}, "甲乙市丙丁区"),
    ({"issuer": "某某壮族自治区人民政府办公厅"}, "某某壮族自治区"),
    ({"issuer": "国务院办公厅"}, "全国"),
    ({"title": "Rizhao City Construction National Innovation City Three-year Action Plan"}, "Rizhao"),
    ({"issuer": "市科技局", "title": "全市科技创新工作要点"}, None),
    ({"title": "创新型城市实施方案"}, None),
    ({"title": "县域科技创新跃升计划"}, None),
    ({}, None),
])
def test_the_place_is_the_administrative_name_the_issuer_or_title_begins_with(metadata, expected):
    assert place(metadata) == expected


# ------------------------------------------------------------------------------------ inputs

def test_documents_named_on_the_command_line_are_extracted_with_their_text(notice):
    [entry] = list(collect([str(notice)]))
    assert entry.doc["targets"] and entry.doc["subsidies"] and entry.doc["tasks"]
    text = entry.unpacked()
    for kind in ("targets", "subsidies", "tasks"):
        for record in entry.doc[kind]:
            start, end = record["span"]
            assert text[start:end] == record["text"]


def test_results_are_given_their_text_again_from_their_input(notice, tmp_path):
    out = tmp_path / "results"
    proc = subprocess.run([*PLANCLI, "batch", str(notice), "--out", str(out), "-q"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    [entry] = list(collect([str(out)]))
    assert entry.has_text and not entry.notes
    assert entry.result == str(out / "notice.txt.json")
    start, end = entry.doc["targets"][0]["span"]
    assert "800亿元" in entry.unpacked()[start:end]


def test_worker_processes_give_the_same_texts_in_the_same_order(notice, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(40):  # more than the two chunks that are normalised in this process
        (folder / f"{k:02d}.txt").write_text(NOTICE.replace("800", str(800 + k)), encoding="utf-8")
    out = tmp_path / "results"
    proc = subprocess.run([*PLANCLI, "batch", str(folder), "--out", str(out), "-q", "-j", "1"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    alone = [(e.doc["source"]["path"], e.unpacked()) for e in collect([str(out)], jobs=1)]
    pooled = [(e.doc["source"]["path"], e.unpacked()) for e in collect([str(out)], jobs=2)]
    assert pooled == alone and len(alone) == 40
    assert all(f"{800 + k}亿元" in text for k, (_, text) in enumerate(alone))


def test_relative_input_paths_are_also_found_beside_the_results(notice, tmp_path, monkeypatch):
    (tmp_path / "in").mkdir()
    shutil.copy(notice, tmp_path / "in" / "notice.txt")
    monkeypatch.chdir(tmp_path)
    subprocess.run([*PLANCLI, "batch", "in", "--out", "out", "-q"], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    [entry] = list(collect([str(tmp_path / "out")]))
    assert entry.doc["source"]["path"] == "in/notice.txt"
    assert entry.has_text and not entry.notes and entry.read_from == str(tmp_path / "in" / "notice.txt")


def test_a_result_whose_input_changed_or_moved_is_shown_without_text(notice, tmp_path):
    jsonl = tmp_path / "all.jsonl"
    moved = tmp_path / "moved.txt"
    shutil.copy(notice, moved)
    docs = [subprocess.run([*PLANCLI, "extract", str(p), "-f", "jsonl"], capture_output=True, text=True).stdout
            for p in (notice, moved)]
    jsonl.write_text("".join(docs), encoding="utf-8")
    notice.write_text(NOTICE.replace("800", "900"), encoding="utf-8")
    moved.unlink()
    changed, gone = list(collect([str(jsonl)]))
    assert not changed.has_text and "changed since it was extracted" in changed.notes[0]
    assert not gone.has_text and "not_found" in gone.notes[0]
    assert changed.doc["targets"] and gone.doc["targets"]  # the records are still there


def test_records_that_no_longer_match_their_span_lose_the_highlight_not_the_record(notice, tmp_path):
    doc = json.loads(subprocess.run([*PLANCLI, "extract", str(notice), "-f", "jsonl"], capture_output=True,
                                    text=True).stdout)
    doc["targets"][0]["text"] = "something the text does not hold"
    (tmp_path / "one.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    [entry] = list(collect([str(tmp_path / "one.json")]))
    assert entry.has_text
    assert entry.doc["targets"][0]["span"] is None
    assert "1 records do not match the text" in entry.notes[0]
    assert all(r["span"] for r in entry.doc["subsidies"])


def test_json_arrays_json_lines_and_batch_failures_are_all_read(notice, tmp_path):
    out = tmp_path / "results"
    broken = tmp_path / "in" / "broken.txt"
    broken.parent.mkdir()
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    shutil.copy(notice, tmp_path / "in" / "notice.txt")
    subprocess.run([*PLANCLI, "batch", str(tmp_path / "in"), "--out", str(out), "-q"], capture_output=True)
    array = tmp_path / "array.json"
    array.write_text(json.dumps([json.loads((out / "notice.txt.json").read_text(encoding="utf-8"))] * 2), encoding="utf-8")
    bad_lines = tmp_path / "bad.jsonl"
    bad_lines.write_text((out / "notice.txt.json").read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    problems = []
    entries = list(collect([str(out), str(array), str(bad_lines)], problem=lambda w, y: problems.append((w, y))))
    kinds = [("error" in e.doc, Path(e.doc["source"]["path"]).name) for e in entries]
    assert kinds == [(False, "notice.txt"), (True, "broken.txt"), (False, "notice.txt"), (False, "notice.txt"),
                     (False, "notice.txt")]
    assert problems == [(f"{bad_lines}:2", problems[0][1])] and "not valid JSON" in problems[0][1]


# ------------------------------------------------------------------------------------ the page

def test_the_page_carries_every_record_compactly_and_every_text(notice, tmp_path):
    report = tmp_path / "report.html"
    summary = write_report([str(notice), str(sample("002"))], report)
    html = report.read_text(encoding="utf-8")
    data = page_data(html)
    assert summary.documents == len(data["docs"]) == 2
    for index, path in enumerate((notice, sample("002"))):
        doc = json.loads(subprocess.run([*PLANCLI, "extract", str(path), "-f", "jsonl"], capture_output=True,
                                        text=True).stdout)
        text = page_text(html, index)
        for kind in ("targets", "subsidies", "tasks", "units"):
            mine = [r for r in rows(data, kind) if r["doc"] == index]
            assert len(mine) == len(doc[kind]), kind
            for row, record in zip(mine, doc[kind]):
                if "span" in record:
                    assert text[row["span"][0]:row["span"][1]] == record["text"]
                if kind == "targets":
                    assert (row.get("value"), row.get("unit"), row.get("year"), row.get("indicator_id")) == \
                           (record["value"], record["unit"], record["year"], record["indicator_id"])
                    assert row.get("baseline.value") == (record["baseline"] or {}).get("value")
    # a task's whole text is in the document's text already: the page does not carry it twice
    assert all(r.get("text") is None for r in rows(data, "tasks"))
    assert data["docs"][0]["place"] == "某市" and data["docs"][1]["place"] == "临沂市"


def test_the_page_is_one_file_that_fetches_nothing(notice, tmp_path):
    report = tmp_path / "report.html"
    write_report([str(notice)], report)
    html = report.read_text(encoding="utf-8")
    assert "default-src 'none'" in html  # the browser refuses any request the page might make
    assert not re.search(r"""<(?:script|link|img)[^>]+(?:src|href)=["'](?:https?:)?//""", html)
    assert "Chart.js v4" in html and "Permission is hereby granted" in html  # inlined, with its licence


def test_text_that_looks_like_markup_cannot_break_out_of_the_data(tmp_path):
    path = tmp_path / "markup.txt"
    path.write_text("到2025年,全市</script><!--企业达到100家以上。\n", encoding="utf-8")
    report = tmp_path / "report.html"
    write_report([str(path)], report)
    html = report.read_text(encoding="utf-8")
    assert html.count("</script>") == html.count("<script")
    assert page_data(html)["kinds"]["targets"]["rows"]


# ------------------------------------------------------------------------------------ the command

def test_plancli_report_writes_the_page_and_says_so(notice, tmp_path):
    report = tmp_path / "out" / "report.html"
    proc = subprocess.run([*PLANCLI, "report", str(notice), "-o", str(report)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {report} (1 documents" in proc.stderr
    assert report.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_results_can_be_piped_in(notice, tmp_path):
    lines = subprocess.run([*PLANCLI, "extract", str(notice), str(notice), "-f", "jsonl"], capture_output=True,
                           text=True).stdout
    report = tmp_path / "report.html"
    proc = subprocess.run([*PLANCLI, "report", "-", "-o", str(report)], input=lines, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    docs = page_data(report.read_text(encoding="utf-8"))["docs"]
    assert [d["path"] for d in docs] == [str(notice)] * 2 and all(d["text"] for d in docs)


def test_plancli_report_names_inputs_it_cannot_read_and_exits_1(notice, tmp_path):
    report = tmp_path / "report.html"
    proc = subprocess.run([*PLANCLI, "report", str(notice), str(tmp_path / "missing.jsonl"), "-o", str(report)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert f"plancli: {tmp_path / 'missing.jsonl'}: no such file or directory" in proc.stderr
    assert len(page_data(report.read_text(encoding="utf-8"))["docs"]) == 1


def test_batch_report_writes_the_report_of_the_output_folder_and_leaves_it_out_of_the_walk(notice, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(notice, folder / "a.txt")
    shutil.copy(notice, folder / "b.txt")
    report = folder / "report.html"  # inside the input folder: a second run must not read it
    for _ in range(2):
        proc = subprocess.run([*PLANCLI, "batch", str(folder), "--out", str(tmp_path / "out"), "--report", str(report)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    data = page_data(report.read_text(encoding="utf-8"))
    assert [Path(d["path"]).name for d in data["docs"]] == ["a.txt", "b.txt"]
    assert all(d["text"] for d in data["docs"])
    assert not (tmp_path / "out" / "report.html.json").exists()

