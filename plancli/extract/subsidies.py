"""Subsidies: public money a plan commits to give, with amount, cap, share, form and recipient.

A subsidy is an amount of money (or a share of cost) in a sentence that says it is given: a form
word such as 奖励, 补助, 资助, 配套 or "subsidy". Each amount is its own record ("30万元和15万元"
gives two). Tax incentives, money already spent and amounts that are conditions ("超过1亿元的企业")
are not subsidies. Everything that decides is a pattern in ``rules/subsidies.yaml``.
"""
from __future__ import annotations

import bisect
import functools
import itertools
import re
from typing import Literal

from plancli import rules as rules_mod
from plancli.extract import tables
from plancli.models import Subsidy
from plancli.segment import clauses


class SubsidyRule(rules_mod.Rule):
    kind: Literal["money", "ratio", "share", "share_after", "cap", "once", "annual", "exclude", "exclude_before",
                  "exclude_share_before", "tier_header", "tier_column", "tier_caption",
                  "exclude_after", "recipient"]
    pattern: rules_mod.Pattern


class SubsidyRules(rules_mod.RuleFile):
    rules: list[SubsidyRule]
    background_sections: rules_mod.Pattern

    def first(self, kind: str) -> SubsidyRule | None:
        return next((r for r in self.rules if r.kind == kind), None)

    def patterns(self, kind: str):
        return [rules_mod.compiled(r.pattern) for r in self.rules if r.kind == kind]

    @functools.cached_property
    def compiled(self) -> "_Compiled":
        """The regexes every sentence needs, built once per loaded file (the model is frozen)."""
        return _Compiled(self)


class _Compiled:
    """The rules as regexes: one per kind where only whether any rule of it matches counts."""

    def __init__(self, sr: SubsidyRules):
        self.money_rule, self.ratio_rule, self.share_rule = sr.first("money"), sr.first("ratio"), sr.first("share")
        self.form = rules_mod.compiled(self.money_rule.pattern) if self.money_rule else None
        self.ratio_form = rules_mod.compiled(self.ratio_rule.pattern) if self.ratio_rule else None
        self.background = rules_mod.compiled(sr.background_sections)
        self.recipients = sr.patterns("recipient")  # in order: the last one that finds a phrase wins

        def any_rule(kind: str) -> re.Pattern[str] | None:
            return rules_mod.any_of(tuple(r.pattern for r in sr.rules if r.kind == kind))

        self.exclude, self.exclude_before, self.exclude_after = \
            any_rule("exclude"), any_rule("exclude_before"), any_rule("exclude_after")
        self.share, self.cap, self.once, self.annual = \
            any_rule("share"), any_rule("cap"), any_rule("once"), any_rule("annual")
        self.share_after = any_rule("share_after")
        self.not_share = any_rule("exclude_share_before")


#: Grant verbs: the form word after them names the subsidy ("给予配套支持").
_GRANT_VERB = re.compile(r"给予|予以|返还|进行(?:奖励|补助|补贴|资助)|(?i:\bgive[sn]?\b|\bgiven\b|\bprovided?\b|\bprovides\b|\breceive[sd]?\b|\bgranted\b|\bcover(s|ing)?\b)")
#: What a quantity's text holds before its digits ("达到500亿元" → "达到").
_LEAD_WORDS = re.compile(r"\D*")


def rules(rs: "rules_mod.RuleSet | None" = None) -> SubsidyRules:
    """The subsidies rules of ``rs`` (default: the built-in set)."""
    return rules_mod.ruleset(rs).get("subsidies")  # type: ignore[return-value]


