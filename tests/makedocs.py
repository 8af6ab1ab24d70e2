"""Build real .html, .docx and .pdf files from sample text, for the format and batch tests, and
the hostile ones (a PDF reference loop, a Flate bomb, a .docx whose zip lies) that the limit
tests and ``make bench`` run.

The small PDFs are written by hand (a page, a Helvetica font and a text object); Chinese PDFs
as an office suite prints them (justified lines, indented paragraphs, a running head, page
numbers, ruled tables) with reportlab and its built-in Adobe CID fonts; scanned ones are the
same text drawn onto images with Debian's Noto CJK fonts.
"""
from __future__ import annotations

import functools
import html
import io
import struct
import textwrap
import unicodedata
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


# --------------------------------------------------------------------------------------------
# Scanned pages: a notice's text drawn onto A4 images (as a scanner or a print-to-image makes
# them), for the OCR tests and the OCR benchmark.

CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
             "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def cjk_font_file() -> str | None:
    """A CJK font on this machine (Debian's fonts-noto-cjk, which .ci/run installs)."""
    return next((f for f in CJK_FONTS if Path(f).exists()), None)


def render_pages(lines: list[str], dpi: int = 150, size_pt: float = 15, max_pages: int | None = None):
    """PIL images of A4 pages holding ``lines``, wrapped at the margin, 2.5 cm margins; each
    line starts a paragraph. Returns the images and the text as drawn (one string per page)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(cjk_font_file(), int(size_pt * dpi / 72), index=0)
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    margin = int(2.5 / 2.54 * dpi)
    step = int(font.size * 1.7)
    pages, texts = [], []
    image = draw = None
    y = 0
    drawn: list[str] = []

    def new_page():
        nonlocal image, draw, y, drawn
        if image is not None:
            pages.append(image)
            texts.append("\n".join(drawn))
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        y, drawn = margin, []

    new_page()
    for line in lines:
        rest = line
        while rest:
            n = len(rest)
            while n > 1 and draw.textlength(rest[:n], font=font) > width - 2 * margin:
                n -= 1
            if y + step > height - margin:
                if max_pages and len(pages) + 1 >= max_pages:
                    rest = ""
                    break
                new_page()
            draw.text((margin, y), rest[:n], font=font, fill=0)
            drawn.append(rest[:n])
            rest = rest[n:]
            y += step
    pages.append(image)
    texts.append("\n".join(drawn))
    return pages, texts


def scanned_pdf(lines: list[str], dpi: int = 150, max_pages: int | None = None) -> tuple[bytes, list[str]]:
    """An image-only PDF of ``lines`` (no text layer, as a scanner writes it) and its page texts."""
    pages, texts = render_pages(lines, dpi=dpi, max_pages=max_pages)
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return out.getvalue(), texts


def scan_of(printed: bytes, dpi: int = 150, max_pages: int = 1) -> bytes:
    """A printed PDF as a scanner gives it back: each page an image, no text layer."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(printed)
    pages = [document[i].render(scale=dpi / 72, grayscale=True).to_pil() for i in range(min(max_pages, len(document)))]
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return out.getvalue()


