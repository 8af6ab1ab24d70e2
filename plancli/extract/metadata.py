"""Document metadata: title, issuer, document number, dates and plan period.

Portal pages state metadata in labelled fields (发文机关 / 发文字号 / 成文日期 / 发布日期); notices
state it by convention (the title inside 关于印发《…》的通知, a 发文字号 line under the heading,
the issuer and date as a signature block). Rules in ``rules/metadata.yaml`` describe both ways;
the first rule that finds a field wins.
"""
from __future__ import annotations

import re
from itertools import islice
from typing import Literal

from plancli import rules as rules_mod
from plancli.models import Metadata
from plancli.segment import numeral_value

Field = Literal["title", "notice_title", "issuer", "doc_number", "issued_date", "published_date"]


class MetadataRule(rules_mod.Rule):
    field: Field
    #: Regex searched line by line; group ``value`` is the field (else the whole match).
    pattern: rules_mod.Pattern
    #: Only the first ``head_lines`` non-empty lines are searched (0 = the whole text).
    head_lines: int = 40
    #: For signatures: the value line must be followed within 2 lines by a date line.
    before_date: bool = False
    #: Append a following line that holds only a plan period, "(2022-2024年)".
    join_period_line: bool = False
    #: Prepend the line above when the title was wrapped onto two lines ("关于…先进制造业" /
    #: "基地的实施意见"): a short line with no punctuation that is no heading or label.
    join_wrapped: bool = False
    #: The next non-empty line must match this (a headline above its dateline).
    next_line: rules_mod.Pattern | None = None
    #: Used only when no other rule found the field or the notice title (a last resort).
    weak: bool = False


class KindRule(rules_mod.Strict):
    kind: str
    pattern: rules_mod.Pattern


class MetadataRules(rules_mod.RuleFile):
    rules: list[MetadataRule]
    #: Five-year plan names and their years, e.g. 十四五: [2021, 2025].
    five_year_plans: dict[str, tuple[int, int]]
    #: A period written in a title: "(2022-2024年)", "(2022-2024)".
    period_pattern: rules_mod.Pattern
    #: A plan for one year named in a title ("2025年度实施计划"); group ``year``.
    plan_year_pattern: rules_mod.Pattern | None = None
    #: A period with a masked first year ("(20__-2025年)"); group ``end``.
    masked_period_pattern: rules_mod.Pattern | None = None
    #: A line that is only a date (signature blocks).
    date_line_pattern: rules_mod.Pattern
    #: A line that is only a field label; its value is on the next line.
    label_line_pattern: rules_mod.Pattern = r"^[\u4e00-\u9fff ]{2,10}[::]$"
    #: Title endings by document kind, tried in order (see ``document_kind``).
    kinds: list[KindRule] = []
    #: A preamble sentence naming the document's type ("特制定本实施方案"); group ``word``.
    preamble_kind: rules_mod.Pattern | None = None


def rules(rs: "rules_mod.RuleSet | None" = None) -> MetadataRules:
    """The metadata rules of ``rs`` (default: the built-in set)."""
    return rules_mod.ruleset(rs).get("metadata")  # type: ignore[return-value]


_DATE = re.compile(
    r"(?P<y>\d{4}|[〇零一二三四五六七八九]{4})\s*[-./年]\s*(?P<m>\d{1,2}|[一二三四五六七八九十]{1,2})\s*[-./月]\s*"
    r"(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})(?!\d)")


