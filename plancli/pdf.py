"""PDF attachments to text shaped like our .txt samples, page by page.

A PDF holds positioned glyphs, not paragraphs. Each page is read in turn:

1. **Text layer** (pdfplumber over pdfminer.six): lines with their geometry, and ruled tables
   as rows of cells.
2. **Judged** (``judge_text``): a text layer can exist and still be noise — ``(cid:N)`` marks
   of fonts without a Unicode map, private-use characters, replacement characters, or common
   characters in no Chinese word order (a font whose map is shifted). A page that fails is read
   again by PDFium's text extractor, and when that fails too, or the page has no text at all
   but shows an image, by OCR (``plancli.ocr``) from the page rendered by PDFium.
3. **Put in reading order** (``set_in_columns``): a page set in two columns is read left
   column first, then right, band by band between lines that run across both (a title).
4. **Laid out** (``assemble``): lines repeated at the top or bottom of most pages (running
   heads, page numbers) are dropped; a line that reaches the right margin and is followed by one
   that starts at the left margin is a wrap, not a paragraph end, and is joined to it; a table
   is written one cell per line where it stands, and a header row repeated at the top of the
   next page is written once.

Which way each page was read, and how sure that is, goes to ``Decoded.pages`` and a repair
entry, so nothing read by OCR passes for the author's text unannounced.
"""
from __future__ import annotations

import io
import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

from plancli.models import Repair
from plancli.ocr import OCR_EXTRA
from plancli.read import Decoded, InputError

#: Pages read at most: a real plan attachment has tens, a hostile file may claim millions.
MAX_PAGES = 2000
#: Longest side of a page rendered for OCR, in pixels (about 200 dpi on A4; bounds memory on
#: pages that claim to be metres wide).
MAX_RENDER_PIXELS = 2400
#: A page's text layer passes when it scores at least this (see ``judge_text``).
PASS_SCORE = 0.5
#: Narrowest gap between two columns of text, in character sizes (LaTeX sets 10 pt between
#: columns of 10 pt type, IEEE 12 pt): a justified line's spread stays well below it.
GUTTER = 1.0

_CID = re.compile(r"\(cid:\d+\)")
_PRIVATE = re.compile("[\ue000-\uf8ff\ufffd\x00-\x08\x0b\x0c\x0e-\x1f]")
#: ASCII symbols prose seldom uses; glyph codes read as ASCII (a font without a Unicode map,
#: read by PDFium) come out as runs of them.
_ODD_SYMBOL = re.compile(r"[!#$&*+<=>?@\[\\\]^_`{|}~]")
_LATIN_RUN = re.compile(r"[A-Za-z]+")
_WORDLIKE = re.compile(r"^(?:[A-Za-z]?[a-z]+|[A-Z]{1,5}|[A-Z][a-z]*)$")
_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_CJK_EDGE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
#: Punctuation that ends a paragraph when a line ends with it (used where paragraphs are not
#: indented, so geometry alone cannot tell).
_SENTENCE_END = re.compile(r"[。！？；：!?;:」』”）)]$")
#: A page number alone on a line: "3", "- 3 -", "— 3 —", "第3页", "第 3 页 共 10 页", "3/10", "Page 3".
_PAGE_NUMBER = re.compile(r"^[-—–_·\s]*(第\s*)?\d{1,4}(\s*页)?(\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?[-—–_·\s]*$"
                          r"|^(?i:page)\s*\d{1,4}(\s*(of|/)\s*\d{1,4})?$")
_DIGITS = re.compile(r"\d+")
#: The run a line starts with that a typesetter keeps whole: up to a space or a CJK character
_LEADING_WORD = re.compile(r"[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+")


@dataclass
class Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    #: left and right edge of the column this line stands in, on a page set in columns
    #: (``set_in_columns``); None: the body's margins
    frame: tuple[float, float] | None = None

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass
class Table:
    top: float
    rows: list[list[str]]


