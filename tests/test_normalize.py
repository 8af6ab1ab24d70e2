"""Normalisation, step by step, on real text from the samples; and its fixed-point property."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import SAMPLE_NAMES, case_id, load_cases, normalized, prepared, raw_text, sample
from plancli.normalize import boilerplate, characters, normalize_text, script, width
from plancli.rules import compiled

# --- characters ------------------------------------------------------------------------------


def test_bom_and_controls_in_the_middle_are_removed():
    # Two downloads concatenated: the second one's BOM ends up mid-text; a web editor left a
    # zero-width space and a soft hyphen; a stray form feed and DEL.
    line = "临沂市人民政府\ufeff关于印发《临沂市建设国家创新型城市\u200b三年行动计划\u00ad(2022-2024年)》的通知\x0c\x7f"
    result = characters.clean(line)
    assert result.text == "临沂市人民政府关于印发《临沂市建设国家创新型城市三年行动计划(2022-2024年)》的通知"
    assert result.count == 5
    assert "U+FEFF -> ''" in result.examples


def test_line_breaks_are_unified_and_tabs_kept():
    result = characters.clean("一、总体要求\r\n(一)指导思想。\r二、主要目标\t2022年")
    assert result.text == "一、总体要求\n(一)指导思想。\n二、主要目标\t2022年"


def test_control_characters_are_reported_in_repairs():
    text = "\ufeff发文机关 临沂市人民政府办公室\x00 发文字号 临政字〔2022〕98号"
    norm = normalize_text(text)
    assert norm.text == "发文机关 临沂市人民政府办公室 发文字号 临政字〔2022〕98号"
    assert {r.kind: r.count for r in norm.repairs}["control_characters_removed"] == 2


# --- script ----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix,expected", [("004", "traditional"), ("002", "simplified"),
                                             ("001", "simplified"), ("003", "simplified"),
                                             ("000", None)])
def test_script_detection_on_samples(prefix, expected):
    assert prepared(prefix).normalized.script == expected


def test_traditional_sample_is_converted_and_counted():
    text = normalized("004")
    assert "连云港市重大产业创新平台建设实施方案" in text
    assert "連雲港" not in text and "產業" not in text
    converted = {r.kind: r.count for r in prepared("004").normalized.repairs}["traditional_converted"]
    assert converted > 500


def test_traditional_line_from_004():
    # A line of samples/004 without its pinyin annotations.
    result_script, result = script.to_simplified("各縣、區人民政府,市各有關單位:")
    assert result_script == "traditional"
    assert result.text == "各县、区人民政府,市各有关单位:"
    assert result.count == 4


def test_simplified_page_quoting_a_traditional_passage_is_mixed():
    # Two paragraphs of samples/002 quoting one Traditional sentence of samples/004.
    text = normalized("002")[:2000] + "\n為加快實施創新驅動發展戰略,著力建設一批高起點、高水平重大產業創新平臺。"
    detected, result = script.to_simplified(text)
    assert detected == "mixed"
    assert "为加快实施创新驱动发展战略" in result.text


def test_english_page_with_a_few_chinese_characters_has_no_script():
    detected, result = script.to_simplified("Author:Rizhao News Network Time:2022.06.23 優建超集 " * 3)
    assert detected is None
    assert "优建超集" in result.text  # still converted


# --- width -----------------------------------------------------------------------------------


def test_full_width_digits_letters_and_brackets_are_folded():
    # Lines of samples/002 as portals typeset them, with full-width ASCII.
    line = "（一）指导思想。到２０２４年，全市高新技术企业达到１６００家，ＰＭ２.５浓度下降５％。"
    result = width.fold(line)
    assert result.text == "(一)指导思想。到2024年,全市高新技术企业达到1600家,PM2.5浓度下降5%。"
    assert result.count == 18


def test_cjk_punctuation_is_not_folded():
    line = "《临沂市建设国家创新型城市三年行动计划》、“四个面向”、临政字〔2022〕98号。"
    assert width.fold(line).text == line
    assert width.fold(line).count == 0


def test_ideographic_space_and_runs_of_spaces():
    norm = normalize_text("发文机关\u3000\u3000临沂市人民政府办公室   \n  成文日期 2022-10-20\n\n\n\n\n\n一、总体要求")
    assert norm.text == "发文机关 临沂市人民政府办公室\n成文日期 2022-10-20\n\n\n一、总体要求"


def test_full_width_heading_is_found_after_folding():
    from plancli.segment import find_structure

    text = normalize_text("三、重点任务\n（一）实施区域创新格局优化工程。\n１．推动国家高新区高质量发展。").text
    assert [s.marker for s in find_structure(text).sections] == ["三、", "(一)", "1."]


# --- boilerplate: one data case per rule -----------------------------------------------------

BOILERPLATE_CASES = load_cases("boilerplate")


@pytest.mark.parametrize("case", BOILERPLATE_CASES, ids=case_id)
def test_boilerplate_case(case):
    rules = boilerplate.rules()
    rule = rules.rule(case["rule"])
    alone = rules.model_copy(update={"rules": [rule]})
    assert boilerplate.remove(case["input"], alone).text == case["expect"]
    assert boilerplate.remove(case["input"], rules).text == case["expect"]
    if case["expect"] != case["input"]:
        assert any(compiled(rule.pattern).search(ln.strip() if rule.scope != "phrase" else ln)
                   for ln in case["input"].split("\n"))


def test_every_boilerplate_rule_has_a_case():
    ids = {r.id for r in boilerplate.rules().rules}
    assert ids <= {c["rule"] for c in BOILERPLATE_CASES}


# --- boilerplate on the samples --------------------------------------------------------------


def _boilerplate_count(prefix: str) -> int:
    return sum(r.count for r in prepared(prefix).normalized.repairs if r.kind == "boilerplate_removed")


@pytest.mark.parametrize("prefix,line", [
    ("002", "当前位置是: 首页 >> 政策文件 >> 市政府文件 >> 临政字 >> 正文"),
    ("002", "【下载Word】 【下载PDF】"),
    ("002", "【关闭窗口】 【字体: 【打印本文】"),
    ("003", "推荐访问:县域科技创新跃升计划 跃升 科技创新 县域"),
    ("003", "1/17"),
    ("003", "4/17"),
    ("001", "公文素材库 首页"),
    ("001", "http://m.bsmz.net/gongwen/318605.html"),
    ("001", "由互联网用户整理提供,转载分享请保留原作者信息,谢谢!"),
    ("000", "- END -"),
    ("000", "remind!Part of the section of the National Highway Crane Grand Highway closed"),
])
def test_sample_boilerplate_lines_are_removed(prefix, line):
    assert line in raw_text(prefix).split("\n") or any(ln.strip() == line for ln in raw_text(prefix).split("\n"))
    assert line not in normalized(prefix).split("\n")
    assert _boilerplate_count(prefix) > 0


def test_removals_are_counted_in_repairs():
    # samples/003: the editor intro, 17 page counters … and the "推荐访问" tail.
    repairs = {r.kind: r for r in prepared("003").normalized.repairs}
    raw_lines = raw_text("003").split("\n")
    counters = [ln for ln in raw_lines if re.fullmatch(r"\d{1,2}/\d{1,3}", ln.strip())]
    assert counters
    assert repairs["boilerplate_removed"].count >= len(counters) + 2
    assert "1/17 -> ''" in repairs["boilerplate_removed"].examples


def test_text_after_end_is_other_news():
    text = normalized("000")
    assert text.endswith('The "Rizhao Daily Video" is new!')
    assert "National Defense Office Emergency Management" not in text


def test_editor_intro_removed_but_collection_title_kept():
    first = normalized("003").split("\n")[0]
    assert first.startswith("县域科技创新跃升计划9篇")
    assert "小编" not in first and "供大家参考" not in first
    assert first.endswith("(冀政办字〔20__〕")


@pytest.mark.parametrize("prefix,line", [
    ("002", "1117/30.7"),                # a table cell, not a page counter
    ("002", "一、总体要求"),
    ("002", "临沂市人民政府"),
    ("002", "2022年10月20日"),
    ("002", "文字解读:《临沂市建设国家创新型城市三年行动计划(2022-2024年)》"),
    ("001", "创新型城市实施方案"),
    ("003", "篇一:县域科技创新跃升计划"),
    ("000", "All media reporter Huang Jianling"),
])
def test_content_lines_survive(prefix, line):
    assert line in normalized(prefix).split("\n")


def test_seo_spam_and_scan_prompt_of_004_removed():
    text = normalized("004")
    assert "人妻" not in text and "扫一扫" not in text
    assert text.split("\n")[0].startswith("为帮助中小企业纾困解难")


# --- fixed point -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_samples_are_a_fixed_point(name):
    text = normalized(name[:3])
    again = normalize_text(text)
    assert again.text == text
    assert [r.kind for r in again.repairs if not r.kind.endswith("_uncertain")] == []


def _sample_lines() -> list[str]:
    lines: list[str] = []
    for name in SAMPLE_NAMES:
        raw = sample(name[:3]).read_text(encoding="utf-8").split("\n")
        lines += [ln for ln in raw if ln.strip()][:60]
    return lines


SAMPLE_LINES = _sample_lines()
FULL_WIDTH = st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E)
TRADITIONAL = st.sampled_from(list("為幫紓難舉辦圍繞連雲港區縣產業創發展實點對接國際條"))
NOISE = st.sampled_from(["\ufeff", "\u200b", "\x00", "\r\n", "\r", "\u3000", "  ", "\t", "\n\n\n\n\n",
                         "(范文网)", "1/17", "- END -", "(guān)", "【下载Word】", "扫一扫", "\ufffd"])


@st.composite
def mutated_line(draw):
    """A sample line with random deletions and insertions (full-width, Traditional, noise)."""
    chars = list(draw(st.sampled_from(SAMPLE_LINES))[:200])
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["delete", "full", "trad", "noise", "newline"]))
        pos = draw(st.integers(0, len(chars)))
        if op == "delete" and chars:
            del chars[min(pos, len(chars) - 1)]
        elif op == "full":
            chars.insert(pos, draw(FULL_WIDTH))
        elif op == "trad":
            chars.insert(pos, draw(TRADITIONAL))
        elif op == "noise":
            chars.insert(pos, draw(NOISE))
        else:
            chars.insert(pos, "\n")
    return "".join(chars)


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.text(max_size=300))
def test_normalize_is_idempotent_on_arbitrary_text(text):
    once = normalize_text(text).text
    assert normalize_text(once).text == once


@FAST
@given(st.lists(mutated_line(), min_size=1, max_size=6).map("\n".join))
# found by hypothesis: width folding turned ＠ into @, which the second pass read as a mojibake
# trail byte before a pinyin annotation
@example("！\n《連云港市重大產(chǎn)業(yè)創(chuàng)新平臺(tái)建設(shè)實(shí)施方案》已經！(jīng)市十四屆政府第68次常務(wù)會(huì)議"
         "審議通過,現(xiàn)印發！(fā)給你們,請(qǐng)認＠(èn)真組織實(shí)施。")
def test_normalize_is_idempotent_on_mutated_sample_lines(text):
    once = normalize_text(text).text
    assert normalize_text(once).text == once
    assert "\ufeff" not in once and "\x00" not in once and "\r" not in once
    assert not re.search(r"[\uff01-\uff5e\u3000]", once)


@FAST
@given(st.text(alphabet=st.sampled_from(list("一二三四五、。,:;()（）〔〕《》“”1234567890.%年月日 \n\u3000篇附件首页END-_/")),
               max_size=200))
def test_normalize_is_idempotent_on_structure_characters(text):
    once = normalize_text(text).text
    assert normalize_text(once).text == once
