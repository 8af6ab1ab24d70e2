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

Kind = Literal["goal_section", "forward_clause", "table_row", "table_caption", "serial_table", "exclude",
               "exclude_before", "exclude_after", "exclude_money", "exclude_money_before", "exclude_quantity",
               "exclude_sentence", "exclude_part", "exclude_condition"]


class TargetRule(rules_mod.Rule):
    kind: Kind
    pattern: rules_mod.Pattern | None = None
    #: exclude_condition: what must follow the quantity in its clause for ``pattern`` (before it) to count.
    after: rules_mod.Pattern | None = None


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
    #: Units of a frequency ("每5年修订1次"): with 每 in the clause, a rule, not a goal.
    frequency_units: rules_mod.Pattern = r"^(次|轮|遍|times?)$"
    #: Document kinds (Document.kind) whose figures are past results: no targets at all.
    no_target_kinds: list[str] = ["bulletin"]
    #: Kinds whose quantities are mostly conditions and grants (measures, notices): a sentence
    #: states a goal only with a strong forward cue of its own or of its paragraph.
    strict_kinds: list[str] = ["measures", "notice", "opinions", "report"]
    #: Strong forward cues: a target year or a commitment word.
    strong_forward: rules_mod.Pattern = r"(?!)"
    #: A sentence reporting results (for telling reports of the past from plans).
    looks_back: rules_mod.Pattern = r"(?!)"
    #: Words that only a forward-looking sentence holds ("将", "力争", "到2025年").
    forward_word: rules_mod.Pattern = r"(?!)"
    #: Words that make a year the document's own year ("全年新增…", "今年").
    this_year: rules_mod.Pattern = r"(?!)"
    #: Nouns of "how many" ("总数"): the indicator is what the clause before named, with this noun.
    generic_indicators: rules_mod.Pattern = r"(?!)"
    #: Verbs that may stand alone before a count ("建设50所…"): the indicator is the noun after it.
    verb_only: rules_mod.Pattern = r"(?!)"

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
        self.money_before = kind("exclude_money_before")
        self.conditions = [(rules_mod.compiled(r.pattern), rules_mod.compiled(r.after))
                           for r in tr.of_kind("exclude_condition") if r.pattern and r.after]
        self.forward_id = next((r.id for r in tr.of_kind("forward_clause")), "target.forward_clause")
        self.goal_id = next((r.id for r in tr.of_kind("goal_section")), "target.goal_section")
        c = rules_mod.compiled
        self.unitless_before, self.unitless_after = c(tr.unitless_before), c(tr.unitless_after)
        self.time_unit, self.baseline, self.increase = c(tr.time_units), c(tr.baseline_cue), c(tr.increase_before)
        self.annual = c(tr.annual)
        self.quantity_hint = c(tr.quantity_hint)
        self.frequency = c(tr.frequency_units)
        self.looks_back = c(tr.looks_back)
        self.sign = re.compile(r"[≥≤><≧≦]\s*$")
        self.forward_word = c(tr.forward_word)
        self.strong = c(tr.strong_forward)
        self.this_year = c(tr.this_year)
        self.verb_only = c(tr.verb_only)
        self.generic = c(tr.generic_indicators)


def extract(ctx) -> list[Target]:
    tr = rules(ctx.rules)
    if ctx.kind in tr.no_target_kinds:
        return []  # a statistical bulletin reports the past: its figures are no goals
    found, covered = _table_targets(ctx, tr)
    found += _sentence_targets(ctx, tr, _Cues(tr), covered)
    catalogue = indicators.catalogue(ctx.rules)
    found.sort(key=lambda t: t.span[0])
    for i, t in enumerate(found, 1):
        t.id = f"t{i}"
        t.indicator_id = _catalogue_id(catalogue, t)
    return found


#: Words that an increase or decrease by (comparator + / -) adds to what is measured.
_CHANGE_WORDS = {"+": ("增长", "提高"), "-": ("下降", "降低")}


def _catalogue_id(catalogue, t: Target) -> str | None:
    """The catalogue id of a target's indicator; "地区生产总值" growing by 6% (comparator +) is
    the growth indicator, so the change word is tried first."""
    if t.indicator:
        for word in _CHANGE_WORDS.get(t.comparator or "", ()):
            found = catalogue.match(t.indicator + word)
            if found:
                return found
    return catalogue.match(t.indicator)