@dataclass
class Page:
    number: int
    width: float
    height: float
    method: str = "text"  # text | pdfium | ocr:<engine> | unread | empty
    confidence: float | None = None
    lines: list[Line] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    note: str = ""
    unmapped: bool = False  # the text layer is mostly (cid:N): its font has no Unicode map
    #: each line's runs of characters apart by a gutter's width, until the columns are found
    pieces: list[list[Line]] = field(default_factory=list)
    columns_read: bool = False  # OCR read this page's two columns one after the other


# --------------------------------------------------------------------------------------------
# Judging a text layer

def judge_text(text: str) -> float:
    """How much a page's extracted text reads as text, 0 to 1.

    Marks of unmapped glyphs, private-use and replacement characters count against it one for
    one. Chinese text must also be made of common characters (GB2312 level 1) that form words:
    the share of its characters covered by a two-to-four-character word of jieba's dictionary
    is about 0.6 to 0.8 in real notices and under 0.3 in characters drawn at random.
    """
    visible = re.sub(r"\s+", "", text)
    if not visible:
        return 0.0
    marks = len(_CID.findall(visible))
    visible = _CID.sub("\x00", visible)
    bad = marks + len(_PRIVATE.findall(visible))
    bad += len(_ODD_SYMBOL.findall(visible))
    clean = 1 - min(1.0, bad / len(visible))
    cjk = "".join(_CJK_CHAR.findall(visible))
    if len(cjk) < 20:
        letters = sum(1 for ch in visible if ch.isalpha())
        prose = min(1.0, letters / len(visible) / 0.5)  # prose is mostly letters, not signs
        return clean * prose * _latin_words(text)
    from plancli.read import _common_share

    common = _common_share(cjk)
    words = word_coverage(text)
    return clean * min(1.0, common / 0.8) * min(1.0, words / 0.45)


def _latin_words(text: str) -> float:
    """1 for Latin text of words, lower for runs of letters no language writes ("GHIJ", "aBcD"):
    the share of letter runs that are lower case, capitalised or short capitals."""
    runs = _LATIN_RUN.findall(text)
    if len(runs) < 10:
        return 1.0
    wordlike = sum(1 for r in runs if _WORDLIKE.match(r))
    return min(1.0, wordlike / len(runs) / 0.8)


def word_coverage(text: str) -> float:
    """Share of CJK characters inside a dictionary word of 2–4 characters (longest first)."""
    from plancli.normalize.script import _converter
    from plancli.normalize.wordfreq import table

    runs = _CJK_RUN.findall(_converter().convert(text))
    total = sum(len(r) for r in runs)
    if not total:
        return 0.0
    freq = table().need("".join(runs))
    covered = 0
    for run in runs:
        i = 0
        while i < len(run):
            for n in (4, 3, 2):
                if i + n <= len(run) and freq.get(run[i:i + n]):
                    covered += n
                    i += n
                    break
            else:
                i += 1
    return covered / total


# --------------------------------------------------------------------------------------------
# Reading

