"""Subsidies: public money a plan commits to give, with amount, cap, share, form and recipient.

A subsidy is an amount of money (or a share of cost) in a sentence that says it is given: a form
word such as 奖励, 补助, 资助, 配套 or "subsidy". Each amount is its own record ("30万元和15万元"
gives two). Tax incentives, money already spent and amounts that are conditions ("超过1亿元的企业")
are not subsidies. Everything that decides is a pattern in ``rules/subsidies.yaml``.
"""
from __future__ import annotations

import bisect
import functools
import re
from typing import Literal

from plancli import rules as rules_mod
from plancli.models import Subsidy
from plancli.segment import clauses


class SubsidyRule(rules_mod.Rule):
    kind: Literal["money", "ratio", "share", "cap", "once", "annual", "exclude", "exclude_before",
                  "exclude_after", "recipient"]
    pattern: rules_mod.Pattern


class SubsidyRules(rules_mod.RuleFile):
    rules: list[SubsidyRule]
    background_sections: rules_mod.Pattern

    def first(self, kind: str) -> SubsidyRule | None:
        return next((r for r in self.rules if r.kind == kind), None)

    def patterns(self, kind: str):
        return [rules_mod.compiled(r.pattern) for r in self.rules if r.kind == kind]

    @functools.cached_property
    def compiled(self) -> "_Compiled":
        """The regexes every sentence needs, built once per loaded file (the model is frozen)."""
        return _Compiled(self)


class _Compiled:
    """The rules as regexes: one per kind where only whether any rule of it matches counts."""

    def __init__(self, sr: SubsidyRules):
        self.money_rule, self.ratio_rule, self.share_rule = sr.first("money"), sr.first("ratio"), sr.first("share")
        self.form = rules_mod.compiled(self.money_rule.pattern) if self.money_rule else None
        self.ratio_form = rules_mod.compiled(self.ratio_rule.pattern) if self.ratio_rule else None
        self.background = rules_mod.compiled(sr.background_sections)
        self.recipients = sr.patterns("recipient")  # in order: the last one that finds a phrase wins

        def any_rule(kind: str) -> re.Pattern[str] | None:
            return rules_mod.any_of(tuple(r.pattern for r in sr.rules if r.kind == kind))

        self.exclude, self.exclude_before, self.exclude_after = \
            any_rule("exclude"), any_rule("exclude_before"), any_rule("exclude_after")
        self.share, self.cap, self.once, self.annual = \
            any_rule("share"), any_rule("cap"), any_rule("once"), any_rule("annual")


#: Grant verbs: the form word after them names the subsidy ("给予配套支持").
_GRANT_VERB = re.compile(r"给予|予以|(?i:\bgive[sn]?\b|\bprovided?\b|\bprovides\b)")
#: What a quantity's text holds before its digits ("达到500亿元" → "达到").
_LEAD_WORDS = re.compile(r"\D*")


def rules(rs: "rules_mod.RuleSet | None" = None) -> SubsidyRules:
    """The subsidies rules of ``rs`` (default: the built-in set)."""
    return rules_mod.ruleset(rs).get("subsidies")  # type: ignore[return-value]


