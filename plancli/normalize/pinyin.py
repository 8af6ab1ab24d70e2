"""Remove pinyin annotations inserted after characters by conversion sites (STUB: being written)."""
from __future__ import annotations

from plancli import rules as rules_mod
from plancli.normalize.step import StepResult


class PinyinRules(rules_mod.RuleFile):
    pass


def rules(rules_dir=None) -> PinyinRules:
    return rules_mod.load("pinyin", PinyinRules, rules_dir)


def remove_pinyin(text: str, rules: PinyinRules) -> StepResult:
    return StepResult(text)
