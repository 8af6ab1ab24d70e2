"""PDFs as analysts download them: printed from an office suite (wrapped, justified lines, running
heads, page numbers, tables across pages), scanned (no text layer), or with a text layer in a
font without a Unicode map. Each is made here from a sample's real text."""
from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLES
from makedocs import (borderless_table_pdf, char_accuracy, cjk_font_file, garbled_pdf, sample_lines, scan_of,
                      scanned_pdf, text_pdf)
from plancli import ocr
from plancli.pdf import Line, Page, assemble, drop_furniture, judge_text, read_pdf, word_coverage
from plancli.read import InputError

needs_reportlab = pytest.mark.skipif(not importlib.util.find_spec("reportlab"),
                                     reason="reportlab (test extra) writes the Chinese PDFs")
needs_fonts = pytest.mark.skipif(cjk_font_file() is None, reason="no CJK font to draw a scan with")


PLANCLI = str(Path(sys.executable).with_name("plancli"))


def squash(s: str) -> str:
    return "".join(s.split())


@pytest.fixture(scope="module")
def engine():
    ocr.engine.cache_clear()
    found = ocr.engine()
    if found is None:
        pytest.skip("no OCR engine: pip install 'plancli[ocr]' (or Debian's tesseract-ocr-chi-sim)")
    return found


# --- the text judge ---------------------------------------------------------------------------

def test_judge_passes_real_text_and_fails_noise():
    real = (SAMPLES / next(p.name for p in SAMPLES.glob("002*.txt"))).read_text(encoding="utf-8")[:4000]
    assert judge_text(real) > 0.9
    chars = [ch for ch in real if "\u4e00" <= ch <= "\u9fff"]
    random.Random(7).shuffle(chars)  # the same characters in no order: a font map shifted
    assert judge_text("".join(chars)) < 0.5
    assert word_coverage(real) > 0.55 > 0.3 > word_coverage("".join(chars))
    assert judge_text("(cid:12)(cid:873)(cid:44) " * 40) == 0
    assert judge_text("\ue012\ue013\ue0a4" * 30) == 0
    assert judge_text('!"#$%&\'()*+,-./0123<=>?@AB[]^_' * 10) < 0.5  # glyph codes read as ASCII
    english = "The city will build ten innovation platforms by 2025 and support key firms. " * 5
    assert judge_text(english) > 0.9


# --- layout rules, on lines placed by hand ----------------------------------------------------

def _page(lines: list[tuple[float, float, float, str]], height: float = 842) -> Page:
    """Lines as (x0, x1, top, text) on an A4 page, 14 pt high."""
    return Page(1, 595, height, lines=[Line(t, x0, x1, top, top + 14) for x0, x1, top, t in lines])


def test_wrap_joins_lines_that_reach_the_margin_and_keeps_paragraphs():
    page = _page([
        (100, 523, 100, "各乡镇要加快推进农村生活污水治理,到年底前完成治理任务的行政村达到"),
        (72, 523, 122, "八成以上,并建立长效运维机制,确保设施正常运行,群众满意度明显"),
        (72, 300, 144, "提高。"),
        (100, 523, 166, "同时,要严格落实属地责任,对工作推进不力、进度滞后的单位予以通"),
        (72, 160, 188, "报批评。"),
        (100, 240, 210, "二、保障措施"),
    ])
    text, repairs = assemble([page])
    assert text.split("\n\n") == [
        "各乡镇要加快推进农村生活污水治理,到年底前完成治理任务的行政村达到八成以上,并建立长效运维机制,确保设施正常运行,群众满意度明显提高。",
        "同时,要严格落实属地责任,对工作推进不力、进度滞后的单位予以通报批评。",
        "二、保障措施\n"]
    assert {r.kind: r.count for r in repairs}["pdf_lines_rejoined"] == 3


def test_a_number_split_by_a_wrap_is_one_number_and_english_keeps_its_space():
    zh = _page([(100, 523, 100, "全年新增就业岗位1"), (72, 200, 122, "200个。")] + [(100, 300, 150 + i * 22, "短行") for i in range(3)])
    assert "岗位1200个。" in assemble([zh])[0]
    en = _page([(72, 520, 100, "The programme will support small and medium enterprises in"),
                (72, 300, 122, "every county."), (72, 200, 150, "Next.")])
    assert "enterprises in every county." in assemble([en])[0]