def borderless_table_pdf(rows: list[tuple[str, str]], before: list[str], after: list[str], size: float = 12) -> bytes:
    """One A4 page: prose lines across the page, then a table without rules (names at the
    left margin, amounts in a column starting mid-page), then more prose."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1)
    y = A4[1] - 72
    c.setFont("STSong-Light", size)
    for text in before:
        c.drawString(72, y, text)
        y -= size * 1.8
    for name, amount in rows:
        c.drawString(72, y, name)
        c.drawString(A4[0] / 2 + 20, y, amount)
        y -= size * 1.8
    for text in after:
        c.drawString(72, y, text)
        y -= size * 1.8
    c.save()
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Chinese text PDFs as an office suite prints them

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _word_char(ch: str) -> bool:
    """A character of a Latin word or number ("6.201", pinyin's tone marks), not CJK."""
    return not ch.isspace() and unicodedata.east_asian_width(ch) not in "WF"

def text_pdf(lines: list[str], header: str | None = None, page_numbers: bool = True,
             size: float = 14, tables: dict[int, list[list[str]]] | None = None,
             repeat_header: bool = True, columns: int = 1, spanning: int = 0, gutter: float = 2,
             margin: float = 72) -> bytes:
    """An A4 PDF of ``lines``, one paragraph each: the first line indented two characters, the
    others justified to both margins (as Word prints 公文), so wrapped lines reach the margin.
    ``header`` is printed at the top of every page and ``- n -`` at the bottom; ``tables`` maps
    a line index to a ruled table drawn before that line (split across pages as needed, the
    header row repeated on each page with ``repeat_header``). With ``columns=2`` (or 3) the page
    is set in columns, ``gutter`` characters apart, after ``spanning`` lines set across the whole
    width (a title)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    # STSong-Light (Adobe-GB1) draws Traditional characters too; MSung-Light's text layer comes
    # out as other characters when pdfminer reads it back
    font = "STSong-Light"
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    latin = None
    if Path(DEJAVU).exists():
        from reportlab.pdfbase.ttfonts import TTFont

        pdfmetrics.registerFont(TTFont("DejaVuSans", DEJAVU))
        latin = "DejaVuSans"

    @functools.lru_cache(maxsize=None)
    def font_of(ch: str) -> str:
        """Chinese in the CID font, the rest in Helvetica (a PDF's Latin font, whose widths every
        reader knows), pinyin's tone marks in a font that has them."""
        try:
            return "Helvetica" if ch.encode("cp1252") and ch != "•" else font  # Latin, quotes
        except UnicodeEncodeError:
            return font if unicodedata.east_asian_width(ch) in "WF" or not latin else latin

    @functools.lru_cache(maxsize=None)
    def char_width(ch: str, sz: float) -> float:
        return pdfmetrics.stringWidth(ch, font_of(ch), sz)

    def runs(s: str) -> list[tuple[str, str]]:
        """(font, text) pieces of ``s``."""
        out: list[tuple[str, str]] = []
        for ch in s:
            f = font_of(ch)
            if out and out[-1][0] == f:
                out[-1] = (f, out[-1][1] + ch)
            else:
                out.append((f, ch))
        return out

    def width_of(s: str, sz: float = size) -> float:
        return sum(char_width(ch, sz) for ch in s)
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1)
    page_w, page_h = A4
    full = page_w - 2 * margin
    gutter = gutter * size
    column_w = (full - gutter * (columns - 1)) / columns
    state = {"y": page_h - margin, "page": 1, "col": 0, "top": page_h - margin, "across": True}

    def usable_w() -> float:
        return full if state["across"] else column_w

    def left_x() -> float:
        return margin + (0 if state["across"] else state["col"] * (column_w + gutter))

    def furniture():
        if header:
            c.setFont(font, 9)
            c.drawCentredString(page_w / 2, page_h - 40, header)
        if page_numbers:
            c.setFont(font, 10)
            c.drawCentredString(page_w / 2, 30, f"- {state['page']} -")

    def room(needed: float) -> bool:
        if state["y"] - needed < margin:
            if not state["across"] and state["col"] < columns - 1:
                state["col"] += 1  # the next column of this page
                state["y"] = state["top"]
                return False
            c.showPage()
            state["page"] += 1
            state["y"] = state["top"] = page_h - margin
            state["col"] = 0
            furniture()
            return False
        return True

    def split(text: str, avail: float, sz: float) -> list[str]:
        parts = []
        while text:
            n, used = 0, 0.0
            while n < len(text) and (n == 0 or used + char_width(text[n], sz) <= avail):
                used += char_width(text[n], sz)
                n += 1
            if n < len(text) and _word_char(text[n - 1]) and _word_char(text[n]):
                start = n - 1  # never inside a word: before it
                while start > 0 and _word_char(text[start - 1]):
                    start -= 1
                n = start or n
            parts.append(text[:n].rstrip(" "))
            text = text[n:].lstrip(" ")
        return parts or [""]

    def paragraph(text: str):
        usable = usable_w()
        first = split(text[:200], usable - 2 * size, size)[0]  # the first line, indented
        parts = [first]
        rest = text[len(first):].lstrip(" ")
        parts += split(rest, usable, size) if rest else []
        for i, part in enumerate(parts):
            room(size * 1.6)
            x = left_x() + (2 * size if i == 0 else 0)
            spread = 0.0
            if i < len(parts) - 1 and part.count(" ") < len(part) / 20:  # Chinese lines are
                spare = left_x() + usable - x - width_of(part)  # justified, English ragged
                spread = spare / (len(part) - 1)
            for f, piece in runs(part):  # each character placed, as justified lines are
                for ch in piece if spread else [piece]:
                    c.setFont(f, size)
                    c.drawString(x, state["y"] - size, ch)
                    x += pdfmetrics.stringWidth(ch, f, size) + spread
            state["y"] -= size * 1.6

    def table(rows: list[list[str]]):
        usable = usable_w()
        cols = max(len(r) for r in rows)
        col_w = usable / cols
        cell_size = size * 0.8

        def measured(row):
            cells = [split(cell, col_w - 6, cell_size) for cell in row]
            return cells, max(len(x) for x in cells) * cell_size * 1.4 + 6

        def draw(cells, height):
            top = state["y"]
            for j, wrapped in enumerate(cells):
                c.rect(left_x() + j * col_w, top - height, col_w, height)
                for k, part in enumerate(wrapped):
                    t = c.beginText(left_x() + j * col_w + 3, top - 3 - cell_size - k * cell_size * 1.4)
                    for f, piece in runs(part):
                        t.setFont(f, cell_size)
                        t.textOut(piece)
                    c.drawText(t)
            state["y"] -= height

        head = measured(rows[0])
        room(head[1])
        draw(*head)
        for row in rows[1:]:
            cells, height = measured(row)
            if not room(height) and repeat_header:  # a new page began: the header row again
                draw(*head)
            draw(cells, height)
        state["y"] -= size

    furniture()
    for index, line in enumerate(lines):
        if state["across"] and index >= spanning and columns > 1:
            state["across"] = False  # the columns begin below the lines set across the page
            state["top"] = state["y"]
        if tables and index in tables:
            table(tables[index])
        paragraph(line)
    c.save()
    return out.getvalue()


