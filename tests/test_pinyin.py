"""Pinyin annotation removal: every case in tests/cases/pinyin.yaml, the rules file, properties."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import edited_rules_file
from plancli import rules as rules_mod
from plancli.normalize import pinyin

ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((ROOT / "tests" / "cases" / "pinyin.yaml").read_text(encoding="utf-8"))
RULES = pinyin.rules()


def _id(case: dict) -> str:
    return f"{case['rule']}:{case['input'][:24]}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_case(case):
    result = pinyin.remove_pinyin(case["input"], RULES)
    assert result.text == case["expect"]
    assert (result.count > 0) == (case["input"] != case["expect"])


@pytest.mark.parametrize("syllable", ["a", "er", "yè", "wù", "fā", "guan", "chuàng", "tuán", "lǜ",
                                      "nüè", "lve", "ju", "jiǒng", "zhuāng", "shéi", "ɡuó", "xì", "jī"])
def test_inventory_accepts(syllable):
    assert pinyin._inventory(RULES).classify(syllable) is not None


@pytest.mark.parametrize("text", ["xx", "an1", "R&D", "5G", "1", "bing2", "gùo", "qīu", "yèè",
                                  "Yè", "tian men", "gv", "ra", "hm", "xian4"])
def test_inventory_rejects(text):
    assert pinyin._inventory(RULES).classify(text) is None


def test_inventory_size():
    # The standard table has a little over 400 toneless syllables.
    assert 390 <= len(pinyin._inventory(RULES).syllables) <= 420


def test_after_must_be_fixed_width(tmp_path):
    bad = edited_rules_file(tmp_path, "pinyin", "after: '[?\\ufffd]'", "after: '[?\\ufffd]+'")
    with pytest.raises(rules_mod.RulesError, match="fixed-width"):
        rules_mod.parse_file(bad, pinyin.PinyinRules)


def test_open_must_be_fixed_width(tmp_path):
    # ``after`` is looked behind from past ``open``, so both need a fixed width.
    bad = edited_rules_file(tmp_path, "pinyin", "open: ''", "open: '[(（]*'")
    with pytest.raises(rules_mod.RulesError, match="'open' must be a fixed-width"):
        rules_mod.parse_file(bad, pinyin.PinyinRules)


def test_sample_004_annotations_all_removed():
    text = (ROOT / "samples" / "004_838b7ceec8d27e5e.txt").read_text(encoding="utf-8")
    result = pinyin.remove_pinyin(text, RULES)
    assert result.count > 500
    assert not re.search(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}\)", result.text)
    for real in ["(高新區)", "(自貿區)", "(與716所合作)", "(5G)", "(功能板塊)", "(工業機器人)"]:
        assert real in result.text, real


# --- properties ---------------------------------------------------------------------------------

_TOKENS = ["業", "務", "發", "貫", "創", "新", "(yè)", "(wù)", "(fā)", "(guan)", "(chuang)", "(an)",
           "(a)", "(jī)", "(xì)", "xì)", "（yè）", "(", ")", "（", "）", "?", "C", "x", "a", "ǎ", "yè",
           "(高新區)", "(5G)", "(R&D)", "(1)", "(2022-2024年)", " ", "\n", "、", "。"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join))
def test_idempotent(text):
    once = pinyin.remove_pinyin(text, RULES).text
    assert pinyin.remove_pinyin(once, RULES).text == once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="業務發(（)）yèguanxìǔüv?C a1", max_size=40))
def test_idempotent_on_raw_characters(text):
    once = pinyin.remove_pinyin(text, RULES).text
    assert pinyin.remove_pinyin(once, RULES).text == once


_CLEAN = [line for line in (ROOT / "samples" / "002_53cef2a0b11e33d7.txt").read_text(encoding="utf-8")
          .splitlines() if line.strip()]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(_CLEAN), min_size=1, max_size=8).map("\n".join))
def test_clean_text_unchanged(text):
    result = pinyin.remove_pinyin(text, RULES)
    assert result.text == text and result.count == 0