def test_without_indents_sentence_end_closes_a_paragraph():
    page = _page([
        (72, 523, 100, "第一条 为规范专项资金管理,提高资金使用效益,根据有关规定,制定本办法。"),
        (72, 523, 122, "第二条 本办法所称专项资金,是指市财政预算安排用于支持产业发展的资金,"),
        (72, 200, 144, "实行专款专用。"),
    ])
    paragraphs = assemble([page])[0].strip().split("\n\n")
    assert len(paragraphs) == 2 and paragraphs[1].endswith("资金,实行专款专用。")


def test_running_heads_and_page_numbers_are_dropped():
    pages = []
    for n in range(1, 4):
        p = _page([(250, 350, 30, "某县人民政府办公室文件"), (100, 400, 100, f"第{n}页正文内容,不重复的一段话。"),
                   (280, 310, 800, f"- {n} -")])
        p.number = n
        pages.append(p)
    dropped = drop_furniture(pages)
    assert sorted(dropped) == sorted(["某县人民政府办公室文件"] * 3 + ["- 1 -", "- 2 -", "- 3 -"])
    assert [ln.text for p in pages for ln in p.lines] == [f"第{n}页正文内容,不重复的一段话。" for n in range(1, 4)]


@pytest.mark.parametrize("footer", ["3", "- 3 -", "— 3 —", "第3页", "第 3 页 共 12 页", "3/12", "Page 3 of 12"])
def test_page_number_forms(footer):
    p = _page([(100, 400, 100, "正文"), (280, 320, 810, footer)])
    assert drop_furniture([p]) == [footer]


def test_a_line_in_the_body_that_looks_like_a_number_stays():
    p = _page([(100, 400, 100, "正文"), (100, 130, 400, "2025")])
    assert drop_furniture([p]) == [] and len(p.lines) == 2


# --- PDFs printed from text -------------------------------------------------------------------

@needs_reportlab
@pytest.mark.parametrize("name", ["001", "002", "003"])
def test_printed_pdf_gives_back_the_paragraphs(name):
    lines = sample_lines(name)
    decoded = read_pdf(text_pdf(lines, header="某市人民政府办公室文件"))
    got = [squash(p) for p in decoded.text.split("\n\n") if p.strip()]
    want = [squash(p) for p in lines]
    same = sum(1 for a, b in zip(got, want) if a == b)
    assert len(got) == len(want) and same >= len(want) - 2  # a glyph the test font lacks may differ
    kinds = {r.kind for r in decoded.repairs}
    assert {"pdf_lines_rejoined", "pdf_furniture_dropped"} <= kinds
    assert "某市人民政府办公室文件" not in decoded.text
    assert all(p["method"] == "text" for p in decoded.pages)


# --- pages set in two columns ---------------------------------------------------------------

@needs_reportlab
@pytest.mark.parametrize("name", ["000", "001", "002"])
def test_two_column_pages_are_read_column_by_column(name):
    """Chinese (justified) and English (ragged) text in two columns: the paragraphs come back
    whole and in order, as from the same text printed in one column."""
    lines = sample_lines(name)
    decoded = read_pdf(text_pdf(lines, header="某市人民政府办公室文件", columns=2, size=11, spanning=1))
    got = [squash(p) for p in decoded.text.split("\n\n") if p.strip()]
    want = [squash(p) for p in lines]
    assert len(got) == len(want)
    assert sum(1 for a, b in zip(got, want) if a == b) >= len(want) - 2
    ordered = next(r for r in decoded.repairs if r.kind == "pdf_columns_ordered")
    assert ordered.count >= len(decoded.pages) - 1  # a last page with a short right column may not show it