def _table_targets(ctx, tr: TargetRules) -> tuple[list[Target], list[tuple[int, int]]]:
    """Targets of flattened tables, and the spans the tables cover (not read again as prose)."""
    text, found, covered = ctx.text, [], []
    for table, rule in _tables(ctx, tr):
        covered.append(table.span)
        before = text[max(0, table.span[0] - 200):table.span[0]]
        # the caption line right above dates the table ("“十四五”时期主要指标") before any year
        # the paragraph above it names
        caption_year = year_in(before.rstrip().rsplit("\n", 1)[-1], tr) or year_in(before, tr)
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
    strict: bool = False  # a measures/notice document: only strongly forward sentences hold goals
    strong: bool = False  # the sentence (or its paragraph before it) has a strong forward cue
    plan_year: int | None = None  # the plan's own last year, for goals that name none
    own_year: int | None = None  # the document's year, for 全年/今年 goals
    signs_describe: bool = False  # outside plans a "≥" before a number states a specification
    this_year: bool = False  # the clause says 全年/今年: its goals are for the document's year


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
    strict = ctx.kind in tr.strict_kinds
    plan_years, own_year = _plan_years(ctx)
    part_starts = [p.span[0] for p in ctx.structure.parts]
    strong_line = -1  # the line whose text so far has a strong forward cue
    marker_starts = {x.span[0] for x in ctx.structure.sections}
    from plancli.extract.outline import PLAN_KINDS

    signs_describe = ctx.kind not in PLAN_KINDS  # "≥38公斤/千瓦" in a list of products
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
        in_work = sec is not None and ctx.roles.get(sec.id, ("other", False))[0] == "work"
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
        line = text.count("\n", 0, s) if strict else 0
        if strict and cues.strong.search(sentence):
            strong_line = line  # "全年新增…。保障…左右。": the cue carries through its paragraph
        # a report of past work states goals only in its plan sections (二、2025年工作计划)
        strong = strict and strong_line == line and ctx.kind != "report"
        starts = [s + q.span[0] for q in quantities]
        previous_indicator = None  # of the sentence's last goal ("新增…34家,总数达到51家")
        for cs, ce in clauses(text, s, e):
            mine = quantities[bisect.bisect_left(starts, cs):bisect.bisect_left(starts, ce)]
            clause = text[cs:ce]
            if not mine or rules_mod.found(cues.past, clause):
                continue
            whole = (cs, ce) == (s, e)  # a one-clause sentence: what holds for it holds here
            where = _Where(clause, (cs, ce), key, info.is_goal or in_work, is_forward, ctx.language, sentence_year,
                           sentence_year or info.year or last_year.get(key),
                           sentence_year if whole else year_in(clause, tr),
                           bool(cues.annual.search(clause)), granted_sentence,
                           granted_sentence if whole else rules_mod.found(cues.money_grant, clause),
                           strict, strong, _plan_year_at(ctx, plan_years, part_starts, s), own_year,
                           signs_describe, bool(cues.this_year.search(clause)))
            parallel = _parallel_indicators(clause, [(s + q.span[0] - cs) for q in mine], tr)
            previous_end = 0
            for i, q in enumerate(mine):
                if s + q.span[0] in marker_starts:
                    continue  # the number of a heading ("1大力发展…"), not a quantity
                qs, qe = s + q.span[0] - cs, s + q.span[1] - cs  # the quantity within the clause
                # the words that decide are next to the number: a window keeps long clauses linear
                head, tail = clause[max(0, qs - INDICATOR_WINDOW):qs], clause[qe:qe + INDICATOR_WINDOW]
                if _is_goal_quantity(q, head, tail, where, cues):
                    indicator = parallel[i] if parallel else _indicator(
                        head, tail, clause[previous_end:qs], tr, cues)
                    if indicator and cues.generic.match(indicator) and previous_indicator:
                        indicator = re.sub(r"^(新增|净增|累计)", "", previous_indicator) + indicator
                    found.append(_target(q, head, tail, where, tr, cues, indicator))
                    previous_indicator = indicator
                previous_end = qe
    return found


