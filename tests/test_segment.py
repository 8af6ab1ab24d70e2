"""Segmentation: parts, the section tree, run-on numbering, spans, English headings."""
from __future__ import annotations

import pytest
import yaml

from conftest import CASES, SAMPLE_NAMES, case_id, edited_rules_file, load_cases, normalized
from plancli import regex_prefilter
from plancli import rules as rules_mod
from plancli.segment import (clauses, detect_language, find_structure, numeral_value, rules,
                             sentences)


def structure(prefix: str):
    return find_structure(normalized(prefix))


# --- parts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix,parts", [("001", 4), ("003", 9), ("002", 0), ("004", 0), ("000", 0)])
def test_parts(prefix, parts):
    found = structure(prefix).parts
    assert len(found) == parts
    assert all(p.level == 0 and p.kind == "part" and p.parent is None for p in found)
    if parts:
        assert [p.marker for p in found][:2] == ["篇一:", "篇二:"]


def test_parts_match_gold(shared_dir):
    from conftest import gold

    for name in SAMPLE_NAMES:
        expected = gold(name)["parts"]
        # a page without 篇 markers is one article (no level-0 sections)
        assert max(1, len(structure(name[:3]).parts)) == expected, name


def test_part_titles_of_003():
    text = normalized("003")
    parts = structure("003").parts
    assert [p.marker for p in parts] == [f"篇{n}:" for n in "一二三四五六七八九"]
    assert all(p.title == "县域科技创新跃升计划" for p in parts)
    # the parts tile the text from the first 篇 to the end
    assert parts[-1].span[1] == len(text)
    assert all(a.span[1] == b.span[0] for a, b in zip(parts, parts[1:]))


# --- the tree of samples/002 -----------------------------------------------------------------


def test_tree_of_002_matches_its_headings():
    expected = yaml.safe_load((CASES / "segment_002.yaml").read_text(encoding="utf-8"))["sections"]
    sections = structure("002").sections
    by_id = {s.id: s for s in sections}
    got = []
    for s in sections:
        parent = by_id.get(s.parent) if s.parent else None
        row = {"marker": s.marker, "title": s.title, "level": s.level,
               "parent": parent.marker if parent else None}
        if parent:
            row["parent_title"] = parent.title
        got.append(row)
    assert got == expected


# --- run-on numbering (samples/003) ----------------------------------------------------------


def test_run_on_numbering_in_one_line_of_003():
    text = normalized("003")
    line = next(ln for ln in text.split("\n") if ln.startswith("三、工作任务(一)加强区域创新发展顶层设计。1.完善"))
    sections = find_structure(line).sections
    assert [(s.marker, s.title) for s in sections[:5]] == [
        ("三、", "工作任务"),
        ("(一)", "加强区域创新发展顶层设计"),
        ("1.", "完善区域产业发展规划"),
        ("2.", "制定科技创新发展规划"),
        ("3.", "制定科技工作年度计划"),
    ]
    levels = {s.marker: s.level for s in sections[:5]}
    assert levels == {"三、": 1, "(一)": 2, "1.": 3, "2.": 3, "3.": 3}


def test_mid_sentence_number_after_punctuation_is_split():
    text = normalized("003")
    start = text.index("(三)培育壮大创新主体。1.加快培育高新技术企业。")
    piece = text[start:text.index("3.优化企业营商环境", start) + 20]
    sections = find_structure(piece).sections
    assert [(s.marker, s.title) for s in sections] == [
        ("(三)", "培育壮大创新主体"),
        ("1.", "加快培育高新技术企业"),
        ("2.", "加快发展科技型中小企业"),
        ("3.", "优化企业营商环境"),
    ]
    two = sections[2]
    assert piece[two.span[0] - len("排头兵企业。"):two.span[0]] == "排头兵企业。"


def test_run_on_sequence_across_chapters_of_003():
    # 篇七 numbers its (一)…(十五) across 一、二、三、, and glues "(十四)" to "三、保障措施".
    sections = structure("003").sections
    i = next(i for i, s in enumerate(sections) if s.marker == "三、" and s.title == "保障措施")
    child = sections[i + 1]
    assert (child.marker, child.title, child.parent) == ("(十四)", "构建县域科技创新政策体系", sections[i].id)


