"""Targets: the quantitative goals a plan commits to.

A plan's body looks forward by default; what it says about the past lives in background sections
(试点基础, 发展现状) and in clauses marked as past (已, 截至, 目前). So a quantity is taken as a target
when it stands in a goals section or in a forward-looking clause, and is dropped when its section
or clause is about the past, when it measures time (三年, 5年内), when it is a denominator
(每10万人口) or a count summarising an enumeration (等10项), or when it is money granted to
recipients (a subsidy). Flattened tables are read row by row (see ``tables``). The year comes from
the clause ("到2024年", "十四五末", "by 2024"), else from the section's title or an earlier
sentence of the same section. All cues are patterns in ``rules/targets.yaml``.
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Literal

from plancli import rules as rules_mod
from plancli.extract import indicators, tables
from plancli.models import Baseline, Target
from plancli.segment import clauses

Kind = Literal["goal_section", "forward_clause", "table_row", "serial_table", "exclude",
               "exclude_before", "exclude_after", "exclude_money", "exclude_quantity",
               "exclude_sentence", "exclude_part"]


class TargetRule(rules_mod.Rule):
    kind: Kind
    pattern: rules_mod.Pattern | None = None


class TargetRules(rules_mod.RuleFile):
    rules: list[TargetRule]
    goal_sections: rules_mod.Pattern
    background_sections: rules_mod.Pattern
    time_units: rules_mod.Pattern
    year_cues: list[rules_mod.Pattern]
    #: Text without a match for this cheap pattern cannot hold a year cue.
    year_hint: rules_mod.Pattern = r"\d{4}|十[一二三四五]五"
    #: Sentences without a match hold no quantity that the exclusion rules would let through.
    quantity_hint: rules_mod.Pattern = r"[0-9xX]"
    five_year_plans: dict[str, int]
    baseline_cue: rules_mod.Pattern
    indicator_lead: rules_mod.Pattern
    indicator_trail: rules_mod.Pattern
    unitless_before: rules_mod.Pattern
    unitless_after: rules_mod.Pattern
    increase_before: rules_mod.Pattern
    annual: rules_mod.Pattern

    def of_kind(self, kind: str) -> list[TargetRule]:
        return [r for r in self.rules if r.kind == kind]

    @functools.cached_property
    def year_finder(self) -> tuple[re.Pattern[str], list[tuple[re.Pattern[str], list[str]]]]:
        """The year hint and each year cue compiled, with its year/plan group names in order."""
        cues = []
        for cue in self.year_cues:
            pattern = rules_mod.compiled(cue)
            names = [k for k, _ in sorted(pattern.groupindex.items(), key=lambda kv: kv[1])
                     if k.startswith(("year", "plan"))]
            cues.append((pattern, names))
        return rules_mod.compiled(self.year_hint), cues


def rules(rs: "rules_mod.RuleSet | None" = None) -> TargetRules:
    """The targets rules of ``rs`` (default: the built-in set)."""
    return rules_mod.ruleset(rs).get("targets")  # type: ignore[return-value]


def year_in(text: str, tr: TargetRules) -> int | None:
    """The target year a piece of text names, if any."""
    hint, cues = tr.year_finder
    if not hint.search(text):  # most sentences name no year
        return None
    best: tuple[int, int] | None = None
    for pattern, names in cues:
        for m in pattern.finditer(text):
            year = None
            for key in names:  # in the order of the groups: a later group decides
                value = m.group(key)
                if value:
                    year = int(value) if key.startswith("year") else tr.five_year_plans.get(value)
            if year and (best is None or m.start() < best[0]):
                best = (m.start(), year)
    return best[1] if best else None


#: Headings nearer than this decide whether a section holds goals (real outlines are shallow).
MAX_TITLES = 12

#: An indicator is a short noun phrase: only this many characters next to the number are
#: cleaned (which also keeps the trailing-filler pattern linear on long runs of filler).
INDICATOR_WINDOW = 120


def _clean_indicator(raw: str, tr: TargetRules, before_number: bool = True) -> str | None:
    s = raw.strip()
    if len(s) > INDICATOR_WINDOW:
        s = s[-INDICATOR_WINDOW:] if before_number else s[:INDICATOR_WINDOW]
        if before_number and s[:1].isascii() and s[:1].isalnum():
            s = re.sub(r"^\S*\s*", "", s)  # no half word at the cut
    s = rules_mod.compiled(tr.indicator_trail).sub("", s)
    s = rules_mod.compiled(tr.indicator_lead).sub("", s)
    s = s.strip(" ,,、;;:“”\"'()")
    return s or None


class _Section:
    """What the extractor needs to know about the section a sentence is in."""

    def __init__(self, titles: list[str], tr: TargetRules, labels: dict[str, tuple[bool, bool]]):
        # ``labels`` memoises (goal title?, background title?) per title: sections share ancestors
        for t in titles:
            if t not in labels:
                labels[t] = (bool(rules_mod.compiled(tr.goal_sections).search(t)),
                             bool(rules_mod.compiled(tr.background_sections).search(t)))
        goal = [i for i, t in enumerate(titles) if labels[t][0]]
        background = [i for i, t in enumerate(titles) if labels[t][1]]
        self.is_goal = bool(goal)
        # titles run from the innermost section outwards: the nearer label decides
        self.is_background = bool(background) and (not goal or background[0] < goal[0])
        self.year = year_in(" / ".join(titles), tr)


class _Cues:
    """The rules' patterns, compiled once per rules file."""

    def __init__(self, tr: TargetRules):
        def kind(k: str) -> re.Pattern[str] | None:
            """The rules of one kind as one combined pattern (None: no rule of that kind)."""
            return rules_mod.any_of(tuple(r.pattern for r in tr.of_kind(k) if r.pattern))

        self.forward, self.past, self.past_sentence = kind("forward_clause"), kind("exclude"), kind("exclude_sentence")
        self.report_part, self.before, self.after = kind("exclude_part"), kind("exclude_before"), kind("exclude_after")
        self.money_grant, self.not_quantity = kind("exclude_money"), kind("exclude_quantity")
        self.forward_id = next((r.id for r in tr.of_kind("forward_clause")), "target.forward_clause")
        self.goal_id = next((r.id for r in tr.of_kind("goal_section")), "target.goal_section")
        c = rules_mod.compiled
        self.unitless_before, self.unitless_after = c(tr.unitless_before), c(tr.unitless_after)
        self.time_unit, self.baseline, self.increase = c(tr.time_units), c(tr.baseline_cue), c(tr.increase_before)
        self.annual = c(tr.annual)
        self.quantity_hint = c(tr.quantity_hint)


