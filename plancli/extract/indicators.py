"""Canonical indicators: map a target's indicator phrase to a catalogue entry.

Cities word the same indicator differently (万人发明专利拥有量 / 每万人发明专利拥有量); a shared
id lets analysts compare targets across plans. rapidfuzz scores the phrase against every name
and alias in ``rules/indicators.yaml``; below the cutoff the target keeps no id rather than a
wrong one.
"""
from __future__ import annotations

import functools

from plancli import rules as rules_mod


class Indicator(rules_mod.Strict):
    id: str
    name: str
    aliases: list[str] = []


class MatchRule(rules_mod.Rule):
    cutoff: float = 80


class IndicatorRules(rules_mod.RuleFile):
    rules: list[MatchRule]
    catalogue: list[Indicator]

    def dictionary_words(self) -> list[str]:
        return [n for i in self.catalogue for n in [i.name, *i.aliases] if n.isascii() is False]

    @functools.cached_property
    def index(self) -> "Catalogue":
        return Catalogue(self)


class Catalogue:
    def __init__(self, ir: IndicatorRules):
        self.cutoff = ir.rules[0].cutoff if ir.rules else 80
        self.names: list[str] = []
        self.ids: list[str] = []
        for ind in ir.catalogue:
            for name in [ind.name, *ind.aliases]:
                self.names.append(name.lower())
                self.ids.append(ind.id)

    @functools.lru_cache(maxsize=8192)
    def match(self, indicator: str | None) -> str | None:
        if not indicator or not self.names:
            return None
        from rapidfuzz import fuzz, process

        hit = process.extractOne(indicator.lower(), self.names, scorer=fuzz.ratio, score_cutoff=self.cutoff)
        return self.ids[hit[2]] if hit else None


def catalogue(rs=None) -> Catalogue:
    """The catalogue of ``rs`` (default: the built-in rules), indexed once per rules file."""
    return rules_mod.ruleset(rs).get("indicators").index  # type: ignore[attr-defined]
