"""Segmentation: parts, the section tree, sentences, words and the document's language.

Plan documents number their structure with a small set of marker families (篇一 / 一、 / (一) /
1. / 1、 / (1) / ① and English "(1)", "1."), in an order each document chooses for itself. So
levels are not fixed per family: a family seen for the first time opens a level below the
current one, a family already open closes everything below it (the usual outline rule). Pages
from content farms run headings into one long line (``…机制。2.加快发展…``); a marker inside a
line is accepted only after sentence punctuation, or right after a short heading, and only when
its number continues a sequence (tolerating two skipped or masked numbers).
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Iterator

from plancli import regex_prefilter
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
    #: Accepted only inside a run numbered 1, 2, 3 … of the same family (for shapes that are
    #: ordinary text elsewhere: "1大力发展…" at a line start, "一是…" inside a paragraph).
    sequence: bool = False
    #: An enumeration inside a paragraph ("一是…；二是…"): a section of kind "enumeration",
    #: part of the item it stands in rather than a heading of its own.
    enumeration: bool = False
    #: Characters after which this marker may start mid-line (default: the file's midline_after).
    midline_after: str | None = None
    #: A mid-line marker right after one of these characters ("实施项目:1、…;2、…") lists
    #: things inside a sentence: a section of kind "enumeration", not a heading.
    inline_list_after: str = ""


class HeadingRules(rules_mod.RuleFile):
    rules: list[HeadingRule]
    #: Sentence-final punctuation after which a mid-line marker may start.
    midline_after: str = "。;!?:"

    @functools.cached_property
    def any_marker(self) -> re.Pattern[str]:
        """All marker patterns in one regex: a single C-level test before trying rules one by one."""
        return rules_mod.any_of(tuple(r.pattern for r in self.rules))

    @functools.cached_property
    def wide_midline(self) -> bool:
        """Whether some rule may start after characters other than ``midline_after``."""
        return any(r.midline_after for r in self.rules)

    @functools.cached_property
    def compiled_rules(self) -> list[tuple[HeadingRule, re.Pattern[str]]]:
        return [(r, rules_mod.compiled(r.pattern)) for r in self.rules]

    @functools.cached_property
    def marker_start(self) -> re.Pattern[str] | None:
        """The characters a marker can begin with, as one class; None when some rule's are unknown."""
        first = regex_prefilter.first_char_class(*(r.pattern for r in self.rules))
        return re.compile(first) if first else None

    def marker_positions(self, text: str) -> list[int]:
        """Every position where some marker pattern matches, overlapping ones too.

        A C-level scan finds the few characters a marker can begin with; the combined marker
        regex is tried only there (a zero-width scan trying it everywhere costs 4x as much).
        """
        if self.marker_start is None:
            return [m.start() for m in re.finditer(f"(?=(?:{self.any_marker.pattern}))", text)]
        match = self.any_marker.match
        return [m.start() for m in self.marker_start.finditer(text) if match(text, m.start())]


def rules(rs: "rules_mod.RuleSet | None" = None) -> HeadingRules:
    """The headings rules of ``rs`` (default: the built-in set)."""
    return rules_mod.ruleset(rs).get("headings")  # type: ignore[return-value]


@functools.lru_cache(maxsize=1024)  # the same few numbers come back in every document
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
    #: An entry of a list inside a sentence (see ``HeadingRule.inline_list_after``).
    inline: bool = False


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


_LINE_START = re.compile(r"\n\s*")  # blank lines skipped: the start of the next line with text


def _candidate_kind(text: str, pos: int, midline_after: str) -> bool | None:
    """May a heading start at ``pos``? True at a line start, False after sentence punctuation
    (blanks between allowed), None elsewhere (``midline_after`` may also be a wider set for
    enumerations: see ``_match_at``)."""
    if pos < len(text) and text[pos] in " \t":
        return None
    before = pos
    while before and text[before - 1] in " \t":
        before -= 1
    if before == 0:
        return True if pos == 0 else None
    if text[before - 1] == "\n":
        return True
    return False if text[before - 1] in midline_after else None


