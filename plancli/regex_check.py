"""Judge a user's regex by what it does: a timed search over text built from its own pieces.

The nested-quantifier lint in ``plancli.rules`` judges a pattern by its shape, and shapes can
hide a catastrophe: ``^(a|a)+$`` nests nothing, yet its two alternatives match the same text,
so a run of ``a`` followed by a character that fails the match costs 2**n steps. Rather than
recognise every such shape, :func:`too_slow` tries the pattern on adversarial strings made
from its own alternatives and repeated parts (``aaaa…\\0``, ``前缀abab…\\0`` …), longer and
longer, and reports the first string on which one search takes too long, or grows faster than
linearly with the length.

Only rules files from a user's folder are checked (at load, once per process): the built-in
rules are tested by the suite, and start-up time matters. The pieces are read from Python's
private regex parser (``re._parser``); if that is missing or has changed shape, the pieces are
taken from the pattern's text instead, so the check still runs.
"""
from __future__ import annotations

import functools
import re
import time

from plancli.limits import interrupt_after

#: Repetitions tried, with the CPU seconds one search may take: short strings find exponential
#: blow-ups before they get out of hand (2**32 steps never end), a long one the high-degree
#: polynomial ones. (Any pattern led by a repeat costs n**2 on a run of n characters it fails
#: on, as ``re.search`` tries every start; that is the price of backtracking, not refused.)
SHORT, SHORT_BUDGET = (4, 8, 12, 16, 20, 24, 28, 32), 0.1
LONG, LONG_BUDGET = 512, 1.0
#: What follows a repeated piece so that the match fails at the end and the engine backtracks.
TAILS = ("\x00", "")
MAX_FAMILIES = 16
MAX_PIECES = 12
MAX_PIECE_CHARS = 64

_CATEGORY_CHARS = {"CATEGORY_DIGIT": "1", "CATEGORY_NOT_DIGIT": "a", "CATEGORY_SPACE": " ",
                   "CATEGORY_NOT_SPACE": "a", "CATEGORY_WORD": "a", "CATEGORY_NOT_WORD": "!"}


class _Slow(BaseException):
    pass


@functools.lru_cache(maxsize=1024)
def too_slow(pattern: str, flags: int = 0) -> str | None:
    """The first probe string on which searching ``pattern`` is too slow (for the message), else None."""
    try:
        compiled = re.compile(pattern, flags)
    except re.error:
        return None  # the lint reports it
    if not _repeats(pattern):
        return None  # without a repeat the cost of a search is bounded by the pattern's size
    for family in _families(pattern, flags):
        # runs of blanks are collapsed before the extraction rules see the text, so a long one is
        # not probed (a pattern with \s* beside a class that also takes blanks is cubic there)
        long = [] if not family.args[1].strip() else [(LONG, LONG_BUDGET)]
        for n, budget in [(n, SHORT_BUDGET) for n in SHORT] + long:
            text = family(n)
            seconds = _timed_search(compiled, text, budget)
            if seconds is None or seconds > budget:
                return text
    return None


def _timed_search(compiled: re.Pattern[str], text: str, budget: float) -> float | None:
    """CPU seconds of one search; None when it was stopped at twice the budget (main thread
    only: elsewhere the small steps between lengths keep an over-run short)."""
    with interrupt_after(budget * 2, _Slow, cpu=True):
        started = time.process_time()
        try:
            compiled.search(text)
        except _Slow:
            return None
        return time.process_time() - started


def _repeats(pattern: str) -> bool:
    """Whether the pattern repeats anything a variable number of times (text check: cheap and
    never wrong in the direction that matters, an escaped ``\\+`` only costs a probe)."""
    return bool(re.search(r"[*+]|\{\d*,\d*\}", pattern))


# --- the probe strings -----------------------------------------------------------------------

