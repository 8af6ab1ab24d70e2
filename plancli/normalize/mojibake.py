"""Repair GB byte-shift mojibake where the repair is certain; flag what looks damaged but is not.

How the damage happens: a GBK/GB18030 page loses one byte (or gains one). From there the
decoder pairs each trail byte with the next character's lead byte, turning sound text into rare
characters (``。“十四五”期間`` → ``?!笆…陂g``), until the stream realigns: a trail byte in
0x40-0x7E is read alone as an ASCII letter (``縣`` = BF 68 → ``?h``), or a lead byte meets
ASCII it cannot pair with and becomes a ``?``. The decoder usually writes a ``?`` (or U+FFFD)
for the byte it could not use at the start as well.

The repair undoes that: re-encode the run, put back the lost lead byte or drop the extra one,
and decode again. Inside the run every byte is known, so the realigned characters are certain;
only the edge characters that lost a byte have many readings (126 lead bytes, 190 trail
bytes). A reading is kept only when a word-frequency score (jieba's dictionary, on the text
converted to Simplified, since that dictionary is Simplified) says its window is clearly more
plausible Chinese than the damaged one (``min_gain``) and clearly better than every other
reading (``min_lead``); an edge character that stays ambiguous is kept as its ``?`` mark.
Forms whose bytes are truly gone are listed in ``rules/mojibake.yaml`` as plain replacements.
What still looks damaged is left alone and reported in ``StepResult.flagged``.

The frequencies are read only when the text contains a run of that shape, so clean text pays
nothing, and then only for the characters scored (``wordfreq``): jieba itself is not loaded.
Scoring a run costs a few milliseconds, and a damaged page has a handful of runs; random or
binary bytes decoded as text have one every few characters. So the work is bounded: text with
more than one suspicious run per ``_DENSE`` characters is not a damaged page and is left
alone, and at most ``_MIN_RUNS`` plus one run per ``_CHARS_PER_RUN`` characters is
examined (the real pages seen need a tenth of that); what was not examined is recorded as
``mojibake_not_examined``, never dropped silently.
The rules repeat until the text stops changing (every repair shortens the text or turns a stray
ASCII letter into a character, so this ends), which makes the step idempotent.
"""
from __future__ import annotations

import codecs
import functools
import math
import re
from typing import Literal

from pydantic import field_validator, model_validator

from plancli import rules as rules_mod
from plancli.normalize.step import StepResult


class MojibakeRule(rules_mod.Rule):
    """A known damaged form (``table``) or one of the general shift repairs."""

    method: Literal["table", "lost_byte", "silent_shift"]
    pattern: rules_mod.Pattern | None = None
    replace: str | None = None
    max_run: int = 12
    min_gain: float = 2.0
    min_lead: float = 3.0

    @model_validator(mode="after")
    def _table_fields(self) -> "MojibakeRule":
        is_table = self.method == "table"
        if is_table != (self.pattern is not None) or is_table != (self.replace is not None):
            raise ValueError("'pattern' and 'replace' are required for method 'table' and only for it")
        return self


class MojibakeRules(rules_mod.RuleFile):
    """``rules/mojibake.yaml``: codec, scoring settings and the ordered repairs."""

    encoding: str = "gb18030"
    lost_byte_marks: str = "?\ufffd"
    folded_punctuation: str = ""
    punctuation_freq: dict[str, float] = {}
    unknown_freq: float = 0.5
    context: int = 4
    implausible_below: float = -11.0
    #: Letters pages use to mask numbers (20XX年, xx家, x.x%): never taken for stray trail bytes.
    mask_letters: str = "xX"
    rules: list[MojibakeRule] = []

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        codecs.lookup(value)
        return value


def rules(rs: "rules_mod.RuleSet | None" = None) -> MojibakeRules:
    """The mojibake rules of ``rs`` (default: the built-in set)."""
    return rules_mod.ruleset(rs).get("mojibake")  # type: ignore[return-value]


# --- where damage can be: plain regex work, no dictionary ---------------------------------------

#: A lone ASCII character in the trail-byte range 0x40-0x7E, glued to what precedes it and
#: followed by non-ASCII text, a space or the end: where a shifted stream realigns.
_TRAIL = re.compile(r"[\x40-\x7e](?=[^\x00-\x7f]|\s|\Z)")
#: The same letter glued to a non-ASCII character before it. The letter comes first and the
#: look-behind after it: a pattern led by a look-behind runs the matcher at every position of
#: the text, one led by a character class skips ahead in a tight scan (~4x faster).
_GLUED = re.compile(r"[\x40-\x7e](?<=[^\x00-\x7f\s].)(?=[^\x00-\x7f]|\s|\Z)")
#: The same places found from the non-ASCII character before the letter (the match starts one
#: character early): faster on mostly-ASCII pages, where letters are everywhere.
_GLUED_AFTER_NON_ASCII = re.compile(r"[^\x00-\x7f\s](?=[\x40-\x7e](?:[^\x00-\x7f]|\s|\Z))")
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")


