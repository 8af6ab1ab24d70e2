"""Bytes and file formats to text.

Downloaded notices arrive as UTF-8, GB18030/GBK, Big5 or UTF-16 text, with or without a BOM,
and as saved HTML pages, .docx or .pdf attachments. This module turns any of them into a
``Decoded`` text and says which encoding it was; it refuses binary input it cannot read with an
``InputError`` whose message names the reason. Encoding detection is charset-normalizer's job
(it scores candidate decodings by character-distribution coherence, which beats a hand-written
heuristic); we only narrow it to the encodings Chinese and English pages actually use.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from plancli.models import Repair

#: Refuse inputs larger than this unless the caller raises it (``--max-bytes``).
DEFAULT_MAX_BYTES = 100 * 1024 * 1024

#: Encodings we let the detector choose among, once strict UTF-8 has failed.
CANDIDATE_ENCODINGS = ["gb18030", "big5", "cp950", "utf_16_le", "utf_16_be"]

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


@dataclass
class RawInput:
    path: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def read_input(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> RawInput:
    """Read a file (or ``-`` for standard input) with clear errors for what cannot be read."""
    name = os.fspath(path)
    if name == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
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
    if st.st_size > max_bytes:
        raise InputError("too_large", f"file is {st.st_size} bytes, over the limit of {max_bytes} "
                                      "(raise it with --max-bytes)")
    try:
        data = p.read_bytes()
    except PermissionError:
        raise InputError("permission_denied", "permission denied") from None
    except OSError as exc:
        raise InputError("unreadable", exc.strerror or str(exc)) from None
    return RawInput(name, data)


def _looks_utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a BOM has NUL bytes on one side of mostly-ASCII characters."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    n = len(data) // 2
    for enc, zeros in (("utf-16-le", odd.count(0)), ("utf-16-be", even.count(0))):
        if zeros > n * 0.2:
            try:
                data.decode(enc)
            except UnicodeDecodeError:
                continue
            return enc
    return None


def decode_bytes(data: bytes) -> Decoded:
    """Decode text bytes: BOM, strict UTF-8, else detection; binary is refused."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            text, bad = _decode_counting(data[len(bom):], enc)
            return Decoded(text, enc.replace("-le", "").replace("-be", "") if enc != "utf-8" else "utf-8-sig",
                           repairs=bad)
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputError("binary", f"not a text document ({what})")
    if b"\x00" in data:
        enc = _looks_utf16_without_bom(data)
        if enc is None:
            raise InputError("binary", "not a text document (contains NUL bytes)")
        text, bad = _decode_counting(data, enc)
        return Decoded(text, "utf-16", repairs=bad)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    enc = _detect(data)
    text, bad = _decode_counting(data, enc)
    return Decoded(text, enc, repairs=bad)


def _detect(data: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=CANDIDATE_ENCODINGS + ["utf_8"]).best()
    if best is None:
        # Mostly-valid UTF-8 with a few broken sequences is far more common than anything else.
        return "utf-8"
    enc = best.encoding.replace("_", "-")
    return {"cp950": "big5", "utf-16-le": "utf-16-le", "utf-16-be": "utf-16-be"}.get(enc, enc)


def _decode_counting(data: bytes, encoding: str) -> tuple[str, list[Repair]]:
    """Decode, replacing invalid sequences with U+FFFD and recording how many there were."""
    try:
        return data.decode(encoding), []
    except UnicodeDecodeError:
        text = data.decode(encoding, errors="replace")
        bad = text.count("\ufffd")
        return text, [Repair(kind="invalid_bytes_replaced", count=bad, examples=[f"{encoding}: {bad} invalid sequences -> U+FFFD"])]


def decode_input(raw: RawInput) -> Decoded:
    """Choose the reader for the input's format (by magic number first, then file name)."""
    suffix = Path(raw.path).suffix.lower()
    data = raw.data
    if data.startswith(b"%PDF") or suffix == ".pdf":
        from plancli import formats

        return formats.read_pdf(data)
    if data.startswith(b"PK\x03\x04") and suffix in (".docx", ""):
        from plancli import formats

        return formats.read_docx(data)
    if suffix in (".html", ".htm", ".xhtml") or _looks_like_html(data):
        from plancli import formats

        return formats.read_html(data)
    return decode_bytes(data)


def _looks_like_html(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:200]
