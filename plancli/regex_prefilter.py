"""A first-character guard for rule patterns, so ``re`` can skip positions cheaply.

Python's ``re`` scans fast only when a pattern begins with a literal or a plain character class.
Rule patterns usually begin with an alternation of words and groups (``到\\s*(19|20)\\d{2}|力争|…``),
and then the engine tries every alternative at every position of the text. Most positions cannot
start a match at all: a lookahead on the set of characters a match can begin with, ``(?=[到力…])``,
rejects them with one class test. The guard never changes what matches: it is built from the
parsed pattern and only added when that set is known exactly enough (a superset of the real
first characters) and the pattern cannot match the empty string.

``reach_before`` reads parsed patterns for the same purpose: how far before a literal every
match starts, so a search can jump from one occurrence of the literal to the next.
"""
from __future__ import annotations

import functools
import re

try:  # the parser behind re.compile; another Python's internals: patterns stay unguarded
    from re import _constants as C, _parser as P
except ImportError:  # pragma: no cover
    C = P = None


class _Unknown(Exception):
    """The first characters cannot be stated as a class (., [^…], backreferences…)."""


_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W",
}


def _char(code: int) -> str:
    return f"\\U{code:08x}"


def _class_items(items) -> list[str]:
    out = []
    for op, av in items:
        if op is C.LITERAL:
            out.append(_char(av))
        elif op is C.RANGE:
            out.append(f"{_char(av[0])}-{_char(av[1])}")
        elif op is C.CATEGORY and str(av) in _CATEGORIES:
            out.append(_CATEGORIES[str(av)])
        else:  # NEGATE and the rest
            raise _Unknown
    return out


def _first(seq, ignore_case: bool) -> tuple[set[str], set[str], bool]:
    """(case-sensitive class items, case-insensitive class items, can match empty) of a sequence."""
    exact: set[str] = set()
    folded: set[str] = set()
    for op, av in seq:
        e, f, nullable = _first_of(op, av, ignore_case)
        exact |= e
        folded |= f
        if not nullable:
            return exact, folded, False
    return exact, folded, True


def _first_of(op, av, ignore_case: bool) -> tuple[set[str], set[str], bool]:
    target = (set(), set())
    if op is C.LITERAL:
        target[ignore_case].add(_char(av))
        return target[0], target[1], False
    if op is C.IN:
        target[ignore_case].update(_class_items(av))
        return target[0], target[1], False
    if op in (C.AT, C.ASSERT, C.ASSERT_NOT):  # zero-width: the next item consumes the character
        return set(), set(), True
    if op is C.BRANCH:
        exact, folded, nullable = set(), set(), False
        for alternative in av[1]:
            e, f, n = _first(alternative, ignore_case)
            exact |= e
            folded |= f
            nullable = nullable or n
        return exact, folded, nullable
    if op is C.SUBPATTERN:
        _group, add_flags, del_flags, body = av
        if add_flags & re.IGNORECASE:
            ignore_case = True
        if del_flags & re.IGNORECASE:
            ignore_case = False
        return _first(body, ignore_case)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        low, _high, body = av
        exact, folded, nullable = _first(body, ignore_case)
        return exact, folded, nullable or low == 0
    raise _Unknown


def _worth_guarding(items, flags: int) -> bool:
    """Whether the pattern begins with alternatives ``re`` tries one by one at every position.

    Where its compiler finds a literal or character-set prefix (a leading literal or class, or
    alternatives that all begin with a literal or a class), or the pattern is anchored, or it begins with a
    repeated class (cheap to try), ``re`` is as fast without a guard."""
    op, av = items[0]
    while (op is C.SUBPATTERN or (op in (C.MAX_REPEAT, C.MIN_REPEAT) and av[0] >= 1)) and av[-1]:
        if op is C.SUBPATTERN:
            flags |= av[1]
        op, av = av[-1][0]
    if op is not C.BRANCH:
        return False
    return bool(flags & re.IGNORECASE) or not all(alt and alt[0][0] in (C.LITERAL, C.IN) for alt in av[1])


def first_char_class(*patterns: str, flags: int = 0) -> str | None:
    """A regex for one character that every match of any of ``patterns`` begins with.

    None when that cannot be stated exactly enough: a pattern may begin with any character (.,
    [^…]), with a backreference, or match the empty string.
    """
    if P is None:
        return None
    exact: set[str] = set()
    folded: set[str] = set()
    for pattern in patterns:
        try:
            tree = P.parse(pattern, flags)
            e, f, nullable = _first(list(tree), bool(tree.state.flags & re.IGNORECASE))
        except Exception:  # _Unknown, re.error, or a parser whose shape changed: no class
            return None
        if nullable or not (e or f):
            return None
        exact |= e
        folded |= f
    parts = []
    if exact:
        parts.append("[" + "".join(sorted(exact)) + "]")
    if folded:
        parts.append("(?i:[" + "".join(sorted(folded)) + "])")
    return "|".join(parts)


def guard(pattern: str, flags: int = 0) -> str:
    """``pattern`` with a lookahead on its possible first characters, where that helps.

    Patterns that ``re`` already scans fast (a leading literal or class) and patterns whose first
    characters cannot be stated are returned unchanged, and so is every pattern when the private
    parser does not behave as expected: the guard only ever saves time.
    """
    if P is None:
        return pattern
    try:
        tree = P.parse(pattern, flags)
        items = list(tree)
        if not items or not _worth_guarding(items, tree.state.flags) or tree.state.flags & re.VERBOSE:
            return pattern  # (a verbose pattern is kept as written)
        first = first_char_class(pattern, flags=flags)
    except Exception:
        return pattern
    if first is None:
        return pattern
    # inline global flags, e.g. (?i), must stay at the very start of the pattern
    head = ""
    m = re.match(r"\(\?[aiLmsux]+\)", pattern)
    if m:
        head, pattern = m.group(), pattern[m.end():]
    return f"{head}(?={first})(?:{pattern})"


@functools.lru_cache(maxsize=256)
def reach_before(pattern: str, literal: str) -> int | None:
    """The most characters a match of ``pattern`` spans before ``literal``, when the pattern is
    bounded items followed by that literal at its top level (so every match holds it): a search
    may then start that far before each occurrence of the literal. None otherwise."""
    if P is None:
        return None
    try:
        tree = P.parse(pattern)
        if tree.state.flags & re.IGNORECASE:  # the literal's other cases would be missed
            return None
        items, wanted = list(tree), [(C.LITERAL, ord(c)) for c in literal]
        for i in range(len(items)):
            if items[i:i + len(wanted)] == wanted:
                width = P.SubPattern(tree.state, items[:i]).getwidth()[1]
                return width if isinstance(width, int) and 0 <= width < C.MAXREPEAT else None
    except Exception:  # another Python's internals: search everywhere
        return None
    return None