class _Sentence:
    """One sentence with what every amount in it needs: clauses, form words and quantities,
    found once (a sentence listing hundreds of grants stays linear)."""

    def __init__(self, text: str, quantities: list, form_pat: re.Pattern[str]):
        self.text = text
        self.quantities = quantities
        self.clauses = list(clauses(text))
        self.clause_starts = [c[0] for c in self.clauses]
        self.forms = list(form_pat.finditer(text))
        self.form_starts = [m.start() for m in self.forms]
        self.money_starts = [q.span[0] for q in quantities if q.kind == "money"]
        self.money_ends = [q.span[1] for q in quantities if q.kind == "money"]
        self.amount_starts = [q.span[0] for q in quantities if q.kind in ("money", "ratio")]
        self.quantity_starts = [q.span[0] for q in quantities]  # in text order, as found
        self._granted_forms: dict[tuple[int, int], re.Match[str] | None] = {}

    def granted_form(self, form_pat: re.Pattern[str], cs: int, ce: int) -> re.Match[str] | None:
        """The form word after the clause's grant verb ("给予一次性奖励"); looked for once per
        clause, not once per amount (a clause may list hundreds)."""
        key = (cs, ce)
        if key not in self._granted_forms:
            granted = _GRANT_VERB.search(self.text, cs, ce)
            self._granted_forms[key] = form_pat.search(self.text, granted.end(), ce) if granted else None
        return self._granted_forms[key]

    def quantities_in(self, start: int, end: int) -> list:
        """The quantities that start inside [start, end)."""
        starts = self.quantity_starts
        return self.quantities[bisect.bisect_left(starts, start):bisect.bisect_left(starts, end)]

    def clause_at(self, pos: int) -> tuple[int, int]:
        i = max(0, bisect.bisect_right(self.clause_starts, pos) - 1)
        return self.clauses[i] if self.clauses else (0, len(self.text))

    def nearest_form(self, pos: int, candidates: tuple[list[re.Match[str]], list[int]] | None = None
                     ) -> re.Match[str] | None:
        """The form word closest to ``pos`` (the amount), among ``candidates`` (matches and their
        starts) if given."""
        forms, starts = (self.forms, self.form_starts) if candidates is None else candidates
        i = bisect.bisect_left(starts, pos)
        near = [m for m in forms[max(0, i - 1):i + 1]]
        return min(near, key=lambda m: min(abs(m.start() - pos), abs(m.end() - pos)), default=None)


#: Kinds of quantity a subsidy is read from: money, a matching ratio, a share of cost (percent).
AMOUNT_KINDS = ("money", "ratio", "percent")
#: How far after an amount a threshold marker ("…1亿元以上的企业") may stand.
THRESHOLD_WINDOW = 12
#: How far from an amount its cap words and goal verbs stand ("最高支持额度不超过1000万元").
NEAR = 30
#: How near after a share its form word stands when no grant verb does ("20%进行奖励", "a 30 percent subsidy").
FORM_AFTER_SHARE = 12
#: How far after an amount a bracket that spells it out may start ("10万元奖励(第一年…)").
BREAKDOWN_GAP = 12
#: How far before an amount its recipient and share phrase ("对…的企业", "按…的30%") may start.
RECIPIENT_WINDOW = 120


def extract(ctx) -> list[Subsidy]:
    sr = rules(ctx.rules)
    c = sr.compiled
    if c.form is None:
        return []
    out: list[Subsidy] = []
    in_background: dict[str | None, bool] = {}  # section id -> under a background heading
    previous_end = -1  # where the sentence of the last record ends
    for s, e in ctx.sentences:
        sentence = ctx.text[s:e]
        # a cap may follow in a sentence of its own ("…的15%给予补助。单个企业最高不超过100万元。")
        cap_of_previous = bool(out) and out[-1].amount is None and not ctx.text[previous_end:s].strip() \
            and rules_mod.found(c.cap, sentence)
        if not c.form.search(sentence) and not cap_of_previous:
            continue
        sec = ctx.structure.section_at(s)
        key = sec.id if sec else None
        if key not in in_background:
            in_background[key] = any(c.background.search(x.title) for x in ctx.structure.ancestors(sec)
                                     if x.kind == "heading")
        if in_background[key]:
            continue
        quantities = ctx.quantities(s, e)
        if not any(q.kind in AMOUNT_KINDS for q in quantities):
            continue  # most sentences with a form word ("支持企业…") state no amount at all
        view = _Sentence(sentence, quantities, c.form)
        records = _sentence_subsidies(view, c)
        if records and out and _share_then_cap(out[-1], records[0], ctx.text[previous_end:s]):
            # "按投资额的30%给予补助。单个企业最高不超过500万元。": one subsidy, ratio and cap
            share = out.pop()
            records[0] = records[0].model_copy(update={"ratio": share.ratio, "ratio_max": share.ratio_max,
                                                       "form": records[0].form or share.form})
        for record in records:
            ts, te = record.span
            out.append(record.model_copy(update={"span": (s + ts, s + te), "section": sec.id if sec else None}))
        if records:
            previous_end = e
    out += _tier_tables(ctx, sr)
    out.sort(key=lambda r: r.span)
    for i, x in enumerate(out, 1):
        x.id = f"m{i}"
    return out


