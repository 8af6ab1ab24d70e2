"""Saved HTML pages, .docx and .pdf attachments to plain text shaped like our .txt samples.

Portals publish the same notice as a web page, a Word attachment or a PDF. Each reader here
returns the text as the extractors expect it: one block (paragraph, heading, table cell) per
line, blocks separated by a blank line, table rows kept in order with one cell per line, so a
responsibility table reads the same whichever container it came in. Container metadata (HTML
``<meta>``, .docx core properties) goes to ``Decoded.hints`` as a fallback for the text rules.
Each reader uses a maintained library (selectolax, python-docx, pdfminer.six), all installed with
plancli; a broken install that lacks one fails with ``missing_dependency`` naming it.
"""
from __future__ import annotations

import codecs
import datetime as dt
import io
import re

from plancli.models import Repair
from plancli.read import DEFAULT_MAX_BYTES, Decoded, InputError, decode_bytes

def _missing(what: str, library: str) -> InputError:
    """The readers' libraries are dependencies of plancli: only a broken install lacks one."""
    return InputError("missing_dependency", f"reading {what} needs {library}, which plancli depends on: "
                                            f"reinstall plancli, or pip install {library}")


def _join_blocks(blocks: list[str]) -> str:
    return "\n\n".join(b for b in (x.strip() for x in blocks) if b) + "\n"


# --------------------------------------------------------------------------------------------
# HTML

#: Never text: code, embedded objects, form controls, the <head>.
_SKIP_TAGS = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg",
              "canvas", "select", "button", "input", "textarea", "head", "title", "-comment"}
#: Page furniture rather than the article (dropped unless it holds most of the page's text).
_FURNITURE_TAGS = {"nav", "aside", "header", "footer"}
#: class/id words of navigation, menus, footers, breadcrumbs and share buttons, at the start of
#: a word ("nav-top", "top_menu") or of a camelCase part ("topNav"), not inside one ("canvas").
_FURNITURE_ATTR = re.compile(
    r"(?:^|(?<=[^A-Za-z]))(?i:nav|menu|footer|bread-?crumb|crumb|share)"
    r"|(?<=[a-z])(?:Nav|Menu|Footer|Bread[Cc]rumb|Crumb|Share)")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
#: Elements that start a new line; everything else is inline.
_BLOCK_TAGS = {"address", "article", "blockquote", "body", "caption", "center", "dd", "details",
               "div", "dl", "dt", "fieldset", "figcaption", "figure", "form", "h1", "h2", "h3",
               "h4", "h5", "h6", "hr", "legend", "li", "main", "ol", "p", "pre", "section",
               "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
#: Source-code whitespace; a run that wraps a line between two CJK characters joins them.
_WS = re.compile(r"[ \t\r\n\f]+")
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
#: <meta> names (name=, property= or itemprop=, lower-cased) in order of preference.
_META_HINTS = {
    "published_date": ("pubdate", "publishdate", "publish_date", "publishtime",
                       "article:published_time", "datepublished", "dcterms.issued",
                       "dc.date.issued", "dc.date", "firstpublishedtime"),
    "title": ("articletitle", "og:title", "dc.title", "twitter:title"),
}


def read_html(data: bytes) -> Decoded:
    """Main text and <meta> hints of a saved web page."""
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError:
        raise _missing("HTML pages", "selectolax") from None
    decoded = _decode_html(data)
    if _nesting_depth(decoded.text) > MAX_HTML_DEPTH:
        # the parser builds very deep trees in quadratic time; such pages (unclosed <div>s by
        # the thousand) are read as tag-stripped text instead
        decoded.text = _strip_tags(decoded.text)
        decoded.repairs.append(Repair(kind="html_too_deep_read_as_text", count=1))
        return decoded
    tree = LexborHTMLParser(decoded.text)
    decoded.text = ""  # the parser keeps its own copy: a large page need not be held twice
    root = tree.body or tree.root
    text = _join_blocks(_html_blocks(root)) if root is not None else ""
    return Decoded(text, decoded.encoding, format="html", repairs=decoded.repairs,
                   hints=_meta_hints(tree))


#: Deeper than this, an HTML page is read without building its tree.
MAX_HTML_DEPTH = 1000
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_TAG = re.compile(r"<(/?)([A-Za-z][\w:-]*)[^>]*?(/?)>")


def _nesting_depth(html: str) -> int:
    """The deepest element nesting of the page, counted from its tags (no tree built)."""
    depth = deepest = 0
    for m in _TAG.finditer(html):  # (not findall: a list of every tag of a large page)
        closing, name, self_closing = m.groups()
        if name.lower() in _VOID or self_closing:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def _strip_tags(html: str) -> str:
    import html as html_lib

    html = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", "", html)
    html = re.sub(r"(?i)<(br|p|div|tr|li|h[1-6]|td|th|table)\b[^>]*>", "\n", html)
    return html_lib.unescape(re.sub(r"<[^>]*>", "", html))


def _decode_html(data: bytes) -> Decoded:
    """BOM, then valid UTF-8, then the declared charset, then detection.

    Valid UTF-8 beats the <meta> declaration because scrapers often save pages as UTF-8 and
    keep the original ``charset=gb2312`` tag; a wrong declaration would garble every character.
    """
    declared = _declared_charset(data)
    boms = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    if declared and not data.startswith(boms):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                return Decoded(data.decode(declared), declared)
            except (UnicodeError, LookupError):  # the declaration is wrong: detect instead
                pass
    return decode_bytes(data)


def _declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:8192])
    if not m:
        return None
    name = m.group(1).decode("ascii").lower()
    if name in ("gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936"):
        return "gb18030"  # superset: pages labelled GB2312 routinely use GBK characters
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    name = info.name.replace("_", "-")
    if not getattr(info, "_is_text_encoding", True) or name in _NOT_WEB_CHARSETS:
        return None  # rot13, hex, zlib, unicode-escape …: Python codecs, never a page's charset
    # The declaration was readable as ASCII, so the bytes are not UTF-16/32 whatever it says.
    return None if name.startswith(("utf-16", "utf-32")) else name


