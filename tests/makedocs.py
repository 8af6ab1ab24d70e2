"""Build real .html, .docx and .pdf files from sample text, for the format and batch tests, and
the hostile ones (a PDF reference loop, a Flate bomb, a .docx whose zip lies) that the limit
tests and ``make bench`` run.

The PDFs are written by hand (a page, a Helvetica font and a text object) so no PDF library is
needed; a hand-written CJK PDF needs embedded fonts, so PDF text is English.
"""
from __future__ import annotations

import html
import io
import struct
import textwrap
import zipfile
import zlib
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
MiB = 1024 * 1024


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
    return pdf_of([body.encode("latin-1") for body in objects])


def pdf_of(objects: list[bytes]) -> bytes:
    """A PDF of these objects (numbered from 1; 1 is the catalogue), with a correct xref table."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


#: Catalogue, page tree, one page whose /Contents is object 5, its font: object 5 onwards is
#: what a hostile PDF below makes of the contents.
_PDF_PAGE = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
             b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Resources << /Font << /F1 4 0 R >> >> "
             b"/Contents 5 0 R >>", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]


def looping_pdf() -> bytes:
    """The page's /Contents is a reference to a reference to the first one: 5 → 6 → 7 → 6 …"""
    return pdf_of(_PDF_PAGE + [b"6 0 R", b"7 0 R", b"6 0 R"])


def stream_bomb_pdf(inflated_mib: int = 512) -> bytes:
    """A page whose content stream is about 0.5 MB of Flate data that inflates to 512 MiB."""
    deflate, parts = zlib.compressobj(9), []
    zeros = b"\0" * MiB
    for _ in range(inflated_mib):
        parts.append(deflate.compress(zeros))
    data = b"".join(parts) + deflate.flush()
    return pdf_of(_PDF_PAGE + [f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data
                               + b"\nendstream"])


def minimal_docx(paragraphs: int) -> bytes:
    """A minimal .docx whose document.xml repeats one paragraph (compresses ~300:1)."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "<w:p><w:r><w:t>到2025年,高新技术企业达到1600家以上。</w:t></w:r></w:p>" * paragraphs
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/'
        'document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        "</Types>",
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml": f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{w}"><w:body>{body}'
                             "</w:body></w:document>",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return buf.getvalue()


def lying_docx(padding_mib: int = 256, honest_crc: bool = True) -> bytes:
    """A .docx whose word/document.xml is the real XML followed by ``padding_mib`` MiB of spaces,
    while its directory entries (local and central) give the size, and checksum, of the XML alone."""
    source = zipfile.ZipFile(io.BytesIO(minimal_docx(10)))
    xml = source.read("word/document.xml")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            if info.filename != "word/document.xml":
                zf.writestr(info.filename, source.read(info))
        with zf.open("word/document.xml", "w", force_zip64=False) as part:
            part.write(xml)
            for _ in range(padding_mib):
                part.write(b" " * MiB)
    data = bytearray(buf.getvalue())
    name = b"word/document.xml"
    crc = zlib.crc32(xml) if honest_crc else 0x12345678
    local = data.rfind(b"PK\x03\x04", 0, data.index(name))  # crc at +14, sizes at +18 and +22
    struct.pack_into("<II", data, local + 14, crc, struct.unpack_from("<I", data, local + 18)[0])
    struct.pack_into("<I", data, local + 22, len(xml))
    central = data.rfind(b"PK\x01\x02", 0, data.rindex(name))  # crc at +16, sizes at +20 and +24
    struct.pack_into("<I", data, central + 16, crc)
    struct.pack_into("<I", data, central + 24, len(xml))
    return bytes(data)


def _pdf_string(s: str) -> str:
    s = s.encode("latin-1", "replace").decode("latin-1")
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
