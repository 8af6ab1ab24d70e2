"""Repair GB byte-shift mojibake where the repair is certain (STUB: being written)."""
from __future__ import annotations

from plancli import rules as rules_mod
from plancli.normalize.step import StepResult


class MojibakeRules(rules_mod.RuleFile):
    pass


def rules(rules_dir=None) -> MojibakeRules:
    return rules_mod.load("mojibake", MojibakeRules, rules_dir)


def repair_mojibake(text: str, rules: MojibakeRules) -> StepResult:
    return StepResult(text)
