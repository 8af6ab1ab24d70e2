"""Responsible units: who is named as responsible for a task or indicator, and their canonical names.

Plans name units in a few fixed ways, each a rule in ``rules/units.yaml``: a labelled list
("(责任单位:A、B,C管委会)"), lead/support markers inside it ("A牵头,B、C配合"), a responsibility
column in a flattened attachment table, duty sentences in a 分工 section ("市科技局负责…"), and
English "led by …". Lists abbreviate: "市发改委、科技局配合" means 市科技局, so an item that is a
bare department name gets the list's administrative prefix back. Names are kept as written (that
is what a reader searches for) and also mapped to a canonical name through the gazetteer, with
rapidfuzz catching small variants the gazetteer does not list.
"""
from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from plancli import regex_prefilter
from plancli import rules as rules_mod
from plancli.models import Unit


class Body(rules_mod.Strict):
    canonical: str
    aliases: list[str] = []
    en: list[str] = []


class UnitRule(rules_mod.Rule):
    kind: Literal["label", "lead", "support", "lead_sentence", "english", "english_sentence", "table_header",
                  "duty"]
    pattern: rules_mod.Pattern
    section_title: rules_mod.Pattern | None = None
    #: A literal the text must contain for the pattern to be tried: a cheap prefilter.
    requires: str | None = None


class UnitRules(rules_mod.RuleFile):
    rules: list[UnitRule]
    prefixes: list[str]
    suffix_pattern: rules_mod.Pattern
    restore_prefix_pattern: rules_mod.Pattern
    separators: rules_mod.Pattern
    not_units: rules_mod.Pattern
    bodies: list[Body]

    def dictionary_words(self) -> list[str]:
        """Prefixed names for jieba's user dictionary (市发展改革委 stays one word)."""
        cores = {b.canonical for b in self.bodies} | {a for b in self.bodies for a in b.aliases}
        return [p + c for c in cores for p in ("市", "县", "区", "省", "")]

    def of_kind(self, kind: str) -> list[UnitRule]:
        return self._by_kind.get(kind, [])

    @functools.cached_property
    def _by_kind(self) -> dict[str, list[UnitRule]]:
        """Rules by kind, in file order: grouped once, not per task or list parsed."""
        out: dict[str, list[UnitRule]] = defaultdict(list)
        for r in self.rules:
            out[r.kind].append(r)
        return dict(out)

    @functools.cached_property
    def gazetteer(self) -> "Gazetteer":
        return Gazetteer(self)

    @functools.cached_property
    def prefixes_longest_first(self) -> list[str]:
        return sorted(self.prefixes, key=len, reverse=True)


def rules(rs: "rules_mod.RuleSet | None" = None) -> UnitRules:
    """The units rules of ``rs`` (default: the built-in set)."""
    return rules_mod.ruleset(rs).get("units")  # type: ignore[return-value]


# --- canonical names ------------------------------------------------------------------------


class Gazetteer:
    """Maps a unit name as written to its canonical name (prefix kept, core name canonicalised)."""

    def __init__(self, ur: UnitRules):
        self.prefixes = sorted(ur.prefixes, key=len, reverse=True)
        self.core: dict[str, str] = {}
        self.english: dict[str, str] = {}
        for body in ur.bodies:
            for name in [body.canonical, *body.aliases]:
                self.core[name] = body.canonical
            for name in body.en:
                self.english[name.lower()] = body.canonical

    def split_prefix(self, name: str) -> tuple[str, str]:
        for p in self.prefixes:
            if name.startswith(p) and len(name) > len(p) + 1:
                return p, name[len(p):]
        return "", name

    @functools.lru_cache(maxsize=4096)
    def canonical(self, name: str) -> str:
        name = name.strip()
        if name.isascii():
            low = re.sub(r"^(the\s+)?municipal\s+", "", name.lower())
            for en, canon in self.english.items():
                if low == en.lower():
                    return "市" + (("委" + canon) if canon in ("组织部", "宣传部") else canon)
            return name
        name = name.replace("管理委员会", "管委会")
        prefix, core = self.split_prefix(name)
        if core in self.core:
            return prefix + self.core[core]
        from rapidfuzz import fuzz, process

        hit = process.extractOne(core, list(self.core), scorer=fuzz.ratio, score_cutoff=88)
        if hit:
            return prefix + self.core[hit[0]]
        return name


def gazetteer(rs=None) -> Gazetteer:
    """The gazetteer of ``rs`` (default: the built-in rules), built once per rules file."""
    return rules(rs).gazetteer


# --- parsing lists of units -------------------------------------------------------------------


@dataclass
class Responsibility:
    units: list[str]
    lead: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)
    span: tuple[int, int] = (0, 0)
    rule: str = ""


_LEADING_WORD = re.compile(r"^(由|以|请|各)")
_TRAILING_ETC = re.compile(r"(等|等单位|等部门)$")
#: Role words inside a list ("A牵头,B配合") and the punctuation between its clauses.
_ROLE_WORDS = re.compile(r"(负责牵头|为牵头单位|牵头|配合|协助|参与|协同)")
_LIST_CLAUSE = re.compile(r"[,,;;]")
_DIGIT = re.compile(r"\d")