def garbled_pdf(lines: list[str], dpi: int = 150) -> tuple[bytes, str]:
    """A one-page PDF as a scanner with a careless OCR layer writes it: the page is an image of
    ``lines``, and under it an invisible text layer in a font with no Unicode map (Identity-H,
    no /ToUnicode), which text extractors give as ``(cid:N)``. Returns it and the drawn text."""
    pages, texts = render_pages(lines, dpi=dpi, max_pages=1)
    image = pages[0]
    width, height = image.size
    pw, ph = width * 72 / dpi, height * 72 / dpi
    codes: dict[str, int] = {}
    shown = []
    for k, line in enumerate(texts[0].splitlines()):
        hexed = "".join(f"{codes.setdefault(ch, len(codes) + 1):04X}" for ch in line)
        shown.append(f"1 0 0 1 72 {ph - 72 - k * 21:.1f} Tm <{hexed}> Tj")
    content = (f"q {pw:.2f} 0 0 {ph:.2f} 0 0 cm /Im1 Do Q BT 3 Tr /F1 12 Tf " + " ".join(shown) + " ET").encode()
    pixels = zlib.compress(image.tobytes())
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {pw:.2f} {ph:.2f}] "
        f"/Resources << /Font << /F1 4 0 R >> /XObject << /Im1 6 0 R >> >> /Contents 5 0 R >>".encode(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Scanned /Encoding /Identity-H /DescendantFonts [7 0 R] >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray "
        f"/BitsPerComponent 8 /Filter /FlateDecode /Length {len(pixels)} >>\nstream\n".encode() + pixels + b"\nendstream",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Scanned /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R /DW 1000 >>",
        b"<< /Type /FontDescriptor /FontName /Scanned /Flags 4 /FontBBox [0 -120 1000 880] /ItalicAngle 0 "
        b"/Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
    ]
    return pdf_of(objects), texts[0]


def char_accuracy(expected: str, got: str) -> float:
    """1 − edit distance / length, over the texts in NFKC with all whitespace removed (a
    full-width comma read as a half-width one, or a line break, is not an OCR error)."""
    from rapidfuzz.distance import Levenshtein

    def squash(s: str) -> str:
        return "".join(unicodedata.normalize("NFKC", s).split())

    a, b = squash(expected), squash(got)
    return 1 - Levenshtein.distance(a, b) / max(len(a), 1)
