"""Traditional → Simplified with OpenCC (t2s), recording which script the document was in.

OpenCC's phrase-aware conversion is the standard tool for this; the converter is built once per
process because loading its dictionaries costs more than converting a whole document.
"""
from __future__ import annotations

import functools
import itertools
import re

from plancli.normalize.step import StepResult

#: Runs, not single characters: counting by run lengths is ~5x faster on Chinese text than
#: ``len(findall)`` of one-character matches (each match is a new string object).
_CJK_RUNS = re.compile(r"[\u4e00-\u9fff]+")
_LATIN = re.compile(r"[A-Za-z]")

#: Share of CJK characters that OpenCC changes above which a text counts as Traditional;
#: between MIXED and TRADITIONAL it is "mixed" (a Simplified page quoting Traditional text).
TRADITIONAL = 0.05
MIXED = 0.005


@functools.lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


#: Texts longer than this are converted a block of lines at a time: OpenCC copies its input
#: and output several times over (UTF-8, C++ strings), so one call on 100 MB held ~5 copies.
_BLOCK = 1 << 20


def _convert(text: str) -> str:
    """t2s of ``text``, in blocks that end at line breaks (phrases never span lines)."""
    if len(text) <= _BLOCK:
        return _converter().convert(text)
    out, start = [], 0
    while start < len(text):
        end = text.find("\n", start + _BLOCK)
        end = len(text) if end < 0 else end + 1
        out.append(_converter().convert(text[start:end]))
        start = end
    return "".join(out)


def _at_most(pattern: re.Pattern[str], text: str, limit: int) -> bool:
    """Whether ``pattern`` matches ``text`` at most ``limit`` times; stops looking after that
    (an English page has tens of thousands of letters, and only a few Chinese characters)."""
    return next(itertools.islice(pattern.finditer(text), limit, None), None) is None


def to_simplified(text: str) -> tuple[str | None, StepResult]:
    """Return (script, result); script is None when the text has (almost) no Chinese.

    An English page quoting a few Chinese names has no script of its own: the stray characters
    are still converted, but the script is only reported when Chinese is the page's language
    (the same share ``segment.detect_language`` uses).
    """
    cjk = sum(m.end() - m.start() for m in _CJK_RUNS.finditer(text))  # no list of runs: no copy
    if not cjk:
        return None, StepResult(text)
    converted = _convert(text)
    result = StepResult(converted)
    # Latin letters are at most the non-CJK characters: mostly-Chinese pages need no count.
    is_chinese = cjk * 3 >= len(text) - cjk or _at_most(_LATIN, text, cjk * 3)
    if converted == text:  # the usual case for Simplified pages: no per-character comparison
        return ("simplified" if is_chinese else None), result
    if len(converted) == len(text):
        changed = ((a, b) for a, b in zip(text, converted) if a != b)
        result.examples = [f"{a} -> {b}" for a, b in itertools.islice(changed, 5)]
        result.count = len(result.examples) + sum(1 for _ in changed)
    else:  # a phrase conversion changed the length; count the differing characters roughly
        result.count = sum(1 for a, b in zip(text, converted) if a != b) or 1
    if not is_chinese:
        return None, result
    share = result.count / cjk
    script = "traditional" if share > TRADITIONAL else "mixed" if share > MIXED else "simplified"
    return script, result
