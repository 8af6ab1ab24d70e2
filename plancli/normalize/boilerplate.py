"""Remove site navigation, footers, spam lines and unrelated trailing material.

Pages saved from portals and "范文" sites wrap the plan in breadcrumbs, download buttons,
disclaimers, SEO spam and links to other articles. The rules in ``rules/boilerplate.yaml`` say
what to drop and how much: a matched ``phrase``, the whole ``line``, or the line and everything
after it (``tail``, for "相关阅读" / "- END -" blocks that end the real content). Every removal is
counted, so nothing disappears silently.
"""
from __future__ import annotations

import re
from typing import Literal

from plancli import rules as rules_mod
from plancli.normalize.step import StepResult


class BoilerplateRule(rules_mod.Rule):
    pattern: rules_mod.Pattern
    scope: Literal["line", "phrase", "tail"] = "line"
    #: A "line" or "tail" rule leaves longer lines alone: site furniture is short, and a page
    #: whose line breaks were lost is one long line that also holds the plan.
    max_line: int = 200


class BoilerplateRules(rules_mod.RuleFile):
    rules: list[BoilerplateRule]
    #: A line holding a sentence that ends like this is content: "line" rules never drop it
    #: whole (a page whose line breaks were lost is one line: its breadcrumb and its plan).
    sentence_end: str = "。"


def rules(rs: "rules_mod.RuleSet | None" = None) -> BoilerplateRules:
    """The boilerplate rules of ``rs`` (default: the built-in set)."""
    return rules_mod.ruleset(rs).get("boilerplate")  # type: ignore[return-value]


def _short(s: str, n: int = 40) -> str:
    s = s.strip()
    return s if len(s) <= n else s[: n - 1] + "…"


def _by_limit(rules: BoilerplateRules, scope: str) -> list[tuple[re.Pattern[str], int]]:
    """One regex per ``max_line`` for the rules of ``scope``: a line is searched once, not once
    per rule (the rules of a scope are anchored at the line start, so this costs no more)."""
    patterns: dict[int, list[str]] = {}
    for r in rules.rules:
        if r.scope == scope:
            patterns.setdefault(r.max_line, []).append(r.pattern)
    return [(rules_mod.any_of(tuple(group)), limit) for limit, group in patterns.items()]


def remove(text: str, rules: BoilerplateRules) -> StepResult:
    phrase = [rules_mod.compiled(r.pattern) for r in rules.rules if r.scope == "phrase"]
    line = _by_limit(rules, "line")
    tail = _by_limit(rules, "tail")
    result = StepResult(text)
    kept: list[str] = []
    lines = text.split("\n")
    for i, raw in enumerate(lines):
        current = raw
        for pat in phrase:
            if pat.search(current):
                for m in pat.finditer(current):
                    result.note(_short(m.group()), "''")
                    if current[: m.start()].strip() and current[m.end():].strip():
                        result.rejoined = True
                current = pat.sub("", current)
        stripped = current.strip()
        if stripped and any(len(stripped) <= n and p.search(stripped) for p, n in tail):
            dropped = [ln for ln in lines[i:] if ln.strip()]
            result.note(_short(stripped), f"'' (and {len(dropped) - 1} following lines)")
            result.count += len(dropped) - 1
            break
        if stripped and rules.sentence_end not in stripped \
                and any(len(stripped) <= n and p.search(stripped) for p, n in line):
            result.note(_short(stripped), "''")
            continue
        if current != raw and not stripped:
            continue  # the line held nothing but boilerplate phrases
        kept.append(current)
    result.text = "\n".join(kept)
    return result
