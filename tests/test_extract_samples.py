"""Whole documents: the samples in samples/ through plancli.pipeline.extract.

* Expected records (tests/cases/expected/<sample stem>.yaml, written by reading the normalised
  text against ../shared/eval/GUIDELINE.md): every expected record must be produced (its
  ``anchor`` contained in the record's ``text``, the given fields equal; units by name), and the
  extractor may add at most ~10% records of a kind that match no anchor. One test per expected
  record (ids like ``002:targets:3``), so a known miss is a single strict xfail.
* Properties of every record of every sample: ``normalized[span] == text``, ``rule`` is a rule id
  of the record's own rules file, ``section`` names a section of the document, ids are unique, and
  the document round-trips through ``plancli.models.Document``.

Extraction runs once per sample (cached), so the module stays well under 20 s.
"""
from __future__ import annotations

import functools
import math
from pathlib import Path

import pytest
import yaml

from conftest import flat_record, values_match
from plancli import rules as rules_mod
from plancli.models import Document
from plancli.pipeline import extract_prepared, prepare

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.txt"))
EXPECTED_DIR = ROOT / "tests" / "cases" / "expected"
EXPECTED = sorted(EXPECTED_DIR.glob("*.yaml"))
RECORD_KINDS = {"targets": "targets", "subsidies": "subsidies", "tasks": "tasks"}  # kind -> rules file
KINDS = ("targets", "subsidies", "tasks", "units")
EXTRA_SHARE = 0.10

FIELDS = {
    "targets": {"indicator", "indicator_id", "value", "value_max", "unit", "comparator", "year",
                "baseline_value", "baseline_year", "masked", "rule"},
    "subsidies": {"amount", "currency", "amount_text", "cap", "ratio", "form", "once", "recipient", "rule"},
    "tasks": {"marker", "title", "units", "lead", "support", "rule"},
}
SET_FIELDS = {"units", "lead", "support"}


@functools.lru_cache(maxsize=None)
def run(name: str) -> tuple[Document, str]:
    """The extracted document and the normalised text its spans point into."""
    prep = prepare(ROOT / "samples" / name)
    return extract_prepared(prep), prep.normalized.text


def _sample_ids(paths):
    return [p.name[:3] for p in paths]


# --- expected records -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _expected(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["doc"] == path.stem + ".txt", f"{path.name}: doc must name its sample"
    return data


def _same(field: str, want, have) -> bool:
    return values_match(want, have, as_set=field in SET_FIELDS, as_substring=field == "indicator")


def _unit_names(doc: Document) -> set[str]:
    return {n for u in doc.units for n in (u.name, *u.aliases)}


def _expected_params():
    params = []
    for path in EXPECTED:
        data = _expected(path)
        for kind in KINDS:
            for i, rec in enumerate(data.get(kind) or []):
                reason = rec.get("xfail") if isinstance(rec, dict) else None
                marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
                params.append(pytest.param(path, kind, rec, id=f"{path.name[:3]}:{kind}:{i}", marks=marks))
    return params


@pytest.mark.parametrize("path,kind,want", _expected_params())
def test_expected_record(path, kind, want):
    doc, _text = run(_expected(path)["doc"])
    if kind == "units":
        assert want in _unit_names(doc), f"unit {want!r} not among {sorted(_unit_names(doc))}"
        return
    want = {k: v for k, v in want.items() if k != "xfail"}
    anchor = want.pop("anchor")
    assert set(want) <= FIELDS[kind], f"unknown fields {set(want) - FIELDS[kind]}"
    records = [flat_record(kind, r) for r in getattr(doc, kind)]
    at_anchor = [r for r in records if anchor in r["text"]]
    assert at_anchor, f"no {kind} record whose text contains {anchor!r}"
    assert any(all(_same(f, v, r.get(f)) for f, v in want.items()) for r in at_anchor), \
        f"{kind} at {anchor!r} differ: want {want}, got " + \
        repr([{f: r.get(f) for f in want} for r in at_anchor])


