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

import bisect
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
    #: A body of the State Council or a national organisation: written without an administrative
    #: prefix (工业和信息化部, 市场监管总局), so no list prefix is given to it or taken from it.
    national: bool = False


class UnitRule(rules_mod.Rule):
    kind: Literal["label", "duty_list", "bracket", "lead", "support", "lead_sentence", "english", "english_sentence",
                  "table_header", "duty", "first_is_lead", "shared"]
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
    #: Collective names that hold a list separator ("各区、县(市)政府"): never split.
    unsplit: rules_mod.Pattern = r"(?!)"
    #: A clause of a duty list ("区规划局负责…", "B配合"): the unit before its role word.
    duty_clause: rules_mod.Pattern = r"(?!)"
    #: A name holding one of these is a phrase, not a unit's name ("由…部门", "地址:…").
    not_unit_words: rules_mod.Pattern = r"由|的|把|被|[::]"
    #: A bracket whose text matches this is not a list of units ("(简称市科技局)", "(含)").
    bracket_not_list: rules_mod.Pattern = r"简称|以下称|即|含|包括|例如|如|见|详见|\d"
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
        self.national: set[str] = set()
        for body in ur.bodies:
            for name in [body.canonical, *body.aliases]:
                self.core[name] = body.canonical
                if body.national:
                    self.national.add(name)
            for name in body.en:
                self.english[name.lower()] = body.canonical

    def split_prefix(self, name: str) -> tuple[str, str]:
        """("市", "科技局") for 市科技局; ("", name) for a name with no administrative prefix,
        including a national body that merely starts like one (市场监管总局)."""
        if name in self.national or name in self.core:  # 市场监管局 is a body, not 市 + 场监管局
            return "", name
        for p in self.prefixes:
            if name.startswith(p) and len(name) > len(p) + 1:
                return p, name[len(p):]
        return "", name

    def is_national(self, name: str) -> bool:
        return name in self.national

    def known(self, name: str) -> bool:
        """Whether the gazetteer lists the name (or its core after the prefix)."""
        return name in self.core or self.split_prefix(name)[1] in self.core

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
    #: Whether the list marks roles itself (牵头/配合 words or a 牵头单位/配合单位 label); lists that
    #: do not take roles from a document convention such as "列第一位者为牵头单位".
    marked: bool = False


_LEADING_WORD = re.compile(r"^(由|以|请)")
_TRAILING_ETC = re.compile(r"(等有关部门和单位|等有关单位|等有关部门|等相关部门|等单位|等部门|等)$")
#: Role words inside a list ("A牵头,B配合", "A指导,B负责") and the punctuation between its clauses.
_ROLE_WORDS = re.compile(r"(按职责分工负责|分工负责|负责牵头|为牵头单位|牵头负责|牵头|配合|协助|参与|协同|"
                         r"负责落实|共同负责|负责|指导|落实)(?=$|[,,;;、。)\s])")
_LIST_CLAUSE = re.compile(r"[,,;;。]")
_DIGIT = re.compile(r"\d")
#: "…按职责分工负责": supporters of the lead named in the same list (no roles when there is none).
_BY_DUTY = re.compile(r"(?P<list>[^,,;;。]+?)(?:等有关部门和单位|等有关部门|等有关单位|等)?(?:按职责分工负责|分工负责)")


#: Stands for a list separator inside a fixed name while a list is split.
_KEEP = "\ue000"
#: "(或业主单位)", "(含…)": a remark on the name before it, not part of the name.
_REMARK = re.compile(r"\((?:或|含|即|下称|以下简称)[^()]*\)")


def _share_suffixes(items: list[str], looks_like_unit: re.Pattern[str]) -> list[str]:
    """"金井、澳前片区开发管理局": a bare name before a unit of the same kind shares its ending
    (金井片区开发管理局): names of the same length stand in the same place of the phrase."""
    out = list(items)
    for i in range(len(out) - 2, -1, -1):
        x, nxt = out[i], out[i + 1]
        if (1 <= len(x) <= 4 and not looks_like_unit.search(x) and looks_like_unit.search(nxt)
                and len(nxt) > len(x) + 1 and re.fullmatch(r"[\u4e00-\u9fff]+", x)):
            out[i] = x + nxt[len(x):]
    return out


#: "区国资集团有限公司(区森林园林公司)": a second name for the same body, in brackets after it.
_ALIAS = re.compile(r"(?<=[\u4e00-\u9fff])\([^()]{2,20}(?:公司|集团|局|委|办|中心|院|所)\)?$")