#: A bare number cell of a table row ("2500").
_NUMBER_CELL = re.compile(r"\d+(?:\.\d+)?")
#: Header cells of columns that come after the amount's and hold no amount ("… / 补贴额(元) / 备注").
_TRAILING_HEADER = re.compile(r"备注|说明|附注|类型|类别")
#: The cells of a flattened table: anything between blanks or line breaks.
_CELL = re.compile(r"\S+")
#: How many cells after its header a table of tiers is read.
TIER_CELLS = 200


def _tier_tables(ctx, sr: SubsidyRules) -> list[Subsidy]:
    """Tables of tiers flattened into cells ("机型类别 / 报废年限(年) / 补贴额(元) / 轮式拖拉机 /
    20马力以下 / 10 / 2500 …"): when the amount is the last column, each row's amount is the last
    number before the next row's label. The header gives the unit (元, 万元) and what the amount is
    per (元/台), or a caption above the table does ("单位:万元" over a column "补助标准"). A table
    whose amount column is not last is left alone rather than guessed."""
    out: list[Subsidy] = []
    text = ctx.text
    for header, form, scale, per, rule in _amount_headers(text, sr):
        cells = []
        for m in _CELL.finditer(text, header.end()):
            cell = m.group()
            if len(cells) >= TIER_CELLS or any(p in cell for p in "。;;") or len(cell) > 40:
                break
            cells.append(m)
        if not cells:
            continue
        numbered = _numbered_rows(ctx, header, form, scale, per, rule)
        if numbered is not None:  # one cell per line under 序号: the amount in its header's column
            out += numbered
            continue
        columns = _serial_columns(text, header.start())
        if columns:  # "序号 / 机具 / 档次 / 补贴额(元) / 1 / … ": rows of known width, serial first
            rows = (cells[i:i + columns] for i in range(0, len(cells) - columns + 1, columns))
            out += _serial_records(ctx, rows, columns - 1, form, scale, per, rule, columns)
            continue
        if _NUMBER_CELL.fullmatch(cells[0].group()) or _TRAILING_HEADER.fullmatch(cells[0].group()):
            continue  # another header cell or data right after: the amount is not the last column
        row_start = cells[0].start()
        for i, m in enumerate(cells):
            nxt = cells[i + 1].group() if i + 1 < len(cells) else None
            if _NUMBER_CELL.fullmatch(m.group()) and (nxt is None or not _NUMBER_CELL.fullmatch(nxt)):
                if i > 0:  # a row holds a label before its amount
                    out.append(_tier_record(ctx, m.group(), form, scale, per, (row_start, m.end()), rule,
                                            m.start()))
                if nxt is None:
                    break
                row_start = cells[i + 1].start()
    return out


#: How many cells above an amount column header its table's caption ("单位:万元") may stand.
CAPTION_CELLS = 12


def _amount_headers(text: str, sr: SubsidyRules):
    """(header match, form, scale to yuan, per, rule) for each amount column of a tier table:
    a header that names its unit ("补贴额(元)"), or a bare one ("补助标准") whose unit the
    table's caption gives a few cells above it ("(单位:万元)", "单位:元/台")."""
    found = []
    named = sr.first("tier_header")
    if named is not None:
        for m in rules_mod.compiled(named.pattern).finditer(text):
            found.append((m, m.group("form"), 10000.0 if m.group("mult") else 1.0, m.group("per"), named))
    bare, caption = sr.first("tier_column"), sr.first("tier_caption")
    if bare is not None and caption is not None:
        caption_re = rules_mod.compiled(caption.pattern)
        for m in rules_mod.compiled(bare.pattern).finditer(text):
            above = list(_CELL.finditer(text, max(0, m.start() - 40 * CAPTION_CELLS), m.start()))[-CAPTION_CELLS:]
            top = m.start()
            for cell in reversed(above):  # up to the data or prose before the table
                if _NUMBER_CELL.fullmatch(cell.group()) or any(p in cell.group() for p in "。;;"):
                    break
                top = cell.start()
            unit = None
            for unit in caption_re.finditer(text, top, m.start()):
                pass  # the caption nearest the column is the table's own
            if unit is not None:
                found.append((m, m.group("form"), 10000.0 if unit.group("mult") else 1.0, unit.group("per"), bare))
    found.sort(key=lambda h: h[0].start())
    return found


