"""The first-character guard must never change what a pattern matches."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from plancli import regex_prefilter
from plancli.regex_prefilter import guard

RULES = Path(__file__).resolve().parent.parent / "rules"
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _strings(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def _rule_patterns() -> list[str]:
    found = set()
    for path in sorted(RULES.glob("*.yaml")):
        for s in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            try:
                re.compile(s)
            except re.error:
                continue
            found.add(s)
    return sorted(found)


PATTERNS = _rule_patterns()
GUARDED = [p for p in PATTERNS if guard(p) != p]


def _spans(pattern: str, text: str) -> list[tuple[tuple[int, int], dict]]:
    return [(m.span(), m.groupdict()) for m in re.finditer(pattern, text)]


def test_rules_have_patterns_worth_guarding():
    # the alternations of words that rules are made of: without guards the module does nothing
    assert len(GUARDED) >= 10


@pytest.mark.parametrize("pattern", GUARDED)
def test_guarded_rule_matches_the_same_on_the_samples(pattern):
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(SAMPLES.glob("*.txt")))
    assert _spans(guard(pattern), text) == _spans(pattern, text)


@given(st.sampled_from(GUARDED), st.text(alphabet="到力争达以上左右比重率wWiIlLsS 0123456789年。,\n将要约近已了", max_size=60))
@settings(max_examples=300, deadline=None)
def test_guarded_rule_matches_the_same_on_any_text(pattern, text):
    assert _spans(guard(pattern), text) == _spans(pattern, text)


@pytest.mark.parametrize("pattern, text", [
    (r"(?i:\b(will|shall)\b)|到\s*20\d\d", "We WILL, by 2025; 到 2025年; shall; Will"),
    (r"(?:^|(?<=[。;]))\d{1,3}[、.]|[一二三]、", "1、甲。2.乙;一、丙"),
    (r"(?i)k(ey)? tasks?|目标", "KEY TASKS, \u212aey task, 目标"),  # Kelvin sign folds to k
    (r"(比|较)\s*20\d\d|达到|(?i:reach(es)?)", "比 2020年 达到 REACHES"),
])
def test_guard_keeps_matches_and_case_folding(pattern, text):
    guarded = guard(pattern)
    assert guarded != pattern
    assert _spans(guarded, text) == _spans(pattern, text)
    assert _spans(guarded, text)  # the examples do match


@pytest.mark.parametrize("pattern", [
    "达到|力争|确保",  # re already scans for the first characters
    "^(序号|编号)$",  # anchored
    r"\d+ *号",  # a repeated class is cheap to try
    r"(19|20)?\d*|年",  # can match the empty string: no first character is required
    r".{2}|到",  # any character can start a match
    r"[^,]+|到",  # a negated class
])
def test_guard_leaves_patterns_it_cannot_help(pattern):
    assert guard(pattern) == pattern


@pytest.mark.parametrize("pattern, may_start, may_not_start", [
    (r"篇(?P<num>[一二三])\s*[::]", "篇", "一"),
    (r"(?P<num>\d{1,2})\.", "7", "."),
    (r"(The\s+first|Part\s+\d)", "TP", "tp"),
    ("(?i)part", "pP", "a"),
    (r"\bPart", "P", "p"),  # zero-width: the next item says
    (r"\s*1\.", " \u30001", "2"),  # a blank may be skipped over
    ("a?b", "ab", "c"),
])
def test_first_char_class_admits_every_first_character(pattern, may_start, may_not_start):
    first = re.compile(regex_prefilter.first_char_class(pattern))
    assert all(first.fullmatch(c) for c in may_start)
    assert not any(first.fullmatch(c) for c in may_not_start)


@pytest.mark.parametrize("pattern", ["[^a]b", ".x", "a?", r"(a?)\1b", "(?:(?!)[^x])?The"])
def test_first_char_class_is_none_when_unknown(pattern):
    assert regex_prefilter.first_char_class(pattern) is None


def test_first_char_class_of_several_patterns_is_their_union():
    first = re.compile(regex_prefilter.first_char_class("篇一", r"\d+、", "(?i:part)"))
    assert all(first.fullmatch(c) for c in "篇7pP")
    assert not first.fullmatch("一")