@needs_reportlab
def test_columns_a_character_apart_are_found_too():
    """LaTeX and IEEE set columns one character apart (10-12 pt of 10 pt type)."""
    lines = sample_lines("002")
    decoded = read_pdf(text_pdf(lines, header="某市人民政府办公室文件", columns=2, size=11, gutter=1.1))
    got = [squash(p) for p in decoded.text.split("\n\n") if p.strip()]
    assert sum(1 for a, b in zip(got, [squash(p) for p in lines]) if a == b) >= len(lines) - 2
    assert any(r.kind == "pdf_columns_ordered" for r in decoded.repairs)


@needs_reportlab
def test_a_page_in_three_columns_is_not_read_as_two():
    """Read as two, two of its three columns would be woven together line by line; it is left
    as it is rather than reported as put in order."""
    decoded = read_pdf(text_pdf(sample_lines("001"), columns=3, size=10, margin=36))
    assert not any(r.kind == "pdf_columns_ordered" for r in decoded.repairs)


@needs_reportlab
def test_a_short_last_page_takes_the_columns_of_the_others():
    lines = sample_lines("002")
    one_column = read_pdf(text_pdf(lines, header="某市人民政府办公室文件"))
    decoded = read_pdf(text_pdf(lines + ["附件:重点任务分工表。"], header="某市人民政府办公室文件", columns=2, size=11))
    assert squash(decoded.text).endswith(squash(one_column.text) + "附件:重点任务分工表。")


@needs_reportlab
def test_a_table_without_rules_is_not_taken_for_two_columns():
    rows = [(f"{place}产业园区标准厂房建设项目", f"{amount}万元")
            for place, amount in zip("东西南北中", (120, 85, 240, 60, 1500))] * 3
    before = ["各县区人民政府,市政府各部门:", "现将二〇二四年第一批省级专项资金安排情况公布如下,请抓紧组织实施。"]
    after = ["请各项目单位于年底前报送资金使用情况。", "市财政局", "2024年3月1日"]
    decoded = read_pdf(borderless_table_pdf(rows, before, after))
    assert not any(r.kind == "pdf_columns_ordered" for r in decoded.repairs)
    text_lines_ = decoded.text.split("\n\n")
    for name, amount in rows:  # each name stays on the line of its amount
        assert any(name in line and amount in line for line in text_lines_), (name, amount)


@pytest.fixture(params=["rapidocr", "tesseract"])
def each_engine(request, monkeypatch):
    """Each OCR engine this machine has, in turn (RapidOCR from the extra, Debian's tesseract)."""
    monkeypatch.setenv("PLANCLI_OCR", request.param)
    ocr.engine.cache_clear()
    found = ocr.engine()
    if found is None or found.name != request.param:
        pytest.skip(f"no {request.param} here")
    yield found
    ocr.engine.cache_clear()


@needs_reportlab
@needs_fonts
def test_a_scanned_two_column_page_is_read_column_by_column(each_engine):
    """RapidOCR's boxes stop at the gutter; tesseract reads a block row by row across it, so
    its two columns are read again one by one."""
    engine = each_engine
    lines, size = [], 0
    for line in sample_lines("001"):  # as much text as one page holds in two columns
        if size + len(line) > 1200:
            break
        lines.append(line)
        size += len(line)
    printed = text_pdf(lines, columns=2, size=11, spanning=1, page_numbers=False)
    assert len(read_pdf(printed).pages) == 1
    decoded = read_pdf(scan_of(printed))
    assert decoded.pages[0]["method"] == f"ocr:{engine.name}"
    assert any(r.kind == "pdf_columns_ordered" for r in decoded.repairs)
    # read across the gutter, row by row, the two texts would share half their order at most
    assert char_accuracy(read_pdf(printed).text, decoded.text) >= 0.95


@needs_reportlab
def test_table_across_pages_keeps_one_header_and_every_row():
    header = ["序号", "设备类型", "补贴标准(元/台)"]
    rows = [[str(i), f"第{i}类农业机械", str(1000 + 50 * i)] for i in range(1, 61)]
    intro = ["一、补贴标准", "对购置下列设备的农户给予一次性补贴,标准如下:"]
    data = text_pdf(intro + ["二、申报程序", "符合条件的农户向所在乡镇提出申请。"], tables={2: [header] + rows})
    decoded = read_pdf(data)
    cells = [c for c in decoded.text.split("\n\n")]
    assert cells.count("补贴标准(元/台)") == 1  # the header repeated on each page is written once
    start = cells.index("序号")
    assert cells[start:start + 3 + 3 * 60] == header + [c for r in rows for c in r]
    assert cells[start + 3 + 3 * 60] == "二、申报程序"