def _is_goal_quantity(q, head: str, tail: str, where: _Where, cues: _Cues) -> bool:
    """Whether a quantity states a goal (every exclusion rule in rules/targets.yaml says no)."""
    if q.kind == "ratio" or (rules_mod.found(cues.not_quantity, q.text) and not q.masked):
        return False
    # in Chinese plans 以上/不低于/左右 mark a goal; English "more than" also describes the present
    bounded = where.language == "zh" and q.comparator in (">=", "<=", "~")
    if where.strict and not (where.in_goal or where.strong):
        return False
    if not (where.in_goal or where.is_forward or bounded):
        return False
    lead = head + re.match(r"\D*", q.text).group()  # comparator words are in q.text
    if rules_mod.found(cues.before, head) or (lead != head and rules_mod.found(cues.before, lead)) \
            or rules_mod.found(cues.after, tail):
        return False
    if q.unit and cues.time_unit.match(q.unit):
        return False
    if q.unit and cues.frequency.match(q.unit) and "每" in where.clause:
        return False  # "每5年修订1次": a rule of frequency
    if where.signs_describe and cues.sign.search(lead):
        return False  # "最小使用比质量≥38公斤/千瓦": a product's specification
    if q.kind == "money" and rules_mod.found(cues.money_before, head):
        return False  # "安排专项资金1亿元": the government's own budget
    if any(p.search(head) and a.search(tail) for p, a in cues.conditions):
        return False  # "对…达到1亿元的企业": a condition of eligibility
    if (q.kind == "money" and where.granted_sentence) or (q.kind in ("percent", "number") and where.granted_clause):
        return False
    return (_acceptable_unit(q, where.language, where.in_goal) or bool(cues.unitless_before.search(lead))
            or bool(cues.unitless_after.search(tail)))


def _target(q, head: str, tail: str, where: _Where, tr: TargetRules, cues: _Cues,
            indicator: str | None = None) -> Target:
    base = None
    bm = cues.baseline.search(tail) or cues.baseline.search(head)
    if bm:
        base_year = int(bm.group("year")) if bm.group("year") else tr.five_year_plans.get(bm.group("plan"))
        base = Baseline(value=None, year=base_year)
    comparator = q.comparator or "="
    if comparator in ("=", ">=") and cues.increase.search(head):
        comparator = "+"
    # the clause's year, else the sentence's, a lead sentence's or the section's; else the plan's
    # own last year (a goal of a 2025年度 plan or of a plan for 2023-2025). An annual goal takes
    # only a year its own sentence names; "全年/今年" is the document's own year.
    if where.annual:
        year = where.clause_year or where.sentence_year
    else:
        year = where.clause_year or where.year
        if year is None and where.this_year:
            year = where.own_year
        if year is None:
            year = where.plan_year
    if indicator is None:
        indicator = _clean_indicator(head, tr) or _clean_indicator(tail, tr, before_number=False)
    return Target(id="", indicator=indicator, value=q.value, value_max=q.value_max, unit=q.unit,
                  comparator=comparator, year=year, baseline=base, masked=q.masked,
                  section=where.section, text=where.clause, span=where.span,
                  rule=cues.goal_id if where.in_goal else cues.forward_id)


#: How much of an article's opening is read for the period of the plan it implements.
PART_HEAD = 300


def _plan_years(ctx) -> tuple[dict, int | None]:
    """(the plan's own last year by part, the document's year). A goal that names no year is for
    the end of the period its plan's title states ("(2023-2025年)", "2025年度…计划"); on a page of
    several articles, each article's title and opening say it. A "全年/今年" goal is for the
    document's own year (its date)."""
    from plancli.extract import metadata as metadata_mod
    from plancli.extract.outline import PLAN_KINDS

    meta = ctx.metadata
    mr = metadata_mod.rules(ctx.rules)
    years: dict = {}
    if meta is not None and ctx.kind in PLAN_KINDS:
        years[None] = next((y for y in (metadata_mod.plan_end_year(t, mr) for t in (meta.title, meta.notice_title) if t)
                            if y), None)
    for part in ctx.structure.parts:
        years[part.id] = metadata_mod.plan_end_year(ctx.text[part.span[0]:part.span[0] + PART_HEAD], mr)
    own = None
    if meta is not None:
        own = next((int(d[:4]) for d in (meta.issued_date, meta.published_date) if d), None)
        if own is None and meta.period_start is not None and meta.period_start == meta.period_end:
            own = meta.period_end
    return years, own


def past_report(ctx, tr: TargetRules | None = None) -> bool:
    """Whether a document of unknown kind reads as a report of past results (a news item on last
    year's figures, a bulletin without its title): most sentences with figures say what was
    done (同比, 比上年, 完成, 实现 …) and none looks forward. Its figures are then no targets."""
    tr = tr or rules(ctx.rules)
    cues = _Cues(tr)
    past = forward = 0
    for s, e in ctx.sentences:
        sentence = ctx.text[s:e]
        if not cues.quantity_hint.search(sentence):
            continue
        if cues.looks_back.search(sentence):
            past += 1
        if cues.forward_word.search(sentence):
            forward += 1
    return past >= 3 and forward * 5 <= past