def extract(ctx) -> list[Target]:
    tr = rules(ctx.rules)
    found, covered = _table_targets(ctx, tr)
    found += _sentence_targets(ctx, tr, _Cues(tr), covered)
    catalogue = indicators.catalogue(ctx.rules)
    found.sort(key=lambda t: t.span[0])
    for i, t in enumerate(found, 1):
        t.id = f"t{i}"
        t.indicator_id = catalogue.match(t.indicator)
    return found


def _table_targets(ctx, tr: TargetRules) -> tuple[list[Target], list[tuple[int, int]]]:
    """Targets of flattened tables, and the spans the tables cover (not read again as prose)."""
    text, found, covered = ctx.text, [], []
    for table, rule in _tables(text, tr):
        covered.append(table.span)
        caption_year = year_in(text[max(0, table.span[0] - 200):table.span[0]], tr)
        for v in table.values:
            base = Baseline(value=v.baseline_value, year=v.baseline_year) if v.baseline_value is not None else None
            found.append(Target(
                id="", indicator=v.indicator, value=v.value, unit=v.unit, comparator=v.comparator,
                year=v.year or caption_year, baseline=base, section=_section_id(ctx, v.span[0]),
                text=text[v.span[0]:v.span[1]], span=v.span, rule=rule.id))
    return found, covered


@dataclass
class _Where:
    """What the rules need to know about the clause and sentence a quantity stands in (worked
    out once per clause: a clause may hold hundreds of numbers)."""

    clause: str
    span: tuple[int, int]
    section: str | None
    in_goal: bool
    is_forward: bool
    language: str
    sentence_year: int | None
    year: int | None
    clause_year: int | None
    annual: bool
    granted_sentence: bool  # the sentence names a grant: its money is a subsidy
    granted_clause: bool  # the clause names a grant: its percentage is a share of cost