def _clean_item(item: str) -> str:
    item = _ALIAS.sub("", _REMARK.sub("", item.strip()))
    item = _LEADING_WORD.sub("", item.strip(" \t\n()::.。"))
    return _TRAILING_ETC.sub("", item).strip()


def split_units(text: str, ur: UnitRules) -> list[str]:
    """Split a written list into unit names, restoring an abbreviated list's prefix.

    Lists abbreviate after the first prefixed item ("省发展改革委、科技厅" means 省科技厅), so its
    administrative prefix is given back to later bare department names; a name that is itself a
    known national body ("市场监管总局") has no prefix to give or take."""
    not_unit = rules_mod.compiled(ur.not_units)
    not_name = rules_mod.compiled(ur.not_unit_words)
    # fixed collective names hold the list separator ("各区、县(市)政府"): keep them whole
    text = rules_mod.compiled(ur.unsplit).sub(lambda m: m.group().replace("、", _KEEP), text)
    items = [_clean_item(x).replace(_KEEP, "、") for x in rules_mod.compiled(ur.separators).split(text)]
    items = _share_suffixes(items, rules_mod.compiled(ur.suffix_pattern))
    items = [x for x in items if 2 <= len(x) <= 30 and not not_unit.match(x) and not not_name.search(x)]
    gaz = ur.gazetteer
    prefix = next((p for p in (gaz.split_prefix(x)[0] for x in items) if p), "")
    restore = rules_mod.compiled(ur.restore_prefix_pattern)
    out = []
    for x in items:
        if prefix and restore.match(x) and not gaz.split_prefix(x)[0] and not gaz.is_national(x):
            x = prefix + x
        if x not in out:
            out.append(x)
    return out


def parse_list(text: str, ur: UnitRules, label: str | None = None) -> Responsibility:
    """Units of one list, with lead/support roles where the list marks them."""
    lead_rules, support_rules = ur.of_kind("lead"), ur.of_kind("support")
    text = _without_conventions(text, ur)
    units = split_units(_ROLE_WORDS.sub("、", text), ur)
    lead: list[str] = []
    support: list[str] = []
    by_duty: list[str] = []
    for clause in _LIST_CLAUSE.split(text):
        lead_hits = [m for m in (_search(r, clause) for r in lead_rules) if m]
        for m in lead_hits:
            lead += split_units(m.group("list"), ur)
        if lead_hits:  # a clause that names a lead is not a list of supporters
            continue
        duty = _BY_DUTY.search(clause)
        if duty:
            by_duty += split_units(_ROLE_WORDS.sub("、", duty.group("list")), ur)
            continue
        for rule in support_rules:
            m = _search(rule, clause)
            if m:
                support += split_units(m.group("list"), ur)
    marked = bool(lead or support)
    if lead:  # "A牵头,B、C按职责分工负责": B and C support A
        support += [u for u in by_duty if u not in support]
    # restore prefixes exactly as in the full list
    lead = [next((u for u in units if u.endswith(x)), x) for x in lead]
    support = [next((u for u in units if u.endswith(x)), x) for x in support]
    if label and "牵头" in label and units and not lead:
        lead, marked = units[:1], True
    if label and any(w in label for w in ("配合", "协办", "参与", "协同")):
        support, marked = units[:], True
    return Responsibility(units=units, lead=lead, support=[u for u in support if u not in lead], marked=marked)


_LEAD_ROLE = re.compile(r"牵头")
_SUPPORT_ROLE = re.compile(r"配合|协助|参与|协同")


def parse_duties(text: str, ur: UnitRules) -> Responsibility:
    """A duty list ("责任分工:区规划局负责开展规划编制,所在乡镇人民政府组织实施,区直有关部门配合"):
    each clause names a unit and what it does; 牵头 makes it the lead, 配合/协助/参与 a supporter,
    other duties (负责, 组织实施, 指导) name it without a role."""
    clause_pat = rules_mod.compiled(ur.duty_clause)
    looks_like_unit = rules_mod.compiled(ur.suffix_pattern)
    units: list[str] = []
    lead: list[str] = []
    support: list[str] = []
    for clause in _LIST_CLAUSE.split(_without_conventions(text, ur)):
        m = clause_pat.match(clause.strip())
        if not m:
            continue
        names = [n for n in split_units(m.group("list"), ur) if looks_like_unit.search(n) or ur.gazetteer.known(n)]
        units += [n for n in names if n not in units]
        role = m.group("role")
        if _LEAD_ROLE.search(role):
            lead += [n for n in names if n not in lead]
        elif _SUPPORT_ROLE.search(role):
            support += [n for n in names if n not in support]
    return Responsibility(units=units, lead=lead, support=[u for u in support if u not in lead],
                          marked=bool(lead or support))