#: How many columns a numbered table laid out one cell per line may have.
NUMBERED_COLUMNS = 12
#: How long a header cell, and a data cell, of such a table may be (specifications run long).
NUMBERED_HEADER_CELL, NUMBERED_CELL = 40, 160
#: How many rows of one such table are read.
NUMBERED_ROWS = 1000
_LINE = re.compile(r"[^\n]*\S[^\n]*")


def _numbered_rows(ctx, header, form: str | None, scale: float, per: str | None, rule) -> list[Subsidy] | None:
    """The rows of a numbered tier table laid out one cell per line, as pages copied from a
    browser or a PDF are: a header row "序号 / 品目 / 分档名称 / 中央财政补贴额(元) / 备注", then
    rows of as many cells starting 1, 2, 3 …, the amount in its header's column. Cells may hold
    spaces and semicolons ("单体幅宽<35cm;铧体个数1—2铧"); a row short of the cells merged down
    from the row above ends where the next number comes. The table ends at the first row that is
    not so. None when the header is not one cell of such a row."""
    text = ctx.text
    line_start = text.rfind("\n", 0, header.start()) + 1
    line_end = text.find("\n", header.end())
    line_end = len(text) if line_end < 0 else line_end
    if line_end - line_start > NUMBERED_HEADER_CELL:
        return None
    above = tables.cells(text, max(0, line_start - (NUMBERED_HEADER_CELL + 1) * NUMBERED_COLUMNS),
                         line_start)[-NUMBERED_COLUMNS:]
    before = None
    for i in range(len(above) - 1, -1, -1):
        cell = above[i].text
        if tables.SERIAL_HEADER.match(cell):
            before = len(above) - i - 1
            break
        if len(cell) > NUMBERED_HEADER_CELL or _NUMBER_CELL.fullmatch(cell) or any(p in cell for p in "。;;"):
            return None
    if before is None:
        return None
    amount_at, columns = before + 1, before + 2
    lines = _LINE.finditer(text, line_end)
    for m in lines:  # the header cells after the amount's, up to the first row's serial number
        cell = m.group().strip()
        if cell == "1":
            break
        if columns >= NUMBERED_COLUMNS or len(cell) > NUMBERED_HEADER_CELL or _NUMBER_CELL.fullmatch(cell):
            return None
        columns += 1
    else:
        return None
    return _serial_records(ctx, _rows_of(m, lines, columns), amount_at, form, scale, per, rule, columns)


def _rows_of(first, lines, columns: int):
    """The rows of a numbered table, the first starting at ``first``: each runs from its serial
    number to the next one. A row is ``columns`` cells, or fewer where cells merged down from a
    row above stand only there (品目 written once for its 分档): then the next number comes early.
    The last row is the ``columns`` cells after its number, or what is left of the text."""
    cells = [first, *itertools.islice(lines, NUMBERED_ROWS * columns)]
    start, serial = 0, 1
    while start + 2 <= len(cells):  # a number and an amount at least
        nxt = str(serial + 1)
        end = start + columns
        if not (end < len(cells) and cells[end].group().strip() == nxt):
            # the next number nearest the full width: fewest cells merged away
            end = next((k for k in range(start + columns - 1, start + 1, -1)
                        if k < len(cells) and cells[k].group().strip() == nxt), start + columns)
        yield cells[start:end]
        start, serial = end, serial + 1


#: How many header cells before the amount's a numbered table may have.
SERIAL_COLUMNS = 8


