"""Saved HTML pages, .docx and .pdf attachments to text (STUB: being written)."""
from __future__ import annotations

from plancli.read import Decoded, InputError, decode_bytes


def read_html(data: bytes) -> Decoded:
    return decode_bytes(data)


def read_docx(data: bytes) -> Decoded:
    raise InputError("unsupported_format", ".docx support is not installed")


def read_pdf(data: bytes) -> Decoded:
    raise InputError("unsupported_format", ".pdf support is not installed")