@functools.lru_cache(maxsize=65536)
def _gb2(ch: str, encoding: str) -> bytes | None:
    """The two GB bytes of a non-ASCII character, or None (ASCII, four-byte or unencodable)."""
    if ch.isascii():
        return None
    try:
        raw = ch.encode(encoding)
    except UnicodeEncodeError:
        return None
    return raw if len(raw) == 2 and raw[0] >= 0x81 else None


def _run_bytes(run: str, r: MojibakeRules) -> bytes | None:
    """GB bytes of a damaged run; folded ASCII punctuation counts as its full-width form."""
    out = bytearray()
    for ch in run:
        if ch in r.folded_punctuation:
            ch = chr(ord(ch) + 0xFEE0)
        raw = _gb2(ch, r.encoding)
        if raw is None:
            return None
        out += raw
    return bytes(out)


def _decode(raw: bytes, chars: int, r: MojibakeRules) -> str | None:
    """Decode ``raw`` into exactly ``chars`` ordinary characters, or None."""
    try:
        text = raw.decode(r.encoding)
    except UnicodeDecodeError:
        return None
    if len(text) != chars or any(c.isascii() for c in text) or _PRIVATE_USE.search(text):
        return None
    return text


@functools.lru_cache(maxsize=4)
def _marks(text: str, marks: str) -> list[int]:
    """Positions of lost-byte marks in ``text``, in order.

    Marks are rare, so ``str.find`` (a fast string scan) finds them; cached because the runs,
    the suspicion test and the flags all look at the same text."""
    found = []
    for mark in marks:
        i = text.find(mark)
        while i >= 0:
            found.append(i)
            i = text.find(mark, i + 1)
    return sorted(found)


@functools.lru_cache(maxsize=4)
def _glued(text: str) -> list[int]:
    """Positions of glued stray letters (``_GLUED``), cached like ``_marks``; the scan starts
    from whichever side of the pair is rarer in the text."""
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    if non_ascii * 2 < len(text):
        return [m.start() + 1 for m in _GLUED_AFTER_NON_ASCII.finditer(text)]
    return [m.start() for m in _GLUED.finditer(text)]


def _marks_by_non_ascii(text: str, r: MojibakeRules) -> list[int]:
    """The marks with a non-ASCII neighbour: the only ones a shifted stream can have left."""
    return [i for i in _marks(text, r.lost_byte_marks)
            if (i > 0 and not text[i - 1].isascii()) or (i + 1 < len(text) and not text[i + 1].isascii())]


def _suspicious(text: str, r: MojibakeRules) -> bool:
    """Cheap test: a lost-byte mark next to non-ASCII text, or a glued stray letter."""
    return bool(_marks_by_non_ascii(text, r) or _glued(text))


# --- scoring: jieba word frequencies, loaded on first need ---------------------------------------


class _Scorer:
    """Log-probability of text under jieba's unigram word model (best segmentation)."""

    def __init__(self, punctuation: tuple[tuple[str, float], ...], unknown: float):
        import opencc

        from plancli.normalize.wordfreq import table

        self.words = table()  # jieba's FREQ, unpacked by first character as windows need it
        self.freq = self.words.freq
        self.log_total = math.log(self.words.total)
        self.punct = {ch: math.log(f) - self.log_total for ch, f in punctuation}
        self.unknown = math.log(unknown) - self.log_total
        self.max_word = 6
        self._simple = _SimpleTable(opencc.OpenCC("t2s"))
        self._single: dict[str, float] = {}
        self._last: tuple[str, list[float]] = ("", [0.0])  # the previous window and its DP

    def simplify(self, text: str) -> str:
        """Character by character (cached), so scores of similar windows stay comparable."""
        return text.translate(self._simple)

    def _word(self, w: str) -> float | None:
        f = self.freq.get(w)
        if f:
            return math.log(f) - self.log_total
        return self.punct.get(w) if len(w) == 1 else None

    def _char(self, ch: str) -> float:
        score = self._single.get(ch)
        if score is None:
            single = self._word(ch)
            score = self._single[ch] = self.unknown if single is None else single
        return score

    def mean(self, text: str) -> float:
        """Mean log-probability per character of the best segmentation of ``text``.

        This runs for every candidate reading (hundreds per damaged run), so ``_word`` is
        inlined for words of two or more characters, and the scan for words starting at ``i``
        stops at the first substring that starts none: jieba's ``FREQ`` holds every prefix of
        every word (with frequency 0), so a substring missing from it has no longer word.
        ``best[i]`` depends only on the text from ``i`` on, and consecutive candidate windows
        differ in one edge character, so the values for the end they share with the previous
        window are taken over from it.
        """
        s = self.simplify(text)
        n = len(s)
        if not n:
            return 0.0
        prev, prev_best = self._last
        shared = _shared_suffix(s, prev)
        todo = n - shared  # positions before the shared end
        freq, log, log_total, max_word = self.words.need(s[:todo]), math.log, self.log_total, self.max_word
        single = self._single
        best = [0.0] * todo + prev_best[len(prev) - shared:]
        for i in range(todo - 1, -1, -1):
            top = single.get(s[i])
            if top is None:
                top = self._char(s[i])
            top += best[i + 1]
            for j in range(i + 2, min(n, i + max_word) + 1):
                f = freq.get(s[i:j])
                if f is None:
                    break
                if f:
                    score = log(f) - log_total + best[j]
                    if score > top:
                        top = score
            best[i] = top
        self._last = (s, best)
        return best[0] / n