@pytest.mark.parametrize("gap", ["\n", "\n\n"], ids=["lines", "blank-lines"])
def test_a_chapter_number_inside_a_subheading_is_a_word_not_a_glued_heading(gap):
    # "一、" numbers the chapters, so "合一、" inside a (N) heading is the word 合一, not its first
    # child; with blank lines between paragraphs (as web pages and Word files give) it is the same
    text = gap.join(["一、总体要求", "(一)指导思想", "坚持以人民为中心。", "二、主要任务",
                     "(二)推进多规合一、统一审批流程", "整合各类空间规划。", "(三)推行一网通办", "优化服务。"])
    sections = find_structure(text).sections
    assert [(s.marker, s.title, s.level) for s in sections] == [
        ("一、", "总体要求", 1), ("(一)", "指导思想", 2), ("二、", "主要任务", 1),
        ("(二)", "推进多规合一、统一审批流程", 2), ("(三)", "推行一网通办", 2)]


def test_numbers_in_sentences_are_not_headings():
    text = "力争全社会研发投入突破xx亿元,占GDP比重达x.x%;高新技术产业投资增长15.5%。2.5万元以上的项目给予支持。"
    assert find_structure(text).sections == []


def test_mid_line_marker_must_continue_a_sequence():
    # "…5。3.…" after "1." would skip a number; mid-line it is a number in a sentence.
    text = "1.完善规划。全年完成投资3亿元。7.5亿元用于平台建设。"
    assert [s.marker for s in find_structure(text).sections] == ["1."]


# --- spans -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_spans_index_the_normalised_text(name):
    text = normalized(name[:3])
    sections = structure(name[:3]).sections
    by_id = {s.id: s for s in sections}
    for s in sections:
        start, end = s.span
        assert 0 <= start < end <= len(text)
        assert text[start:].startswith(s.marker), s
        assert s.title in text[start:end]
        if s.parent:
            parent = by_id[s.parent]
            assert parent.span[0] <= start and end <= parent.span[1], (s, parent)
            assert s.level == parent.level + 1
        else:
            assert s.level in (0, 1)
    # siblings do not overlap and come in text order
    for a, b in zip(sections, sections[1:]):
        assert a.span[0] < b.span[0]


def test_section_at_finds_the_deepest_section():
    text = normalized("002")
    st = structure("002")
    pos = text.index("紧抓国家和省促进高新区高质量发展")
    sec = st.section_at(pos)
    assert (sec.marker, sec.title) == ("1.", "推动国家高新区高质量发展")
    assert [s.marker for s in st.ancestors(sec)] == ["1.", "(一)", "三、"]


# --- English (samples/000) -------------------------------------------------------------------


def test_english_headings_of_000():
    sections = structure("000").sections
    by_id = {s.id: s for s in sections}
    paren = next(s for s in sections if s.marker == "(1)")
    first = next(s for s in sections if s.marker == "1." and s.title.startswith("Encourage"))
    assert paren.title == "Establish a high -energy scientific and technological innovation platform"
    assert first.title.startswith("Encourage the national laboratory and key laboratories")
    assert first.parent == paren.id and first.level == paren.level + 1
    second_group = next(s for s in sections if s.marker == "(2)")
    second = next(s for s in sections if s.marker == "2." and s.title.startswith("Support the districts"))
    assert second_group.title.startswith("Promote the expansion of the incubation carrier")
    assert second.parent == second_group.id
    # the groups answer the press conference's question "2. What are the specific measures …?"
    question = by_id[paren.parent]
    assert question.marker == "2." and question.title.startswith("What are the specific measures of Rizhao City")
    # (1) … (4) are siblings; 1. … 7. sit under them
    groups = [s for s in sections if s.marker in ("(1)", "(2)", "(3)", "(4)")]
    assert len({g.parent for g in groups}) == 1
    items = [s for s in sections if s.marker in {f"{n}." for n in range(1, 8)} and s.parent in {g.id for g in groups}]
    assert [s.marker for s in items] == ["1.", "2.", "3.", "4.", "5.", "6.", "7."]
    assert [by_id[s.parent].marker for s in items] == ["(1)", "(2)", "(2)", "(2)", "(3)", "(3)", "(4)"]
    parts = [s.marker for s in sections if s.marker.startswith("The ")]
    assert parts == ["The first part", "The second part", "The third part", "The fourth part", "The fifth part"]


def test_detect_language():
    assert detect_language(normalized("000")) == "en"
    for prefix in ("001", "002", "003", "004"):
        assert detect_language(normalized(prefix)) == "zh"


@pytest.mark.parametrize("text,language", [
    ("", "zh"), ("2022。", "zh"), ("abc", "en"),
    ("科技 abc", "zh"), ("科技 abcdef", "zh"), ("科技 abcdefg", "en"),  # 3 letters per character
    ("Plan 科技 for 创新", "zh"), ("Plan 科技 for the whole city", "en"),
    ("Ééééé ｐｌａｎ 科技", "zh"),  # only ASCII letters count: É and ｐ are not [A-Za-z]
    ("科" * 20000 + "abc" * 10000, "zh"),  # only the first 20,000 characters count
])
def test_detect_language_counts_letters_against_characters(text, language):
    assert detect_language(text) == language