def _match_at(text: str, pos: int, line_start: bool | None, hr: HeadingRules) -> _Marker | None:
    """The first rule whose marker matches at ``pos`` (``line_start``: None where only rules with
    a wider ``midline_after`` may start, i.e. after a comma)."""
    if not hr.any_marker.match(text, pos):
        return None
    for rule, pattern in hr.compiled_rules:
        if not line_start and not rule.midline:
            continue
        if line_start is None and not (rule.midline_after and _after_any(text, pos, rule.midline_after)):
            continue
        m = pattern.match(text, pos)
        if m:
            # a rule with several shapes names its number num, num2 …: the one that matched
            num = next((v for k, v in m.groupdict().items() if k.startswith("num") and v), None)
            inline = not line_start and bool(rule.inline_list_after) and _after_any(text, pos, rule.inline_list_after)
            return _Marker(pos, m.end(), rule, numeral_value(num) if num else None, bool(line_start),
                           inline=inline)
    return None


def _after_any(text: str, pos: int, chars: str) -> bool:
    """Whether the character before ``pos`` (blanks skipped) is one of ``chars``."""
    before = pos
    while before and text[before - 1] in " \t":
        before -= 1
    return before > 0 and text[before - 1] in chars


def _inline_runs(markers: list[_Marker]) -> None:
    """An inline list starts with its first entry after a colon ("实施项目:1、…;2、…") and goes on
    while entries follow one another; an entry after a colon that continues an outline of
    headings ("…主任:2、加大投入") is a heading like its siblings."""
    last_inline: dict[str, bool] = {}
    for mk in markers:
        if mk.inline:
            mk.inline = mk.num == 1 or last_inline.get(mk.rule.family, False)
        last_inline[mk.rule.family] = mk.inline


def _in_sequence(markers: list[_Marker]) -> list[_Marker]:
    """Drop markers of ``sequence`` rules that are not part of a run numbered 1, 2, 3 …: such
    shapes ("1大力发展", "一是") are plain text unless the numbers follow one another."""
    by_family: dict[str, list[int]] = {}
    for i, mk in enumerate(markers):
        if mk.rule.sequence:
            by_family.setdefault(mk.rule.family, []).append(i)
    drop: set[int] = set()
    for indexes in by_family.values():
        last = None
        for j, i in enumerate(indexes):
            num = markers[i].num
            nxt = markers[indexes[j + 1]].num if j + 1 < len(indexes) else None
            if num == 1 and nxt == 2:
                last = 1
            elif last is not None and num == last + 1:
                last = num
            else:
                drop.add(i)
                if num != 1:
                    last = None
    return [mk for i, mk in enumerate(markers) if i not in drop]


_TITLE = re.compile(r"[ \t]*([^。;!?\n]*)")
_EN_TITLE_END = re.compile(r"(?<=[A-Za-z0-9)\"”])\.(?=\s)")


def _title(text: str, start: int, limit: int, stop: int) -> tuple[str, int]:
    """The heading title: up to the first sentence end, line end or the next heading.

    ``limit`` counts Chinese characters; English words take about twice as many characters, so
    a mostly-Latin title may be twice as long, and is never cut inside a word.
    """
    m = _TITLE.match(text, start, max(start, stop))  # a marker may overlap the next: empty title
    start = m.start(1)
    title = m.group(1)
    latin = len(title.encode("ascii", "ignore")) > len(title) / 2  # ASCII characters in the majority
    if latin:  # an English heading ends at its first full stop: "1. Encourage … . The …"
        dot = _EN_TITLE_END.search(title)
        if dot:
            title = title[:dot.start()]
        limit *= 2
    if len(title) > limit:
        cut = title.rfind(",", 0, limit)
        if cut <= 8 and latin:
            cut = title.rfind(" ", 0, limit + 1)
        title = title[: cut if cut > 8 else limit]
    title = title.rstrip().rstrip(".:: ")
    return title, start + len(title)


