"""Fold full-width ASCII to half-width and unify whitespace.

Pages mix ``２０２４`` and ``2024``, ``（`` and ``(``; folding makes numbers and patterns match one
form. CJK punctuation (。、“”《》〔〕) is not in the full-width ASCII block and stays as it is.
"""
from __future__ import annotations

import re

from plancli.normalize.step import StepResult

_FULL_WIDTH = re.compile(r"[\uff01-\uff5e\u3000]")
_SPACES = re.compile(r"[ \t\u00a0\u2002-\u200a\u202f\u205f]+")
_TRAILING = re.compile(r"[ \t]+\n")
_LEADING = re.compile(r"\n[ \t]+")
_BLANK_RUNS = re.compile(r"\n{4,}")


def _half(match: re.Match[str]) -> str:
    ch = match.group()
    return " " if ch == "\u3000" else chr(ord(ch) - 0xFEE0)


def fold(text: str) -> StepResult:
    found = _FULL_WIDTH.findall(text)
    result = StepResult(_FULL_WIDTH.sub(_half, text) if found else text, count=len(found))
    for ch in sorted(set(found))[:5]:
        result.examples.append(f"{ch} -> {_half(re.match('.', ch))!r}")
    return result


def tidy_whitespace(text: str) -> StepResult:
    """One space for runs of spaces, no spaces at line ends or starts, at most 3 blank lines."""
    before = text
    text = _SPACES.sub(" ", text)
    text = _TRAILING.sub("\n", text)
    text = _LEADING.sub("\n", text)
    text = _BLANK_RUNS.sub("\n\n\n", text)
    text = text.strip(" \n\t")
    return StepResult(text, count=int(text != before))
