"""Rejoin text that a PDF copy spaced out ("战略新 兴", "200 万元", "第 1 0 条").

Text copied out of a PDF often carries a space wherever the PDF broke a line or placed glyphs
apart. Chinese writes no spaces between its characters, so such a page has many spaces between
two Chinese characters or digits; ordinary pages have a handful (between a name and a date, two
issuers on one line). Only a page with many of them is rejoined, and then only single spaces
between Chinese characters, digits and Chinese punctuation are taken out; English words keep
their spaces.
"""
from __future__ import annotations

import re

from plancli.normalize.step import StepResult

#: A single space between two Chinese characters: what decides whether a page is spaced out.
_HAN_SPACE = re.compile(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])")
#: What is taken out on such a page: a single space between Chinese characters, Chinese
#: punctuation and digits, but not between two numbers ("9 2500" are two table cells; "1 0" in
#: "第 1 0 条" is one number split up).
_INNER_SPACE = re.compile(r"(?<=[\u4e00-\u9fff、,。:;()《》“”]) (?=[\u4e00-\u9fff\d、,。:;()《》“”])"
                          r"|(?<=\d) (?=[\u4e00-\u9fff、,。:;()《》“”])|(?<=(?<!\d)\d) (?=\d(?!\d))")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
#: Spaces between Chinese characters per 100 of them above which a page is spaced out (ordinary pages
#: have about 0.1, tables flattened with spaces up to 1.5, spaced-out PDF copies 2.5 and more).
SPACED_PER_100 = 2.0
#: Fewer spaces than this are never a spaced-out page.
MIN_SPACES = 20


def rejoin_spaced(text: str) -> StepResult:
    # Counted, not collected: a list of every match of a 20 MB page takes 30 times its size.
    spaces = sum(1 for _ in _HAN_SPACE.finditer(text))
    if spaces < MIN_SPACES:
        return StepResult(text)
    cjk = sum(m.end() - m.start() for m in _CJK_RUN.finditer(text))
    if not cjk or spaces * 100 / cjk < SPACED_PER_100:
        return StepResult(text)
    result = StepResult(text)
    for m in _INNER_SPACE.finditer(text):
        if len(result.examples) >= 3:
            break
        result.examples.append(f"{text[max(0, m.start() - 3):m.end() + 3]!r} -> {text[max(0, m.start() - 3):m.start()] + text[m.end():m.end() + 3]!r}")
    result.text, result.count = _INNER_SPACE.subn("", text)
    return result
