"""Normalisation: decoded text in, clean Simplified UTF-8 text out, every repair recorded.

The steps run in a fixed order, each in its own module, each driven by a file in ``rules/``:

1. ``characters``  – drop BOMs and control characters, unify line breaks
2. ``pinyin``      – remove pinyin annotations inserted by conversion sites (``務(wù)``)
3. ``mojibake``    – repair GB byte-shift mojibake where the repair is certain
4. ``script``      – Traditional → Simplified with OpenCC, recording the detected script
5. ``width``       – full-width ASCII to half-width, whitespace unified
   ``spacing``     – spaced-out PDF copies rejoined ("战略新 兴"), only on pages full of such spaces
6. ``boilerplate`` – site navigation, footers and spam lines removed

Steps 2–3 work on the text as downloaded (their damage patterns are in the original script), so
they come before conversion. The result is a fixed point: normalising it again changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from plancli.models import Repair


@dataclass
class Normalized:
    text: str
    script: str | None = None
    repairs: list[Repair] = field(default_factory=list)


#: Passes after which normalisation stops even if a pass still changed something.
MAX_PASSES = 3


def normalize_text(text: str, rs=None) -> Normalized:
    """Run every step over ``text``; the returned text is what all spans index.

    Removing boilerplate can join what it separated (``統(范文网)(tǒng)`` → ``統(tǒng)``, an
    annotation the pinyin step has already passed), so the steps run again on their own output
    until it no longer changes: the result is a fixed point, and repairs are summed over passes.
    """
    from plancli.rules import ruleset

    rs = ruleset(rs)
    script, repairs = None, []
    for i in range(MAX_PASSES):
        before = text
        text, detected, found, rejoined = _one_pass(text, rs)
        if i == 0:
            script = detected
        repairs = _merge(repairs, found)
        if text == before:
            break
        if not rejoined and not _pinyin_would_change(text, rs) \
                and not (_touched_mojibake(found) and _mojibake_would_change(text, rs)):
            break
    return Normalized(text=text, script=script, repairs=repairs)


def _pinyin_would_change(text: str, rs) -> bool:
    """The pinyin step judges an annotation by the character before it, and later steps change
    that character (width folding turns ＠ into @, which reads as a mojibake trail byte): check
    the final text (cheap: the step only looks at parenthesised runs)."""
    from plancli.normalize import pinyin

    return pinyin.remove_pinyin(text, pinyin.rules(rs)).text != text


def _touched_mojibake(found: list[Repair]) -> bool:
    return any(r.kind.startswith("mojibake_") for r in found)


def _mojibake_would_change(text: str, rs) -> bool:
    """The mojibake step judges a run by its neighbours and by its bytes, and later steps change
    both (script conversion, whitespace): where it acted, check that it would leave the final
    text alone, and run again if not (cheap: it only looks at suspicious runs)."""
    from plancli.normalize import mojibake

    return mojibake.repair_mojibake(text, mojibake.rules(rs), flag=False).text != text


def _merge(repairs: list[Repair], more: list[Repair]) -> list[Repair]:
    """Sum counts of the same kind; "_uncertain" flags describe the final text only."""
    by_kind = {r.kind: r for r in repairs if not r.kind.endswith("_uncertain")}
    for r in more:
        old = by_kind.get(r.kind)
        if old is None or r.kind.endswith("_uncertain"):
            by_kind[r.kind] = r
        else:
            by_kind[r.kind] = Repair(kind=r.kind, count=old.count + r.count,
                                     examples=(old.examples + r.examples)[:5])
    return list(by_kind.values())


def _one_pass(text: str, rs) -> tuple[str, str | None, list[Repair], bool]:
    from plancli.normalize import boilerplate, characters, mojibake, pinyin, script, spacing, width

    repairs: list[Repair] = []

    def record(kind: str, result) -> str:
        if result.count:
            repairs.append(Repair(kind=kind, count=result.count, examples=result.examples))
        if getattr(result, "flagged", None):
            repairs.append(Repair(kind=f"{kind}_uncertain", count=len(result.flagged),
                                  examples=result.flagged[:5]))
        for what, (count, why) in getattr(result, "not_examined", {}).items():
            repairs.append(Repair(kind=what, count=count, examples=[why]))
        return result.text

    text = record("control_characters_removed", characters.clean(text))
    text = record("pinyin_annotation_removed", pinyin.remove_pinyin(text, pinyin.rules(rs)))
    text = record("mojibake_repaired", mojibake.repair_mojibake(text, mojibake.rules(rs)))
    detected, converted = script.to_simplified(text)
    text = record("traditional_converted", converted)
    text = record("full_width_folded", width.fold(text))
    text = record("spaced_text_rejoined", spacing.rejoin_spaced(text))
    removed = boilerplate.remove(text, boilerplate.rules(rs))
    text = record("boilerplate_removed", removed)
    text = record("whitespace_unified", width.tidy_whitespace(text))
    return text, detected, repairs, removed.rejoined