#: Text codecs of Python that no web page is written in: a <meta charset> naming one is ignored.
_NOT_WEB_CHARSETS = {"undefined", "idna", "punycode", "unicode-escape", "raw-unicode-escape", "utf-7",
                     "charmap", "mbcs", "oem", "palmos"}


def _is_furniture(node, tag: str) -> bool:
    attrs = node.attributes
    if "hidden" in attrs or _HIDDEN_STYLE.search(attrs.get("style") or ""):
        return True
    if tag in ("body", "html", "main", "article"):
        return False
    if tag in ("header", "footer") and _inside(node, "article"):
        return False  # an article's own header holds its title and date
    if tag in _FURNITURE_TAGS or _FURNITURE_ATTR.search(f"{attrs.get('class') or ''} {attrs.get('id') or ''}"):
        return True
    return False


def _inside(node, tag: str) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == tag:
            return True
        parent = parent.parent
    return False


def _html_blocks(root) -> list[str]:
    """Text lines in document order; iterative so deeply nested pages cannot overflow the stack."""
    total = None  # the page's text length, measured when furniture is first met
    blocks: list[str] = []
    line: list[str] = []

    def flush() -> None:
        if line:
            blocks.append(_tidy("".join(line)))
            line.clear()

    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            flush()
            continue
        tag = node.tag or ""  # lexbor gives some nodes of broken markup no tag name
        if tag == "-text":
            line.append(node.text_content or "")
            continue
        if tag in _SKIP_TAGS or tag.startswith("-"):
            continue
        if tag == "br":
            flush()
            continue
        # Furniture is dropped unless it holds most of the page (a site wrapping everything in
        # <div class="menu-page"> must not lose the article).
        if _is_furniture(node, tag):
            if total is None:
                total = len(root.text(deep=True) or "")
            if len(node.text(deep=True) or "") < total * 0.5:
                continue
        if tag in _BLOCK_TAGS:
            flush()
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(list(node.iter(include_text=True))))
    flush()
    return blocks


def _tidy(s: str) -> str:
    """Collapse source whitespace; a wrapped line between CJK characters joins without a space."""
    def repl(m: re.Match) -> str:
        if "\n" in m.group() and 0 < m.start() and m.end() < len(s) \
                and _CJK.match(s[m.start() - 1]) and _CJK.match(s[m.end()]):
            return ""
        return " "

    return _WS.sub(repl, s).strip()


def _meta_hints(tree) -> dict[str, str]:
    metas: dict[str, str] = {}
    for meta in tree.css("meta"):
        attrs = meta.attributes
        key = (attrs.get("name") or attrs.get("property") or attrs.get("itemprop") or "").strip().lower()
        content = (attrs.get("content") or "").strip()
        if key and content:
            metas.setdefault(key, content)
    hints: dict[str, str] = {}
    for key in _META_HINTS["published_date"]:
        date = iso_date(metas.get(key, ""))
        if date:
            hints["published_date"] = date
            break
    for key in _META_HINTS["title"]:
        if metas.get(key):
            hints["title"] = _tidy(metas[key])
            break
    return hints


def iso_date(value: str) -> str | None:
    """'2022-10-24 10:03', '2022-10-24T10:03:00+08:00', '2022年10月24日' → '2022-10-24'."""
    m = _DATE.search(value)
    if not m:
        return None
    try:
        return dt.date(*map(int, m.groups())).isoformat()
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------
# .docx

