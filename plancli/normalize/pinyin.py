"""Remove pinyin annotations inserted after characters by conversion sites (``務(wù)`` → ``務``).

"Add pinyin" sites write a syllable in parentheses after many characters. Real parentheses are
common in plans too (``(高新區)``, ``(R&D)``, ``(5G)``, ``(1)``), so a parenthesis counts as an
annotation only when

* its content is exactly one valid Hanyu Pinyin syllable: the toneless letters must be in the
  inventory of ``rules/pinyin.yaml`` (initial + final), with at most one tone mark, placed on
  the vowel pinyin puts it on (a/e, else the o of ou, else the last vowel); and
* what precedes it matches the rule's ``after`` regex (normally a Chinese character).

A tone-marked syllable is unmistakable. A toneless one (``(an)``, ``(he)``) can be a real word,
so the weaker rules also need the text to carry at least ``min_marked_in_text`` tone-marked
annotations: on a page proven to be pinyin-annotated, a bare syllable after a character is an
annotation too. This evidence is counted on the input, and removal repeats until nothing
changes, so the step is idempotent (a second run sees less evidence and so removes less).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Literal

from pydantic import field_validator

from plancli import rules as rules_mod
from plancli.normalize.step import StepResult


class PinyinRule(rules_mod.Rule):
    """One context in which a parenthesised syllable is an annotation."""

    after: rules_mod.Pattern
    open: rules_mod.Pattern = r"[(（]"
    close: rules_mod.Pattern = r"[)）]"
    tone: Literal["marked", "unmarked", "any"] = "marked"
    min_letters: int = 1
    min_marked_in_text: int = 0

    @field_validator("after", "open")
    @classmethod
    def _fixed_width(cls, value: str, info) -> str:
        try:
            re.compile(f"(?<={value})")
        except re.error:
            raise ValueError(f"'{info.field_name}' must be a fixed-width regex, got {value!r}") from None
        return value


class PinyinRules(rules_mod.RuleFile):
    """``rules/pinyin.yaml``: the syllable inventory, tone marks and removal rules."""

    initials: dict[str, list[str]]
    zero_initial: list[str]
    tone_marks: dict[str, str]
    aliases: dict[str, str] = {}
    rules: list[PinyinRule] = []

    @field_validator("tone_marks")
    @classmethod
    def _four_tones(cls, value: dict[str, str]) -> dict[str, str]:
        for vowel, marks in value.items():
            if len(marks) != 4:
                raise ValueError(f"tone_marks.{vowel}: need exactly 4 marked forms, got {marks!r}")
        return value


def rules(rs: "rules_mod.RuleSet | None" = None) -> PinyinRules:
    """The pinyin rules of ``rs`` (default: the built-in set)."""
    return rules_mod.ruleset(rs).get("pinyin")  # type: ignore[return-value]


class _Inventory:
    """The rules file turned into lookup tables (built once per rules object)."""

    def __init__(self, r: PinyinRules):
        self.syllables = set(r.zero_initial)
        for initial, finals in r.initials.items():
            self.syllables.update(initial + final for final in finals)
        self.unmark = {m: vowel for vowel, marks in r.tone_marks.items() for m in marks}
        self.aliases = dict(r.aliases)
        self.vowels = set(r.tone_marks)
        letters = {c for s in self.syllables for c in s} | set(self.unmark) | set(self.aliases)
        body = "[" + "".join(sorted(re.escape(c) for c in letters)) + "]{1,7}"
        self.any_annotation = re.compile(r"[(（](" + body + r")[)）]")
        # ``after`` is looked behind from past ``open`` (both fixed-width): a pattern led by a
        # look-behind runs the matcher at every position, one led by "(" skips to the next one.
        self.patterns = [
            re.compile(f"(?:{rule.open})(?<=(?:{rule.after})(?:{rule.open}))({body})(?:{rule.close})")
            for rule in r.rules
        ]
        self._kinds: dict[str, str | None] = {}

    def classify(self, content: str) -> str | None:
        """``"marked"``, ``"unmarked"``, or ``None`` when ``content`` is not one syllable.

        Memoised: an annotated page repeats a few hundred syllables thousands of times."""
        kind = self._kinds.get(content, "")
        if kind == "":
            if len(self._kinds) > 100_000:  # only letter strings of up to 7, but stay bounded
                self._kinds.clear()
            kind = self._kinds[content] = self._classify(content)
        return kind

    def _classify(self, content: str) -> str | None:
        text = "".join(self.aliases.get(c, c) for c in unicodedata.normalize("NFC", content))
        marked = [i for i, c in enumerate(text) if c in self.unmark]
        if len(marked) > 1:
            return None
        base = "".join(self.unmark.get(c, c) for c in text)
        if base not in self.syllables:
            return None
        if not marked:
            return "unmarked"
        return "marked" if marked[0] == self._tone_position(base) else None

    def _tone_position(self, base: str) -> int:
        """Where pinyin puts the tone mark: on a or e, else on the o of ou, else the last vowel."""
        for vowel in ("a", "e"):
            if vowel in base:
                return base.index(vowel)
        if "ou" in base:
            return base.index("o")
        return max(i for i, c in enumerate(base) if c in self.vowels)


_INVENTORIES: dict[int, tuple[PinyinRules, _Inventory]] = {}


def _inventory(r: PinyinRules) -> _Inventory:
    """Build the tables once per loaded rules object (``rules_mod.load`` caches the object)."""
    hit = _INVENTORIES.get(id(r))
    if hit is None or hit[0] is not r:
        if len(_INVENTORIES) > 16:
            _INVENTORIES.clear()
        hit = _INVENTORIES[id(r)] = (r, _Inventory(r))
    return hit[1]


def remove_pinyin(text: str, rules: PinyinRules) -> StepResult:
    """Drop every annotation some rule recognises; each removal is counted and noted."""
    result = StepResult(text)
    if not any(c in text for c in "()（）"):
        return result
    inv = _inventory(rules)
    marked = sum(1 for m in inv.any_annotation.finditer(text) if inv.classify(m.group(1)) == "marked")
    active = [(rule, pattern) for rule, pattern in zip(rules.rules, inv.patterns)
              if marked >= rule.min_marked_in_text]

    def drop(rule: PinyinRule, m: re.Match[str]) -> str:
        kind = inv.classify(m.group(1))
        if kind is None or (rule.tone != "any" and kind != rule.tone) or len(m.group(1)) < rule.min_letters:
            return m.group(0)
        before = m.string[max(0, m.start() - 1):m.start()]
        result.note(before + m.group(0), before)
        return ""

    changed = True
    while changed:  # one pass removes one of a repeated run (創(chuang)(chuang)), so repeat
        changed = False
        for rule, pattern in active:
            new = pattern.sub(lambda m, rule=rule: drop(rule, m), result.text)
            changed |= new != result.text
            result.text = new
    return result
