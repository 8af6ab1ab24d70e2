"""Metadata: gold metadata of every sample, one data case per rule, dates and plan periods."""
from __future__ import annotations

import functools

import pytest

from conftest import SAMPLE_NAMES, case_id, gold, load_cases, normalized, prepared
from plancli.extract.metadata import extract_metadata, find_fields, iso_date, plan_period, rules
from plancli.pipeline import extract_prepared

FIELDS = ["title", "issuer", "doc_number", "issued_date", "published_date", "period_start", "period_end"]


@functools.lru_cache(maxsize=1)
def pinyin_step_ready() -> bool:
    """Does normalisation remove pinyin annotations (業(yè) → 业) yet?"""
    from plancli.normalize import normalize_text

    return normalize_text("連雲港市重大產(chǎn)業(yè)創(chuàng)新平臺(tái)建設(shè)實(shí)施方案").text == "连云港市重大产业创新平台建设实施方案"


def _gold_params():
    params = []
    for name in SAMPLE_NAMES:
        marks = []
        if name.startswith("004"):
            marks.append(pytest.mark.xfail(
                condition=not pinyin_step_ready(), strict=False,
                reason="samples/004 carries pinyin annotations (關(guān)於) until the pinyin step lands"))
        params.append(pytest.param(name, marks=marks, id=name[:3]))
    return params


@pytest.mark.parametrize("name", _gold_params())
def test_metadata_matches_gold(shared_dir, name):
    expected = gold(name)["metadata"]
    got = extract_prepared(prepared(name[:3])).metadata.model_dump()
    wrong = {k: (got[k], v) for k, v in expected.items() if v is not None and got[k] != v}
    assert not wrong, f"(found, gold): {wrong}"


@pytest.mark.parametrize("name", _gold_params())
def test_no_metadata_where_gold_has_none(shared_dir, name):
    # Fields the text does not state stay null (nothing is invented).
    expected = gold(name)["metadata"]
    got = extract_prepared(prepared(name[:3])).metadata.model_dump()
    invented = {k: got[k] for k, v in expected.items() if v is None and got[k] is not None}
    assert not invented


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_language_and_script_match_gold(shared_dir, name):
    g = gold(name)
    doc = extract_prepared(prepared(name[:3]))
    assert doc.source.language == g["language"]
    assert doc.source.script == g.get("script")


# --- one data case per rule ------------------------------------------------------------------

METADATA_CASES = load_cases("metadata")


@pytest.mark.parametrize("case", METADATA_CASES, ids=case_id)
def test_metadata_case(case):
    found = find_fields(case["input"], rules())
    meta = extract_metadata(case["input"]).model_dump()
    for field, value in case["expect"].items():
        assert meta[field] == value, field
        if field in found:
            assert found[field] == (value, case["rule"])
        elif field == "title" and "notice_title" in found:
            # a notice that publishes no plan is its own document: its title is the title
            assert found["notice_title"] == (value, case["rule"])
        else:
            assert field.startswith("period_"), f"{field} was not found by a rule"
    assert any(found.get(f, (None, None))[1] == case["rule"] for f in (*case["expect"], "notice_title"))


def test_every_metadata_rule_has_a_case():
    assert {r.id for r in rules().rules} <= {c["rule"] for c in METADATA_CASES}


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text,iso", [
    ("2022-10-20", "2022-10-20"),
    ("2022年10月20日", "2022-10-20"),
    ("2022.06.23", "2022-06-23"),
    ("二〇二一年四月十二日", "2021-04-12"),
    ("二〇二二年十月二十日", "2022-10-20"),
    ("二零二一年十二月三十一日", "2021-12-31"),
    ("2021年4月12日", "2021-04-12"),
    ("2022/6/9", "2022-06-09"),
    ("时间:2019-05-19 01:55:07", "2019-05-19"),
    ("Time:2022.06.23", "2022-06-23"),
    ("2022 年 10 月 20 日", "2022-10-20"),
])
def test_iso_date(text, iso):
    assert iso_date(text) == iso


@pytest.mark.parametrize("text", ["2022-13-01", "2022年2月40日", "20XX年5月1日", "201*年", "1117/30.7", "3.1%", ""])
def test_iso_date_rejects_non_dates(text):
    assert iso_date(text) is None


# --- plan periods ----------------------------------------------------------------------------


def test_period_from_title():
    assert plan_period("临沂市建设国家创新型城市三年行动计划(2022-2024年)", "", rules()) == (2022, 2024)
    assert plan_period("Three -year Action Plan (2022-2024)", "", rules()) == (2022, 2024)


def test_period_from_the_one_five_year_plan_named():
    text = "二、工作目标\n全力推进全市重大产业创新平台建设。到“十四五”末,全市新建重大产业创新平台达80个。"
    assert plan_period("连云港市重大产业创新平台建设实施方案", text, rules()) == (2021, 2025)