def _clean_item(item: str) -> str:
    item = _LEADING_WORD.sub("", item.strip(" \t\n()::.。"))
    return _TRAILING_ETC.sub("", item).strip()


def split_units(text: str, ur: UnitRules) -> list[str]:
    """Split a written list into unit names, restoring an abbreviated list's prefix."""
    not_unit = rules_mod.compiled(ur.not_units)
    items = [_clean_item(x) for x in rules_mod.compiled(ur.separators).split(text)]
    items = [x for x in items if 2 <= len(x) <= 30 and not not_unit.match(x)]
    prefix = next((p for x in items for p in ur.prefixes_longest_first
                   if x.startswith(p) and len(x) > len(p) + 1), "")
    restore = rules_mod.compiled(ur.restore_prefix_pattern)
    prefixes = tuple(ur.prefixes)
    out = []
    for x in items:
        if prefix and restore.match(x) and not x.startswith(prefixes):
            x = prefix + x
        if x not in out:
            out.append(x)
    return out


def parse_list(text: str, ur: UnitRules, label: str | None = None) -> Responsibility:
    """Units of one list, with lead/support roles where the list marks them."""
    lead_rules, support_rules = ur.of_kind("lead"), ur.of_kind("support")
    units = split_units(_ROLE_WORDS.sub("、", text), ur)
    lead: list[str] = []
    support: list[str] = []
    for clause in _LIST_CLAUSE.split(text):
        lead_hits = [m for m in (_search(r, clause) for r in lead_rules) if m]
        for m in lead_hits:
            lead += split_units(m.group("list"), ur)
        if lead_hits:  # a clause that names a lead is not a list of supporters
            continue
        for rule in support_rules:
            m = _search(rule, clause)
            if m:
                support += split_units(m.group("list"), ur)
    # restore prefixes exactly as in the full list
    lead = [next((u for u in units if u.endswith(x)), x) for x in lead]
    support = [next((u for u in units if u.endswith(x)), x) for x in support]
    if label and "牵头" in label and units and not lead:
        lead = units[:1]
    if label and any(w in label for w in ("配合", "协办", "参与")):
        support = units[:]
    return Responsibility(units=units, lead=lead, support=support)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


#: Labelled lists say who is responsible wherever they stand; an unlabelled "由A牵头" sentence
#: only inside a task (elsewhere it is often who runs a procedure).
LABELLED = ("label", "english")
ALL_KINDS = ("lead_sentence", "label", "english")


def find_responsibilities(text: str, start: int, end: int, ur: UnitRules,
                          kinds: tuple[str, ...] = ALL_KINDS) -> list[Responsibility]:
    """Responsibility lists inside text[start:end]: labelled lists, 由A牵头 sentences, "led by"."""
    found: list[Responsibility] = []
    looks_like_unit = rules_mod.compiled(ur.suffix_pattern)
    for rule in [r for r in ur.rules if r.kind in kinds and r.kind in LABELLED]:
        for m in _finditer(rule, text, start, end):
            body = m.group("list")
            if rule.kind == "english":
                names = english_units(body, ur)
                r = Responsibility(units=names, lead=names[:1] if "led by" in m.group().lower() else [])
            else:
                r = parse_list(body, ur, m.groupdict().get("label"))
            if r.units:
                r.span, r.rule = (m.start(), m.end()), rule.id
                found.append(r)
    for rule in ur.of_kind("lead_sentence") if "lead_sentence" in kinds else []:
        for m in _finditer(rule, text, start, end):
            lead = split_units(m.group("list"), ur)
            # one list, so "市发改委牵头,科技局配合" restores 市 on the supporting unit too
            everyone = split_units(f"{m.group('list')}、{m.group('support') or ''}", ur)
            support = [u for u in everyone if u not in lead]
            # prose also says 牵头 ("以企业为牵头"): every name must look like a unit
            if not lead or not all(looks_like_unit.search(u) for u in everyone):
                continue
            if not any(_overlap((m.start(), m.end()), r.span) for r in found):  # a labelled list has it
                found.append(Responsibility(units=everyone, lead=lead, support=support,
                                            span=(m.start(), m.end()), rule=rule.id))
    return found


def _search(rule: UnitRule, text: str) -> re.Match[str] | None:
    """The rule's first match in ``text``; not tried where its ``requires`` literal is absent."""
    if rule.requires and rule.requires not in text:
        return None
    return rules_mod.compiled(rule.pattern).search(text)