def _plan_year_at(ctx, plan_years: dict, part_starts: list[int], pos: int) -> int | None:
    """The plan year of the article holding ``pos`` (the page's own where it holds one)."""
    i = bisect.bisect_right(part_starts, pos) - 1
    if i >= 0:
        return plan_years.get(ctx.structure.parts[i].id) or plan_years.get(None)
    return plan_years.get(None)


#: A head longer than this is a clause, not a noun phrase: the noun after the number is preferred.
LONG_HEAD = 24

#: Where a clause's noun before the number belongs to an earlier number ("50所学校和150个…").
_JOINED = re.compile(r"(和|与|及|以及|、|,|,|;|;)\s*$")
#: A head that ends with a preposition names a place, not what is counted ("在10个领域").
_PREPOSITION = re.compile(r"(在|于|向|对|为|从)\s*$")
_TAIL_NOUN = re.compile(r"^[^,,;;。:、]*?(?=[,,;;。:、]|和|及|与|$)")


def _indicator(head: str, tail: str, between: str, tr: TargetRules, cues: _Cues) -> str | None:
    """What the number measures: the noun phrase before it, or after it where the words before
    are only a verb ("建设50所高水平学校"), a preposition, or the noun of an earlier number."""
    own_head = between[-INDICATOR_WINDOW:] if between else head
    cleaned = _clean_indicator(own_head, tr)
    # names listed before a count ("A路、B路等14条市政道路") say which, not what is counted
    listed = cleaned is not None and ("、" in cleaned or cleaned.endswith("等") or len(cleaned) > LONG_HEAD)
    if cleaned and not listed and not cues.verb_only.search(cleaned) and not _JOINED.search(own_head) \
            and not _PREPOSITION.search(own_head):
        return cleaned
    noun = _tail_noun(tail, tr)
    return noun or cleaned or _clean_indicator(tail, tr, before_number=False)


def _tail_noun(tail: str, tr: TargetRules) -> str | None:
    """The noun after a count: up to the clause's next break, after its last 的."""
    m = _TAIL_NOUN.match(tail.lstrip())
    noun = m.group() if m else ""
    if "的" in noun:
        noun = noun.rsplit("的", 1)[1]
    noun = re.sub(r"^(以上|以下|左右|多|余)+", "", noun).strip(" “”\"")
    return noun if len(noun) >= 2 else None


#: A list of indicators before 分别 ("花生种植、收获机械化率分别达到65%和55%").
_RESPECTIVELY = "分别"


def _parallel_indicators(clause: str, starts: list[int], tr: TargetRules) -> list[str | None] | None:
    """Indicators of "A、B分别达到X和Y": one per number, in order; None when the clause has no such
    list or its length differs from the numbers'. Items that share a head and an ending give
    them back ("花生种植、收获机械化率" → 花生种植机械化率, 花生收获机械化率)."""
    at = clause.find(_RESPECTIVELY)
    if at < 0:
        return None
    after = [p for p in starts if p > at]
    before = [p for p in starts if p < at]
    head = _clean_indicator(clause[:at], tr) or ""
    if before or len(after) < 2 or not head:
        return None
    items = [x for x in re.split(r"、|和|及|与", head) if x]
    if len(items) != len(after):
        return None
    # "花生种植、收获机械化率": the items differ in one word (two characters, as most Chinese
    # words have); the first item's head (花生) and the last item's ending (机械化率) are shared
    width = len(items[1]) if len(items) > 2 else 2
    first, last = items[0], items[-1]
    if all(len(x) == width for x in items[1:-1]) and len(first) > width and len(last) > width + 1:
        prefix, suffix = first[:-width], last[width:]
        return [prefix + (first[-width:] if i == 0 else x[:width]) + suffix for i, x in enumerate(items)]
    return items


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


def _tables(ctx, tr: TargetRules):
    all_cells = tables.cells(ctx.text)  # split into cells once for every table rule
    captions = tr.of_kind("table_caption")
    caption = rules_mod.compiled(captions[0].pattern) if captions else None

    def is_unit(cell: str) -> bool:  # "%", "万人", "件/万人": what the quantity rules read as a unit after a number
        found = ctx.quantity_engine.find("1" + cell)
        return len(found) == 1 and found[0].unit == cell

    for rule in tr.of_kind("table_row"):
        for t in tables.indicator_tables(all_cells, rules_mod.compiled(rule.pattern), is_unit, caption):
            yield t, rule
    for rule in tr.of_kind("serial_table"):
        for t in tables.serial_tables(all_cells, rules_mod.compiled(rule.pattern)):
            yield t, rule