def _serial_columns(text: str, header_start: int) -> int | None:
    """The number of columns of a table whose header row starts with 序号 and ends with the
    amount's header at ``header_start``, or None."""
    before = list(_CELL.finditer(text, max(0, header_start - 120), header_start))[-SERIAL_COLUMNS:]
    for i in range(len(before) - 1, -1, -1):
        cell = before[i].group()
        if tables.SERIAL_HEADER.match(cell):
            return len(before) - i + 1
        if _NUMBER_CELL.fullmatch(cell) or any(p in cell for p in "。;;,,"):
            return None
    return None


def _serial_records(ctx, rows, amount_at: int, form: str | None, scale: float, per: str | None,
                    rule, columns: int) -> list[Subsidy]:
    """One subsidy per row of a numbered table (each row its cells' matches): the serial number
    first (1, 2, 3 …), the amount at ``amount_at`` of ``columns``; in a row short of cells merged
    down from above (they stand left of the amount), as many places nearer. The table ends at
    the first row that is not so."""
    out: list[Subsidy] = []
    for row in rows:
        cells = [c.group().strip() for c in row]
        at = amount_at - (columns - len(cells))
        if cells[0] != str(len(out) + 1) or not 0 < at < len(cells) or not _NUMBER_CELL.fullmatch(cells[at]) \
                or any(len(c) > NUMBERED_CELL for c in cells) or len(out) >= NUMBERED_ROWS:
            break
        out.append(_tier_record(ctx, cells[at], form, scale, per, (row[0].start(), row[-1].end()), rule,
                                row[0].start()))
    return out


def _tier_record(ctx, amount: str, form: str | None, scale: float, per: str | None, span: tuple[int, int],
                 rule, section_at: int) -> Subsidy:
    """The subsidy of one table row: its amount cell in the table's unit, the row as its text."""
    return Subsidy(id="", amount=float(amount) * scale, currency="CNY", amount_text=amount, form=form, per=per,
                   text=ctx.text[span[0]:span[1]], span=span, rule=rule.id, section=_section_of(ctx, section_at))


def _section_of(ctx, pos: int) -> str | None:
    sec = ctx.structure.section_at(pos)
    return sec.id if sec else None


def _share_then_cap(previous: Subsidy, first: Subsidy, between: str) -> bool:
    """Whether a share granted in one sentence and a cap on money in the very next one are one
    subsidy: the first record of the sentence is a capped amount with no share of its own."""
    return (previous.amount is None and previous.ratio is not None and first.cap and first.amount is not None
            and first.ratio is None and not between.strip())


def _sentence_subsidies(view: _Sentence, c: _Compiled) -> list[Subsidy]:
    """The subsidies of one sentence (spans relative to it).

    Money is a subsidy unless it is a threshold, a goal or the breakdown of an amount just
    given ("10万元奖励(第一年5万元…)"). A share of cost ("按投资额的30%", "50% of the costs") goes
    with the nearest amount before it (a ratio with its cap is one record); shares that no amount
    takes are subsidies of their own ("地方财政贡献的70%、80%和90%给予奖励")."""
    sentence, quantities = view.text, view.quantities
    excluded = {span for span in view.clauses if rules_mod.found(c.exclude, sentence[span[0]:span[1]])}
    given = [q for q in quantities if q.kind == "money" and view.clause_at(q.span[0]) not in excluded
             and _is_given(view, c, q)]
    shares = [q for q in quantities if q.kind == "percent" and view.clause_at(q.span[0]) not in excluded
              and _is_share(view, c, q)]
    ratio_of = _assign_shares(view, given, shares)
    taken = {id(q) for q in ratio_of.values()}
    found = []
    for q in given:
        share = ratio_of.get(id(q))
        found.append(_record(view, c, q, view.clause_at(q.span[0]), view.nearest_form(q.span[0]),
                             _share_value(share), c.money_rule.id, share))
    for q in shares:
        if id(q) in taken or c.share_rule is None:
            continue
        cs, ce = view.clause_at(q.span[0])
        form_after = c.form.search(sentence, q.span[1], min(ce, q.span[1] + FORM_AFTER_SHARE))
        if not (_GRANT_VERB.search(sentence, cs, ce) or form_after):
            continue  # a share the sentence gives nobody ("a total investment of 30%")
        found.append(_record(view, c, q, (cs, ce), view.nearest_form(q.span[0]), _share_value(q),
                             c.share_rule.id, q))
    ratio_forms: dict[tuple[int, int], tuple[list, list[int]]] = {}  # per clause, listed once
    for q in quantities:
        if q.kind != "ratio" or c.ratio_form is None:
            continue
        cs, ce = view.clause_at(q.span[0])
        parts = q.ratio_parts or []
        if (cs, ce) in excluded or len(parts) < 2 or not parts[0]:
            continue
        if (cs, ce) not in ratio_forms:
            forms = list(c.ratio_form.finditer(sentence, cs, ce))
            ratio_forms[(cs, ce)] = (forms, [m.start() for m in forms])
        if not ratio_forms[(cs, ce)][0]:
            continue
        found.append(_record(view, c, q, (cs, ce), view.nearest_form(q.span[0], ratio_forms[(cs, ce)]),
                             parts[1] / parts[0], c.ratio_rule.id))
    found.sort(key=lambda r: r.span)
    return found