def find_structure(text: str, rs=None) -> Structure:
    """The section tree of ``text`` (``rs``: a RuleSet or a rules folder; default: built-in)."""
    hr = rules(rs)
    # Every position where some marker pattern matches; the passes below only look at these
    # instead of trying the rules at every line start and full stop.
    hits = hr.marker_positions(text)
    markers: list[_Marker] = []
    for pos in hits:
        line_start = _candidate_kind(text, pos, hr.midline_after)
        if line_start is not None or hr.wide_midline:
            mk = _match_at(text, pos, line_start, hr)
            if mk:
                markers.append(mk)
    markers = _in_sequence(markers)
    _inline_runs(markers)
    # Run-on headings: "三、工作任务(一)加强…" — a first child glued to a short heading title,
    # or the next number of a family that runs on across chapters ("三、保障措施(十四)…");
    # "…工作计划一、2022年工作总结…" — a document title glued to its first heading.
    extra: list[_Marker] = []
    starts = {m.start for m in markers}
    # the order in which families first appear is the order of levels: "(九)坚持知行合一、工学结合"
    # holds no glued first heading, because 一、 numbered the chapters above (九)
    first_seen: dict[str, int] = {}
    for mk in markers:
        first_seen.setdefault(mk.rule.family, mk.start)
    line_starts = [0] + [m.end() for m in _LINE_START.finditer(text)]
    # Only line starts with a marker 4 to 40 characters on need a look (most lines have none).
    near_a_marker: set[int] = set()
    for hit in hits:
        near_a_marker.update(line_starts[bisect.bisect_right(line_starts, hit - 40):
                                         bisect.bisect_right(line_starts, hit - 4)])
    for pos in sorted(near_a_marker - starts):
        for i in _hits_between(hits, text, pos + 4, pos + 40, _GLUED_TO_LINE_STOPS):
            glued = _match_at(text, i, False, hr)
            if glued and glued.num == 1 and not glued.rule.part:
                extra.append(glued)
                break
    last_num: dict[str, int] = {}
    for mk in markers:
        for i in _hits_between(hits, text, mk.end + 2, mk.end + 16, _GLUED_TO_HEADING_STOPS):
            child = _match_at(text, i, False, hr)
            if child and child.rule.family != mk.rule.family and child.num is not None and (
                    (child.num in (1, 2) and first_seen.get(child.rule.family, i) >= first_seen[mk.rule.family])
                    or child.num == last_num.get(child.rule.family, -1) + 1):
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


#: What separates a glued marker from its line start / from the heading before it.
_GLUED_TO_LINE_STOPS = re.compile("[。;!?\n,,:]")
_GLUED_TO_HEADING_STOPS = re.compile("[。;!?\n,,]")


def _hits_between(hits: list[int], text: str, start: int, end: int, stops: re.Pattern[str]) -> Iterator[int]:
    """Marker positions in [start, end) not separated from ``start`` by a stop character."""
    end = min(end, len(text))
    i = bisect.bisect_left(hits, start)
    checked = start
    while i < len(hits) and hits[i] < end:
        pos = hits[i]
        if stops.search(text, checked, pos + 1):
            return
        checked = pos + 1
        yield pos
        i += 1


#: Real outlines are a handful of levels deep; restarted numbering nests no deeper than this.
MAX_DEPTH = 12


def _build_tree(text: str, markers: list[_Marker]) -> list[Section]:
    # One row per section: (marker, parent row, level, title); the Sections are made at the end,
    # once each one's end is known.
    rows: list[tuple[_Marker, int | None, int, str]] = []
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
            if (rows and stack and stack[-1][0] == fam and stack[-1][2] == mk.num
                    and not text[title_ends[-1]:mk.start].strip()):
                # "附件:X" listed at the end of the body, then the attachment itself under
                # "附件:" with the same number: one attachment, not two.
                continue
            stack = [e for e in stack if rows[e[1]][0].rule.part]
        else:
            open_families = [entry[0] for entry in stack]
            depth = len(open_families) - 1 - open_families[::-1].index(fam) if fam in open_families else None
            if not mk.line_start and not mk.glued:
                # mid-line markers must continue a sequence (two skipped or masked numbers allowed)
                if depth is not None:
                    last = stack[depth][2]
                    if mk.num is not None and last is not None and not (last < mk.num <= last + 3):
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
        parent = stack[-1][1] if stack else None
        level = 0 if mk.rule.part else (rows[parent][2] + 1 if parent is not None else 1)
        title, title_end = _title(text, mk.end, mk.rule.max_title, stop)
        rows.append((mk, parent, level, title))
        title_ends.append(title_end)
        recent[fam] = (stack[-1][0] if stack else None, mk.num, len(rows) - 1)
        stack.append([fam, len(rows) - 1, mk.num])
    # A section ends where the next section of the same or a higher level starts.
    ends = [len(text)] * len(rows)
    open_rows: list[int] = []
    for i, (mk, _, level, _) in enumerate(rows):
        while open_rows and rows[open_rows[-1]][2] >= level:
            ends[open_rows.pop()] = mk.start
        open_rows.append(i)
    return [Section(id=f"s{i + 1}", parent=None if parent is None else f"s{parent + 1}", level=level,
                    marker=text[mk.start:mk.end].strip(), title=title, span=(mk.start, end),
                    kind="part" if mk.rule.part else "enumeration" if mk.rule.enumeration or mk.inline else "heading",
                    family=mk.rule.family)
            for i, ((mk, parent, level, title), end) in enumerate(zip(rows, ends))]