class _Sentence:
    """One sentence with what every amount in it needs: clauses, form words and quantities,
    found once (a sentence listing hundreds of grants stays linear)."""

    def __init__(self, text: str, quantities: list, form_pat: re.Pattern[str]):
        self.text = text
        self.quantities = quantities
        self.clauses = list(clauses(text))
        self.clause_starts = [c[0] for c in self.clauses]
        self.forms = list(form_pat.finditer(text))
        self.form_starts = [m.start() for m in self.forms]
        self.money_starts = [q.span[0] for q in quantities if q.kind == "money"]
        self.amount_starts = [q.span[0] for q in quantities if q.kind in ("money", "ratio")]
        self.quantity_starts = [q.span[0] for q in quantities]  # in text order, as found
        self._granted_forms: dict[tuple[int, int], re.Match[str] | None] = {}

    def granted_form(self, form_pat: re.Pattern[str], cs: int, ce: int) -> re.Match[str] | None:
        """The form word after the clause's grant verb ("给予一次性奖励"); looked for once per
        clause, not once per amount (a clause may list hundreds)."""
        key = (cs, ce)
        if key not in self._granted_forms:
            granted = _GRANT_VERB.search(self.text, cs, ce)
            self._granted_forms[key] = form_pat.search(self.text, granted.end(), ce) if granted else None
        return self._granted_forms[key]

    def quantities_in(self, start: int, end: int) -> list:
        """The quantities that start inside [start, end)."""
        starts = self.quantity_starts
        return self.quantities[bisect.bisect_left(starts, start):bisect.bisect_left(starts, end)]

    def clause_at(self, pos: int) -> tuple[int, int]:
        i = max(0, bisect.bisect_right(self.clause_starts, pos) - 1)
        return self.clauses[i] if self.clauses else (0, len(self.text))

    def nearest_form(self, pos: int, candidates: tuple[list[re.Match[str]], list[int]] | None = None
                     ) -> re.Match[str] | None:
        """The form word closest to ``pos`` (the amount), among ``candidates`` (matches and their
        starts) if given."""
        forms, starts = (self.forms, self.form_starts) if candidates is None else candidates
        i = bisect.bisect_left(starts, pos)
        near = [m for m in forms[max(0, i - 1):i + 1]]
        return min(near, key=lambda m: min(abs(m.start() - pos), abs(m.end() - pos)), default=None)


#: Kinds of quantity a subsidy is read from: money, a matching ratio, a share of cost (percent).
AMOUNT_KINDS = ("money", "ratio", "percent")
#: How far after an amount a threshold marker ("…1亿元以上的企业") may stand.
THRESHOLD_WINDOW = 12
#: How far from an amount its cap words and goal verbs stand ("最高支持额度不超过1000万元").
NEAR = 30
#: How far before an amount its recipient and share phrase ("对…的企业", "按…的30%") may start.
RECIPIENT_WINDOW = 120


def extract(ctx) -> list[Subsidy]:
    sr = rules(ctx.rules)
    c = sr.compiled
    if c.form is None:
        return []
    out: list[Subsidy] = []
    in_background: dict[str | None, bool] = {}  # section id -> under a background heading
    for s, e in ctx.sentences:
        sentence = ctx.text[s:e]
        if not c.form.search(sentence):
            continue
        sec = ctx.structure.section_at(s)
        key = sec.id if sec else None
        if key not in in_background:
            in_background[key] = any(c.background.search(x.title) for x in ctx.structure.ancestors(sec)
                                     if x.kind == "heading")
        if in_background[key]:
            continue
        quantities = ctx.quantities(s, e)
        if not any(q.kind in AMOUNT_KINDS for q in quantities):
            continue  # most sentences with a form word ("支持企业…") state no amount at all
        view = _Sentence(sentence, quantities, c.form)
        for record in _sentence_subsidies(view, c):
            ts, te = record.span
            out.append(record.model_copy(update={"span": (s + ts, s + te), "section": sec.id if sec else None}))
    for i, x in enumerate(out, 1):
        x.id = f"m{i}"
    return out