_CAP_BEFORE = re.compile(r"(最高|不超过|不高于|最多|(?i:up to|no more than|maximum of))[^,,;;。]{0,20}$")


def _capped(view: _Sentence, q) -> bool:
    cs, _ = view.clause_at(q.span[0])
    return _CAP_BEFORE.search(view.text, cs, q.span[0]) is not None


def _share_value(q) -> float | None:
    return q.value / 100 if q is not None and q.value is not None else None


def _is_given(view: _Sentence, c: _Compiled, q) -> bool:
    """Whether a money amount is given, not a threshold, a goal or the breakdown of another."""
    sentence = view.text
    cs, _ = view.clause_at(q.span[0])
    # the quantity's own text may hold the verb before the digits ("达到500亿元")
    lead = sentence[max(cs, q.span[0] - NEAR): q.span[0]] + _LEAD_WORDS.match(q.text).group()
    after = sentence[q.span[1]:q.span[1] + THRESHOLD_WINDOW]
    # a rate ("0.2元/千瓦时的补贴", q.per) is no threshold ("1000万元的项目")
    if (q.per is None and rules_mod.found(c.exclude_after, after)) or rules_mod.found(c.exclude_before, lead):
        return False
    if q.text.endswith(("以上", "以下")) and _BOUND_THEN_RANGE.match(after):
        return False  # "1000万元及以上至5000万元": a band of a condition
    return not _in_breakdown(view, q)


#: Brackets whose amounts spell out an amount just before them.
_BRACKET = re.compile(r"[((〔][^()()〔〕]{1,120}[))〕]")


def _in_breakdown(view: _Sentence, q) -> bool:
    """"给予10万元奖励(第一年奖励5万元…)", "500 million yuan ($76.75 million)": an amount in brackets
    right after another amount restates or divides it."""
    sentence = view.text
    for m in _BRACKET.finditer(sentence, max(0, q.span[0] - 120), min(len(sentence), q.span[1] + 120)):
        if m.start() < q.span[0] and q.span[1] <= m.end():
            return any(e <= m.start() and m.start() - e <= BREAKDOWN_GAP for e in view.money_ends)
    return False


def _is_share(view: _Sentence, c: _Compiled, q) -> bool:
    """A percentage that is a share of some cost or base: "按投资额的30%", "贡献的70%", "50% of"."""
    sentence = view.text
    # in a list of shares ("的70%、80%和90%") each is what the first one is
    before = _SHARE_LIST_TAIL.sub("", sentence[max(0, q.span[0] - RECIPIENT_WINDOW): q.span[0]])
    if rules_mod.found(c.not_share, before):
        return False  # "按应奖励额的30%": the schedule of an award already given
    if rules_mod.found(c.share, before):
        return True
    return rules_mod.found(c.share_after, sentence[q.span[1]:q.span[1] + NEAR])