# --- sentences -------------------------------------------------------------------------------

# A run of anything but sentence ends and line breaks, where a "?" between digits (a damaged
# range 3?4) is no end, then the ends. Written as first item, plain run, (digit-"?" plain run)*
# so that the plain runs are single-character repeats, matched in C without a step per character.
_ZH_SENTENCE = re.compile(r"(?:[^。!?;\n]|(?<=\d)\?(?=\d))[^。!?;\n]*(?:(?<=\d)\?(?=\d)[^。!?;\n]*)*[。!?;]*")
# The lookbehind stands after the mark, so a scan of the whole text jumps from mark to mark.
_EN_BREAK = re.compile(r"[.!?](?<=[a-z0-9%)\"”][.!?])(?=\s+[A-Z(\"“])")


def sentences(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """[start, end) spans of sentences: Chinese 。!?; and line breaks, English ". " + capital."""
    end = len(text) if end is None else end
    # English breaks of the whole range: a Chinese sentence is split further only when one falls
    # inside it (a break needs a character before it and a blank and a capital after it).
    breaks = [b.end() for b in _EN_BREAK.finditer(text, start, end)]
    i = 0
    for m in _ZH_SENTENCE.finditer(text, start, end):
        s, e = m.span()
        while i < len(breaks) and breaks[i] <= s + 1:
            i += 1
        if i < len(breaks) and breaks[i] < e:
            piece, cut = text[s:e], s
            for b in _EN_BREAK.finditer(piece):
                yield from _strip_span(text, cut, s + b.end())
                cut = s + b.end()
            yield from _strip_span(text, cut, e)
        elif text[s].isspace() or text[e - 1].isspace():
            yield from _strip_span(text, s, e)
        else:  # nothing to strip: the common case
            yield s, e


def _strip_span(text: str, s: int, e: int) -> Iterator[tuple[int, int]]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        yield s, e


# --- language and words ----------------------------------------------------------------------

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
#: Every byte but the ASCII letters, to delete from an ASCII encoding and count what is left.
_NOT_LATIN_BYTES = bytes(b for b in range(256) if not (65 <= b <= 90 or 97 <= b <= 122))


def detect_language(text: str) -> str:
    """"zh" unless Latin letters outnumber Chinese characters 3 to 1 in the first 20,000 characters.

    Letters are counted in C (ASCII bytes, non-letters deleted); Chinese characters in runs, and
    only as far as needed to reach a third of the letters.
    """
    sample = text[:20000]
    latin = len(sample.encode("ascii", "ignore").translate(None, _NOT_LATIN_BYTES))
    cjk_needed = -(-latin // 3)  # the smallest count with cjk * 3 >= latin
    cjk = 0
    for run in _CJK_RUN.finditer(sample):
        if cjk >= cjk_needed:
            break
        cjk += run.end() - run.start()
    return "zh" if cjk >= cjk_needed else "en"


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
# (The test for digits stands after the mark, so the scan jumps from mark to mark.)
_CLAUSE_END = re.compile(r"[;;。!,?:](?!(?<=\d[,?:])\d)")


def clauses(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """[start, end) spans of the clauses of text[start:end], punctuation excluded."""
    end = len(text) if end is None else end
    cut = start
    for m in _CLAUSE_END.finditer(text, start, end):
        s = m.start()
        if cut < s and not text[cut].isspace() and not text[s - 1].isspace():
            yield cut, s  # nothing to strip: the common case
        else:
            yield from _strip_span(text, cut, s)
        cut = m.end()
    yield from _strip_span(text, cut, end)