class _SimpleTable(dict):
    """``str.translate`` table: code point → its one-character t2s form (itself if none),
    filled in as characters are first met."""

    def __init__(self, t2s):
        super().__init__()
        self._t2s = t2s

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        simple = self._t2s.convert(ch)
        simple = self[code] = simple if len(simple) == 1 else ch
        return simple


def _shared_suffix(a: str, b: str) -> int:
    """How many characters ``a`` and ``b`` share at their ends."""
    k, most = 0, min(len(a), len(b))
    while k < most and a[-1 - k] == b[-1 - k]:
        k += 1
    return k


@functools.lru_cache(maxsize=4)
def _scorer(punctuation: tuple[tuple[str, float], ...], unknown: float) -> _Scorer:
    return _Scorer(punctuation, unknown)


def _get_scorer(r: MojibakeRules) -> _Scorer:
    return _scorer(tuple(sorted(r.punctuation_freq.items())), r.unknown_freq)


# --- the shift repairs ---------------------------------------------------------------------------


def _line_context(text: str, start: int, end: int, size: int) -> tuple[str, str]:
    """Up to ``size`` characters each side of ``text[start:end]``, not crossing a line break."""
    left = text[max(0, start - size):start].rsplit("\n", 1)[-1]
    right = text[end:end + size].split("\n", 1)[0]
    return left, right


def _choose(text: str, end: int, options: list[tuple[int, str]], rule: MojibakeRule,
            r: MojibakeRules, scorer: _Scorer) -> tuple[int, str] | None:
    """The one candidate ``(start, replacement)`` for ``text[start:end]`` that clearly wins.

    Each candidate's window (context + replacement + context) must beat the damaged window it
    replaces by ``min_gain`` per character, and beat the best candidate that reads differently
    (after t2s) by ``min_lead`` over the window.
    """
    scored, damaged = [], {}
    for s, repl in options:
        left, right = _line_context(text, s, end, r.context)
        if s not in damaged:
            damaged[s] = scorer.mean(left + text[s:end] + right)
        window = left + repl + right
        mean = scorer.mean(window)
        scored.append((mean, mean - damaged[s], len(window), s, repl))
    if not scored:
        return None
    scored.sort(key=lambda x: x[0], reverse=True)
    top, gain, size, s, repl = scored[0]
    if gain < rule.min_gain:
        return None
    simple = scorer.simplify(repl)
    rival = next((m for m, _, _, _, rp in scored[1:] if scorer.simplify(rp) != simple), None)
    if rival is not None and (top - rival) * size < rule.min_lead:
        return None
    return s, repl


def _lost_byte_runs(text: str, rule: MojibakeRule, r: MojibakeRules):
    """(mark position, end) of the runs a lost byte shifted: ``mark + run + end``.

    The end is where the stream realigned: a stray letter (a trail byte read alone), or a second
    mark before ASCII or the line end (a lead byte whose trail was ASCII and could not pair).
    After ASCII text the run must not be empty, so ``What?I`` or ``?id=`` are left alone.
    """
    for i in _marks(text, r.lost_byte_marks):
        j = i + 1
        while j < len(text) and j - i - 1 < rule.max_run and _run_bytes(text[j], r) is not None:
            j += 1
        if _TRAIL.match(text, j) and (j > i + 1 or (i > 0 and not text[i - 1].isascii())):
            yield i, j + 1
        elif j > i + 1 and j < len(text) and text[j] in r.lost_byte_marks and (
                j + 1 == len(text) or (text[j + 1].isascii() and not _TRAIL.match(text, j + 1))):
            yield i, j + 1


