"""The same notice saved as .txt, .html, .docx and .pdf gives the same records and metadata.

Each document's text (the samples, and ../shared/dev2 when present) is written in the other
formats here: a web page of <p> paragraphs, a Word file (python-docx), and a printed PDF
(reportlab, STSong-Light, justified lines that wrap at the margin, page numbers, and a running
head when it has more than one page: on a single page nothing tells a running head from a title). Records are
compared without their spans and ids (offsets differ where one format puts a blank line between
paragraphs and another does not).

One exception, of the test's making: characters the PDF font cannot draw (private-use code
points, which some pages carry as mojibake) are left out of every variant alike.
"""
from __future__ import annotations

import html
import importlib.util
import re

import pytest

from conftest import SAMPLES, SHARED
from plancli import extract
from plancli.read import RawInput, decode_input

DEV2 = SHARED / "dev2" / "docs"
DOCS = sorted(SAMPLES.glob("*.txt")) + (sorted(DEV2.iterdir()) if DEV2.is_dir() else [])

pytestmark = pytest.mark.skipif(not importlib.util.find_spec("reportlab"),
                                reason="reportlab (test extra) writes the PDFs")


def _drawable(line: str) -> str:
    return "".join(ch for ch in line if not "\ue000" <= ch <= "\uf8ff")


def text_lines(path) -> list[str]:
    """The document's text as its reader gives it, one paragraph per line."""
    decoded = decode_input(RawInput(str(path), path.read_bytes()))
    return [_drawable(line.strip()) for line in decoded.text.splitlines() if line.strip()]


def squash(value):
    return "".join(value.split()) if isinstance(value, str) else value


def records(doc) -> dict:
    """What a user reads from a document, without positions."""
    def rows(items, drop=("id", "span", "text", "section")):
        return sorted((repr({k: squash(v) for k, v in item.model_dump().items() if k not in drop})
                       for item in items))
    return {
        "targets": rows(doc.targets),
        "subsidies": rows(doc.subsidies),
        "tasks": rows(doc.tasks),
        "units": rows(doc.units),
        "metadata": {k: squash(v) for k, v in doc.metadata.model_dump().items()},
        "sections": [(s.marker, squash(s.title), s.level) for s in doc.sections],
    }


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def printed(lines: list[str], **layout) -> bytes:
    """The lines printed as a PDF, with a running head when they run over more than one page."""
    from makedocs import text_pdf

    pdf = text_pdf(lines, **layout)
    return text_pdf(lines, header="某某县人民政府办公室文件", **layout) if page_count(pdf) > 1 else pdf


def save_as(lines: list[str], folder) -> dict:
    import docx

    paths = {kind: folder / f"notice.{kind}" for kind in ("txt", "html", "docx", "pdf")}
    paths["txt"].write_text("\n".join(lines), encoding="utf-8")
    body = "".join(f"<p>{html.escape(line)}</p>\n" for line in lines)
    paths["html"].write_text(f"<!doctype html><html><head><meta charset='utf-8'></head><body>"
                             f"<div class='article'>{body}</div></body></html>", encoding="utf-8")
    word = docx.Document()
    for line in lines:
        word.add_paragraph(line)
    word.save(paths["docx"])
    paths["pdf"].write_bytes(printed(lines))
    return paths


@pytest.mark.parametrize("path", DOCS, ids=[p.name[:24] for p in DOCS])
def test_every_format_gives_the_same_records(path, tmp_path):
    lines = text_lines(path)
    docs = {kind: extract(p) for kind, p in save_as(lines, tmp_path).items()}
    assert [d.source.format for d in docs.values()] == ["text", "html", "docx", "pdf"]
    want = records(docs["txt"])
    assert want["targets"] or want["tasks"] or want["subsidies"], "a document with nothing to compare"
    for kind in ("html", "docx", "pdf"):
        got = records(docs[kind])
        for field in want:
            if field == "metadata":
                assert got[field] == want[field], (kind, field)
            else:
                assert got[field] == want[field], (kind, field, sorted(set(want[field]) ^ set(got[field]))[:4])
    pdf = docs["pdf"].source
    assert all(p.method == "text" for p in pdf.pages)
    if len(pdf.pages) > 1:
        assert any(r.kind == "pdf_furniture_dropped" for r in pdf.repairs)
    if sum(len(line) for line in lines) > 2000:  # long paragraphs wrapped in the PDF and were joined again
        assert any(r.kind == "pdf_lines_rejoined" for r in pdf.repairs)


@pytest.mark.parametrize("path", DOCS, ids=[p.name[:24] for p in DOCS])
def test_a_notice_set_in_two_columns_gives_the_same_records(path, tmp_path):
    """The same text printed in two columns (a bulletin's layout) reads as the plain text does:
    each page left column first, paragraphs joined across the gutter and across pages."""
    lines = text_lines(path)
    title = int(len(lines[0]) <= 40)  # a short first line is a title, set across both columns
    pdf = printed(lines, columns=2, size=11, spanning=title)
    pages = page_count(pdf)
    (tmp_path / "notice.txt").write_text("\n".join(lines), encoding="utf-8")
    (tmp_path / "notice.pdf").write_bytes(pdf)
    doc = extract(tmp_path / "notice.pdf")
    ordered = sum(r.count for r in doc.source.repairs if r.kind == "pdf_columns_ordered")
    if pages == 1 and not ordered:
        pytest.skip("one page whose right column holds too few lines to show two columns")
    assert ordered >= pages - 1  # a last page with a line or two may not show them
    want, got = records(extract(tmp_path / "notice.txt")), records(doc)
    for field in want:
        assert got[field] == want[field], (field, sorted(set(map(str, want[field])) ^ set(map(str, got[field])))[:4])
