"""Flattened tables: web pages saved as text put one table cell per line.

Two shapes carry targets in plan documents:

* indicator tables — a header ``指标 / 2021年 / 2024年`` (with ``类别``, ``序号`` before it and
  ``单位``, ``属性`` columns around the years where the table has them) then, per row, the
  indicator cell and one value cell per year column (values may be ``1117/30.7`` when an
  indicator cell names two indicators joined by 及, and ``24.9*`` when a footnote says what *
  means); a category merged down its rows stands only in the first of them, so rows are read
  one at a time, and a caption's unit (``单位:亿元``) applies to rows that name none;
* serial tables — a header ``序号 / 县区 / 建议方向 / 新建平台(个) / 研究所(个)`` then rows that
  start with 1, 2, 3 … (or 总计); empty cells vanish in flattening, so the numeric cells at the
  end of a row fill the unit-bearing columns from the left.

Cells keep their character offsets so every record can point at its source text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_YEAR_CELL = re.compile(r"^(?P<year>(19|20)\d{2})\s*年?\s*(目标值?|基期值?|基准值?|预期值?|现状值?)?$")
#: A value column's header that names no year (序号 / 指标 / 预期值 / 属性): the caption or the
#: section dates it.
_YEARLESS_CELL = re.compile(r"^(预期值|目标值|预期目标|规划目标|规划值|目标|期末值|基期值|基准值|现状值|基数)$")
_VALUE_CELL = re.compile(r"^(?P<cmp>[≥≤><]=?|不低于|不少于|不超过|不高于|(?P<change>下降|降低|减少|增长|提高|增加))?\s*"
                         r"(?P<a>\d+(\.\d+)?)(?P<sa>\*)?(/(?P<b>\d+(\.\d+)?)(?P<sb>\*)?)?\s*"
                         r"(?P<unit>%|‰|个百分点)?\s*(?P<after>以上|以下|以内|左右)?$")
_COMPARATORS = {"≥": ">=", ">=": ">=", ">": ">=", "不低于": ">=", "不少于": ">=", "以上": ">=",
                "≤": "<=", "<=": "<=", "<": "<=", "不超过": "<=", "不高于": "<=", "以下": "<=", "以内": "<=",
                "左右": "~", "下降": "-", "降低": "-", "减少": "-", "增长": "+", "提高": "+", "增加": "+"}
#: Header cells of columns that follow the year columns and hold no values (属性: 预期性/约束性).
_EXTRA_COLUMN = re.compile(r"^(属性|指标属性|指标性质|性质|类型|备注|年均增速|年均增长|责任单位|牵头单位|责任部门)$")
#: The header cell of a column numbering the rows (the subsidy tier reader uses it too).
SERIAL_HEADER = re.compile(r"^(序号|编号)$")
_SERIAL = re.compile(r"^\d{1,3}$")
_TOTAL = re.compile(r"^(总计|合计|小计|全市|总数)$")
_UNIT_IN_PARENS = re.compile(r"[((](?P<unit>[^()()]{1,8})[))]\s*$")
_FOOTNOTE_STAR = re.compile(r"\*\s*(为|是|系)?\s*(?P<year>(19|20)\d{2})\s*年")
_END = re.compile(r"^(注|备注|标注|说明|资料来源|来源)[::]?|^(附件|[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\))")


@dataclass
class Cell:
    text: str
    start: int
    end: int


@dataclass
class TableValue:
    indicator: str
    unit: str | None
    value: float
    comparator: str
    year: int | None
    baseline_value: float | None
    baseline_year: int | None
    span: tuple[int, int]
    row_label: str = ""


@dataclass
class Table:
    span: tuple[int, int]
    values: list[TableValue] = field(default_factory=list)


def cells(text: str, start: int = 0, end: int | None = None) -> list[Cell]:
    """Non-empty lines with their offsets."""
    out = []
    for m in re.finditer(r"[^\n]+", text[start:end] if end else text[start:]):
        s = m.group()
        lead = len(s) - len(s.lstrip())
        stripped = s.strip()
        if stripped:
            out.append(Cell(stripped, start + m.start() + lead, start + m.start() + lead + len(stripped)))
    return out


def _num(s: str) -> float:
    return float(s)


def split_indicator(label: str) -> list[tuple[str, str | None]]:
    """"高新技术企业数(家)及占规模以上工业企业数量比重(%)" → two (indicator, unit) pairs."""
    parts = re.split(r"(?<=[))])\s*及\s*", label)
    out: list[tuple[str, str | None]] = []
    for p in parts:
        m = _UNIT_IN_PARENS.search(p)
        unit = m.group("unit") if m else None
        name = p[: m.start()].strip() if m else p.strip()
        if out and name.startswith("占"):
            name = out[0][0] + name
        out.append((name, unit))
    return out


#: Header cells of columns before the indicator's: a category merged down its rows (类别), or a number.
_CATEGORY_HEADER = re.compile(r"^(类别|类型|领域|分类|维度|方面|一级指标)$")
_UNIT_HEADER = re.compile(r"^(单位|计量单位)$")
#: Cells that stand for no value: a dash, a slash, nothing known yet.
_PLACEHOLDER = re.compile(r"^([-—–－/／\\]+|无|暂无)$")


@dataclass
class _Layout:
    """The columns of an indicator table, from its header."""

    category: bool  # a first column of categories, written once for the rows it spans
    serial: bool
    unit: bool
    years: list[int | None]  # a value column's year; None where its header names none (预期值)
    extra: int  # columns after the years (属性, 备注) that hold no values

    def row(self, all_cells: list[Cell], j: int, with_category: bool, is_unit,
            header: re.Pattern[str]) -> tuple[int, list[Cell], int] | None:
        """The row starting at ``all_cells[j]`` read with or without its category cell: how well
        it fits the columns (units that are units, values that are values), its cells without
        category and number, and the index after it; None when it cannot be a row."""
        k = j + int(with_category)
        if self.serial:
            if k >= len(all_cells) or not _SERIAL.match(all_cells[k].text):
                return None
            k += 1
        width = 1 + int(self.unit) + len(self.years) + self.extra
        row = all_cells[k: k + width]
        if len(row) < width or not _label_like(row[0].text, header) or any(_header_cell(c.text, header) for c in row):
            return None
        if with_category and not _label_like(all_cells[j].text, header):
            return None
        fit = sum(1 for c in row[1 + int(self.unit): 1 + int(self.unit) + len(self.years)] if _VALUE_CELL.match(c.text))
        if self.unit:
            fit += 2 if (is_unit(row[1].text) or _PLACEHOLDER.match(row[1].text)) else 0
        return fit, row, k + width


def _label_like(text: str, header: re.Pattern[str]) -> bool:
    """Whether a cell can name an indicator or a category: not a value, a header cell or prose."""
    return not (_VALUE_CELL.match(text) or _YEAR_CELL.match(text) or _header_cell(text, header)
                or _END.match(text) or len(text) > 80 or "。" in text)


def _header_cell(text: str, header: re.Pattern[str]) -> bool:
    """A cell of a table's header (the next table begins there); "2025年" is one, a bare 2025
    may be a value."""
    return bool(header.match(text) or (_YEAR_CELL.match(text) and "年" in text) or _YEARLESS_CELL.match(text)
                or any(h.match(text) for h in (_UNIT_HEADER, _CATEGORY_HEADER, SERIAL_HEADER, _EXTRA_COLUMN)))


def _header(all_cells: list[Cell], i: int) -> tuple[_Layout, int, int] | None:
    """The layout of the table whose indicator header is ``all_cells[i]``, the index of its
    first header cell and of its first row."""
    first = i
    serial = category = False
    if first > 0 and SERIAL_HEADER.match(all_cells[first - 1].text):
        serial, first = True, first - 1
    if first > 0 and _CATEGORY_HEADER.match(all_cells[first - 1].text):
        category, first = True, first - 1
    j = i + 1
    unit = j < len(all_cells) and bool(_UNIT_HEADER.match(all_cells[j].text))
    j += int(unit)
    years: list[int | None] = []
    while j < len(all_cells) and (_YEAR_CELL.match(all_cells[j].text) or _YEARLESS_CELL.match(all_cells[j].text)):
        dated = _YEAR_CELL.match(all_cells[j].text)
        years.append(int(dated.group("year")) if dated else None)
        j += 1
    if not years:
        return None
    extra = 0
    while j < len(all_cells) and _EXTRA_COLUMN.match(all_cells[j].text):
        extra, j = extra + 1, j + 1
    return _Layout(category, serial, unit, years, extra), first, j


def _caption_unit(all_cells: list[Cell], first: int, caption: re.Pattern[str] | None) -> str | None:
    """The unit a caption just above the table gives all its values ("(单位:亿元)")."""
    if caption is None:
        return None
    for c in reversed(all_cells[max(0, first - 3): first]):
        m = caption.search(c.text)
        if m:
            return m.group("unit")
        if "。" in c.text or _VALUE_CELL.match(c.text):
            break
    return None


def _indicator_table_at(all_cells: list[Cell], i: int, header: re.Pattern[str], is_unit=lambda s: False,
                        caption: re.Pattern[str] | None = None) -> tuple[Table, int] | None:
    """The indicator table whose header cell is ``all_cells[i]``, and the index after it.

    Rows are read one at a time, not cut at the header's width: where the table has a category
    column, a category cell stands only in the first row of its group (merged cells are written
    once), so each row is read both with and without one and the reading that fits the columns
    better is taken. The table ends at a cell that cannot start a row: a header, a note, prose.
    """
    found = _header(all_cells, i)
    if found is None:
        return None
    layout, first, j = found
    years = layout.years
    table = Table(span=(all_cells[first].start, all_cells[j - 1].end))
    star_year = None
    for c in all_cells[j: j + 200]:
        m = _FOOTNOTE_STAR.search(c.text)
        if m and c.text.startswith(("注", "标注", "备注", "说明", "*")):
            star_year = int(m.group("year"))
            break
    table_unit = None if layout.unit else _caption_unit(all_cells, first, caption)
    while j < len(all_cells):
        readings = [r for r in (layout.row(all_cells, j, True, is_unit, header) if layout.category else None,
                                layout.row(all_cells, j, False, is_unit, header)) if r is not None]
        if not readings:
            break
        _, row, after = max(readings, key=lambda r: r[0])  # ties: with the category cell, read first
        label = row[0]
        unit_cell = row[1].text if layout.unit and not _PLACEHOLDER.match(row[1].text) else None
        value_cells = row[1 + int(layout.unit): 1 + int(layout.unit) + len(years)]
        if any(len(c.text) > 30 for c in value_cells):
            break
        pairs = split_indicator(label.text)
        last, first_value = value_cells[-1], value_cells[0]
        lm, fm = _VALUE_CELL.match(last.text), _VALUE_CELL.match(first_value.text)
        for k, (name, unit) in enumerate(pairs[:2]):
            if not lm:
                continue
            value = lm.group("a") if k == 0 else lm.group("b")
            if value is None:
                continue
            base, base_year = None, None
            if fm and len(years) > 1:
                base = fm.group("a") if k == 0 else fm.group("b")
                starred = fm.group("sa") if k == 0 else fm.group("sb")
                base_year = star_year if (starred and star_year) else years[0]
            cmp = lm.group("change") or lm.group("cmp") or lm.group("after")
            table.values.append(TableValue(
                indicator=name, unit=unit or unit_cell or lm.group("unit") or table_unit, value=_num(value),
                comparator=_COMPARATORS.get(cmp or "", "="), year=years[-1],
                baseline_value=_num(base) if base else None,
                baseline_year=base_year if base else None,
                span=(label.start, last.end)))
        table.span = (table.span[0], row[-1].end)
        j = after
    return table, j


def _serial_table_at(all_cells: list[Cell], i: int) -> tuple[Table, int] | None:
    """The serial table whose header cell is ``all_cells[i]``, and the index after it."""
    j = i + 1
    headers: list[str] = []
    while j < len(all_cells) and not _SERIAL.match(all_cells[j].text) and len(headers) < 12:
        headers.append(all_cells[j].text)
        j += 1
    value_cols = [(h, _UNIT_IN_PARENS.search(h)) for h in headers]
    value_cols = [(h[: m.start()].strip(), m.group("unit")) for h, m in value_cols if m]
    if not value_cols or j >= len(all_cells) or all_cells[j].text != "1":
        return None
    table = Table(span=(all_cells[i].start, all_cells[i].end))
    expected = 1
    while j < len(all_cells):
        head = all_cells[j]
        is_serial = head.text == str(expected)
        if not (is_serial or _TOTAL.match(head.text)):
            break
        k = j + 1
        row: list[Cell] = [] if is_serial else [head]
        while k < len(all_cells) and all_cells[k].text != str(expected + 1) \
                and not _TOTAL.match(all_cells[k].text) and not _END.match(all_cells[k].text) \
                and len(all_cells[k].text) <= 80:
            row.append(all_cells[k])
            k += 1
        numeric = []
        for c in reversed(row):
            if _VALUE_CELL.match(c.text) and "/" not in c.text:
                numeric.insert(0, c)
            else:
                break
        labels = [c for c in row if c not in numeric]
        name = labels[0].text if labels else ""
        if len(labels) > 1 and labels[1].text.startswith(("(", "(")):
            name += labels[1].text
        start = labels[0].start if labels else (numeric[0].start if numeric else head.start)
        for c, (col, unit) in zip(numeric, value_cols):
            m = _VALUE_CELL.match(c.text)
            cmp = m.group("cmp") or m.group("after")
            table.values.append(TableValue(indicator=f"{name}{col}", unit=unit, value=float(m.group("a")),
                                           comparator=_COMPARATORS.get(cmp or "", "="),
                                           year=None, baseline_value=None, baseline_year=None,
                                           span=(start, c.end), row_label=name))
        table.span = (table.span[0], row[-1].end if row else head.end)
        if not is_serial:
            j = k
            break
        expected += 1
        j = k
    return table, j


def _scan(all_cells: list[Cell], header_pattern: re.Pattern[str], read_at) -> list[Table]:
    """Every table ``read_at`` reads from a header cell matching ``header_pattern``."""
    tables = []
    i = 0
    while i < len(all_cells):
        found = read_at(all_cells, i) if header_pattern.match(all_cells[i].text) else None
        if found is None:
            i += 1
            continue
        table, i = found
        tables.append(table)
    return tables


def indicator_tables(all_cells: list[Cell], header_pattern: re.Pattern[str], is_unit=lambda s: False,
                     caption: re.Pattern[str] | None = None) -> list[Table]:
    """Indicator tables; ``is_unit`` tells a unit cell ("%", "万人"), ``caption`` finds the unit
    a caption gives the whole table (its group ``unit``)."""
    return _scan(all_cells, header_pattern,
                 lambda cells_, i: _indicator_table_at(cells_, i, header_pattern, is_unit, caption))


def serial_tables(all_cells: list[Cell], header_pattern: re.Pattern[str]) -> list[Table]:
    return _scan(all_cells, header_pattern, _serial_table_at)
