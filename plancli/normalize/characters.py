"""Drop byte-order marks, zero-width and control characters; unify line breaks.

Downloaded pages carry BOMs in the middle of text (concatenated files), zero-width spaces from
web editors and stray control bytes; none of them is content, and all of them break matching.
"""
from __future__ import annotations

import re

from plancli.normalize.step import StepResult

# C0/C1 controls except tab and newline, BOM, zero-width characters, soft hyphen.
_JUNK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\u2060\ufeff\ufffe]")


def clean(text: str) -> StepResult:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    result = StepResult(text)
    junk = _JUNK.findall(text)
    if junk:
        result.text = _JUNK.sub("", text)
        result.count = len(junk)
        result.examples = sorted({f"U+{ord(c):04X} -> ''" for c in junk})[:5]
    return result
