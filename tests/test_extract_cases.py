"""Data-driven cases for the extraction rules: tests/cases/{targets,subsidies,tasks,units,indicators}.yaml.

Each case file is a YAML list of cases, one file per rules file:

    - rule: target.table_row          # the rule id the case is about (must exist in rules/)
      input: "指 标\\n2021年\\n2024年\\n…"  # text given to plancli.pipeline.extract_text
      expect:                          # records that must be produced, as partial dicts
        - {value: 1600, unit: 家, year: 2024}
      # optional:
      kind: tasks                      # record kind to look at (default: from the file name)
      focus: "共有高新技术企业46家"       # for expect: [], the substring that must yield no record
      count: 2                         # exact number of records of that kind
      note: sample 002                 # where the snippet comes from / why the case exists
      xfail: "why the extractor gets it wrong"   # a known failure (strict: a fix turns it red)

``expect: []`` means no record of the kind whose text overlaps ``focus`` (or none at all when
there is no focus). Every expected partial record must be matched by one produced record:
numbers within a small tolerance, ``indicator``/``text``/``recipient`` as substrings, lists
(``units``, ``lead``, ``support``, ``aliases``) as sets, everything else exactly. Target fields
``baseline_value``/``baseline_year`` and task fields ``lead``/``support`` are flattened from the
record. Ids look like ``targets:target.table_row:0`` so ``pytest -k target.table_row`` runs one rule.
"""
from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml

from conftest import flat_record, values_match
from plancli import rules as rules_mod
from plancli.normalize import normalize_text
from plancli.pipeline import extract_text

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "tests" / "cases"

#: case file (and rules file) name -> kind of record its cases look at by default
CASE_FILES = {"targets": "targets", "subsidies": "subsidies", "tasks": "tasks", "units": "units",
              "indicators": "targets"}
KINDS = ("targets", "subsidies", "tasks", "units")
CASE_KEYS = {"rule", "input", "expect", "kind", "focus", "count", "note", "xfail"}
#: fields a partial record may name, per kind
FIELDS = {
    "targets": {"indicator", "indicator_id", "value", "value_max", "unit", "comparator", "year",
                "baseline_value", "baseline_year", "masked", "section", "text", "rule"},
    "subsidies": {"amount", "currency", "amount_text", "cap", "ratio", "form", "once", "recipient",
                  "section", "text", "rule"},
    "tasks": {"marker", "title", "units", "lead", "support", "section", "text", "rule"},
    "units": {"name", "canonical", "aliases", "mentions", "lead", "support"},
}
SUBSTRING_FIELDS = {"indicator", "text", "recipient"}
SET_FIELDS_BY_KIND = {"tasks": {"units", "lead", "support"}, "units": {"aliases"}}


def _load(name: str) -> list[dict]:
    path = CASES_DIR / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    assert isinstance(data, list), f"{path} must hold a YAML list of cases"
    return data


def _rule_ids(name: str) -> set[str]:
    return {r.id for r in rules_mod.ruleset().get(name).rules}


def _params():
    params = []
    for name in CASE_FILES:
        counters: dict[str, int] = {}
        for case in _load(name):
            rule = case.get("rule", "?")
            n = counters.get(rule, 0)
            counters[rule] = n + 1
            marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if case.get("xfail") else []
            params.append(pytest.param(name, case, id=f"{name}:{rule}:{n}", marks=marks))
    return params


# --- running one case ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _extract(text: str):
    return extract_text(text)


def field_matches(kind: str, field: str, want, have) -> bool:
    return values_match(want, have, as_set=field in SET_FIELDS_BY_KIND.get(kind, set()),
                        as_substring=field in SUBSTRING_FIELDS)


def record_matches(kind: str, want: dict, have: dict) -> bool:
    return all(field_matches(kind, f, v, have.get(f)) for f, v in want.items())


def _show(kind: str, records: list[dict]) -> str:
    keys = {"targets": ("value", "unit", "comparator", "year", "masked", "indicator", "rule", "text"),
            "subsidies": ("amount", "ratio", "cap", "form", "once", "rule", "text"),
            "tasks": ("title", "units", "lead", "support"),
            "units": ("name", "canonical")}[kind]
    return "\n".join("  " + repr({k: r.get(k) for k in keys}) for r in records) or "  (none)"


def _overlaps(kind: str, rec: dict, focus_spans: list[tuple[int, int]], focus: str) -> bool:
    if kind == "units":
        return rec["name"] in focus or focus in rec["name"]
    s, e = rec["span"]
    return any(s < fe and fs < e for fs, fe in focus_spans)


def _focus_spans(normalized: str, focus: str) -> list[tuple[int, int]]:
    spans, i = [], normalized.find(focus)
    while i >= 0:
        spans.append((i, i + len(focus)))
        i = normalized.find(focus, i + 1)
    return spans


@pytest.mark.parametrize("name,case", _params())
def test_case(name, case):
    assert set(case) <= CASE_KEYS, f"unknown keys {set(case) - CASE_KEYS}"
    kind = case.get("kind", CASE_FILES[name])
    assert kind in KINDS, kind
    doc = _extract(case["input"])
    records = [flat_record(kind, r) for r in getattr(doc, kind)]
    expect = case["expect"]
    if "count" in case:
        assert len(records) == case["count"], f"expected {case['count']} {kind}, got:\n{_show(kind, records)}"
    if expect == []:
        focus = case.get("focus")
        if focus is None:
            assert records == [], f"expected no {kind}, got:\n{_show(kind, records)}"
            return
        normalized = normalize_text(case["input"]).text
        spans = _focus_spans(normalized, focus)
        assert spans or kind == "units", f"focus {focus!r} is not in the normalised input"
        hits = [r for r in records if _overlaps(kind, r, spans, focus)]
        assert hits == [], f"expected no {kind} at {focus!r}, got:\n{_show(kind, hits)}"
        return
    for want in expect:
        assert set(want) <= FIELDS[kind], f"unknown {kind} fields {set(want) - FIELDS[kind]}"
        assert any(record_matches(kind, want, r) for r in records), \
            f"no {kind} record matches {want}; produced:\n{_show(kind, records)}"


# --- the case files themselves ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASE_FILES))
def test_cases_name_rules_of_their_own_file(name):
    """A case in tests/cases/targets.yaml is about a rule of rules/targets.yaml, and so on.
    (That every rule of every registered rules file has a case is tests/test_rules.py's check.)"""
    unknown = {c.get("rule") for c in _load(name)} - _rule_ids(name)
    assert unknown == set(), f"tests/cases/{name}.yaml names rules not in rules/{name}.yaml: {unknown}"


def test_exclusions_have_a_negative_case():
    """Every exclusion rule (not_*) shows at least one input that yields nothing there."""
    for name in CASE_FILES:
        cases = _load(name)
        for rid in sorted(i for i in _rule_ids(name) if ".not_" in i):
            assert any(c["rule"] == rid and (c["expect"] == [] or "count" in c) for c in cases), \
                f"{rid} has no negative case"