def read_pdf(data: bytes, max_pages: int = MAX_PAGES) -> Decoded:
    """The PDF's text, each page read from its text layer, PDFium's text or OCR (see above)."""
    if b"%PDF" not in data[:1024]:
        raise InputError("corrupt", "named .pdf but is not a PDF file")
    try:
        import pdfplumber
        from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    except ImportError:
        raise InputError("missing_dependency", "reading .pdf needs pdfplumber, which plancli depends on: "
                                               "reinstall plancli, or pip install pdfplumber") from None
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # font warnings are noise per page
    pages: list[Page] = []
    try:
        # not `with`: pdfplumber's close() walks the page tree again, so a file stopped by its time
        # limit inside that walk (a loop of references) would start it over, with no limit left
        pdf = pdfplumber.open(io.BytesIO(data))
        count = len(pdf.pages)
        if count > max_pages:
            raise InputError("too_large", f"PDF has {count} pages, over the limit of {max_pages}")
        for number, page in enumerate(pdf.pages, start=1):
            pages.append(_text_layer(page, number))
            page.close()  # pdfplumber caches each page's objects until closed
    except InputError:
        raise
    except Exception as exc:  # pdfminer raises many types for a damaged or locked file
        cause = exc.__cause__ or exc.__context__ or exc
        if isinstance(exc, (PDFPasswordIncorrect, PDFEncryptionError)) or \
                isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
            raise InputError("encrypted", "PDF is password-protected") from None
        raise InputError("corrupt", f"not a readable PDF ({type(cause).__name__}: {cause})") from None
    failing = [p for p in pages if p.method == "retry"]
    if failing:
        _read_again(data, failing)
    unread = [p for p in pages if p.method == "unread"]
    if unread and len(unread) == sum(1 for p in pages if p.method != "empty"):
        raise InputError("no_text_layer", f"PDF has no usable text layer ({unread[0].note}); "
                                          f"to read it by OCR: {OCR_EXTRA}")
    in_columns = set_in_columns(pages)
    text, repairs = assemble(pages)
    if in_columns:
        repairs.append(Repair(kind="pdf_columns_ordered", count=len(in_columns),
                              examples=[f"page {n}: set in two columns, read left column first" for n in in_columns[:3]]))
    if not text.strip():
        ocred = any(p.method.startswith("ocr") for p in pages)
        raise InputError("no_text_layer", "PDF has no text layer, and OCR found no text on its pages"
                         if ocred else "PDF has no text layer (blank pages)")
    return Decoded(text, "unicode", format="pdf", repairs=repairs + page_repairs(pages),
                   pages=[page_summary(p) for p in pages])


def _text_layer(page, number: int) -> Page:
    """One page's lines and tables from its text layer, marked ``retry`` when it fails the judge."""
    out = Page(number, float(page.width), float(page.height))
    body = page
    for found in page.find_tables():
        rows = [[_cell_text(c) for c in row if c is not None] for row in found.extract()]
        rows = [r for r in rows if any(r)]
        if rows:
            out.tables.append(Table(float(found.bbox[1]), rows))
            body = body.outside_bbox(found.bbox)
    found = [ln for ln in body.extract_text_lines(x_tolerance=_NEVER, keep_blank_chars=True) if ln["text"].strip()]
    out.lines = [Line(_line_text(ln["chars"]), ln["x0"], ln["x1"], ln["top"], ln["bottom"]) for ln in found]
    out.pieces = [_pieces(ln["chars"]) for ln in found]
    text = "\n".join([ln.text for ln in out.lines] + [c for t in out.tables for r in t.rows for c in r])
    if not text.strip():
        drawn = page.images or page.rects or page.curves  # a scan, or text drawn as outlines
        out.method = "retry" if drawn else "empty"
        out.note = "no text layer"
        return out
    out.unmapped = len(_CID.findall(text)) > len(text) / 20
    out.confidence = round(judge_text(text), 3)
    if out.confidence < PASS_SCORE:
        out.method, out.note = "retry", f"text layer garbled (score {out.confidence})"
    return out


#: pdfplumber's gap that makes a space, set out of reach: ``_line_text`` decides spaces itself.
_NEVER = 10_000


def _line_text(chars: list[dict]) -> str:
    """A line's characters, a space where the gap before one is wider than the line's usual gap
    by a fifth of the character size. A fixed gap (pdfplumber's default, 3 pt) reads the spread
    of a justified Chinese line as spaces between the digits of ``10``; the space characters
    the PDF draws are kept as they are."""
    gaps = [b["x0"] - a["x1"] for a, b in zip(chars, chars[1:]) if a["text"] != " " and b["text"] != " "]
    usual = statistics.median(gaps) if gaps else 0.0
    out = []
    for prev, ch in zip([None] + chars, chars):
        if prev is not None and ch["text"] != " " and prev["text"] != " ":
            if ch["x0"] - prev["x1"] > max(usual, 0) + 0.2 * (ch.get("size") or 10):
                out.append(" ")
        out.append(ch["text"])
    return re.sub(r" {2,}", " ", "".join(out)).strip()