class _Spans:
    """Whether a position lies in any of some [start, end) spans: a binary search over their
    union (testing every span for every sentence was quadratic on a long page of tables)."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.starts: list[int] = []
        self.ends: list[int] = []
        for a, b in sorted(spans):
            if self.starts and a <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], b)
            elif a < b:
                self.starts.append(a)
                self.ends.append(b)

    def __call__(self, pos: int) -> bool:
        i = bisect.bisect_right(self.starts, pos) - 1
        return i >= 0 and pos < self.ends[i]


def _sentence_targets(ctx, tr: TargetRules, cues: _Cues, covered: list[tuple[int, int]]) -> list[Target]:
    """Targets stated in prose: sentence by sentence, clause by clause, quantity by quantity."""
    text, found = ctx.text, []
    section_info: dict[str | None, _Section] = {}
    title_labels: dict[str, tuple[bool, bool]] = {}
    last_year: dict[str | None, int] = {}
    in_report = _Spans(_report_parts(ctx, cues.report_part))
    in_table = _Spans(covered)
    # On a page of several articles, what precedes the first one is the site's header.
    body_start = ctx.structure.parts[0].span[0] if ctx.structure.parts else 0
    for s, e in ctx.sentences:
        if s < body_start or in_table(s):
            continue
        sec = ctx.structure.section_at(s)
        key = sec.id if sec else None
        if key not in section_info:
            titles = [x.title for x in ctx.structure.ancestors(sec)[:MAX_TITLES] if x.kind == "heading"]
            section_info[key] = _Section(titles, tr, title_labels)
        info = section_info[key]
        if info.is_background or in_report(s):
            continue
        sentence = text[s:e]
        sentence_year = year_in(sentence, tr)
        if sentence_year:  # "到2024年,…" dates the goals of the sentences after it
            last_year[key] = sentence_year
        if not cues.quantity_hint.search(sentence):
            continue
        if not sentence_year and rules_mod.found(cues.past_sentence, sentence):
            continue
        quantities = ctx.quantities(s, e)
        if not quantities:
            continue
        is_forward = rules_mod.found(cues.forward, sentence)
        granted_sentence = rules_mod.found(cues.money_grant, sentence)
        starts = [s + q.span[0] for q in quantities]
        for cs, ce in clauses(text, s, e):
            mine = quantities[bisect.bisect_left(starts, cs):bisect.bisect_left(starts, ce)]
            clause = text[cs:ce]
            if not mine or rules_mod.found(cues.past, clause):
                continue
            whole = (cs, ce) == (s, e)  # a one-clause sentence: what holds for it holds here
            where = _Where(clause, (cs, ce), key, info.is_goal, is_forward, ctx.language, sentence_year,
                           sentence_year or info.year or last_year.get(key),
                           sentence_year if whole else year_in(clause, tr),
                           bool(cues.annual.search(clause)), granted_sentence,
                           granted_sentence if whole else rules_mod.found(cues.money_grant, clause))
            for q in mine:
                qs, qe = s + q.span[0] - cs, s + q.span[1] - cs  # the quantity within the clause
                # the words that decide are next to the number: a window keeps long clauses linear
                head, tail = clause[max(0, qs - INDICATOR_WINDOW):qs], clause[qe:qe + INDICATOR_WINDOW]
                if _is_goal_quantity(q, head, tail, where, cues):
                    found.append(_target(q, head, tail, where, tr, cues))
    return found


def _is_goal_quantity(q, head: str, tail: str, where: _Where, cues: _Cues) -> bool:
    """Whether a quantity states a goal (every exclusion rule in rules/targets.yaml says no)."""
    if q.kind == "ratio" or (rules_mod.found(cues.not_quantity, q.text) and not q.masked):
        return False
    # in Chinese plans 以上/不低于/左右 mark a goal; English "more than" also describes the present
    bounded = where.language == "zh" and q.comparator in (">=", "<=", "~")
    if not (where.in_goal or where.is_forward or bounded):
        return False
    if rules_mod.found(cues.before, head) or rules_mod.found(cues.after, tail):
        return False
    if q.unit and cues.time_unit.match(q.unit):
        return False
    if (q.kind == "money" and where.granted_sentence) or (q.kind == "percent" and where.granted_clause):
        return False
    lead = head + re.match(r"\D*", q.text).group()  # comparator words are in q.text
    return (_acceptable_unit(q, where.language, where.in_goal) or bool(cues.unitless_before.search(lead))
            or bool(cues.unitless_after.search(tail)))


def _target(q, head: str, tail: str, where: _Where, tr: TargetRules, cues: _Cues) -> Target:
    base = None
    bm = cues.baseline.search(tail) or cues.baseline.search(head)
    if bm:
        base_year = int(bm.group("year")) if bm.group("year") else tr.five_year_plans.get(bm.group("plan"))
        base = Baseline(value=None, year=base_year)
    comparator = q.comparator or "="
    if comparator in ("=", ">=") and cues.increase.search(head):
        comparator = "+"
    # an annual goal takes only a year its own sentence names, not one from context
    year = where.clause_year or (where.sentence_year if where.annual else where.year)
    indicator = _clean_indicator(head, tr) or _clean_indicator(tail, tr, before_number=False)
    return Target(id="", indicator=indicator, value=q.value, value_max=q.value_max, unit=q.unit,
                  comparator=comparator, year=year, baseline=base, masked=q.masked,
                  section=where.section, text=where.clause, span=where.span,
                  rule=cues.goal_id if where.in_goal else cues.forward_id)


def _acceptable_unit(q, language: str, in_goal: bool) -> bool:
    """A goal needs a unit; English counts in a goals section often have none ("reached 800")."""
    if q.masked or q.unit or q.kind in ("percent", "money"):
        return True
    return language == "en" and in_goal


def _report_parts(ctx, pattern: re.Pattern[str] | None) -> list[tuple[int, int]]:
    """Spans of parts (or the whole page) whose genre is not a plan, e.g. journal-article records."""
    if pattern is None:
        return []
    parts = ctx.structure.parts or []
    spans = [p.span for p in parts] or [(0, len(ctx.text))]
    return [(a, b) for a, b in spans if pattern.search(ctx.text, a, b)]


def _section_id(ctx, pos: int) -> str | None:
    sec = ctx.structure.section_at(pos)
    return sec.id if sec else None


def _tables(text: str, tr: TargetRules):
    all_cells = tables.cells(text)  # split into cells once for every table rule
    for rule in tr.of_kind("table_row"):
        for t in tables.indicator_tables(all_cells, rules_mod.compiled(rule.pattern)):
            yield t, rule
    for rule in tr.of_kind("serial_table"):
        for t in tables.serial_tables(all_cells, rules_mod.compiled(rule.pattern)):
            yield t, rule