def _without_conventions(text: str, ur: UnitRules) -> str:
    """A list with its document conventions cut out ("列第一位者为牵头单位,下同", "以下均需…落实,
    不再列出"): they are read by :func:`conventions`, and their words are no unit names."""
    for kind in ("first_is_lead", "shared"):
        for rule in ur.of_kind(kind):
            text = rules_mod.compiled(rule.pattern).sub("。", text)
    return text


class _Spans:
    """Disjoint spans taken so far, to ask in log time whether a new one overlaps any of them."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.starts, start)
        return (i > 0 and self.ends[i - 1] > start) or (i < len(self.starts) and self.starts[i] < end)

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


#: Labelled lists and bracketed lists say who is responsible wherever they stand; an unlabelled
#: "由A牵头" sentence only inside a task (elsewhere it is often who runs a procedure).
LABELLED = ("label", "duty_list", "bracket", "english")
ALL_KINDS = ("lead_sentence", "label", "duty_list", "bracket", "english")


def find_responsibilities(text: str, start: int, end: int, ur: UnitRules,
                          kinds: tuple[str, ...] = ALL_KINDS) -> list[Responsibility]:
    """Responsibility lists inside text[start:end]: labelled lists, bracketed lists of units,
    由A牵头 sentences, "led by"."""
    found: list[Responsibility] = []
    taken = _Spans()
    looks_like_unit = rules_mod.compiled(ur.suffix_pattern)
    for rule in [r for r in ur.rules if r.kind in kinds and r.kind in LABELLED]:
        for m in _finditer(rule, text, start, end):
            if taken.overlaps(m.start(), m.end()):
                continue  # a labelled list inside brackets: read once
            body = m.group("list")
            if rule.kind == "english":
                names = english_units(body, ur)
                r = Responsibility(units=names, lead=names[:1] if "led by" in m.group().lower() else [],
                                   marked="led by" in m.group().lower())
            elif rule.kind == "bracket":
                r = _bracketed(body, text, m, ur)
            elif rule.kind == "duty_list":
                r = parse_duties(body, ur)
            else:
                r = parse_list(body, ur, m.groupdict().get("label"))
            if r is not None and r.units:
                r.span, r.rule = (m.start(), m.end()), rule.id
                found.append(r)
                taken.add(m.start(), m.end())
    for rule in ur.of_kind("lead_sentence") if "lead_sentence" in kinds else []:
        for m in _finditer(rule, text, start, end):
            lead = split_units(m.group("list"), ur)
            # one list, so "市发改委牵头,科技局配合" restores 市 on the supporting unit too
            everyone = split_units(f"{m.group('list')}、{m.group('support') or ''}", ur)
            support = [u for u in everyone if u not in lead]
            # prose also says 牵头 ("以企业为牵头"): every name must look like a unit
            if not lead or not all(looks_like_unit.search(u) for u in everyone):
                continue
            if not taken.overlaps(m.start(), m.end()):  # a labelled list has it
                found.append(Responsibility(units=everyone, lead=lead, support=support,
                                            span=(m.start(), m.end()), rule=rule.id, marked=True))
    text_end = len(text.rstrip())
    cut_off = text_end and text[text_end - 1] not in "。;;))〕】]"
    for r in found:
        if cut_off and r.span[1] >= text_end and r.units and not (
                looks_like_unit.search(r.units[-1]) or ur.gazetteer.known(r.units[-1])):
            r.units = r.units[:-1]  # a list the page cuts off inside its last name ("省发展改革")
            r.lead = [u for u in r.lead if u in r.units]
            r.support = [u for u in r.support if u in r.units]
    found = [r for r in found if r.units]
    found.sort(key=lambda r: r.span)
    return found


def _bracketed(body: str, text: str, m: re.Match[str], ur: UnitRules) -> Responsibility | None:
    """A bracketed list is a responsibility list when every name in it is a unit: "(省科技厅、
    发展改革委)", "(A牵头,B、C参与)", "(A、B等负责。列第一位者为牵头单位,下同)". Without a role
    word it must close its sentence or item (a bracket inside prose is usually something else)."""
    cleaned = _without_conventions(body, ur)
    if not rules_mod.compiled(ur.bracket_not_list).search(cleaned) is None:
        return None
    has_role = _ROLE_WORDS.search(cleaned) is not None
    conventional = cleaned != body
    names = split_units(_ROLE_WORDS.sub("、", cleaned), ur)
    looks_like_unit = rules_mod.compiled(ur.suffix_pattern)
    if not names or not all(looks_like_unit.search(n) or ur.gazetteer.known(n) for n in names):
        return None
    # without a role word, a list must close its sentence or item; a single name must also
    # stand apart from the word before it ("海州区(高新区)" qualifies a name, it assigns nothing)
    if not (has_role or conventional or (_closes_sentence(text, m) and (len(names) > 1 or _after_stop(text, m)))):
        return None
    return parse_list(body, ur)


def _after_stop(text: str, m: re.Match[str]) -> bool:
    """Whether the bracket follows the end of a sentence (a bracket on a line of its own after
    a cell such as "海州区" qualifies that cell)."""
    before = text[max(0, m.start() - 200):m.start()].rstrip()
    return not before or before[-1] in "。;;.!?"


def _closes_sentence(text: str, m: re.Match[str]) -> bool:
    """Whether the bracket stands at the end of a sentence or item: after sentence punctuation,
    or before one, a line break or the end of the text."""
    before = text[m.start() - 1] if m.start() else "\n"
    after = text[m.end():m.end() + 2].lstrip(" ")
    return before in "。;;.!?\n" or not after or after[0] in "。;;.\n"


@dataclass
class Conventions:
    """What a document says once about all its responsibility lists, and where it says it."""

    #: Positions from which "the first unit of each list leads" holds ("列第一位者为牵头单位,下同").
    first_is_lead_from: int | None = None
    #: (position, units): from there on every task also has these units ("以下均需X落实,不再列出").
    shared: list[tuple[int, list[str]]] = field(default_factory=list)

    def shared_at(self, pos: int) -> list[str]:
        out: list[str] = []
        for at, names in self.shared:
            if at < pos:
                out += [n for n in names if n not in out]
        return out

    def roles(self, r: Responsibility, pos: int) -> tuple[list[str], list[str]]:
        """Lead and support of a list, with the first-is-lead convention applied where it holds."""
        if r.marked or self.first_is_lead_from is None or pos < self.first_is_lead_from or not r.units:
            return r.lead, r.support
        return r.units[:1], [u for u in r.units[1:] if u not in r.units[:1]]


def conventions(text: str, ur: UnitRules) -> Conventions:
    """The document-level conventions of ``text`` (rules of kind first_is_lead and shared)."""
    conv = Conventions()
    for rule in ur.of_kind("first_is_lead"):
        m = rules_mod.compiled(rule.pattern).search(text)
        if m:
            # the list that states it is governed by it too: it holds from that list's start
            opening = max(text.rfind(c, 0, m.start()) for c in "((〔【[\n")
            at = opening if opening >= 0 else m.start()
            conv.first_is_lead_from = at if conv.first_is_lead_from is None else min(conv.first_is_lead_from, at)
    for rule in ur.of_kind("shared"):
        for m in rules_mod.compiled(rule.pattern).finditer(text):
            names = split_units(m.group("list"), ur)
            if names:
                conv.shared.append((m.start(), names))
    return conv


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
            if _EN_UNIT_WORD not in sent or any(overlaps((s, e), span) for span in counted):
                continue  # names no unit, or a "led by" list already counted it
            if pat.search(sent):
                out += [(n, rule.id) for n in english_units(sent, ur)]
    return out


def document_units(ctx, tasks) -> list[Unit]:
    """Every distinct responsible unit of the document, grouped by canonical name.

    Lists in safeguard chapters (保障措施: who organises, funds, supervises) and in reviews of the
    past name no unit responsible for a task or indicator, so they are left out."""
    ur = rules(ctx.rules)
    gaz = ur.gazetteer
    conv = conventions(ctx.text, ur)
    forms: dict[str, Counter] = defaultdict(Counter)
    lead: Counter = Counter()
    support: Counter = Counter()
    found = {r.span: r for r in find_responsibilities(ctx.text, 0, len(ctx.text), ur, LABELLED)
             if ctx.role_at(r.span[0]) not in ("back", "background")}
    for task in tasks:
        for r in find_responsibilities(ctx.text, *task.span, ur, ("lead_sentence",)):
            if not any(overlaps(r.span, span) for span in found):
                found[r.span] = r
    for r in found.values():
        r_lead, r_support = conv.roles(r, r.span[0])
        for name in r.units:
            forms[gaz.canonical(name)][name] += 1
        for name in r_lead:
            lead[gaz.canonical(name)] += 1
        for name in r_support:
            support[gaz.canonical(name)] += 1
    extra = _table_units(ctx.text, ur) + _duty_units(ctx, ur)
    extra += [(name, "unit.shared_by_all") for at, names in conv.shared
              if ctx.role_at(at) not in ("back", "background") for name in names]
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