def _pieces(chars: list[dict]) -> list[Line]:
    """A line's runs of characters apart by more than a gutter's width (``GUTTER``)."""
    runs: list[list[dict]] = []
    last = None  # the last character drawn (not a space)
    for ch in chars:
        if ch["text"] != " ":
            if last is None or ch["x0"] - last["x1"] > GUTTER * (ch.get("size") or 10):
                runs.append([])
            last = ch
        if runs:
            runs[-1].append(ch)
    return [Line(_line_text(run), min(c["x0"] for c in run), max(c["x1"] for c in run),
                 min(c["top"] for c in run), max(c["bottom"] for c in run)) for run in runs]


def _cell_text(cell: str) -> str:
    """A cell's wrapped lines as one: no space where a line break fell between CJK characters."""
    parts = [p.strip() for p in (cell or "").splitlines() if p.strip()]
    out = ""
    for part in parts:
        if out and not (_CJK_EDGE.match(out[-1]) or _CJK_EDGE.match(part[0])):
            out += " "
        out += part
    return out


def _read_again(data: bytes, pages: list[Page]) -> None:
    """Pages whose text layer failed: PDFium's text if it passes, else OCR, else unread."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        pdfium = None
    document = None
    if pdfium is not None:
        try:
            document = pdfium.PdfDocument(data)
        except Exception:  # PDFium refuses what pdfminer read: OCR cannot render it either
            document = None
    for page in pages:
        # PDFium reads glyph codes of a font without a Unicode map as characters: only worth
        # asking when pdfminer found a map and the text still failed
        second = page.note != "no text layer" and not page.unmapped
        if document is not None and second:
            text = document[page.number - 1].get_textpage().get_text_range()
            score = judge_text(text)
            if score >= PASS_SCORE:
                page.method, page.confidence, page.tables, page.pieces = "pdfium", round(score, 3), [], []
                page.lines = [Line(t.strip(), 0, 0, 0, 0) for t in text.splitlines() if t.strip()]
                continue
        from plancli import ocr

        engine = ocr.engine() if document is not None else None
        if engine is None:
            page.method, page.lines, page.tables, page.pieces = "unread", [], [], []
            if document is None:
                page.note += "; PDFium could not open the file to render it"
            continue
        _ocr_page(document[page.number - 1], page, engine)


def _ocr_page(pdf_page, page: Page, engine) -> None:
    scale = min(getattr(engine, "dpi", 200) / 72, MAX_RENDER_PIXELS / max(page.width, page.height, 1))
    image = pdf_page.render(scale=scale, grayscale=True).to_pil()
    found = engine.read(image)
    page.method = f"ocr:{engine.name}"
    page.tables = []

    def line(o) -> Line:
        return Line(o.text, o.x0 / scale, o.x1 / scale, o.top / scale, o.bottom / scale)

    page.lines = [line(o) for o in found]
    page.pieces = [[line(p) for p in o.parts or [o]] for o in found]
    columns = None if getattr(engine, "keeps_columns_apart", True) else find_columns(page.pieces, page.width)
    if columns is not None:  # an engine that reads a block row by row ran across the gutter:
        cut = round(columns.gutter * scale)  # each column read again by itself
        page.lines, found = [], []
        for left, frame in ((0, columns.left), (cut, columns.right)):
            half = engine.read(image.crop((left, 0, cut if left == 0 else image.width, image.height)))
            found += half
            page.lines += [Line(o.text, (o.x0 + left) / scale, (o.x1 + left) / scale, o.top / scale,
                                o.bottom / scale, frame) for o in half]
        page.pieces, page.columns_read = [], True
    chars = sum(len(o.text) for o in found)
    page.confidence = round(sum(o.confidence * len(o.text) for o in found) / chars, 3) if chars else 0.0


# --------------------------------------------------------------------------------------------
# Layout: furniture, wraps, tables

def assemble(pages: list[Page]) -> tuple[str, list[Repair]]:
    """The pages' text, one paragraph or table cell per line, blank lines between blocks."""
    dropped = drop_furniture(pages)
    layout = _Layout.of([ln for p in pages if p.method != "pdfium" for ln in p.lines])
    blocks: list[str] = []
    joined = 0
    current: Line | None = None  # the paragraph being built (its last line's geometry)
    text = ""
    last_table: list[str] | None = None
    for page in pages:
        items = _in_order(page)
        for position, item in enumerate(items):
            if isinstance(item, Table):
                if current is not None:
                    blocks.append(text)
                    current = None
                rows = item.rows
                if position == 0 and last_table is not None and rows and rows[0] == last_table:
                    rows = rows[1:]  # a header row repeated where the table continues
                last_table = item.rows[0]
                blocks.extend(cell for row in rows for cell in row if cell.strip())
                continue
            if current is not None and layout.wraps(current, item, page.method == "pdfium"):
                text = _join(text, item.text, layout.chinese)
                joined += 1
            else:
                if current is not None:
                    blocks.append(text)
                text = item.text.strip()
            current = item
        if items and not isinstance(items[-1], Table):
            last_table = None
    if current is not None:
        blocks.append(text)
    repairs = []
    if joined:
        repairs.append(Repair(kind="pdf_lines_rejoined", count=joined,
                              examples=["a line that reaches the right margin continues on the next line"]))
    if dropped:
        repairs.append(Repair(kind="pdf_furniture_dropped", count=len(dropped), examples=sorted(set(dropped))[:3]))
    return "\n\n".join(b.strip() for b in blocks if b.strip()) + "\n", repairs


