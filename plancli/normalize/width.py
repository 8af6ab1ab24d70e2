"""Fold full-width ASCII to half-width and unify whitespace.

Pages mix ``２０２４`` and ``2024``, ``（`` and ``(``; folding makes numbers and patterns match one
form. CJK punctuation (。、“”《》〔〕) is not in the full-width ASCII block and stays as it is.
"""
from __future__ import annotations

import re

from plancli.normalize.step import StepResult

_FULL_WIDTH = re.compile(r"[\uff01-\uff5e\u3000]")
#: Spacing characters other than the plain space (tab, no-break and typographic spaces).
_OTHER_SPACES = "\t\u00a0" + "".join(map(chr, range(0x2002, 0x200B))) + "\u202f\u205f"
_SPACES = re.compile("[ " + _OTHER_SPACES + "]+")
#: Patterns that start with a literal character are searched for with a fast string scan;
#: those starting with a character class test every position (~10x slower on long text).
_DOUBLE_SPACES = re.compile("  +")
_BLANK_RUNS = re.compile("\n\n\n\n+")


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
    # Most pages hold no spacing but the plain space: collapsing its runs then does it all.
    if any(ch in text for ch in _OTHER_SPACES):
        text = _SPACES.sub(" ", text)
    else:
        text = _DOUBLE_SPACES.sub(" ", text)
    # Every run of spaces and tabs is now one space, so these are plain replacements.
    text = text.replace(" \n", "\n").replace("\n ", "\n")
    text = _BLANK_RUNS.sub("\n\n\n", text)
    text = text.strip(" \n\t")
    return StepResult(text, count=int(text != before))
