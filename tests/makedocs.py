"""Build real .html, .docx and .pdf files from sample text, for the format and batch tests.

The PDFs are written by hand (a page, a Helvetica font and a text object) so no PDF library is
needed; a hand-written CJK PDF needs embedded fonts, so PDF text is English.
"""
from __future__ import annotations

import html
import textwrap
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def sample_lines(name: str) -> list[str]:
    """The non-empty lines of ``samples/<name>*.txt``."""
    path = next(SAMPLES.glob(f"{name}*.txt"))
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def make_html(title: str, paragraphs: list[str], table: list[list[str]] | None = None,
              pubdate: str = "2022-10-24 10:03", charset: str = "utf-8", declared: str | None = None) -> bytes:
    """A saved portal page: meta tags, script, nav, breadcrumb, header, footer, share box."""
    esc = html.escape
    rows = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>\n" for row in table or [])
    body = "\n".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    page = f"""<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset={declared or charset}">
<meta name="PubDate" content="{pubdate}">
<meta name="ArticleTitle" content="{esc(title)}">
<title>{esc(title)}_Site Portal</title>
<script>var tracker = "SCRIPT-TEXT";</script><style>.x {{ color: red }}</style>
</head><body>
<header><div class="logo">HEADER-TEXT</div></header>
<nav><a href="/">NAV-TEXT</a></nav>
<div class="breadcrumb">BREADCRUMB-TEXT</div>
<div id="mainMenu"><ul><li>MENU-TEXT</li></ul></div>
<div class="article">
<h1>{esc(title)}</h1>
{body}
<table>{rows}</table>
<p style="display:none">HIDDEN-TEXT</p>
</div>
<div class="share-box">SHARE-TEXT</div>
<footer>FOOTER-TEXT</footer>
<script>document.write("SCRIPT-TEXT-2")</script>
</body></html>
"""
    return page.encode(charset)


FURNITURE = ("SCRIPT-TEXT", "HEADER-TEXT", "NAV-TEXT", "BREADCRUMB-TEXT", "MENU-TEXT", "HIDDEN-TEXT",
             "SHARE-TEXT", "FOOTER-TEXT", "color: red")


def make_docx(path: Path, title: str, before: list[str], table: list[list[str]], after: list[str],
              merge_column: int | None = None) -> Path:
    """A Word file: paragraphs, a table (optionally one column merged over rows 1-2), paragraphs."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    for p in before:
        document.add_paragraph(p)
    t = document.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            t.cell(r, c).text = value
    if merge_column is not None:
        merged = t.cell(1, merge_column).merge(t.cell(2, merge_column))
        merged.text = table[1][merge_column]
    for p in after:
        document.add_paragraph(p)
    document.save(path)
    return path


def make_pdf(lines: list[str] | None) -> bytes:
    """A one-page PDF showing ``lines`` in Helvetica; ``None`` draws only a grey box (no text layer,
    like a scan)."""
    if lines:
        wrapped = [w for line in lines for w in textwrap.wrap(line, 90)][:50]
        shown = " ".join(f"({_pdf_string(w)}) Tj T*" for w in wrapped)
        content = f"BT /F1 10 Tf 14 TL 40 800 Td {shown} ET"
    else:
        content = "0.6 g 72 500 400 250 re f"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Length {len(content.encode('latin-1'))} >>\nstream\n{content}\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _pdf_string(s: str) -> str:
    s = s.encode("latin-1", "replace").decode("latin-1")
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