def _in_order(page: Page) -> list[Line | Table]:
    """The page's lines in their reading order, each table before the first line below its top."""
    tables = sorted(page.tables, key=lambda t: t.top)
    out: list[Line | Table] = []
    for line in page.lines:
        while tables and tables[0].top < line.top:
            out.append(tables.pop(0))
        out.append(line)
    return out + tables


def _join(text: str, more: str, chinese: bool) -> str:
    """A wrapped line joined to the next: in Chinese a wrap stands for nothing (``和1`` + ``0大``
    is ``和10大``), only two Latin words keep a space; in English it stands for a space, except
    after a hyphen that split a word."""
    more = more.strip()
    if not text or not more:
        return text + more
    if _CJK_EDGE.match(text[-1]) or _CJK_EDGE.match(more[0]):
        return text + more
    if chinese and not (text[-1].isalpha() and more[0].isalpha()):
        return text + more
    if text.endswith("-") and len(text) > 1 and text[-2].isalpha() and more[0].islower():
        return text[:-1] + more
    return text + " " + more


@dataclass
class _Layout:
    """The body's margins and line pitch, measured over the document's lines."""

    left: float
    right: float
    char: float  # a typical character's size (line height)
    pitch: float  # a typical distance from one line's top to the next
    indented: bool  # paragraphs start indented (公文 style), so an unindented line continues one
    chinese: bool  # mostly CJK text: a wrap is not a space

    @classmethod
    def of(cls, lines: list[Line]) -> "_Layout":
        if not lines:
            return cls(0, 0, 10, 15, False, True)
        char = statistics.median(ln.height for ln in lines) or 10
        lefts = sorted(round(ln.x0) for ln in lines)
        left = statistics.mode(lefts) if len(lefts) > 2 else lefts[0]
        left = min((x for x in lefts if abs(x - left) < char * 0.5), default=left)
        rights = sorted(ln.x1 for ln in lines)
        right = rights[int(len(rights) * 0.95) - 1 if len(rights) > 20 else -1]
        steps = [b.top - a.top for a, b in zip(lines, lines[1:]) if 0 < b.top - a.top < char * 3]
        pitch = statistics.median(steps) if steps else char * 1.5
        indented = sum(1 for ln in lines if char * 1.2 < ln.x0 - (ln.frame or (left,))[0] < char * 3.5) \
            >= max(2, len(lines) * 0.05)
        sample = "".join(ln.text for ln in lines[:400])
        chinese = len(_CJK_CHAR.findall(sample)) > 0.3 * len(sample.replace(" ", ""))
        return cls(left, right, char, pitch, indented, chinese)

    def pushed_over(self, prev: Line, nxt: Line, right: float) -> bool:
        """Whether the word ``nxt`` begins with (``2022-10-24``) was too wide for the room left
        on ``prev``: a narrow column ends a line short and carries the word over."""
        word = _LEADING_WORD.match(nxt.text.strip())  # Latin letters and digits: about 0.6 em each
        return bool(word) and right - prev.x1 < len(word.group()) * 0.6 * self.char + self.char * 0.5

    def wraps(self, prev: Line, nxt: Line, no_geometry: bool) -> bool:
        """Whether ``nxt`` continues the paragraph whose last line is ``prev``."""
        if no_geometry:  # PDFium's lines: only the text can tell
            return bool(prev.text) and not _SENTENCE_END.search(prev.text.strip()) and len(prev.text) >= 25
        latin = not _CJK_EDGE.match(prev.text.strip()[-1:] or "a")
        slack = self.char * (6 if latin else 1.6)
        left, right = prev.frame or (self.left, self.right)
        if nxt.frame:
            left = nxt.frame[0]
        if prev.x1 < right - slack and not self.pushed_over(prev, nxt, right):
            return False  # the line ends short of the margin: the paragraph ends there
        if abs(nxt.height - prev.height) > self.char * 0.3:
            return False  # a title and body text, or a heading in a larger size
        step = nxt.top - prev.top
        if not (0 < step < self.pitch * 1.6) and not (step < 0 or nxt.top < prev.top):
            return False  # a gap wider than a line: a new paragraph
        if nxt.x0 > left + self.char * 0.8:
            return False  # indented: a new paragraph
        if not self.indented and _SENTENCE_END.search(prev.text.strip()):
            return False
        return True