def test_no_period_when_several_five_year_plans_are_named():
    # samples/001 reviews "十一五" and plans for "十二五": which is its own period is not stated.
    text = "“十一五”期间,西宁市共组织实施各类科技计划项目。力争“十二五”末,全市培育高新技术企业。"
    assert plan_period("创新型城市实施方案", text, rules()) == (None, None)


def test_no_period_from_a_comparison_baseline():
    # samples/003 compares with 十二五 ("比十二五末增长x倍"): a baseline, not its time frame.
    text = "累计科技型中企业有效家数达xxxx家,比十二五末增长x倍。"
    assert plan_period(None, text, rules()) == (None, None)
    assert plan_period(None, "高新技术企业数比“十一五”末提高30%。", rules()) == (None, None)
    assert extract_metadata(normalized("003")).period_start is None


# --- how far down rules look -----------------------------------------------------------------


def _signature_at(line_no: int) -> str:
    """A text whose issuer signature is non-empty line ``line_no``, its date line two lines on."""
    body = [f"第{i}段正文。" for i in range(1, line_no)]
    return "\n\n".join(body + ["临沂市人民政府办公室", "(此件公开发布)", "2022年10月20日", "后文。"])


def test_signature_on_the_last_line_a_rule_reads_still_sees_the_date_two_lines_on():
    head = rules().rule("metadata.issuer_signature").head_lines
    assert find_fields(_signature_at(head), rules())["issuer"] == ("临沂市人民政府办公室", "metadata.issuer_signature")
    assert "issuer" not in find_fields(_signature_at(head + 1), rules())


# --- titles, labels and document kinds ---------------------------------------------------------


def test_a_plan_quoted_inside_a_notice_title_gets_its_own_quotes_back():
    meta = extract_metadata("关于印发《某市贯彻落实〈某省稳经济若干措施〉实施方案》的通知\n各区县人民政府:")
    assert meta.title == "某市贯彻落实《某省稳经济若干措施》实施方案"
    assert meta.notice_title == "关于印发《某市贯彻落实〈某省稳经济若干措施〉实施方案》的通知"


def test_the_plans_own_title_line_is_preferred_to_its_mention_in_the_notice():
    text = "县政府关于印发2024年重点工作 分解方案的通知\n各乡镇:\n现将方案印发给你们。\n\n县政府2024年重点工作分解方案\n一、稳增长"
    assert extract_metadata(text).title == "县政府2024年重点工作分解方案"


def test_a_quoted_title_wrapped_onto_the_next_line_is_joined():
    text = "某省人民政府办公厅\n关于印发《某省推进新型\n\n工业化三年行动方案(2024—2026年)》的通知\n各市人民政府:"
    meta = extract_metadata(text)
    assert meta.title == "某省推进新型工业化三年行动方案(2024—2026年)"
    assert (meta.period_start, meta.period_end) == (2024, 2026)


def test_a_portal_field_label_with_its_value_in_the_next_cell():
    text = "索 引 号:\n\n0001/2020-01\n\n发文机关:\n\n某省人民政府\n\n成文日期:\n\n2020年03月05日\n\n标 题:\n\n某省人民政府关于促进消费的意见"
    meta = extract_metadata(text)
    assert (meta.issuer, meta.issued_date, meta.title) == ("某省人民政府", "2020-03-05", "某省人民政府关于促进消费的意见")


def test_joint_issuers_signing_line_by_line_give_the_first():
    text = "各有关单位:\n现将办法印发给你们。\n某市科学技术局\n某市财政局\n某市税务局\n2024年2月1日"
    assert extract_metadata(text).issuer == "某市科学技术局"


@pytest.mark.parametrize("title,kind", [
    ("某市推进制造业高质量发展三年行动计划(2024—2026年)", "plan"),
    ("某省关于加快发展养老服务业的实施意见(征求意见稿)", "plan"),
    ("某县2024年政府工作报告重点工作责任分工方案", "division"),
    ("某区支持科技企业发展若干政策措施(2024年版)", "measures"),
    ("某市中小企业发展专项资金管理办法", "measures"),
    ("某省2023年国民经济和社会发展统计公报", "bulletin"),
    ("关于调整城乡居民医保缴费标准的通知", "notice"),
    ("Action Plan for Green Development of Some City", "plan"),
    ("Several Measures to Support Private Enterprises", "measures"),
])
def test_document_kind_from_the_ending_of_the_title(title, kind):
    from plancli.extract.metadata import document_kind
    from plancli.models import Metadata

    assert document_kind(Metadata(title=title), "") == kind


def test_document_kind_from_a_preamble_when_there_is_no_title():
    from plancli.extract.metadata import document_kind
    from plancli.models import Metadata

    assert document_kind(Metadata(), "为推动乡村振兴,结合我县实际,特制定本实施方案。\n一、总体要求") == "plan"
    assert document_kind(Metadata(), "为支持企业发展,现制定以下政策举措。") == "measures"
    assert document_kind(Metadata(), "一、总体要求\n二、主要任务") is None
