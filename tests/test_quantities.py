"""The quantity parser: data-driven cases (tests/cases/quantities.yaml), rules-file checks,
property tests (spans always point at the text) and linear time on hostile input."""
from __future__ import annotations

import doctest
import re
import shutil
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from plancli import quantities
from plancli import rules as rules_mod
from plancli.quantities import Quantity, QuantityRules, find_quantities, parse_quantity

CASES_FILE = Path(__file__).parent / "cases" / "quantities.yaml"
SAMPLES = Path(__file__).parent.parent / "samples"
CASES = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
CASE_KEYS = {"rule", "input", "expect", "count", "note"}


def _case_id(i_case):
    i, case = i_case
    return f"{case['rule']}-{i}"


def _check_spans(text: str, found: list[Quantity]) -> None:
    end = 0
    for q in found:
        assert text[q.span[0]:q.span[1]] == q.text
        assert q.span[0] >= end, "quantities overlap"
        end = q.span[1]


@pytest.mark.parametrize("i_case", list(enumerate(CASES)), ids=_case_id)
def test_case(i_case):
    _, case = i_case
    assert set(case) <= CASE_KEYS, f"unknown keys {set(case) - CASE_KEYS}"
    found = find_quantities(case["input"])
    _check_spans(case["input"], found)
    expect = case["expect"]
    if expect == []:
        assert found == [], [q.text for q in found]
        return
    if "count" in case:
        assert len(found) == case["count"], [q.text for q in found]
    assert found, "no quantity found"
    got = found[0].to_dict()
    for field, want in expect.items():
        have = got[field]
        if isinstance(want, list):
            want = tuple(want) if field == "span" else want
        if isinstance(want, float) or (isinstance(want, int) and not isinstance(want, bool)):
            assert have == pytest.approx(want), f"{field}: {have!r} != {want!r}"
        else:
            assert have == want, f"{field}: {have!r} != {want!r}"


def test_every_rule_has_a_case_and_every_case_a_rule():
    ids = {r.id for r in quantities.rules().rules}
    used = {c["rule"] for c in CASES}
    assert ids - used == set(), "rules without a case"
    assert used - ids == set(), "cases naming unknown rules"


def test_parse_quantity():
    q = parse_quantity("给予一次性奖励30万元")
    assert (q.amount, q.currency, q.text) == (300000, "CNY", "30万元")
    assert parse_quantity("到2024年") is None


def test_doctests():
    assert doctest.testmod(quantities).failed == 0


# --- the rules file -----------------------------------------------------------------------------


def _copy_rules(tmp_path: Path, edit) -> Path:
    src = rules_mod.builtin_dir() / "quantities.yaml"
    text = edit(src.read_text(encoding="utf-8"))
    (tmp_path / "quantities.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_rules_load():
    rf = rules_mod.ruleset().get("quantities")
    assert rf.rule("quantity.range").separators


def test_user_rules_dir_adds_a_word(tmp_path):
    d = _copy_rules(tmp_path, lambda t: t.replace("words: [个, 家,", "words: [个, 家, 棚,"))
    assert find_quantities("新建5棚", d)[0].unit == "棚"
    assert find_quantities("新建5棚")[0].unit is None


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("  - id: quantity.ratio\n", "  - id: quantity.ratios\n"), "unknown rule id 'quantity.ratios'"),
    (lambda t: t.replace("  - id: quantity.ratio\n", "  - id: quantity.not_ratio\n"), "separators"),
    (lambda t: re.sub(r"  - id: quantity.ratio\n(    .*\n)+", "", t), "missing rules: quantity.ratio"),
    (lambda t: t.replace("skip: '\\d+ *号'", "skip: '(\\d+)+号'"), "nests quantifiers"),
    (lambda t: t.replace("skip: '\\d+ *号'", "skip: '\\d*'"), "empty string"),
    (lambda t: t.replace("    separators: [\":\"", "    seperators: [\":\""), "rule quantity.ratio: 'separators' is missing"),
])
def test_bad_rules_are_reported(tmp_path, edit, message):
    path = _copy_rules(tmp_path, edit) / "quantities.yaml"
    with pytest.raises(rules_mod.RulesError, match=message) as err:
        rules_mod.parse_file(path, QuantityRules)
    assert str(path) in str(err.value)


# --- properties ---------------------------------------------------------------------------------

ALPHABET = list("0123456789.,-~至到?:∶%％xX*_ \n一二两三十百千万亿〇零个家项名人元万亿年月日号第以上左右多余约达到超过不低于"
                "增长降低“”〔〕()[]/+abcdeGDPmillionyuanuptoat least") + [
    "百分之", "个百分点", "万元", "亿元", "million", "yuan", "RMB ", "up to ", "no more than ", "2024年", "20XX",
    # the forms of Chinese numerals, fractions, tenths, rates and English words
    "两千六百五", "零", "点", "几", "叁佰", "分之", "成", "折", "角", "分", "每", "/", "·", "(", "届", "次",
    "k", "w", "K", "，", "１２", "平方米", "户", "月", "年", "per ", "a ", "an ", "quarter", "thirds",
    "between ", " and ", " to ", "from ", "seventeen", "hundred", "-year", "one", "二三十", "十分"]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_spans_point_at_text(text):
    _check_spans(text, find_quantities(text))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join))
def test_number_like_text_spans_point_at_text(text):
    found = find_quantities(text)
    _check_spans(text, found)
    for q in found:
        assert q.masked == (q.value is None and q.kind != "ratio")
        assert q.value_max is None or q.value_max > q.value
        assert q.per is None or q.per in text
        assert q.period is None or q.period in _PERIODS


_PERIODS = set(quantities.rules().rule("quantity.per_unit").periods.values())


# --- speed --------------------------------------------------------------------------------------

HOSTILE = ["1", "1,", "111,", "1.", "x.", "x%", "1 ", "1个", "1万", "1-", "1:", "one ", "达到", "百分之",
           "一", "十", "万", "1元/", "x\n", "(1)", "2022-", "“1”", "12:", "每", "每户", "1元/户/", "三分之",
           "a ", "two thirds ", "between 1 and ", "1 to ", "两三", "一点", "1元1角", "八成", "1，", "8k"]


@pytest.mark.parametrize("unit", HOSTILE)
def test_linear_time_on_hostile_input(unit):
    """Doubling the input must not much more than double the time (no backtracking blow-up)."""
    def run(n):  # CPU time, best of three: a busy machine must not fail the test
        text, best = unit * n, float("inf")
        for _ in range(3):
            t0 = time.process_time()
            find_quantities(text)
            best = min(best, time.process_time() - t0)
        return best

    run(100)
    small, large = run(2000), run(8000)
    assert large < 1.0
    assert large < 8 * small + 0.05


def test_samples_are_quick():
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt")))
    if not text:
        pytest.skip("no samples")
    find_quantities(text[:1000])
    t0 = time.perf_counter()
    found = find_quantities(text)
    assert time.perf_counter() - t0 < 2.0
    assert len(found) > 500
    _check_spans(text, found)
