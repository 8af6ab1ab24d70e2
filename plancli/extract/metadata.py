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

Field = Literal["title", "issuer", "doc_number", "issued_date", "published_date"]


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


class MetadataRules(rules_mod.RuleFile):
    rules: list[MetadataRule]
    #: Five-year plan names and their years, e.g. 十四五: [2021, 2025].
    five_year_plans: dict[str, tuple[int, int]]
    #: A period written in a title: "(2022-2024年)", "(2022-2024)".
    period_pattern: rules_mod.Pattern
    #: A line that is only a date (signature blocks).
    date_line_pattern: rules_mod.Pattern


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


def _lines(text: str, limit: int | None = None) -> list[str]:
    """The first ``limit`` non-empty lines, stripped (all of them when ``limit`` is None)."""
    return list(islice(filter(None, (ln.strip() for ln in text.split("\n"))), limit))


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


def find_fields(text: str, mr: MetadataRules) -> dict[str, tuple[str, str]]:
    """field -> (value, id of the rule that found it); the first rule that finds a field wins."""
    # rules read only the head of the text, and the two lines after a hit (before_date, a period)
    heads = [rule.head_lines for rule in mr.rules]
    lines = _lines(text, max(heads) + 2 if heads and all(heads) else None)
    date_line = rules_mod.compiled(mr.date_line_pattern)
    found: dict[str, tuple[str, str]] = {}
    for rule in mr.rules:
        if rule.field in found:
            continue
        pat = rules_mod.compiled(rule.pattern)
        scope = lines[: rule.head_lines] if rule.head_lines else lines
        for i, line in enumerate(scope):
            m = pat.search(line)
            if not m:
                continue
            if rule.before_date and not any(date_line.match(x) for x in lines[i + 1:i + 3]):
                continue
            value = (m.groupdict().get("value") or m.group()).strip()
            if rule.join_period_line and i + 1 < len(lines):
                nxt = rules_mod.compiled(mr.period_pattern).match(lines[i + 1])
                if nxt:
                    sep = " " if value[-1:].isascii() else ""
                    value = f"{value}{sep}{nxt.group()}"
            if rule.field.endswith("_date"):
                value = iso_date(value) or ""
            if value:
                found[rule.field] = (value, rule.id)
                break
    return found


def extract_metadata(text: str, rs=None, hints: dict[str, str] | None = None) -> Metadata:
    mr = rules(rs)
    found = {k: v for k, (v, _) in find_fields(text, mr).items()}
    for key, value in (hints or {}).items():
        found.setdefault(key, value)
    title = found.get("title")
    start, end = plan_period(title, text, mr)
    return Metadata(title=title, issuer=found.get("issuer"), doc_number=found.get("doc_number"),
                    issued_date=found.get("issued_date"), published_date=found.get("published_date"),
                    period_start=start, period_end=end)