#: Bytes that can follow a GB lead byte.
_TRAIL_BYTES = [b for b in range(0x40, 0xFF) if b != 0x7F]


def _lost_byte_repair(text: str, rule: MojibakeRule, r: MojibakeRules, scorer: _Scorer, i: int, end: int):
    """Realign the run; the characters at its edges lost a byte, so each is chosen by score
    among all its possible readings, and kept as a mark when no reading clearly wins."""
    closed = text[end - 1] in r.lost_byte_marks
    if not closed and not text[end - 1].isascii():
        return None  # the run no longer ends in a stray trail byte (an earlier repair moved it)
    seq = _run_bytes(text[i + 1:end - 1], r) + (b"" if closed else text[end - 1].encode("ascii"))
    inner = seq[1:-1] if closed else seq[1:]  # the bytes both of whose neighbours are known
    middle = _decode(inner, len(inner) // 2, r)
    if middle is None:
        return None

    def pick(make, candidates) -> str | None:
        options = [(i, make(c)) for c in candidates if c is not None]
        choice = _choose(text, end, options, rule, r, scorer)
        return choice[1] if choice else None

    mark_end = text[end - 1] if closed else ""
    heads = [_decode(bytes([lead]) + seq[:1], 1, r) for lead in range(0x81, 0xFF)]
    head = (pick(lambda c: c + middle + mark_end, heads) or text[i])[0]
    last = mark_end
    if closed:
        lasts = [_decode(seq[-1:] + bytes([b]), 1, r) for b in _TRAIL_BYTES]
        last = (pick(lambda c: head + middle + c, lasts) or mark_end)[-1]
    if not middle and head == text[i] and last == mark_end:
        return None  # nothing recovered: leave the run for the flags
    return _choose(text, end, [(i, head + middle + last)], rule, r, scorer)


def _silent_runs(text: str, rule: MojibakeRule, r: MojibakeRules):
    """(earliest possible start, end) of a garbage run ending in a glued stray letter."""
    for j in _glued(text):
        if text[j] in r.mask_letters:
            continue  # "xx家", "x项": a masked number, not a stray trail byte
        k = j
        while k > 0 and j - k < rule.max_run and _run_bytes(text[k - 1], r) is not None \
                and not text[k - 1].isascii():
            k -= 1
        if k < j:
            yield k, j + 1


def _silent_repair(text: str, rule: MojibakeRule, r: MojibakeRules, scorer: _Scorer, first: int, end: int):
    """With no mark the run's start is unknown: try each start, both dropping an extra byte and
    adding a lost lead byte; only a clear winner over all of them is kept."""
    tail = text[end - 1].encode("ascii")
    options = []
    for s in range(first, end - 1):
        run = _run_bytes(text[s:end - 1], r) + tail
        chars = end - 1 - s
        dropped = _decode(run[1:], chars, r)  # an extra byte came first: drop it
        if dropped is None:
            continue
        left, right = _line_context(text, s, end, r.context)
        if scorer.mean(left + dropped + right) < scorer.mean(left + text[s:end] + right):
            continue  # the realigned tail is no better: no lead byte will rescue it
        options.append((s, dropped))
        options += [(s, d) for lead in range(0x81, 0xFF)  # a lead byte was lost: add it
                    if (d := _decode(bytes([lead]) + run, chars + 1, r)) is not None]
    return _choose(text, end, options, rule, r, scorer)


#: The work bound (see the module docstring): runs examined per text, beyond a floor.
_MIN_RUNS = 50
_CHARS_PER_RUN = 2000
#: More than one suspicious run per this many characters: not a damaged page at all.
_DENSE = 50
_NOT_EXAMINED = "mojibake_not_examined"


class _Budget:
    """How many more runs one call of :func:`repair_mojibake` may examine."""

    def __init__(self, text: str):
        self.chars = len(text)
        self.total = self.left = _MIN_RUNS + len(text) // _CHARS_PER_RUN

    def take(self, found: list, result: StepResult) -> list:
        """The runs of ``found`` to examine; the others are recorded as not examined."""
        kept = found[:max(self.left, 0)]
        self.left -= len(kept)
        if len(kept) < len(found):
            self.skip(result, len(found) - len(kept), self.over)
        return kept

    @property
    def over(self) -> str:
        return f"over the bound of {self.total} places examined in a text of this length: left as they are"

    @staticmethod
    def skip(result: StepResult, count: int, why: str) -> None:
        before, _ = result.not_examined.get(_NOT_EXAMINED, (0, ""))
        result.not_examined[_NOT_EXAMINED] = (before + count, why)


def _apply_shift(result: StepResult, rule: MojibakeRule, r: MojibakeRules, budget: _Budget) -> bool:
    """Repair every run this rule finds (within ``budget``), right to left so earlier positions stay valid."""
    finder, repair = ((_lost_byte_runs, _lost_byte_repair) if rule.method == "lost_byte"
                      else (_silent_runs, _silent_repair))
    text = result.text
    found = budget.take(list(finder(text, rule, r)), result)
    if not found:
        return False
    scorer = _get_scorer(r)
    changed = False
    for start, end in reversed(found):
        choice = repair(text, rule, r, scorer, start, end)
        if choice is None:
            continue
        s, repl = choice
        result.note(text[s:end], repl)
        text = text[:s] + repl + text[end:]
        changed = True
    result.text = text
    return changed


def _apply_table(result: StepResult, rule: MojibakeRule) -> bool:
    pattern = rules_mod.compiled(rule.pattern)

    def swap(m: re.Match[str]) -> str:
        replacement = m.expand(rule.replace)
        result.note(m.group(0), replacement)
        return replacement

    new = pattern.sub(swap, result.text)
    changed = new != result.text
    result.text = new
    return changed


def _flags(text: str, r: MojibakeRules, limit: int) -> tuple[list[str], int]:
    """What still looks damaged: marks next to non-ASCII text, garbage before a glued letter
    (at most ``limit`` of those are scored); and how many glued letters were left unscored."""
    spans: list[list[int]] = []
    for i in _marks_by_non_ascii(text, r):
        left, right = _line_context(text, i, i + 1, r.context)
        start, end = i - len(left), i + 1 + len(right)
        if spans and start <= spans[-1][1]:
            spans[-1][1] = end  # neighbouring marks (选?洗?梳) make one flag
        else:
            spans.append([start, end])
    found = [text[a:b] for a, b in spans]
    scorer = None
    scored = 0
    glued = _glued(text)
    for n, j in enumerate(glued):
        if text[j] in r.mask_letters:
            continue
        if scored == limit:
            return list(dict.fromkeys(found)), len(glued) - n
        k = j
        while k > 0 and j - k < 3 and not text[k - 1].isascii() and _gb2(text[k - 1], r.encoding):
            k -= 1
        run = text[k:j]  # the last characters a shifted stream would have left before the letter
        if not run:
            continue
        scorer = scorer or _get_scorer(r)
        scored += 1
        if scorer.mean(run) < r.implausible_below:
            found.append(run + text[j:j + 2].split("\n", 1)[0])
    return list(dict.fromkeys(found)), 0


_MAX_PASSES = 20


def repair_mojibake(text: str, rules: MojibakeRules, flag: bool = True) -> StepResult:
    """Apply the rules in order until the text stops changing; then flag what still looks bad
    (unless ``flag`` is false: a caller that only asks whether the text would change)."""
    result = StepResult(text)
    budget = _Budget(text)
    # random or binary bytes read as text: suspicious places everywhere, and none a repair
    places = len(_marks_by_non_ascii(text, rules)) + len(_glued(text))
    garbage = places > _MIN_RUNS and places * _DENSE > len(text)
    if garbage:
        budget.skip(result, places, f"{places} suspicious places in {len(text)} characters, far more than a "
                                    "damaged page has (random or binary data?): left as they are")
    changed, passes = True, 0
    suspicious = None  # _suspicious(result.text), kept until the text changes
    while changed and passes < _MAX_PASSES:  # the bound only guards against a looping table
        changed, passes = False, passes + 1
        for rule in rules.rules:
            if rule.method == "table":
                if _apply_table(result, rule):
                    changed, suspicious = True, None
                continue
            if garbage:
                continue
            if suspicious is None:
                suspicious = _suspicious(result.text, rules)
            if suspicious and _apply_shift(result, rule, rules, budget):
                changed, suspicious = True, None
    if not flag or garbage:
        _forget()
        return result
    if suspicious is None:
        suspicious = _suspicious(result.text, rules)
    if suspicious:
        result.flagged, unscored = _flags(result.text, rules, budget.total)
        if unscored:
            budget.skip(result, unscored, budget.over)
    _forget()
    return result


def _forget() -> None:
    """Drop the texts the position caches hold (each may be a whole large document)."""
    _marks.cache_clear()
    _glued.cache_clear()
