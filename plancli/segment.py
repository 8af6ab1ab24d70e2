"""Segmentation: parts, the section tree, sentences, words and the document's language.

Plan documents number their structure with a small set of marker families (篇一 / 一、 / (一) /
1. / 1、 / (1) / ① and English "(1)", "1."), in an order each document chooses for itself. So
levels are not fixed per family: a family seen for the first time opens a level below the
current one, a family already open closes everything below it (the usual outline rule). Pages
from content farms run headings into one long line (``…机制。2.加快发展…``); a marker inside a
line is accepted only after sentence punctuation, or right after a short heading, and only when
its number continues a sequence (tolerating one skipped or masked number).
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Iterator

from plancli import rules as rules_mod
from plancli.models import Section

CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
EN_ORDINALS = {w: i for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth".split(), start=1)}


class HeadingRule(rules_mod.Rule):
    #: Marker family: headings of one family are siblings; a new family opens a level.
    family: str
    #: Regex matched at a candidate position; group ``num`` holds the number.
    pattern: rules_mod.Pattern
    #: Level-0 article boundaries on pages that hold several articles (篇一 … 篇九).
    part: bool = False
    #: May the marker start in the middle of a line (run-on numbering)?
    midline: bool = True
    #: Starts a new top-level section of the current part (an attachment, "附件:").
    top: bool = False
    #: Longest heading title; longer first sentences are cut here at a comma.
    max_title: int = 60


class HeadingRules(rules_mod.RuleFile):
    rules: list[HeadingRule]
    #: Sentence-final punctuation after which a mid-line marker may start.
    midline_after: str = "。;!?:"

    @functools.cached_property
    def any_marker(self) -> re.Pattern[str]:
        """All marker patterns in one regex: a single C-level test before trying rules one by one."""
        unnamed = [re.sub(r"\(\?P<\w+>", "(?:", r.pattern) for r in self.rules]
        return re.compile("|".join(f"(?:{p})" for p in unnamed))

    @functools.cached_property
    def any_marker_at(self) -> re.Pattern[str]:
        """A zero-width version, so ``finditer`` reports every position, overlapping ones too."""
        return re.compile(f"(?=(?:{self.any_marker.pattern}))")


def rules(rules_dir=None) -> HeadingRules:
    return rules_mod.load("headings", HeadingRules, rules_dir)


def numeral_value(token: str) -> int | None:
    """1 for "1", "一", "①", "first", "I"; 25 for "二十五"; None for masked ("X", "_")."""
    token = token.strip().lower()
    if not token:
        return None
    if token.isdecimal():  # not isdigit(): "①".isdigit() is True, but int("①") fails
        return int(token)
    if token in EN_ORDINALS:
        return EN_ORDINALS[token]
    if re.fullmatch(r"[ivx]{1,5}", token) and token != "x":  # Roman numerals: i … xx (a lone X masks)
        values = {"i": 1, "v": 5, "x": 10}
        total = sum(-values[c] if values[c] < values.get(n, 0) else values[c]
                    for c, n in zip(token, token[1:] + " "))
        return total
    if len(token) == 1 and token in CIRCLED:
        return CIRCLED.index(token) + 1
    if all(c in CN_DIGITS or c in "十百" for c in token):
        total, current = 0, 0
        for c in token:
            if c == "十":
                total += (current or 1) * 10
                current = 0
            elif c == "百":
                total += (current or 1) * 100
                current = 0
            else:
                current = CN_DIGITS[c]
        return total + current
    return None


@dataclass
class _Marker:
    start: int
    end: int  # end of the marker itself (title starts here)
    rule: HeadingRule
    num: int | None
    line_start: bool
    #: Found glued to a short heading title ("三、工作任务(一)…"), not after punctuation.
    glued: bool = False


@dataclass
class Structure:
    sections: list[Section]

    def __post_init__(self) -> None:
        self._by_id = {s.id: s for s in self.sections}
        self._starts = [s.span[0] for s in self.sections]

    def section_at(self, pos: int) -> Section | None:
        """The deepest section whose span contains ``pos``.

        Sections nest and are ordered by start, so the last one starting at or before ``pos``
        is the deepest candidate; if it has already ended, one of its ancestors holds ``pos``.
        """
        i = bisect.bisect_right(self._starts, pos) - 1
        section = self.sections[i] if i >= 0 else None
        while section is not None and not (section.span[0] <= pos < section.span[1]):
            section = self._by_id.get(section.parent) if section.parent else None
        return section

    def ancestors(self, section: Section | None) -> list[Section]:
        """The section and its ancestors, innermost first."""
        out = []
        while section is not None:
            out.append(section)
            section = self._by_id.get(section.parent) if section.parent else None
        return out

    @property
    def parts(self) -> list[Section]:
        return [s for s in self.sections if s.kind == "part"]


def _candidates(text: str, hr: HeadingRules) -> Iterator[tuple[int, bool]]:
    """Positions where a heading may start: line starts, and after sentence punctuation."""
    yield 0, True
    for m in re.finditer(r"\n[ \t]*", text):
        yield m.end(), True
    for m in re.finditer(f"[{re.escape(hr.midline_after)}][ \t]*", text):
        yield m.end(), False


def _match_at(text: str, pos: int, line_start: bool, hr: HeadingRules) -> _Marker | None:
    if not hr.any_marker.match(text, pos):
        return None
    for rule in hr.rules:
        if not line_start and not rule.midline:
            continue
        m = rules_mod.compiled(rule.pattern).match(text, pos)
        if m:
            num = numeral_value(m.group("num")) if "num" in m.groupdict() and m.group("num") else None
            return _Marker(pos, m.end(), rule, num, line_start)
    return None


def _title(text: str, start: int, limit: int, stop: int) -> tuple[str, int]:
    """The heading title: up to the first sentence end, line end or the next heading.

    ``limit`` counts Chinese characters; English words take about twice as many characters, so
    a mostly-Latin title may be twice as long, and is never cut inside a word.
    """
    while start < stop and text[start] in " \t":
        start += 1
    end = start
    while end < stop and text[end] not in "。;!?\n":
        end += 1
    title = text[start:end]
    latin = sum(c.isascii() for c in title) > len(title) / 2
    if latin:  # an English heading ends at its first full stop: "1. Encourage … . The …"
        dot = re.search(r"(?<=[A-Za-z0-9)\"”])\.(?=\s)", title)
        if dot:
            end = start + dot.start()
            title = text[start:end]
    if latin:
        limit *= 2
    if len(title) > limit:
        cut = title.rfind(",", 0, limit)
        if cut <= 8 and latin:
            cut = title.rfind(" ", 0, limit + 1)
        title = title[: cut if cut > 8 else limit]
    title = title.rstrip().rstrip(".:: ")
    return title, start + len(title)


def find_structure(text: str, rules_dir=None) -> Structure:
    hr = rules(rules_dir)
    # Every position where some marker pattern matches, found in one C-level scan; the passes
    # below only look at these instead of trying the rules at every line start and full stop.
    hits = [m.start() for m in hr.any_marker_at.finditer(text)]
    candidates = dict(sorted(_candidates(text, hr), key=lambda c: (c[0], not c[1]), reverse=True))
    markers: list[_Marker] = []
    for pos in hits:
        if pos in candidates:
            mk = _match_at(text, pos, candidates[pos], hr)
            if mk:
                markers.append(mk)
    # Run-on headings: "三、工作任务(一)加强…" — a first child glued to a short heading title,
    # or the next number of a family that runs on across chapters ("三、保障措施(十四)…");
    # "…工作计划一、2022年工作总结…" — a document title glued to its first heading.
    extra: list[_Marker] = []
    starts = {m.start for m in markers}
    for pos, line_start in candidates.items():
        if not line_start or pos in starts:
            continue
        for i in _hits_between(hits, text, pos + 4, pos + 40, "。;!?\n,,:"):
            glued = _match_at(text, i, False, hr)
            if glued and glued.num == 1 and not glued.rule.part:
                extra.append(glued)
                break
    last_num: dict[str, int] = {}
    for mk in markers:
        for i in _hits_between(hits, text, mk.end + 2, mk.end + 16, "。;!?\n,,"):
            child = _match_at(text, i, False, hr)
            if child and child.rule.family != mk.rule.family and child.num is not None and (
                    child.num in (1, 2) or child.num == last_num.get(child.rule.family, -1) + 1):
                child.glued = True
                extra.append(child)
                break
        if mk.num is not None:
            last_num[mk.rule.family] = mk.num
    unique: dict[int, _Marker] = {}
    for mk in markers + extra:  # the run-on passes may find the same marker twice
        unique.setdefault(mk.start, mk)
    markers = sorted(unique.values(), key=lambda m: m.start)
    return Structure(_build_tree(text, markers))


def _hits_between(hits: list[int], text: str, start: int, end: int, stops: str) -> Iterator[int]:
    """Marker positions in [start, end) not separated from ``start`` by a stop character."""
    end = min(end, len(text))
    i = bisect.bisect_left(hits, start)
    checked = start
    while i < len(hits) and hits[i] < end:
        pos = hits[i]
        if any(c in stops for c in text[checked:pos + 1]):
            return
        checked = pos + 1
        yield pos
        i += 1


#: Real outlines are a handful of levels deep; restarted numbering nests no deeper than this.
MAX_DEPTH = 12


def _build_tree(text: str, markers: list[_Marker]) -> list[Section]:
    sections: list[Section] = []
    title_ends: list[int] = []
    #: family -> (family of its parent, number, section index) of its latest heading
    recent: dict[str, tuple[str | None, int | None, int]] = {}
    # stack of (family, section index, last number)
    stack: list[list] = []
    next_start = [m.start for m in markers[1:]] + [len(text)]
    for mk, stop in zip(markers, next_start):
        fam = mk.rule.family
        if mk.rule.part:
            stack = []
        elif mk.rule.top:
            prev = sections[-1] if sections else None
            if (prev is not None and stack and stack[-1][0] == fam and stack[-1][2] == mk.num
                    and not text[title_ends[-1]:mk.start].strip()):
                # "附件:X" listed at the end of the body, then the attachment itself under
                # "附件:" with the same number: one attachment, not two.
                continue
            stack = [e for e in stack if sections[e[1]].kind == "part"]
        else:
            open_families = [entry[0] for entry in stack]
            depth = len(open_families) - 1 - open_families[::-1].index(fam) if fam in open_families else None
            if not mk.line_start and not mk.glued:
                # mid-line markers must continue a sequence (one skipped or masked number allowed)
                if depth is not None:
                    last = stack[depth][2]
                    if mk.num is not None and last is not None and not (last < mk.num <= last + 2):
                        continue
                elif mk.num not in (1, 2, None):
                    continue
            if depth is not None:
                # A family open above a heading of another family closes it (the outline rule),
                # except when its numbering starts again at 1 under that heading ("1. …" /
                # "(1) …" / "1. …"), or continues the family's latest sequence, which ran under
                # a heading of that same family ("(1) 1. (2) 2."): then it is a deeper level.
                latest = recent.get(fam)
                nested = mk.line_start and depth < len(stack) - 1 and len(stack) < MAX_DEPTH and (
                    (mk.num == 1 and (stack[depth][2] or 0) >= 1)
                    or (latest is not None and latest[2] != stack[depth][1] and latest[0] == stack[-1][0]
                        and mk.num is not None and latest[1] is not None and mk.num == latest[1] + 1))
                if not nested:
                    del stack[depth:]
        parent = sections[stack[-1][1]] if stack else None
        level = 0 if mk.rule.part else (parent.level + 1 if parent else 1)
        title, title_end = _title(text, mk.end, mk.rule.max_title, stop)
        sid = f"s{len(sections) + 1}"
        sections.append(Section(id=sid, parent=parent.id if parent else None, level=level,
                                marker=text[mk.start:mk.end].strip(), title=title,
                                span=(mk.start, len(text)), kind="part" if mk.rule.part else "heading"))
        title_ends.append(title_end)
        recent[fam] = (stack[-1][0] if stack else None, mk.num, len(sections) - 1)
        stack.append([fam, len(sections) - 1, mk.num])
    # A section ends where the next section of the same or a higher level starts.
    open_sections: list[int] = []
    for i, s in enumerate(sections):
        while open_sections and sections[open_sections[-1]].level >= s.level:
            j = open_sections.pop()
            sections[j] = sections[j].model_copy(update={"span": (sections[j].span[0], s.span[0])})
        open_sections.append(i)
    return sections


# --- sentences -------------------------------------------------------------------------------

_ZH_SENTENCE = re.compile(r"(?:[^。!?;\n]|(?<=\d)\?(?=\d))+[。!?;]*")
_EN_BREAK = re.compile(r"(?<=[a-z0-9%)\"”])[.!?](?=\s+[A-Z(\"“])")


def sentences(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """[start, end) spans of sentences: Chinese 。!?; and line breaks, English ". " + capital."""
    end = len(text) if end is None else end
    for m in _ZH_SENTENCE.finditer(text, start, end):
        s, e = m.start(), m.end()
        piece = text[s:e]
        cut = s
        if "." not in piece and "!" not in piece and "?" not in piece:  # no English break possible
            yield from _strip_span(text, s, e)
            continue
        for b in _EN_BREAK.finditer(piece):
            yield from _strip_span(text, cut, s + b.end())
            cut = s + b.end()
        yield from _strip_span(text, cut, e)


def _strip_span(text: str, s: int, e: int) -> Iterator[tuple[int, int]]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        yield s, e


# --- language and words ----------------------------------------------------------------------

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    sample = text[:20000]
    cjk, latin = len(_CJK.findall(sample)), len(_LATIN.findall(sample))
    return "zh" if cjk * 3 >= latin else "en"


@functools.lru_cache(maxsize=1)
def _jieba():
    """jieba with our user dictionary (units, indicator terms), loaded on first use only."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    from plancli.lexicon import user_dictionary_path

    tok = jieba.Tokenizer()
    tok.cache_file = None
    cache_dir = user_cache_dir()
    tok.tmp_dir = str(cache_dir)
    tok.initialize()
    tok.load_userdict(str(user_dictionary_path()))
    return tok


def user_cache_dir():
    import os
    from pathlib import Path

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "plancli"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        import tempfile

        path = Path(tempfile.gettempdir())
    return path


def words(text: str) -> list[str]:
    """jieba words of ``text``, keeping unit and indicator names whole."""
    return _jieba().lcut(text)


# A clause ends at Chinese or English clause punctuation; a comma, colon or question mark
# between digits (300,000 / 1:0.5 / a damaged range 3?4) is part of a number, not a break.
_CLAUSE_END = re.compile(r"[;;。!]|[,?:](?!\d)|(?<!\d)[,?:]")


def clauses(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """[start, end) spans of the clauses of text[start:end], punctuation excluded."""
    end = len(text) if end is None else end
    cut = start
    for m in _CLAUSE_END.finditer(text, start, end):
        yield from _strip_span(text, cut, m.start())
        cut = m.end()
    yield from _strip_span(text, cut, end)