@pytest.mark.parametrize("path", EXPECTED, ids=_sample_ids(EXPECTED))
@pytest.mark.parametrize("kind", KINDS)
def test_no_more_than_a_few_extra_records(path, kind):
    data = _expected(path)
    want = data.get(kind) or []
    doc, _text = run(data["doc"])
    if kind == "units":
        extra = sorted(u.name for u in doc.units if not ({u.name, *u.aliases} & set(want)))
    else:
        anchors = [w["anchor"] for w in want]
        extra = [r.text for r in getattr(doc, kind) if not any(a in r.text for a in anchors)]
    allowed = math.ceil(EXTRA_SHARE * len(want))
    assert len(extra) <= allowed, f"{len(extra)} {kind} beyond the {len(want)} expected (allowed {allowed}): {extra}"


@pytest.mark.parametrize("path", EXPECTED, ids=_sample_ids(EXPECTED))
def test_expected_file_is_well_formed(path):
    """Anchors are substrings of the normalised text; every kind is listed; units are unique names."""
    data = _expected(path)
    assert set(data) <= {"doc", "notes", *KINDS}, set(data)
    assert all(kind in data for kind in KINDS), "list every kind (use [] for none)"
    _doc, text = run(data["doc"])
    for kind in RECORD_KINDS:
        for rec in data[kind]:
            assert rec["anchor"] in text, f"{kind} anchor {rec['anchor']!r} is not in the normalised text"
    assert len(set(data["units"])) == len(data["units"])
    for name in data["units"]:
        assert name in text, f"unit {name!r} is not in the normalised text"


# --- properties of every sample -------------------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=_sample_ids(SAMPLES))
def test_spans_point_at_text(path):
    doc, text = run(path.name)
    for kind in RECORD_KINDS:
        for r in getattr(doc, kind):
            s, e = r.span
            assert 0 <= s < e <= len(text), (kind, r.id, r.span)
            assert text[s:e] == r.text, f"{kind} {r.id}: normalized[{s}:{e}] != text"


@pytest.mark.parametrize("path", SAMPLES, ids=_sample_ids(SAMPLES))
def test_rules_are_real_rule_ids(path):
    doc, _text = run(path.name)
    for kind, rules_file in RECORD_KINDS.items():
        ids = {r.id for r in rules_mod.ruleset().get(rules_file).rules}
        for r in getattr(doc, kind):
            assert r.rule in ids, f"{kind} {r.id}: rule {r.rule!r} is not in rules/{rules_file}.yaml"


@pytest.mark.parametrize("path", SAMPLES, ids=_sample_ids(SAMPLES))
def test_sections_exist(path):
    doc, text = run(path.name)
    ids = [s.id for s in doc.sections]
    assert len(set(ids)) == len(ids), "duplicate section ids"
    for s in doc.sections:
        assert s.parent is None or s.parent in ids, f"section {s.id}: parent {s.parent} missing"
        assert 0 <= s.span[0] < s.span[1] <= len(text), (s.id, s.span)
        assert s.title in text[s.span[0]:s.span[1]], f"section {s.id}: title not inside its span"
    for kind in RECORD_KINDS:
        for r in getattr(doc, kind):
            assert r.section is None or r.section in ids, f"{kind} {r.id}: section {r.section} missing"
            if r.section:
                sec = doc.sections[ids.index(r.section)]
                assert sec.span[0] <= r.span[0] < sec.span[1], f"{kind} {r.id} starts outside {sec.id}"


@pytest.mark.parametrize("path", SAMPLES, ids=_sample_ids(SAMPLES))
def test_document_validates(path):
    doc, _text = run(path.name)
    again = Document.model_validate_json(doc.model_dump_json())
    assert again.model_dump() == doc.model_dump()
    for kind in RECORD_KINDS:
        rec_ids = [r.id for r in getattr(doc, kind)]
        assert len(set(rec_ids)) == len(rec_ids), f"duplicate {kind} ids"
    names = [u.name for u in doc.units]
    assert len(set(names)) == len(names), "duplicate unit names"