@dataclass(frozen=True)
class Columns:
    """Where a page set in two columns parts: the gutter's middle and each column's edges."""

    gutter: float
    left: tuple[float, float]
    right: tuple[float, float]
    #: how far past the gutter's middle a piece of a column may reach (punctuation hanging out
    #: of a line, an OCR box grown around a mark): a gutter's width
    reach: float = 0.0

    def side(self, piece: Line) -> int | None:
        """0 for a piece of the left column, 1 for the right one, None for one across both; a
        piece that could hang from either (a lone mark near the gutter) goes by its middle."""
        hangs_left = piece.x1 <= self.gutter + self.reach
        hangs_right = piece.x0 >= self.gutter - self.reach
        if hangs_left and hangs_right:
            return 0 if piece.x0 + piece.x1 < 2 * self.gutter else 1
        return 0 if hangs_left else 1 if hangs_right else None

    def sides(self, rows: list[list[Line]]) -> list[tuple[list[Line], list[Line]] | None]:
        """Per row, its pieces left of the gutter and right of it; None for a row that runs across."""
        out = []
        for row in rows:
            at = [self.side(p) for p in row]
            out.append(None if None in at else ([p for p, s in zip(row, at) if s == 0],
                                                [p for p, s in zip(row, at) if s == 1]))
        return out

    def third(self, sides: list[tuple[list[Line], list[Line]] | None]) -> bool:
        """Whether another column starts inside one of the two: many pieces start at one x more
        than half a column in from that column's edge (a page in three columns, a table's
        column). A line set apart here and there (an equation, a caption) starts anywhere."""
        char = max(1.0, (self.right[0] - self.left[1]) / 2)  # bins of half a gutter
        starts: Counter = Counter()
        for side in sides:
            for part, (edge, end) in zip(side or (), (self.left, self.right)):
                starts.update(round(p.x0 / char) for p in part if p.x0 > edge + (end - edge) / 2)
        return bool(starts) and max(starts.values()) >= max(3, len(sides) / 5)

    def order(self, lines: list[Line], rows: list[list[Line]], alone: bool = True) -> list[Line] | None:
        """``lines`` in reading order: each band of the page between rows that run across the
        gutter, its left column first, then its right, each top down. None when more than a
        fifth of the rows (two on a short page) run across, or (unless ``alone``: the
        columns were found on this page, or it is the last) when nothing stands right of the
        gutter: the page is not set in these columns."""
        sides = self.sides(rows)
        if sides.count(None) > max(2, len(rows) / 5) or self.third(sides):
            return None  # (two rows across on a short page: its running head and number)
        if not alone and not any(side and side[1] for side in sides):
            return None
        out: list[Line] = []
        band: tuple[list[Line], list[Line]] = ([], [])

        def flush() -> list[Line]:
            return sorted(band[0], key=lambda ln: ln.top) + sorted(band[1], key=lambda ln: ln.top)

        for line, side in zip(lines, sides):
            if side is None:
                out += flush() + [line]
                band = ([], [])
                continue
            for column, parts, frame in ((band[0], side[0], self.left), (band[1], side[1], self.right)):
                if parts:
                    column.append(Line(" ".join(p.text for p in parts), min(p.x0 for p in parts),
                                       max(p.x1 for p in parts), min(p.top for p in parts),
                                       max(p.bottom for p in parts), frame))
        return out + flush()


