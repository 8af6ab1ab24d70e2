"""Saved HTML pages, .docx and .pdf files, made in the test from sample text, read to text."""
from __future__ import annotations

import sys

import pytest

from makedocs import FURNITURE, make_docx, make_html, make_pdf, sample_lines
from plancli import formats
from plancli.pipeline import extract
from plancli.read import InputError, RawInput, decode_input

TABLE = [["序号", "重点任务", "牵头单位", "配合单位"],
         ["1", "推动国家高新区高质量发展", "市科技局", "市发展改革委"],
         ["2", "支持沂河新区创新发展", "市科技局", "沂河新区管委会"],
         ["3", "促进县域科技创新发展", "市工业和信息化局", "市财政局"]]


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _in_order(lines: list[str], wanted: list[str]) -> bool:
    """``wanted`` appear as whole lines, in this order (other lines may come between)."""
    it = iter(lines)
    return all(any(line == w for line in it) for w in wanted)


# --- HTML --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def zh_paragraphs() -> list[str]:
    return sample_lines("002")[8:30]


def test_html_main_text_without_page_furniture(zh_paragraphs):
    decoded = formats.read_html(make_html("临沂市行动计划", zh_paragraphs, TABLE))
    lines = _lines(decoded.text)
    assert decoded.format == "html"
    assert _in_order(lines, ["临沂市行动计划", *zh_paragraphs])
    assert not any(f in decoded.text for f in FURNITURE)


def test_html_table_rows_become_one_cell_per_line(zh_paragraphs):
    lines = _lines(formats.read_html(make_html("t", zh_paragraphs[:2], TABLE)).text)
    cells = [c for row in TABLE for c in row]
    start = lines.index("序号")
    assert lines[start:start + len(cells)] == cells


def test_html_meta_hints_in_iso_form():
    decoded = formats.read_html(make_html("A Plan Title", ["Text."], pubdate="2022/10/24 09:30:00"))
    assert decoded.hints == {"published_date": "2022-10-24", "title": "A Plan Title"}


@pytest.mark.parametrize("value, iso", [("2022-10-24 10:03", "2022-10-24"),
                                        ("2022-10-24T10:03:00+08:00", "2022-10-24"),
                                        ("2022年1月5日", "2022-01-05"), ("2022-13-40", None), ("soon", None)])
def test_iso_date(value, iso):
    assert formats.iso_date(value) == iso


def test_html_encoding_from_meta_tag(zh_paragraphs):
    page = make_html("通知", zh_paragraphs, charset="gb18030", declared="gb2312")
    decoded = formats.read_html(page)
    assert decoded.encoding == "gb18030"
    assert zh_paragraphs[0] in decoded.text


def test_html_valid_utf8_wins_over_a_wrong_meta_charset(zh_paragraphs):
    page = make_html("通知", zh_paragraphs, charset="utf-8", declared="gb2312")
    decoded = formats.read_html(page)
    assert decoded.encoding == "utf-8"
    assert zh_paragraphs[0] in decoded.text


def test_html_with_bom_and_utf16():
    page = make_html("Title", ["Hello world."], charset="utf-16", declared="utf-16")
    assert "Hello world." in formats.read_html(page).text


def test_html_furniture_holding_most_of_the_page_is_kept():
    page = b'<html><body><div class="menu-page"><p>' + "正文内容。".encode() * 50 + b"</p></div></body></html>"
    assert "正文内容。" in formats.read_html(page).text


def test_html_wrapped_source_lines_join_cjk_without_space():
    page = "<html><body><p>推动科技\n    创新发展, and\n  more</p></body></html>".encode()
    assert formats.read_html(page).text.strip() == "推动科技创新发展, and more"


def test_html_deeply_nested_page_does_not_overflow():
    page = ("<html><body>" + "<div>" * 3000 + "<p>deep text</p>" + "</div>" * 3000 + "</body></html>").encode()
    assert "deep text" in formats.read_html(page).text