# --- heading rules: one data case per rule ---------------------------------------------------

HEADING_CASES = load_cases("headings")


@pytest.mark.parametrize("case", HEADING_CASES, ids=case_id)
def test_heading_case(case):
    sections = find_structure(case["input"]).sections
    assert [s.marker for s in sections] == case["expect"]
    if case["expect"]:
        pattern = rules_mod.compiled(rules().rule(case["rule"]).pattern)
        assert any(pattern.match(case["input"], s.span[0]) for s in sections), \
            f"no section of the case is found by {case['rule']}"


@pytest.mark.parametrize("text", [normalized(n[:3]) for n in SAMPLE_NAMES] + [c["input"] for c in HEADING_CASES])
def test_marker_positions_are_every_position_where_a_marker_matches(text):
    hr = rules()
    assert hr.marker_start is not None  # the built-in rules all begin with a known character
    assert hr.marker_positions(text) == [pos for pos in range(len(text)) if hr.any_marker.match(text, pos)]


@pytest.mark.parametrize("pattern", [r.pattern for r in rules().rules])
def test_every_heading_rule_has_a_first_character_class(pattern):
    """The fast marker scan needs the first characters of every marker rule."""
    assert regex_prefilter.first_char_class(pattern) is not None


def test_markers_are_found_without_a_first_character_class(tmp_path):
    """A rule whose first character is not known makes every position a candidate: same result."""
    # an optional group that can never match: same matches, but its first character is unknown
    edited_rules_file(tmp_path, "headings", r"pattern: '(The\s+", r"pattern: '(?:(?!)[^x])?(The\s+")
    assert rules(tmp_path).marker_start is None
    text = normalized("000")
    assert find_structure(text, tmp_path).sections == find_structure(text).sections


def test_every_heading_rule_has_a_case():
    assert {r.id for r in rules().rules} <= {c["rule"] for c in HEADING_CASES}


# --- helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("token,value", [("1", 1), ("12", 12), ("一", 1), ("十", 10), ("十二", 12),
                                         ("二十五", 25), ("①", 1), ("⑳", 20), ("first", 1),
                                         ("Fifth", 5), ("X", None), ("", None)])
def test_numeral_value(token, value):
    assert numeral_value(token) == value


def test_sentences_of_a_paragraph_of_002():
    text = "(一)指导思想。坚持以习近平新时代中国特色社会主义思想为指导;传承践行沂蒙精神!\nBy 2024, the number reached 800. The second part is the goal."
    got = [text[a:b] for a, b in sentences(text)]
    assert got == ["(一)指导思想。", "坚持以习近平新时代中国特色社会主义思想为指导;", "传承践行沂蒙精神!",
                   "By 2024, the number reached 800.", "The second part is the goal."]


def test_sentences_keep_a_question_mark_between_digits_and_drop_blanks():
    text = "面积扩大3?4倍。是否达标?\n  已达标。 It grew 3.5 times. Next one"
    assert [text[a:b] for a, b in sentences(text)] == [
        "面积扩大3?4倍。", "是否达标?", "已达标。", "It grew 3.5 times.", "Next one"]


def test_clauses_keep_numbers_whole():
    text = "投资300,000元,比例1:0.5;范围3?4, 其余:A;;问?"
    assert [text[a:b] for a, b in clauses(text)] == ["投资300,000元", "比例1:0.5", "范围3?4", "其余", "A", "问"]


def test_entries_listed_after_a_colon_are_an_inline_list_not_headings():
    text = "(一)建设示范村。实施项目:1、2个示范村:东村、西村;2、5个村庄整治。主要内容:改善人居环境。\n(二)整治河道。"
    kinds = [(s.marker, s.kind) for s in find_structure(text).sections]
    assert kinds == [("(一)", "heading"), ("1、", "enumeration"), ("2、", "enumeration"), ("(二)", "heading")]


def test_an_item_after_a_colon_that_continues_the_outline_stays_a_heading():
    text = "三、具体措施\n1、成立工作室。工作室主任:2、加大投入,确保落实。3、开设讲堂。"
    kinds = [(s.marker, s.kind) for s in find_structure(text).sections]
    assert kinds == [("三、", "heading"), ("1、", "heading"), ("2、", "heading"), ("3、", "heading")]