def read_docx(data: bytes, max_bytes: int | None = None) -> Decoded:
    """Body paragraphs and tables in order (headers, footers and comments left out)."""
    try:
        import docx
        from docx.table import Table
    except ImportError:
        raise _missing(".docx", "python-docx") from None
    data = _refuse_zip_bomb(data, max_bytes)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # the library raises many types for a damaged package
        raise InputError("corrupt", f"not a readable .docx ({type(exc).__name__}: {exc})") from None
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks.extend(_table_lines(item, Table))
        else:
            blocks.append(item.text)
    hints = {}
    title = (document.core_properties.title or "").strip()
    if title:
        hints["title"] = title
    return Decoded(_join_blocks(blocks), "utf-8", format="docx", hints=hints)


#: A Word package holds a few dozen parts; a zip of thousands is not one (and costs memory to list).
MAX_DOCX_PARTS = 5000


def _refuse_zip_bomb(data: bytes, max_bytes: int | None) -> bytes:
    """--max-bytes limits what a .docx unpacks to, counted by the bytes its parts actually
    inflate to: the zip directory may lie about their sizes.

    Each part is inflated here in small steps, counting as it goes, and cut at the size the
    directory gives it (a part that inflates beyond that fails its checksum and the file is
    corrupt). The package is then rebuilt from the parts as read, stored without compression:
    python-docx inflates a part in one call whatever the directory says, so it must never see
    the original.
    """
    import zipfile
    import zlib

    limit = max_bytes or DEFAULT_MAX_BYTES
    total = 0
    clean = io.BytesIO()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf, zipfile.ZipFile(clean, "w", zipfile.ZIP_STORED) as out:
            infos = zf.infolist()
            if len(infos) > MAX_DOCX_PARTS:
                raise InputError("corrupt", f"not a Word document: a zip of {len(infos)} files")
            claimed = sum(info.file_size for info in infos)
            if claimed > limit:
                raise InputError("too_large", f".docx unpacks to {claimed} bytes, over the limit of {limit} "
                                              "(raise it with --max-bytes)")
            for info in infos:
                if info.is_dir():
                    continue
                parts = []
                with zf.open(info) as part:
                    while chunk := part.read(1 << 16):
                        total += len(chunk)
                        if total > limit:
                            raise InputError("too_large", f".docx unpacks to more than the limit of {limit} bytes "
                                                          "(raise it with --max-bytes)")
                        parts.append(chunk)
                    if _more_to_inflate(part):
                        raise InputError("corrupt", f"not a readable .docx: part {info.filename} inflates to more "
                                                    f"than the {info.file_size} bytes its zip directory gives")
                out.writestr(info.filename, b"".join(parts))
    except InputError:
        raise
    except RuntimeError as exc:  # an encrypted part
        raise InputError("encrypted", f".docx is password-protected ({exc})") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, NotImplementedError) as exc:
        raise InputError("corrupt", f"not a readable .docx ({type(exc).__name__}: {exc})") from None
    return clean.getvalue()


def _more_to_inflate(part) -> bool:
    """Whether a zip part read to its declared size still holds compressed data (it lied). Reads
    zipfile's reader state; where that is missing (another Python), the checksum check remains."""
    tail = getattr(getattr(part, "_decompressor", None), "unconsumed_tail", b"")
    return bool(getattr(part, "_compress_left", 0) or tail)


def _table_lines(table, table_type) -> list[str]:
    """Rows in order, one cell per line; a merged cell is written once, like HTML rowspan."""
    lines: list[str] = []
    seen: dict[int, object] = {}  # id → cell element, kept alive so ids stay unique
    for row in table.rows:
        for cell in row.cells:
            tc = cell._tc  # python-docx repeats merged cells; its element identifies them
            if id(tc) in seen:
                continue
            seen[id(tc)] = tc
            parts: list[str] = []
            for item in cell.iter_inner_content():
                if isinstance(item, table_type):
                    lines.append("".join(parts))
                    parts = []
                    lines.extend(_table_lines(item, table_type))
                else:
                    parts.append(item.text)
            lines.append(_join_cell(parts))
    return lines


def _join_cell(parts: list[str]) -> str:
    """A cell's paragraphs on one line: no space between CJK text, a space otherwise."""
    out = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if out and not (_CJK.match(out[-1]) or _CJK.match(part[0])):
            out += " "
        out += part
    return out


# --------------------------------------------------------------------------------------------
# .pdf

def read_pdf(data: bytes) -> Decoded:
    """Page by page, from the text layer, PDFium's text or OCR: see ``plancli.pdf``."""
    from plancli.pdf import read_pdf as read

    return read(data)