def test_html_through_the_pipeline_uses_meta_date(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes(make_html("科技创新行动计划", ["一、总体要求", "推动科技创新发展。"], pubdate="2021-03-05"))
    doc = extract(path)
    assert doc.source.format == "html"
    assert doc.metadata.published_date == "2021-03-05"
    assert "SCRIPT-TEXT" not in doc.model_dump_json()


def test_html_without_suffix_is_sniffed(tmp_path):
    path = tmp_path / "saved_page"
    path.write_bytes(make_html("Title", ["Body text."]))
    assert extract(path).source.format == "html"


# --- .docx ------------------------------------------------------------------------------------

def test_docx_paragraphs_and_tables_in_body_order(tmp_path, zh_paragraphs):
    before, after = zh_paragraphs[:5], zh_paragraphs[5:10]
    path = make_docx(tmp_path / "plan.docx", "临沂市行动计划", before, TABLE, after)
    decoded = formats.read_docx(path.read_bytes())
    lines = _lines(decoded.text)
    cells = [c for row in TABLE for c in row]
    assert decoded.format == "docx"
    assert decoded.hints == {"title": "临沂市行动计划"}
    assert lines == before + cells + after


def test_docx_merged_cell_written_once(tmp_path):
    path = make_docx(tmp_path / "m.docx", "", ["intro"], TABLE, ["end"], merge_column=2)
    lines = _lines(formats.read_docx(path.read_bytes()).text)
    assert lines.count("市科技局") == 1
    assert _in_order(lines, ["1", "推动国家高新区高质量发展", "市科技局", "市发展改革委",
                             "2", "支持沂河新区创新发展", "沂河新区管委会"])


INDICATORS = [["类别", "指标", "单位", "2020年", "2025年", "属性"],
              ["创新能力", "研究与试验发展经费投入强度", "%", "2.1", "2.8", "预期性"],
              ["创新能力", "每万人口高价值发明专利拥有量", "件", "4.5", "9", "预期性"],
              ["民生福祉", "城镇新增就业人数", "万人", "5.2", "6", "预期性"]]
WANT = [("研究与试验发展经费投入强度", 2.8, "%", 2.1), ("每万人口高价值发明专利拥有量", 9, "件", 4.5),
        ("城镇新增就业人数", 6, "万人", 5.2)]


def _table_targets(doc) -> list[tuple]:
    return [(t.indicator, t.value, t.unit, t.baseline.value if t.baseline else None)
            for t in doc.targets if t.rule == "target.table_row"]


def test_a_category_merged_down_its_rows_reads_the_same_in_html_and_docx(tmp_path):
    """Five-year plans' indicator tables merge 类别 down its rows; saved as a web page (rowspan)
    or a Word file (a vertical merge), the category stands once and every row is still read."""
    rows = "".join(
        "<tr>" + (f'<td rowspan="2">{row[0]}</td>' if i == 1 else f"<td>{row[0]}</td>" if i != 2 else "")
        + "".join(f"<td>{c}</td>" for c in row[1:]) + "</tr>" for i, row in enumerate(INDICATORS))
    page = tmp_path / "plan.html"
    page.write_text(f"<html><head><meta charset='utf-8'></head><body><div class='article'><p>主要指标</p>"
                    f"<table>{rows}</table></div></body></html>", encoding="utf-8")
    word = make_docx(tmp_path / "plan.docx", "", ["主要指标"], INDICATORS, [], merge_column=0)
    assert formats.read_html(page.read_bytes()).text.count("创新能力") == 1
    assert formats.read_docx(word.read_bytes()).text.count("创新能力") == 1
    for path in (page, word):
        assert _table_targets(extract(path)) == WANT, path.suffix


def test_docx_through_the_pipeline(tmp_path, zh_paragraphs):
    path = make_docx(tmp_path / "plan.docx", "Title", zh_paragraphs[:3], TABLE, zh_paragraphs[3:6])
    doc = extract(path)
    assert doc.source.format == "docx"
    assert doc.source.sha256 and doc.source.bytes == path.stat().st_size


def test_damaged_docx_is_an_input_error(tmp_path):
    path = tmp_path / "bad.docx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(InputError) as info:
        extract(path)
    assert info.value.kind == "corrupt"


# --- .pdf -------------------------------------------------------------------------------------

def test_pdf_text_layer():
    lines = sample_lines("000")[:12]
    decoded = formats.read_pdf(make_pdf(lines))
    assert decoded.format == "pdf"
    text = " ".join(decoded.text.split())
    for line in lines[:3]:
        assert " ".join(line.encode("latin-1", "replace").decode("latin-1").split())[:40] in text


def test_pdf_through_the_pipeline(tmp_path):
    path = tmp_path / "plan.pdf"
    path.write_bytes(make_pdf(sample_lines("000")[:20]))
    doc = extract(path)
    assert doc.source.format == "pdf"
    assert doc.source.language == "en"


def test_pdf_without_text_layer_names_the_ocr_extra(no_ocr):
    with pytest.raises(InputError) as info:
        formats.read_pdf(make_pdf(None))
    assert info.value.kind == "no_text_layer"
    assert info.value.message.startswith("PDF has no usable text layer (")
    assert info.value.message.endswith("to read it by OCR: pip install 'plancli[ocr]'")


def test_pdf_whose_pages_ocr_finds_empty():
    from plancli import ocr

    ocr.engine.cache_clear()
    if ocr.engine() is None:
        pytest.skip("no OCR engine: pip install 'plancli[ocr]'")
    with pytest.raises(InputError) as info:
        formats.read_pdf(make_pdf(None))
    assert (info.value.kind, info.value.message) == (
        "no_text_layer", "PDF has no text layer, and OCR found no text on its pages")


def test_file_named_pdf_that_is_not_a_pdf():
    with pytest.raises(InputError) as info:
        decode_input(RawInput("x.pdf", b"<html>error page</html>"))
    assert info.value.kind == "corrupt"


# --- missing optional libraries ---------------------------------------------------------------

@pytest.mark.parametrize("module, data, library", [
    ("docx", b"PK\x03\x04", "python-docx"),
    ("pdfplumber", b"%PDF-1.4", "pdfplumber"),
    ("selectolax.lexbor", b"<html><body>x</body></html>", "selectolax"),
])
def test_missing_library_names_the_install_command(monkeypatch, module, data, library):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    name = {"docx": "a.docx", "pdfplumber": "a.pdf"}.get(module, "a.html")
    with pytest.raises(InputError) as info:
        decode_input(RawInput(name, data))
    assert info.value.kind == "missing_dependency"
    assert library in info.value.message and f"pip install {library}" in info.value.message


def test_html_nodes_without_a_tag_name_do_not_crash():
    """Found by fuzzing: lexbor gives some nodes of broken markup no tag name."""
    pytest.importorskip("selectolax")
    from plancli.formats import read_html

    # a processing instruction (<?pi?>) in the body is a node whose tag is None
    decoded = read_html("<html><body><p>一、主要目标</p><?pi?><p>到2025年达到90家。</p></body></html>".encode())
    assert "一、主要目标" in decoded.text and "到2025年达到90家。" in decoded.text