def _sentence_subsidies(view: _Sentence, c: _Compiled) -> list[Subsidy]:
    """The subsidies of one sentence (spans relative to it)."""
    sentence, quantities = view.text, view.quantities
    shares = [q for q in quantities if q.kind == "percent"
              and rules_mod.found(c.share, sentence[max(0, q.span[0] - RECIPIENT_WINDOW): q.span[0]])]
    # with no amount in the sentence, a share of cost is the subsidy itself ("按…的20%给予补贴")
    share_only = bool(shares) and not view.money_starts
    share_ids = {id(q) for q in shares}
    found = []
    for cs, ce in view.clauses:
        mine = view.quantities_in(cs, ce)
        if not mine:
            continue
        clause = sentence[cs:ce]
        if rules_mod.found(c.exclude, clause):
            continue
        # what the clause says, looked up once for all its amounts (it may list hundreds)
        granted = share_only and any(id(q) in share_ids for q in mine) and bool(_GRANT_VERB.search(clause))
        has_ratio_form = c.ratio_form is not None and any(q.kind == "ratio" for q in mine) \
            and bool(c.ratio_form.search(clause))
        ratio_forms = list(c.ratio_form.finditer(sentence, cs, ce)) if has_ratio_form else []
        ratio_forms_at = (ratio_forms, [m.start() for m in ratio_forms])
        for q in mine:
            if q.kind == "money":
                # the quantity's own text may hold the verb before the digits ("达到500亿元")
                lead = clause[max(0, q.span[0] - cs - NEAR): q.span[0] - cs] + _LEAD_WORDS.match(q.text).group()
                after = sentence[q.span[1]:q.span[1] + THRESHOLD_WINDOW]
                # a rate ("0.2元/千瓦时的补贴", q.per) is no threshold ("1000万元的项目")
                if (q.per is None and rules_mod.found(c.exclude_after, after)) \
                        or rules_mod.found(c.exclude_before, lead):
                    continue
                form_match = view.nearest_form(q.span[0])
                ratio = shares[0].value / 100 if shares and shares[0].value is not None else None
                rule_id = c.money_rule.id
            elif share_only and id(q) in share_ids and c.share_rule is not None and granted:
                form_match = view.nearest_form(q.span[0])
                ratio = q.value / 100 if q.value is not None else None
                rule_id = c.share_rule.id
            elif q.kind == "ratio" and has_ratio_form:
                parts = q.ratio_parts or []
                if len(parts) < 2 or not parts[0]:
                    continue
                form_match = view.nearest_form(q.span[0], ratio_forms_at)
                ratio = parts[1] / parts[0]
                rule_id = c.ratio_rule.id
            else:
                continue
            found.append(_record(view, c, q, (cs, ce), form_match, ratio, rule_id))
    return found


def _record(view: _Sentence, c: _Compiled, q, clause_span: tuple[int, int],
            form_match: re.Match[str] | None, ratio: float | None, rule_id: str) -> Subsidy:
    """One subsidy: its form, cap, payment terms and recipient read around the amount."""
    sentence = view.text
    cs, ce = clause_span
    # cap words may stand right before the amount in its clause ("最高支持额度不超过…")
    cap = (q.comparator == "<=") \
        or rules_mod.found(c.cap, sentence[max(cs, q.span[0] - NEAR): min(q.span[1], ce)]) \
        or rules_mod.found(c.cap, sentence[q.span[1]:min(ce, q.span[1] + NEAR)])
    # "给予配套支持", "给予一次性奖励": the word after the grant verb names the form
    after_verb = view.granted_form(c.form, cs, ce)
    if after_verb:
        form_match = after_verb
    form = form_match.group() if form_match else None
    # the record's text runs from the amount's clause to the form word's clause
    ts, te = cs, ce
    if form_match:
        fs, fe = view.clause_at(form_match.start())
        ts, te = min(cs, fs), max(ce, fe)
    # payment terms may follow the amount ("给予1亿元资助,连续支持5年"), up to the next amount
    i = bisect.bisect_right(view.money_starts, q.span[1])
    region_end = max(te, view.money_starts[i] if i < len(view.money_starts) else len(sentence))
    region = sentence[max(ts, q.span[0] - RECIPIENT_WINDOW): min(region_end, q.span[1] + RECIPIENT_WINDOW)]
    once = True if rules_mod.found(c.once, region) else False if rules_mod.found(c.annual, region) else None
    return Subsidy(id="", amount=q.amount if q.kind == "money" else None,
                   currency=(q.currency or "CNY") if q.kind == "money" else "CNY",
                   amount_text=q.text if q.kind == "money" else None, cap=bool(cap), ratio=ratio,
                   form=form, once=once, recipient=_recipient(view, c, ts, q.span[0]),
                   text=sentence[ts:te], span=(ts, te), rule=rule_id)


def _recipient(view: _Sentence, c: _Compiled, start: int, amount_at: int) -> str | None:
    """The "对…" phrase in the record's own clauses, or in the clause just before unless that
    clause has an amount of its own."""
    i = bisect.bisect_left(view.clause_starts, start) - 1
    scope_start = start
    if i >= 0:
        ps, pe = view.clauses[i]
        j = bisect.bisect_left(view.amount_starts, ps)
        if not (j < len(view.amount_starts) and view.amount_starts[j] < pe):
            scope_start = ps
    scope = view.text[max(scope_start, amount_at - RECIPIENT_WINDOW):amount_at]
    recipient = None
    for p in c.recipients:
        hits = list(p.finditer(scope))
        if hits:
            recipient = hits[-1].group("recipient").strip()
    return recipient
