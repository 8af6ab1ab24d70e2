"""Bytes and file formats to text.

Downloaded notices arrive as UTF-8, GB18030/GBK, Big5 (cp950, Big5-HKSCS) or UTF-16 text, with
or without a BOM, and as saved HTML pages, .docx, .pdf (``plancli.pdf``: scanned pages by OCR) or
legacy .doc/.wps attachments (``plancli.legacy_office``). This module turns any of
them into a ``Decoded`` text and says which encoding it was and how sure that is; it refuses
binary input it cannot read with an ``InputError`` whose message names the reason. Bytes that
are not UTF-8 are decoded in every candidate encoding and the cleanest, most plausible reading
wins (``choose_encoding``): a general-purpose detector, trained on other languages, could not
tell Big5-HKSCS from Big5 or GB18030 and fell back to UTF-8 full of replacement characters.
"""
from __future__ import annotations

import codecs
import functools
import hashlib
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from plancli.models import Repair

#: Refuse inputs larger than this unless the caller raises it (``--max-bytes``).
DEFAULT_MAX_BYTES = 100 * 1024 * 1024

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]

#: Magic numbers of formats that are not text (checked after our own .docx/.pdf handling).
_MAGIC = [
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"%PDF", "PDF document"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\x7fELF", "executable"),
    (b"MZ", "executable"),
    (b"\xd0\xcf\x11\xe0", "legacy Office document (.doc/.xls)"),
    (b"Rar!", "RAR archive"),
    (b"7z\xbc\xaf", "7-Zip archive"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
]
#: Signatures too short to trust as a prefix alone ("BM" starts English text too).
_MAGIC_RE = [
    (re.compile(rb"RIFF.{4}WEBP", re.S), "WebP image"),
    (re.compile(rb"BM.{4}\x00{4}.{4}[\x0c\x28\x34\x38\x40\x6c\x7c]\x00\x00\x00", re.S), "BMP image"),
]


class InputError(Exception):
    """An input that cannot be processed; ``kind`` is stable, ``message`` is for people."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message


@dataclass
class Decoded:
    text: str
    encoding: str
    format: str = "text"
    repairs: list[Repair] = field(default_factory=list)
    #: Metadata found in the container (HTML <meta>, .docx core properties), if any.
    hints: dict[str, str] = field(default_factory=dict)
    #: How sure the encoding is (1.0: a BOM or valid UTF-8; see ``choose_encoding``), and the
    #: encoding that came second when it had to be chosen.
    confidence: float | None = None
    runner_up: str | None = None
    #: PDFs: how each page was read (text layer, PDFium, OCR) and how sure that is.
    pages: list[dict] | None = None


@dataclass
class RawInput:
    path: str
    data: bytes

    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @functools.cached_property
    def size(self) -> int:
        return len(self.data)

    def release(self) -> None:
        """Forget the bytes, keeping their digest and size: once decoded, a large input need not
        stay in memory beside its text while it is normalised and extracted."""
        _ = self.sha256, self.size
        self.data = b""


def read_input(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> RawInput:
    """Read a file (or ``-`` for standard input) with clear errors for what cannot be read."""
    name = os.fspath(path)
    if name == "-":
        if sys.stdin is None:
            raise InputError("unreadable", "standard input is closed")
        data = _read_at_most(sys.stdin.buffer, max_bytes)
        if len(data) > max_bytes:
            raise InputError("too_large", f"standard input is larger than --max-bytes ({max_bytes} bytes)")
        return RawInput("-", data)
    p = Path(name)
    try:
        st = p.stat()
    except FileNotFoundError:
        kind = "broken_symlink" if p.is_symlink() else "not_found"
        raise InputError(kind, "broken symbolic link" if kind == "broken_symlink" else "no such file") from None
    except PermissionError:
        raise InputError("permission_denied", "permission denied") from None
    except OSError as exc:
        raise InputError("unreadable", exc.strerror or str(exc)) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is_directory", "is a directory (use `plancli batch DIR` for folders)")
    if not stat.S_ISREG(st.st_mode):
        raise not_a_regular_file(st.st_mode)
    if st.st_size > max_bytes:
        raise InputError("too_large", f"file is {st.st_size} bytes, over the limit of {max_bytes} "
                                      "(raise it with --max-bytes)")
    try:
        with open(p, "rb") as fh:
            data = fh.read(st.st_size + 1)  # one allocation of the file's size
            if len(data) > st.st_size:  # it grows while being read: up to the limit
                data += _read_at_most(fh, max_bytes - len(data))
    except PermissionError:
        raise InputError("permission_denied", "permission denied") from None
    except OSError as exc:
        raise InputError("unreadable", exc.strerror or str(exc)) from None
    if len(data) > max_bytes:  # grew while being read
        raise InputError("too_large", f"more than the limit of {max_bytes} bytes (raise it with --max-bytes)")
    return RawInput(name, data)


def not_a_regular_file(mode: int) -> InputError:
    """Only regular files are read: opening a FIFO waits for a writer forever, a device (/dev/zero,
    /dev/tty) never ends or waits for a person, a socket cannot be opened at all."""
    what = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a character device" if stat.S_ISCHR(mode)
            else "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file")
    return InputError("not_regular_file", f"not a regular file ({what}); to read a stream, pipe it to "
                                          "standard input: plancli extract - < …")


def _read_at_most(fh, max_bytes: int, chunk: int = 1 << 20) -> bytes:
    """Read until end of file or until more than ``max_bytes`` bytes have come."""
    parts, total = [], 0
    while total <= max_bytes:
        part = fh.read(min(chunk, max_bytes + 1 - total))
        if not part:
            break
        parts.append(part)
        total += len(part)
    return b"".join(parts)


def _plausible_share(text: str) -> float:
    """Share of characters that occur in real Chinese/English text (decoding sanity check)."""
    if not text:
        return 0.0
    ok = sum(1 for c in text if c in "\n\r\t" or " " <= c <= "~" or "\u00a0" <= c <= "\u024f"
             or "\u2000" <= c <= "\u206f" or "\u3000" <= c <= "\u303f" or "\u4e00" <= c <= "\u9fff"
             or "\uff00" <= c <= "\uffef" or "\u2460" <= c <= "\u24ff")
    # UTF-16 read in the wrong byte order turns ASCII into U+xx00 "characters".
    swapped = sum(1 for c in text if ord(c) > 0xFF and ord(c) & 0xFF == 0)
    return (ok - swapped) / len(text)


def _looks_utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM: NUL bytes, and one byte order decodes to plausible text.

    Mostly-Chinese text has few NUL bytes (only its ASCII characters have them), so the test is
    what the decoded text looks like, not how many NULs there are: read in the wrong order,
    ASCII becomes U+xx00 and CJK becomes characters from unrelated scripts.
    """
    if len(data) < 2 or len(data) % 2:
        return None
    best, best_share = None, 0.0
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        share = _plausible_share(text[:20000])
        if share > best_share:
            best, best_share = enc, share
    return best if best_share >= 0.9 else None


def decode_bytes(data: bytes) -> Decoded:
    """Decode text bytes: BOM, strict UTF-8, else the best of the legacy encodings; binary is refused."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            text, bad = _decode_counting(data[len(bom):], enc)
            return Decoded(text, enc.replace("-le", "").replace("-be", "") if enc != "utf-8" else "utf-8-sig",
                           repairs=bad, confidence=1.0)
    # a format we can name is refused by its name; unknown bytes below are just "binary"
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputError("unsupported_format", f"not a supported document: {what}")
    for pattern, what in _MAGIC_RE:
        if pattern.match(data):
            raise InputError("unsupported_format", f"not a supported document: {what}")
    if b"\x00" in data:
        enc = _looks_utf16_without_bom(data)
        if enc is None:
            raise InputError("binary", "not a text document (contains NUL bytes)")
        text, bad = _decode_counting(data, enc)
        return Decoded(text, "utf-16", repairs=bad)
    try:
        return Decoded(data.decode("utf-8"), "utf-8", confidence=1.0)
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        text, bad = _decode_counting(data, "utf-8")
        return Decoded(text, "utf-8", repairs=bad)
    choice = choose_encoding(data)
    return Decoded(choice.text, choice.encoding, repairs=_replaced(choice.text, choice.encoding),
                   confidence=choice.confidence, runner_up=choice.runner_up)


def _mostly_utf8(data: bytes) -> bool:
    """Valid UTF-8 with a few broken sequences (a truncated or spliced download).

    Text in a legacy two-byte encoding read as UTF-8 breaks at nearly every non-ASCII byte; a
    UTF-8 page with a stray invalid byte breaks at one place in hundreds of characters.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return non_ascii - bad >= 20 * bad


#: Characters that say nothing about the encoding: ASCII, blanks, general and CJK punctuation,
#: full-width forms.
_NOT_SCORED = re.compile(r"[\x00-\x7f\s\u2000-\u206f\u3000-\u303f\uff00-\uffef]+")
#: GB2312 bytes, one character per match; the group holds the lead byte of a level-1 character.
_GB2312_CHAR = re.compile(rb"([\xb0-\xd7])[\xa1-\xfe]|[\xa1-\xf7][\xa1-\xfe]|[\x00-\x7f]")
#: How much of a candidate decoding is scored (the replacements are counted in all of it).
_SCORED_CHARS = 50_000


def _scored_chars(text: str) -> str:
    return _NOT_SCORED.sub("", text[:_SCORED_CHARS])


def _common_share(chars: str) -> float:
    """Share of the characters (punctuation and ASCII already removed) that are common Chinese
    characters (GB2312 level 1, after conversion to Simplified). A correct GB or Big5 decoding
    scores close to 1; the wrong one of the two yields rare characters, kana and symbols."""
    from plancli.normalize.script import _converter

    if not chars:
        return 0.0
    # characters GB2312 lacks are dropped by the encoder; each of the others is one match
    encoded = _converter().convert(chars).encode("gb2312", errors="ignore")
    common = sum(1 for lead in _GB2312_CHAR.findall(encoded) if lead)
    return common / len(chars)


#: The encodings a file that is not UTF-8 is tried in, in order of preference when two decode
#: equally well: the narrower standard first, so a plain Big5 file is reported as Big5 even
#: though cp950 and Big5-HKSCS (its supersets) read it the same. UTF-8 comes last: it only
#: competes when everything needs replacements.
CANDIDATE_ENCODINGS = ["gb18030", "big5", "cp950", "big5hkscs", "utf-16-le", "utf-16-be", "utf-8"]
#: Plausibility scores this close count as a tie (then the order above decides).
_TIE = 0.01
#: A decoding scoring under this share of the best score is garbage, however clean: UTF-16 reads
#: any even number of bytes without an error, GB18030 almost any Big5 file.
_PLAUSIBLE = 0.5
#: Scored characters needed before a clear win counts fully: confidence is scaled by n / (n + this).
_EVIDENCE = 10


@dataclass
class Candidate:
    """One way of decoding the bytes: how many invalid sequences, how plausible the text."""

    encoding: str
    replacements: int
    score: float  # share of common Chinese characters among the scored ones
    scored: int  # how many characters were scored


@dataclass
class EncodingChoice:
    encoding: str
    #: How clearly the choice beat the runner-up: 0 a tie, 1 a runner-up that needs more
    #: replacements or reads as no Chinese at all (scaled down when few characters were scored).
    confidence: float
    runner_up: str | None
    candidates: list[Candidate]
    text: str = field(repr=False, default="")  # the bytes decoded in ``encoding``


def choose_encoding(data: bytes) -> EncodingChoice:
    """The encoding of bytes that are not valid UTF-8, chosen by how well each candidate decodes.

    Each candidate is scored by plausibility (the share of common Chinese characters) and counted
    for replacement characters. Decodings far less plausible than the best are garbage and out
    (GB18030 reads almost any Big5 file without an error, but as rare characters; UTF-16 reads
    any even number of bytes). Among the rest, fewest replacements first: a decoding that needs
    replacements never wins over one that reads the bytes cleanly (a Big5-HKSCS file breaks in
    Big5 and cp950 exactly at its Hong Kong characters); then the most plausible. Candidates that
    give the same text are one decoding, named by the first of ``CANDIDATE_ENCODINGS``.
    """
    candidates: list[Candidate] = []
    seen: set[tuple[int, int]] = set()  # (length, hash) of each decoding: one text in memory at a time
    for enc in CANDIDATE_ENCODINGS:
        text = data.decode(enc, errors="replace")
        key = (len(text), hash(text))
        if key in seen:
            continue  # a superset that reads these bytes exactly like a narrower encoding
        seen.add(key)
        chars = _scored_chars(text)
        candidates.append(Candidate(enc, text.count("\ufffd"), _common_share(chars), len(chars)))
    floor = _PLAUSIBLE * max(c.score for c in candidates)
    readings = [c for c in candidates if c.score >= floor]  # the others are garbage, clean or not
    fewest = min(c.replacements for c in readings)
    cleanest = [c for c in readings if c.replacements == fewest]
    top = max(c.score for c in cleanest)
    best = next(c for c in cleanest if c.score >= top - _TIE)
    others = sorted((c for c in candidates if c is not best),
                    key=lambda c: (c.score < floor, c.replacements, -c.score))
    runner = others[0] if others else None
    if runner is None or (runner.score >= floor and runner.replacements > best.replacements):
        margin = 1.0
    else:
        margin = max(0.0, best.score - runner.score) / best.score if best.score else 0.0
    confidence = round(margin * best.scored / (best.scored + _EVIDENCE), 3)
    return EncodingChoice(best.encoding, confidence, runner.encoding if runner else None, candidates,
                          data.decode(best.encoding, errors="replace"))


def _decode_counting(data: bytes, encoding: str) -> tuple[str, list[Repair]]:
    """Decode, replacing invalid sequences with U+FFFD and recording how many there were."""
    try:
        return data.decode(encoding), []
    except UnicodeDecodeError:
        text = data.decode(encoding, errors="replace")
        return text, _replaced(text, encoding)


def _replaced(text: str, encoding: str) -> list[Repair]:
    """The repair entry for the U+FFFD that decoding put in (none when there are none)."""
    bad = text.count("\ufffd")
    if not bad:
        return []
    return [Repair(kind="invalid_bytes_replaced", count=bad, examples=[f"{encoding}: {bad} invalid sequences -> U+FFFD"])]


def decode_input(raw: RawInput, max_bytes: int = DEFAULT_MAX_BYTES) -> Decoded:
    """Choose the reader for the input's format (by magic number first, then file name);
    ``max_bytes`` also limits what a container (.docx) unpacks to."""
    suffix = Path(raw.path).suffix.lower()
    data = raw.data
    if data.startswith(b"%PDF") or suffix == ".pdf":
        from plancli import formats

        return formats.read_pdf(data)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: .doc, .wps (or .xls, .ppt: refused)
        from plancli import legacy_office

        return legacy_office.read_doc(data, suffix, max_bytes)
    if data.startswith(b"PK\x03\x04"):
        from plancli import legacy_office

        names = legacy_office.zip_members(data) or []
        other = None if "word/document.xml" in names else legacy_office.office_zip_format(data, names, suffix)
        if other:
            raise legacy_office.unsupported(other)
        if suffix in (".docx", "") or "word/document.xml" in names:
            from plancli import formats

            return formats.read_docx(data, max_bytes)
    if suffix in (".html", ".htm", ".xhtml") or _looks_like_html(data):
        from plancli import formats

        return formats.read_html(data)
    return decode_bytes(data)


def _looks_like_html(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:200]