def find_columns(rows: list[list[Line]], width: float) -> Columns | None:
    """The two columns a page is set in, or None for a page in one column.

    ``rows`` are each line's pieces (runs apart by a gutter's width). In the middle part of a
    page in columns, many lines start at one edge (the right column), the lines left of it end
    at least ``GUTTER`` characters before it, at most a fifth of the rows cross between (a title,
    a page number), no third column starts inside either (``Columns.third``), and
    each column is at least a quarter of the page wide with many lines that fill it (justified,
    or ragged by a word). A table without rules has a gap down its middle too, but its cells
    are short, ending where their text ends, so it stays a table.
    """
    pieces = [p for row in rows for p in row]
    if len(rows) < 8 or not pieces or not 0 < width <= 14_400:  # the largest page PDF allows
        return None
    char = statistics.median(p.height for p in pieces) or 10
    starts = [p.x0 for p in pieces if width * 0.3 <= p.x0 <= width * 0.7]
    if not starts:
        return None
    column = _left_edge(starts, char)
    trial = Columns(column - GUTTER * char / 2, (0, 0), (0, 0), GUTTER * char)
    sides = trial.sides(rows)
    if sides.count(None) > len(rows) / 5:
        return None
    # each row's extent on either side of the gutter
    left = [(min(p.x0 for p in s[0]), max(p.x1 for p in s[0])) for s in sides if s and s[0]]
    right = [(min(p.x0 for p in s[1]), max(p.x1 for p in s[1])) for s in sides if s and s[1]]
    if len(left) < 5 or len(right) < 2:  # a right column may end early
        return None
    left_end, right_end = _high([b for _, b in left]), _high([b for _, b in right])
    left_start = _left_edge([a for a, _ in left], char)
    if column - left_end < GUTTER * char:
        return None

    def filled(ends, edge):  # lines that reach their column's edge, or fall short by a word
        return sum(1 for b in ends if b >= edge - 5 * char)

    aligned = sum(1 for a, _ in right if column - char < a < column + 2.5 * char) >= len(right) / 2
    full = filled([b for _, b in left], left_end) >= max(3, len(left) / 3) and \
        filled([b for _, b in right], right_end) >= len(right) / 3
    wide = left_end - left_start >= width / 4 and right_end - column >= width / 4
    # a piece may reach as far as the other column's edge (a mark hanging out of a line, an OCR
    # box grown around one) and still belong to its column
    found = Columns(trial.gutter, (left_start, left_end), (column, right_end), max(trial.reach, column - left_end))
    if not (aligned and full and wide) or found.third(sides):
        return None
    return found