@needs_reportlab
def test_table_rows_reach_the_subsidy_reader(tmp_path):
    from plancli import extract

    header = ["序号", "机具品目", "档次", "补贴额(元)"]
    rows = [["1", "谷物联合收割机", "6公斤/秒以上", "12000"], ["2", "水稻插秧机", "4行", "3000"],
            ["3", "植保无人机", "载药量10升以上", "8000"]]
    lines = ["关于印发农机购置补贴实施方案的通知", "一、补贴对象和标准", "对购置下列机具的农户按以下标准给予补贴:",
             "二、资金来源", "补贴资金由县财政统筹安排。"]
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(text_pdf(lines, tables={3: [header] + rows}))
    txt = tmp_path / "plan.txt"
    txt.write_text("\n".join(lines[:3] + [c for r in [header] + rows for c in r] + lines[3:]), encoding="utf-8")
    from_pdf, from_txt = extract(pdf), extract(txt)
    assert [s.amount for s in from_pdf.subsidies] == [s.amount for s in from_txt.subsidies]
    assert sorted(s.amount for s in from_pdf.subsidies) == [3000, 8000, 12000]


# --- scanned and garbled pages ---------------------------------------------------------------

@needs_fonts
def test_scanned_page_without_ocr_is_one_clear_line(no_ocr, tmp_path):
    data, _ = scanned_pdf(sample_lines("002")[:25], max_pages=1)
    with pytest.raises(InputError) as info:
        read_pdf(data)
    assert info.value.kind == "no_text_layer"
    assert "pip install 'plancli[ocr]'" in info.value.message and "\n" not in info.value.message
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    out = subprocess.run([PLANCLI, "extract", str(path)], capture_output=True, text=True,
                         env={**os.environ, "PLANCLI_OCR": "off"}, timeout=120)
    assert out.returncode != 0
    assert len(out.stderr.strip().splitlines()) == 1 and "plancli[ocr]" in out.stderr


@needs_fonts
def test_scanned_page_is_read_by_ocr(engine):
    data, texts = scanned_pdf(sample_lines("003")[:30], max_pages=1)
    decoded = read_pdf(data)
    assert decoded.pages[0]["method"] == f"ocr:{engine.name}"
    assert decoded.pages[0]["confidence"] > 0.8
    assert char_accuracy(texts[0], decoded.text) >= 0.95
    assert any(r.kind == "pdf_pages_ocr" for r in decoded.repairs)


@needs_fonts
def test_text_layer_without_unicode_map_is_sent_to_ocr(engine):
    data, drawn = garbled_pdf(sample_lines("002")[:30])
    decoded = read_pdf(data)
    assert decoded.pages[0]["method"].startswith("ocr:")
    assert "garbled" in decoded.pages[0]["note"]
    assert "(cid:" not in decoded.text
    assert char_accuracy(drawn, decoded.text) >= 0.95


@needs_fonts
def test_garbled_layer_without_ocr_is_refused_not_passed_on(no_ocr):
    data, _ = garbled_pdf(sample_lines("002")[:30])
    with pytest.raises(InputError) as info:
        read_pdf(data)
    assert "garbled" in info.value.message and "plancli[ocr]" in info.value.message


@needs_fonts
def test_ocr_runs_offline(engine, tmp_path, network_off):
    """`plancli extract scan.pdf` with every socket refused: the models come with the package."""
    data, _ = scanned_pdf(sample_lines("002")[:25], max_pages=1)
    (tmp_path / "scan.pdf").write_bytes(data)
    env = {**network_off, "PLANCLI_OCR": engine.name if engine.name == "tesseract" else ""}
    out = subprocess.run([PLANCLI, "extract", str(tmp_path / "scan.pdf"), "--format", "json"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert '"method": "ocr:' in out.stdout and "临沂" in out.stdout