def iso_date(text: str) -> str | None:
    """"2022-10-20", "2022年10月20日", "2022.06.23", "二〇二一年四月十二日" → ISO date."""
    m = _DATE.search(text)
    if not m:
        return None
    y = m.group("y")
    year = int(y) if y.isdigit() else int("".join(str(numeral_value(c)) for c in y))
    month, day = numeral_value(m.group("m")), numeral_value(m.group("d"))
    if not (1900 < year < 2200 and month and 1 <= month <= 12 and day and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _lines(text: str, limit: int | None = None, label_line: re.Pattern[str] | None = None) -> list[str]:
    """The first ``limit`` non-empty lines, stripped (all of them when ``limit`` is None); a line
    that is only a field label is read together with the next one ("发文机关:" / "国务院")."""
    out: list[str] = []
    pending = ""
    for ln in filter(None, (ln.strip() for ln in text.split("\n"))):
        if pending:
            ln, pending = pending + ln, ""
        if label_line is not None and label_line.match(ln):
            pending = re.sub(r"(?<=[\u4e00-\u9fff]) +(?=[\u4e00-\u9fff])", "", ln)
            continue
        if ln.count("《") > ln.count("》") and len(ln) < 80:
            pending = ln  # a quoted title wrapped onto the next line
            continue
        out.append(ln)
        if limit is not None and len(out) >= limit:
            break
    if pending:
        out.append(pending)
    return out


def plan_period(title: str | None, text: str, mr: MetadataRules) -> tuple[int | None, int | None]:
    """The period from the title (years, or a five-year-plan name); else the plan the text is for.

    A text that names one five-year plan as a time frame ("到“十四五”末", "十四五期间") is a plan
    for that period. One that names several is reviewing the past as well ("“十二五”期间 …
    比“十一五”末提高30%"), and which is its own period is not stated: then the period is unknown.
    """
    if title:
        m = rules_mod.compiled(mr.period_pattern).search(title)
        if m:
            a, b = int(m.group("start")), int(m.group("end"))
            if 1900 < a <= b < 2200:
                return a, b
        year = plan_year_named(title, mr)
        if year:
            return year, year
    names = "|".join(re.escape(k) for k in sorted(mr.five_year_plans, key=len, reverse=True))
    if not names:
        return None, None
    in_title = set(re.findall(names, title or ""))
    if len(in_title) == 1:  # "某某县“十四五”科技创新发展规划": the title says which plan it is
        return mr.five_year_plans[in_title.pop()]
    named = set(re.findall(names, text))
    if len(named) != 1:
        return None, None
    name = named.pop()
    # as a time frame ("到“十四五”末"), not as the baseline of a comparison ("比十二五末增长")
    if re.search(f"(?<![比较])(?<![比较][“\"])[“\"]?{re.escape(name)}[”\"]?(?:期间|时期|规划|末|末期)", text):
        return mr.five_year_plans[name]
    return None, None


def plan_year_named(title: str, mr: MetadataRules) -> int | None:
    """The one year a plan's title names it for ("2025年度实施计划" → 2025), if any."""
    if not mr.plan_year_pattern:
        return None
    m = rules_mod.compiled(mr.plan_year_pattern).search(title)
    return int(m.group("year")) if m else None


def plan_end_year(head: str, mr: MetadataRules) -> int | None:
    """The last year of the plan a title or an opening passage names: "(2023-2025年)" → 2025,
    "(20__-2025年)" → 2025, "2020科技创新工作计划" → 2020."""
    m = rules_mod.compiled(mr.period_pattern).search(head)
    if m and 1900 < int(m.group("start")) <= int(m.group("end")) < 2200:
        return int(m.group("end"))
    if mr.masked_period_pattern:
        m = rules_mod.compiled(mr.masked_period_pattern).search(head)
        if m:
            return int(m.group("end"))
    return plan_year_named(head, mr)


def find_fields(text: str, mr: MetadataRules) -> dict[str, tuple[str, str]]:
    """field -> (value, id of the rule that found it); the first rule that finds a field wins
    (a ``weak`` rule only where nothing else found the field or a notice title)."""
    # rules read only the head of the text, and the two lines after a hit (before_date, a period)
    heads = [rule.head_lines for rule in mr.rules]
    lines = _lines(text, max(heads) + 2 if heads and all(heads) else None,
                   rules_mod.compiled(mr.label_line_pattern))
    date_line = rules_mod.compiled(mr.date_line_pattern)
    found: dict[str, tuple[str, str]] = {}
    weak: dict[str, tuple[str, str]] = {}
    for rule in mr.rules:
        if rule.field in found or (rule.weak and rule.field in weak):
            continue
        hit = _first_hit(rule, lines, mr, date_line)
        if hit:
            (weak if rule.weak else found)[rule.field] = (hit, rule.id)
    for field, value in weak.items():
        if field not in found and not (field == "title" and "notice_title" in found):
            found[field] = value
    return found


def _first_hit(rule: MetadataRule, lines: list[str], mr: MetadataRules, date_line) -> str | None:
    pat = rules_mod.compiled(rule.pattern)
    nxt_pat = rules_mod.compiled(rule.next_line) if rule.next_line else None
    scope = lines[: rule.head_lines] if rule.head_lines else lines
    for i, line in enumerate(scope):
        m = pat.search(line)
        if not m:
            continue
        if nxt_pat is not None and not (i + 1 < len(lines) and nxt_pat.search(lines[i + 1])):
            continue
        if rule.before_date and not any(date_line.match(x) for x in lines[i + 1:i + 3]):
            continue
        if rule.field == "issuer" and (rule.before_date or rule.next_line):
            i = _first_of_signature(lines, i, pat)
            m = pat.search(lines[i]) or _ISSUER_LINE.match(lines[i])  # "财政部" over "…委员会"
        value = (m.groupdict().get("value") or m.group()).strip()
        if rule.join_wrapped and i > 0 and _wrapped_onto(lines[i - 1], value):
            value = lines[i - 1] + value
        if rule.join_period_line and i + 1 < len(lines):
            nxt = rules_mod.compiled(mr.period_pattern).match(lines[i + 1]) \
                or re.match(r"\((征求意见稿|试行|修订|送审稿|\d{4}年版)\)", lines[i + 1])
            if nxt:
                sep = " " if value[-1:].isascii() and lines[i + 1][:1].isascii() else ""
                value = f"{value}{sep}{nxt.group()}"
        if rule.field.endswith("_date"):
            value = iso_date(value) or ""
        if value:
            return value
    return None


#: A line that is only the name of an issuing body.
_ISSUER_LINE = re.compile(r"^(中共)?[\u4e00-\u9fff()]{2,30}(人民政府办公室|人民政府办公厅|人民政府|政府|办公室|办公厅|"
                          r"委员会|局|厅|委|部|署|中心)$")


def _first_of_signature(lines: list[str], i: int, pat: re.Pattern[str]) -> int:
    """Joint issuers sign (and head a notice) one under the other: the first of them."""
    while i > 0 and (pat.search(lines[i - 1]) or _ISSUER_LINE.match(lines[i - 1])):
        i -= 1
    return i


#: A line a title was wrapped from: short, no punctuation, not a heading, label or date.
_WRAPPED_HEAD = re.compile(r"^(?![一二三四五六七八九十]+、|\(|\d)[\u4e00-\u9fff《》〈〉“”\-—]{4,40}$")


def _wrapped_onto(above: str, value: str) -> bool:
    """Whether ``value`` continues the line above it (a title wrapped in two)."""
    return bool(_WRAPPED_HEAD.match(above)) and not above.endswith(("通知", "意见", "方案", "计划", "规划"))\
        and len(above) + len(value) <= 80 and not value.startswith(("关于", "《"))


#: Trailing qualifiers of a title that say nothing about its kind: "(2025—2027年)", "(征求意见稿)".
_TITLE_TAIL = re.compile(r"(\s*[((][^()()]{1,20}[))]|\s*\d{1,2}篇)+$")


def _nested_quotes(title: str) -> str:
    """A title quoted inside a notice title writes its own quotes as 〈〉; standing alone, as 《》."""
    return title.translate(str.maketrans("〈〉", "《》")) if "《" not in title else title


def _fuller_title_line(title: str, text: str) -> str:
    """The plan's own title line, when the body gives a fuller form of what the notice quotes
    ("省政府2006年重点任务分解落实方案" for "2006年重点任务 分解落实方案")."""
    want = re.sub(r"\s+", "", title)
    for ln in _lines(text, 80):
        flat = re.sub(r"\s+", "", ln)
        if flat != want and flat.endswith(want) and len(flat) - len(want) <= 8 \
                and not re.search(r"[,,。:;、]|关于", flat[: len(flat) - len(want)]):
            return flat
    return title


def extract_metadata(text: str, rs=None, hints: dict[str, str] | None = None) -> Metadata:
    mr = rules(rs)
    fields = find_fields(text, mr)
    found = {k: v for k, (v, _) in fields.items()}
    for key, value in (hints or {}).items():
        found.setdefault(key, value)
    title = found.get("title")
    if title and fields.get("title", ("", ""))[1] in ("metadata.title_notice_quoted", "metadata.title_notice_plain"):
        title = _fuller_title_line(_nested_quotes(title), text)
    notice = found.get("notice_title")
    if notice and not title:
        title = notice  # a notice that publishes no plan is its own document
    if notice and notice == title and fields.get("title", ("", ""))[1] != "metadata.title_notice_quoted":
        notice = None if not re.search("印发|转发", notice) else notice
    start, end = plan_period(title, text, mr)
    return Metadata(title=title, notice_title=notice if notice != title else None, issuer=found.get("issuer"),
                    doc_number=found.get("doc_number"), issued_date=found.get("issued_date"),
                    published_date=found.get("published_date"), period_start=start, period_end=end)


def document_kind(metadata: Metadata, text: str, rs=None) -> str | None:
    """What the document is (``Document.kind``), from the ending of its title or its notice's
    title ("…实施方案" → plan, "…若干措施" → measures, "…分工方案" → division), else from a
    preamble that names it ("特制定本实施方案"); None when nothing says."""
    mr = rules(rs)
    for title in (metadata.title, metadata.notice_title):
        if not title:
            continue
        core = _TITLE_TAIL.sub("", title.strip())
        for k in mr.kinds:
            if rules_mod.compiled(k.pattern).search(core):
                return k.kind
    if mr.preamble_kind:
        m = rules_mod.compiled(mr.preamble_kind).search(text[:6000])
        if m:
            for k in mr.kinds:
                if rules_mod.compiled(k.pattern).search(m.group("word")):
                    return k.kind
    return None
