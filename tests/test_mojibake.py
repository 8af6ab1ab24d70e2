"""GB byte-shift mojibake repair: every case in tests/cases/mojibake.yaml, flags, laziness,
properties, synthetic damage, and the damaged sample 004 after both steps."""
from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import opencc
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import edited_rules_file
from plancli import rules as rules_mod
from plancli.normalize import mojibake, pinyin

ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((ROOT / "tests" / "cases" / "mojibake.yaml").read_text(encoding="utf-8"))
RULES = mojibake.rules()


def _sample(name: str) -> str:
    return next((ROOT / "samples").glob(f"{name}_*.txt")).read_text(encoding="utf-8")


def _id(case: dict) -> str:
    return f"{case['rule']}:{case['input'][:24]!r}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_case(case):
    result = mojibake.repair_mojibake(case["input"], RULES)
    assert result.text == case["expect"]
    assert (result.count > 0) == (case["input"] != case["expect"])


def test_table_rule_needs_pattern_and_replace(tmp_path):
    bad = edited_rules_file(tmp_path, "mojibake", "    replace: 東海縣\n", "")
    with pytest.raises(rules_mod.RulesError, match="mojibake.known_donghai"):
        rules_mod.parse_file(bad, mojibake.MojibakeRules)


# --- flags: damage that is not repaired is reported, clean text is not ----------------------------


def test_unrepairable_runs_are_flagged():
    result = mojibake.repair_mojibake("審核推薦?h區政府。提高“选?洗?梳”产能", RULES)
    assert result.count == 0
    assert result.flagged == ["審核推薦?h區政府", "提高“选?洗?梳”产能"]


def test_partial_repair_flags_the_remaining_mark():
    result = mojibake.repair_mojibake("強企業、大?虅铡＜訌娕c長三角地區的合作", RULES)
    assert result.text == "強企業、大?務。加強與長三角地區的合作"
    assert result.flagged == ["企業、大?務。加強"]


def test_garbage_before_a_glued_letter_is_flagged():
    result = mojibake.repair_mojibake("機構待遇!笆\ue1a2奈濉逼陂g各縣區", RULES)
    assert result.text == "機構待遇!笆\ue1a2奈濉逼陂g各縣區"
    assert result.flagged and result.flagged[0].endswith("陂g各")


@pytest.mark.parametrize("name", ["000", "002"])
def test_clean_samples_unchanged_and_unflagged(name):
    text = _sample(name)
    result = mojibake.repair_mojibake(text, RULES)
    assert result.text == text and result.count == 0 and result.flagged == []


@pytest.mark.parametrize("name", ["001", "003"])
def test_samples_with_lost_characters_unchanged(name):
    # 001 and 003 have ? for lost characters (选?洗) and x placeholders (x省): nothing to shift.
    text = _sample(name)
    result = mojibake.repair_mojibake(text, RULES)
    assert result.text == text and result.count == 0
    assert all("?" in f for f in result.flagged)


def test_clean_text_does_not_load_jieba():
    code = (
        "import sys; from pathlib import Path\n"
        "from plancli.normalize import mojibake\n"
        "text = next(Path('samples').glob('002_*.txt')).read_text(encoding='utf-8')\n"
        "assert mojibake.repair_mojibake(text, mojibake.rules()).text == text\n"
        "assert 'jieba' not in sys.modules, 'jieba loaded for clean text'\n"
        "assert 'plancli.normalize.wordfreq' not in sys.modules, 'word frequencies read for clean text'\n"
        "mojibake.repair_mojibake('燃?廨啓C、', mojibake.rules())\n"
        "assert 'plancli.normalize.wordfreq' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# --- the damaged sample, after both steps --------------------------------------------------------


def test_sample_004_after_pinyin_and_mojibake():
    text = _sample("004")
    text = pinyin.remove_pinyin(text, pinyin.rules()).text
    result = mojibake.repair_mojibake(text, RULES)
    out = result.text
    assert not re.search(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}\)", out)  # (wù)-style
    assert not re.search(r"[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}\)", out.replace("(5G)", ""))
    assert not re.search(r"[?\ufffd]{2}h", out)
    assert "?!笆" not in out and "\ue1a2" not in out
    assert not re.search(r"[?\ufffd]", out)
    for repaired in ["審核推薦縣區政府", "東海縣", "待遇。“十四五”期間各縣", "高效低碳燃氣輪機、生物醫藥"]:
        assert repaired in out, repaired
    for real in ["(高新區)", "(自貿區)", "(與716所合作)", "(5G)", "(功能板塊)"]:
        assert real in out, real
    assert result.count == 4 and result.flagged == []


# --- properties ------------------------------------------------------------------------------------

_TOKENS = ["東", "海", "縣", "推薦", "區", "?", "\ufffd", "??h", "h", "g", "C", "x", "!", "笆", "\ue1a2",
           "奈濉逼陂", "廨啓", "燃", "待遇", "各縣", "。", "“", "，", ",", " ", "\n", "1", "中國", "A股",
           "虅铡＜訌娕c", "萍即葱履芰", "大"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=24).map("".join))
def test_idempotent(text):
    once = mojibake.repair_mojibake(text, RULES).text
    assert mojibake.repair_mojibake(once, RULES).text == once


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=24).map("".join))
def test_both_steps_idempotent(text):
    def both(t: str) -> str:
        return mojibake.repair_mojibake(pinyin.remove_pinyin(t, pinyin.rules()).text, RULES).text

    once = both(text)
    assert both(once) == once


_CLEAN = [line for line in _sample("002").splitlines() if line.strip()]
_T2S = opencc.OpenCC("s2t")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(_CLEAN), min_size=1, max_size=8).map("\n".join), st.booleans())
def test_clean_text_unchanged(text, traditional):
    if traditional:
        text = _T2S.convert(text)
    result = mojibake.repair_mojibake(text, RULES)
    assert result.text == text and result.count == 0


# --- synthetic damage: real sentences with one lead byte turned into ? ---------------------------


def _damaged_lines(count: int, seed: int):
    """Traditional lines of sample 002 with one lead byte replaced by '?', decoded as GB18030."""
    rng = random.Random(seed)
    lines = [_T2S.convert(line.strip()) for line in _CLEAN if len(line.strip()) > 30]
    for _ in range(count):
        line = rng.choice(lines)
        raw = line.encode("gb18030")
        leads, i = [], 0
        while i < len(raw):
            if raw[i] >= 0x81:
                leads.append(i)
                i += 2
            else:
                i += 1
        k = rng.choice(leads)
        yield line, (raw[:k] + b"?" + raw[k + 1:]).decode("gb18030", errors="replace")


def test_synthetic_lost_bytes_are_repaired_or_left():
    fixed = partial = left = wrong = 0
    for line, damaged in _damaged_lines(120, seed=7):
        out = mojibake.repair_mojibake(damaged, RULES).text
        as_pattern = "".join("." if c in "?\ufffd" else re.escape(c) for c in out)
        if out == line:
            fixed += 1
        elif out == damaged:
            left += 1
        elif re.fullmatch(as_pattern, line, flags=re.S):
            partial += 1  # right characters, the uncertain ones still marked
        else:
            wrong += 1
    assert wrong <= 2, (fixed, partial, left, wrong)
    assert fixed + partial >= 60, (fixed, partial, left, wrong)


def test_regression_run_ending_in_cjk_after_earlier_repair():
    """Found by hypothesis: a lost-byte run whose end moved onto CJK punctuation crashed."""
    from plancli.normalize import normalize_text

    once = normalize_text("?笆?,?").text
    assert normalize_text(once).text == once