def _families(pattern: str, flags: int) -> list:
    """Functions n -> probe string: for each repeated part, what comes before it followed by its
    alternatives repeated n times, then each tail; and each piece of the pattern alone, repeated."""
    try:
        prefixed, pieces = _from_parser(pattern, flags)
    except Exception:  # another Python's parser
        prefixed, pieces = [], []
    if not prefixed and not pieces:  # … or one whose tree we could not read: the pattern's text
        pieces = _from_text(pattern)
    seen, families = set(), []
    candidates = [(pre, body) for pre, body in prefixed]
    candidates += [("", p) for p in pieces]
    candidates += [("", a + b) for a in pieces[:4] for b in pieces[:4] if a != b]
    for pre, body in candidates:
        if not body:
            continue
        for tail in TAILS:
            key = (pre, body, tail)
            if key not in seen:
                seen.add(key)
                families.append(functools.partial(_probe, pre, body, tail))
    return families[:MAX_FAMILIES]


def _probe(prefix: str, body: str, tail: str, n: int) -> str:
    return prefix + body * n + tail


def _from_text(pattern: str) -> list[str]:
    """Pieces without a parser: the pattern's literal characters, and a few usual ones."""
    chars = [c for c in dict.fromkeys(pattern) if c.isalnum() or ord(c) > 0x2e7f]
    return (chars + ["a", "1", " "])[:MAX_PIECES]


def _from_parser(pattern: str, flags: int) -> tuple[list[tuple[str, str]], list[str]]:
    """(prefix, repeated body) for each repeat in the parsed pattern, and the distinct pieces."""
    from re import _constants as C, _parser as P  # private: any failure falls back to the text

    from plancli.rules import _alternatives  # the lint's reading of a body as alternatives

    tree = P.parse(pattern, flags)
    prefixed: list[tuple[str, str]] = []
    pieces: list[str] = []

    def text_of(seq) -> str:
        return "".join(one(op, av) for op, av in seq)[:MAX_PIECE_CHARS]

    def one(op, av) -> str:
        if op is C.LITERAL:
            return chr(av)
        if op is C.NOT_LITERAL:
            return "a" if chr(av) != "a" else "b"
        if op is C.ANY:
            return "a"
        if op is C.IN:
            return _member(av, C)
        if op is C.SUBPATTERN:
            return text_of(av[-1])
        if op is C.BRANCH:
            return text_of(av[1][0]) if av[1] else ""
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            return text_of(av[2]) * min(max(av[0], 1 if av[1] else 0), 8)
        if op is C.ATOMIC_GROUP:
            return text_of(av)
        return ""  # anchors, look-arounds, back references

    def walk(seq, before: str) -> None:
        items = list(seq)
        for i, (op, av) in enumerate(items):
            prefix = before + text_of(items[:i])
            if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
                for alt in _alternatives(av[2], C):
                    body = text_of(alt)
                    prefixed.append((prefix, body))
                    pieces.append(body)
                walk(av[2], prefix)
            elif op is C.SUBPATTERN:
                walk(av[-1], prefix)
            elif op is C.ATOMIC_GROUP:
                walk(av, prefix)
            elif op is C.BRANCH:
                for alt in av[1]:
                    pieces.append(text_of(alt))
                    walk(alt, prefix)
            elif op in (C.LITERAL, C.IN, C.ANY, C.NOT_LITERAL):
                pieces.append(one(op, av))

    walk(tree, "")
    distinct = sorted(dict.fromkeys(p for p in pieces if p), key=len)
    return prefixed[:MAX_PIECES * 2], distinct[:MAX_PIECES]


def _member(items, C) -> str:
    """A character the class matches."""
    negate = any(op is C.NEGATE for op, _ in items)
    if negate:
        for ch in "a1 x中!":
            if not re.fullmatch(_class_text(items, C), ch):
                continue
            return ch
        return "\x01"
    for op, av in items:
        if op is C.LITERAL:
            return chr(av)
        if op is C.RANGE:
            return chr(av[0])
        if op is C.CATEGORY:
            return _CATEGORY_CHARS.get(str(av), "a")
    return "a"


def _class_text(items, C) -> str:
    """The class as a regex again (for negated classes only), to test candidate members."""
    parts = []
    for op, av in items:
        if op is C.NEGATE:
            parts.append("^")
        elif op is C.LITERAL:
            parts.append(re.escape(chr(av)))
        elif op is C.RANGE:
            parts.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op is C.CATEGORY:
            parts.append({"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
                          "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w",
                          "CATEGORY_NOT_WORD": r"\W"}.get(str(av), ""))
    return "[" + "".join(parts) + "]"