def _high(values: list[float]) -> float:
    """The ninth decile: a column's right edge, past a line or two that stick out."""
    ordered = sorted(values)
    return ordered[round(0.9 * (len(ordered) - 1))]


def _left_edge(starts: list[float], char: float) -> float:
    """Where a column's unindented lines start: the most common start, or a start up to three
    and a half characters left of it that two lines share (when most lines are indented); a
    single line further out (a page number) does not move it."""
    counts = Counter(round(a) for a in starts)
    common = max(counts, key=lambda a: (counts[a], -a))
    return min((a for a, n in counts.items() if common - 3.5 * char <= a <= common and n >= 2), default=common)


def set_in_columns(pages: list[Page]) -> list[int]:
    """Put the pages set in two columns in reading order; return their numbers.

    A page too short to show its columns by itself (the last page, a page mostly table) takes
    those found on the document's other pages of its width, if its lines keep out of that
    gutter."""
    found = {p.number: find_columns(p.pieces, p.width) for p in pages if p.pieces}
    usual: dict[float, Columns] = {}
    for page in pages:
        if found.get(page.number):
            usual.setdefault(page.width, found[page.number])
    done = [p.number for p in pages if p.columns_read]
    last = max((p.number for p in pages if p.pieces), default=0)
    for page in pages:
        columns = found.get(page.number) or usual.get(page.width)
        alone = bool(found.get(page.number)) or page.number == last
        ordered = columns.order(page.lines, page.pieces, alone) if columns and page.pieces else None
        if ordered is not None:
            page.lines = ordered
            done.append(page.number)
        page.pieces = []
    return sorted(done)


def drop_furniture(pages: list[Page]) -> list[str]:
    """Remove running heads, footers and page numbers; return what was removed.

    A line counts when it sits in the top or bottom tenth of its page and either is a page
    number or, with its digits masked, recurs on at least half of the pages (two at least).
    """
    def zone(page: Page, line: Line) -> bool:
        return line.bottom < page.height * 0.1 or line.top > page.height * 0.9

    counted = [p for p in pages if p.lines and p.method != "pdfium"]
    seen: dict[str, int] = {}
    for page in counted:
        for key in {_DIGITS.sub("#", ln.text.strip()) for ln in page.lines if zone(page, ln)}:
            seen[key] = seen.get(key, 0) + 1
    repeated = {k for k, n in seen.items() if n >= max(2, len(counted) / 2)} if len(counted) > 1 else set()
    dropped = []
    for page in counted:
        keep = []
        for ln in page.lines:
            text = ln.text.strip()
            if zone(page, ln) and (_PAGE_NUMBER.match(text) or _DIGITS.sub("#", text) in repeated):
                dropped.append(text)
            else:
                keep.append(ln)
        page.lines = keep
    return dropped


# --------------------------------------------------------------------------------------------
# What was done, for Source

def page_summary(page: Page) -> dict:
    return {"page": page.number, "method": page.method, "confidence": page.confidence,
            **({"note": page.note} if page.note and page.method != "text" else {})}


def page_repairs(pages: list[Page]) -> list[Repair]:
    out = []
    for method, kind in (("pdfium", "pdf_pages_second_extractor"), ("ocr", "pdf_pages_ocr"), ("unread", "pdf_pages_unread")):
        hit = [p for p in pages if p.method.split(":")[0] == method]
        if hit:
            examples = [f"page {p.number}: {p.note or 'no text layer'} -> {p.method}"
                        + (f" (confidence {p.confidence})" if p.confidence is not None else "") for p in hit[:3]]
            if method == "unread":
                examples.append(f"not read: {OCR_EXTRA} to read such pages by OCR")
            out.append(Repair(kind=kind, count=len(hit), examples=examples))
    return out
