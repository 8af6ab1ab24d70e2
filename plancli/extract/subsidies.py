"""Subsidies: public money a plan commits to give, with amount, cap, share, form and recipient.

A subsidy is an amount of money (or a share of cost) in a sentence that says it is given: a form
word such as 奖励, 补助, 资助, 配套 or "subsidy". Each amount is its own record ("30万元和15万元"
gives two). Tax incentives, money already spent and amounts that are conditions ("超过1亿元的企业")
are not subsidies. Everything that decides is a pattern in ``rules/subsidies.yaml``.
"""
from __future__ import annotations

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


#: Grant verbs: the form word after them names the subsidy ("给予配套支持").
_GRANT_VERB = re.compile(r"给予|予以|(?i:\bgive[sn]?\b|\bprovided?\b|\bprovides\b)")


def rules(rules_dir=None) -> SubsidyRules:
    return rules_mod.load("subsidies", SubsidyRules, rules_dir)


def _nearest(pattern, text: str, pos: int) -> re.Match[str] | None:
    """The form word closest to ``pos`` (the amount) in ``text``."""
    best = None
    for m in pattern.finditer(text):
        d = min(abs(m.start() - pos), abs(m.end() - pos))
        if best is None or d < best[0]:
            best = (d, m)
    return best[1] if best else None


def extract(ctx) -> list[Subsidy]:
    sr = rules(ctx.rules_dir)
    text = ctx.text
    money_rule, ratio_rule, share_rule = sr.first("money"), sr.first("ratio"), sr.first("share")
    form_pat = rules_mod.compiled(money_rule.pattern) if money_rule else None
    ratio_form = rules_mod.compiled(ratio_rule.pattern) if ratio_rule else None
    excludes = sr.patterns("exclude")
    after_excludes = sr.patterns("exclude_after")
    before_excludes = sr.patterns("exclude_before")
    cap_pats, once_pats, annual_pats = sr.patterns("cap"), sr.patterns("once"), sr.patterns("annual")
    share_pats, recipient_pats = sr.patterns("share"), sr.patterns("recipient")
    background = rules_mod.compiled(sr.background_sections)
    out: list[Subsidy] = []
    for s, e in ctx.sentences:
        sentence = text[s:e]
        if form_pat is None or not form_pat.search(sentence):
            continue
        sec = ctx.structure.section_at(s)
        if any(background.search(x.title) for x in ctx.structure.ancestors(sec) if x.kind == "heading"):
            continue
        quantities = ctx.quantities(s, e)
        shares = [q for q in quantities if q.kind == "percent"
                  and any(p.search(sentence[: q.span[0]]) for p in share_pats)]
        # with no amount in the sentence, a share of cost is the subsidy itself ("按…的20%给予补贴")
        share_only = shares and not any(q.kind == "money" for q in quantities)
        for cs, ce in clauses(sentence):
            clause = sentence[cs:ce]
            if any(p.search(clause) for p in excludes):
                continue
            for q in quantities:
                if not (cs <= q.span[0] < ce):
                    continue
                if q.kind == "money":
                    # the quantity's own text may hold the verb before the digits ("达到500亿元")
                    lead = clause[: q.span[0] - cs] + re.match(r"\D*", q.text).group()
                    if any(p.search(sentence[q.span[1]:]) for p in after_excludes) \
                            or any(p.search(lead) for p in before_excludes):
                        continue
                    form_match = _nearest(form_pat, sentence, q.span[0])
                    ratio = shares[0].value / 100 if shares and shares[0].value is not None else None
                    rule_id = money_rule.id
                elif share_only and q in shares and share_rule is not None and _GRANT_VERB.search(clause):
                    form_match = _nearest(form_pat, sentence, q.span[0])
                    ratio = q.value / 100 if q.value is not None else None
                    rule_id = share_rule.id
                elif q.kind == "ratio" and ratio_form is not None and ratio_form.search(clause):
                    parts = q.ratio_parts or []
                    if len(parts) < 2 or not parts[0]:
                        continue
                    form_match = _nearest(ratio_form, sentence, q.span[0])
                    ratio = parts[1] / parts[0]
                    rule_id = ratio_rule.id
                else:
                    continue
                # cap words may stand before the amount anywhere in its clause ("最高支持额度不超过…")
                window = clause[: q.span[1] - cs]
                cap = (q.comparator == "<=") or any(p.search(window) for p in cap_pats) \
                    or any(p.search(sentence[q.span[1]:ce]) for p in cap_pats)
                # "给予配套支持", "给予一次性奖励": the word after the grant verb names the form
                granted = _GRANT_VERB.search(sentence, cs, ce)
                after_verb = form_pat.search(sentence, granted.end(), ce) if granted else None
                if after_verb:
                    form_match = after_verb
                    form = after_verb.group()
                else:
                    form = form_match.group() if form_match else None
                # the record's text runs from the amount's clause to the form word's clause
                ts, te = cs, ce
                if form_match:
                    for fs, fe in clauses(sentence):
                        if fs <= form_match.start() < fe:
                            ts, te = min(cs, fs), max(ce, fe)
                # payment terms may follow the amount ("给予1亿元资助,连续支持5年"), up to the next amount
                later = [x.span[0] for x in quantities if x.kind == "money" and x.span[0] > q.span[1]]
                region = sentence[ts: max(te, later[0] if later else len(sentence))]
                once = True if any(p.search(region) for p in once_pats) else \
                    False if any(p.search(region) for p in annual_pats) else None
                # the recipient is named in the record's own clauses or the one just before
                before = [(fs, fe) for fs, fe in clauses(sentence) if fs < ts]
                own_amount = before and any(before[-1][0] <= x.span[0] < before[-1][1] for x in quantities
                                            if x.kind in ("money", "ratio"))
                scope = sentence[before[-1][0] if before and not own_amount else ts: q.span[0]]
                recipient = None
                for p in recipient_pats:
                    hits = list(p.finditer(scope))
                    if hits:
                        recipient = hits[-1].group("recipient").strip()
                out.append(Subsidy(
                    id="", amount=q.amount if q.kind == "money" else None,
                    currency=(q.currency or "CNY") if q.kind == "money" else "CNY",
                    amount_text=q.text if q.kind == "money" else None, cap=bool(cap), ratio=ratio,
                    form=form, once=once, recipient=recipient, section=sec.id if sec else None,
                    text=sentence[ts:te], span=(s + ts, s + te), rule=rule_id))
    for i, x in enumerate(out, 1):
        x.id = f"m{i}"
    return out