_SHARE_LIST_TAIL = re.compile(r"(\d+(?:\.\d+)?\s*%\s*(?:、|和|及|与|,|,|至|到|-|—)\s*)+$")
#: An amount with 以上 that opens a range of thresholds ("1000万元及以上至5000万元").
_BOUND_THEN_RANGE = re.compile(r"^\s*(至|到|且|并)")


def _assign_shares(view: _Sentence, given: list, shares: list) -> dict:
    """id(amount) -> the share it goes with: the nearest free share before it in the sentence,
    else the first free share after it in its clause."""
    out: dict = {}
    free = list(shares)
    for q in given:
        before = [s for s in free if s.span[0] < q.span[0]]
        # a share that is itself a cap ("最高不超过贷款金额的2%") stands alone where the amount
        # has an uncapped share to go with ("按利率的50%…上限为1000万元")
        open_shares = [s for s in before if not _capped(view, s)]
        pick = (open_shares or before)[-1] if before else None
        if pick is None:
            cs, ce = view.clause_at(q.span[0])
            pick = next((s for s in free if q.span[1] <= s.span[0] < ce), None)
        if pick is not None:
            out[id(q)] = pick
            free.remove(pick)
    return out


def _record(view: _Sentence, c: _Compiled, q, clause_span: tuple[int, int],
            form_match: re.Match[str] | None, ratio: float | None, rule_id: str, share=None) -> Subsidy:
    """One subsidy: its form, cap, payment terms and recipient read around the amount."""
    sentence = view.text
    cs, ce = clause_span
    # cap words may stand right before the amount in its clause ("最高支持额度不超过…")
    cap = (q.comparator == "<=") \
        or rules_mod.found(c.cap, sentence[max(cs, q.span[0] - NEAR): min(q.span[1], ce)]) \
        or rules_mod.found(c.cap, sentence[q.span[1]:min(ce, q.span[1] + NEAR)])
    # "给予配套支持", "给予一次性奖励": the word after the grant verb names the form
    after_verb = view.granted_form(c.form, cs, ce)
    if after_verb:
        form_match = after_verb
    form = form_match.group() if form_match else None
    # the record's text runs from the amount's clause to the form word's clause (and the share's)
    ts, te = cs, ce
    for at in ([form_match.start()] if form_match else []) + ([share.span[0]] if share is not None else []):
        fs, fe = view.clause_at(at)
        ts, te = min(ts, fs), max(te, fe)
    # payment terms may follow the amount ("给予1亿元资助,连续支持5年"), up to the next amount
    i = bisect.bisect_right(view.money_starts, q.span[1])
    region_end = max(te, view.money_starts[i] if i < len(view.money_starts) else len(sentence))
    region = sentence[max(ts, q.span[0] - RECIPIENT_WINDOW): min(region_end, q.span[1] + RECIPIENT_WINDOW)]
    once = True if rules_mod.found(c.once, region) else False if rules_mod.found(c.annual, region) else None
    return Subsidy(id="", amount=q.amount if q.kind == "money" else None,
                   currency=(q.currency or "CNY") if q.kind == "money" else "CNY",
                   amount_text=q.text if q.kind == "money" else None, cap=bool(cap), ratio=ratio,
                   ratio_max=(share.value_max / 100 if share is not None and share.value_max is not None else None),
                   per=q.per if q.kind == "money" else None, period=q.period if q.kind == "money" else None,
                   form=form, once=once, recipient=_recipient(view, c, ts, q.span[0]),
                   text=sentence[ts:te], span=(ts, te), rule=rule_id)


def _recipient(view: _Sentence, c: _Compiled, start: int, amount_at: int) -> str | None:
    """The "对…" phrase in the record's own clauses, or in the clause just before unless that
    clause has an amount of its own."""
    i = bisect.bisect_left(view.clause_starts, start) - 1
    scope_start = start
    if i >= 0:
        ps, pe = view.clauses[i]
        j = bisect.bisect_left(view.amount_starts, ps)
        if not (j < len(view.amount_starts) and view.amount_starts[j] < pe):
            scope_start = ps
    scope = view.text[max(scope_start, amount_at - RECIPIENT_WINDOW):amount_at]
    recipient = None
    for p in c.recipients:
        hits = list(p.finditer(scope))
        if hits:
            recipient = hits[-1].group("recipient").strip()
    return recipient