def _finditer(rule: UnitRule, text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """The rule's matches in text[start:end], as ``finditer`` finds them.

    With ``requires``, nothing is tried where the literal is absent; when every match holds the
    literal a bounded distance in, the search starts just before each occurrence (a pattern that
    opens with a lazy list is otherwise tried at every position of the text)."""
    pat = rules_mod.compiled(rule.pattern)
    literal = rule.requires
    if not literal:
        yield from pat.finditer(text, start, end)
        return
    reach = regex_prefilter.reach_before(rule.pattern, literal)
    if reach is None:
        if text.find(literal, start, end) >= 0:
            yield from pat.finditer(text, start, end)
        return
    pos = start
    while (at := text.find(literal, pos, end)) >= 0:
        # a match from pos holds an occurrence at or after ``at``, so it starts at >= at - reach
        m = pat.search(text, max(pos, at - reach), end)
        if m is None:
            return
        yield m
        pos = m.end()


#: The word every English unit name (``_EN_UNIT``) holds: sentences without it name none.
_EN_UNIT_WORD = "Municipal"
_EN_UNIT = re.compile(r"\b(?:the\s+)?(Municipal\s+(?:[A-Z][a-z]+|and|of)(?:\s+(?:[A-Z][a-z]+|and|of))*\s+"
                      r"(?:Commission|Bureau|Department|Council|Office|Committee|Administration))\b")


def english_units(text: str, ur: UnitRules) -> list[str]:
    out = []
    for m in _EN_UNIT.finditer(text):
        name = m.group(1)
        if name not in out:
            out.append(name)
    return out


# --- document-level units ---------------------------------------------------------------------


def _table_units(text: str, ur: UnitRules) -> list[tuple[str, str]]:
    """Units in the responsibility column of flattened tables (one cell per line)."""
    out: list[tuple[str, str]] = []
    headers = ur.of_kind("table_header")
    looks_like_unit = rules_mod.compiled(ur.suffix_pattern)
    lines = [ln.strip() for ln in text.split("\n")] if headers else []
    for rule in headers:
        pat = rules_mod.compiled(rule.pattern)
        header_at = [i for i, ln in enumerate(lines) if pat.match(ln)]
        for h in header_at:
            for ln in lines[h + 1: h + 1500]:
                if not ln or len(ln) > 200:
                    continue
                if pat.match(ln):
                    break
                if _DIGIT.search(ln):  # figures: not a cell that lists units
                    continue
                names = split_units(ln, ur)
                if names and all(looks_like_unit.search(n) for n in names):
                    out += [(n, rule.id) for n in names]
    return out


def _duty_units(ctx, ur: UnitRules) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    from plancli.segment import sentences

    looks_like_unit = rules_mod.compiled(ur.suffix_pattern)
    for rule in ur.of_kind("duty"):
        title = rules_mod.compiled(rule.section_title or ".")
        pat = rules_mod.compiled(rule.pattern)
        for sec in ctx.structure.sections:
            if not title.search(sec.title):
                continue
            for s, e in sentences(ctx.text, *sec.span):
                m = pat.match(ctx.text[s:e])
                if m and looks_like_unit.search(m.group("list")):
                    out += [(n, rule.id) for n in split_units(m.group("list"), ur)]
    return out


def _english_sentence_units(ctx, ur: UnitRules, counted: list[tuple[int, int]]) -> list[tuple[str, str]]:
    """Units named in English responsibility sentences that no "led by" list already counted."""
    out: list[tuple[str, str]] = []
    for rule in ur.of_kind("english_sentence"):
        pat = rules_mod.compiled(rule.pattern)
        for s, e in ctx.sentences:
            sent = ctx.text[s:e]
            if _EN_UNIT_WORD not in sent or any(_overlap((s, e), span) for span in counted):
                continue  # names no unit, or a "led by" list already counted it
            if pat.search(sent):
                out += [(n, rule.id) for n in english_units(sent, ur)]
    return out


def document_units(ctx, tasks) -> list[Unit]:
    """Every distinct responsible unit of the document, grouped by canonical name."""
    ur = rules(ctx.rules)
    gaz = ur.gazetteer
    forms: dict[str, Counter] = defaultdict(Counter)
    lead: Counter = Counter()
    support: Counter = Counter()
    found = {r.span: r for r in find_responsibilities(ctx.text, 0, len(ctx.text), ur, LABELLED)}
    for task in tasks:
        for r in find_responsibilities(ctx.text, *task.span, ur, ("lead_sentence",)):
            if not any(_overlap(r.span, span) for span in found):
                found[r.span] = r
    for r in found.values():
        for name in r.units:
            forms[gaz.canonical(name)][name] += 1
        for name in r.lead:
            lead[gaz.canonical(name)] += 1
        for name in r.support:
            support[gaz.canonical(name)] += 1
    extra = _table_units(ctx.text, ur) + _duty_units(ctx, ur)
    if ctx.language == "en":
        extra += _english_sentence_units(ctx, ur, list(found))
    for name, _rule in extra:
        forms[gaz.canonical(name)][name] += 1
    units = []
    for canon, counter in forms.items():
        name = counter.most_common(1)[0][0]
        units.append(Unit(name=name, canonical=canon, aliases=sorted(n for n in counter if n != name),
                          mentions=sum(counter.values()), lead=lead[canon], support=support[canon]))
    units.sort(key=lambda u: (-u.mentions, u.name))
    return units
