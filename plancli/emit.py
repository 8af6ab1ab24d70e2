"""Emitters: JSON, JSON Lines, Rich tables and trees for the terminal.

JSON keeps Chinese as is (``ensure_ascii=False``) so jq and pandas users see readable text.
Files are written atomically (temp file + rename) so an interrupted run never leaves half a file.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterator

from pydantic import BaseModel


#: Lone surrogates: what Python makes of file names that are not valid UTF-8 (a GBK name from an
#: unzipped archive). UTF-8 cannot encode them, so JSON spells them as ``\udcxx`` escapes.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogates(s: str) -> str:
    """Valid UTF-8 JSON even for undecodable file names (json.loads gives the same string back)."""
    try:
        s.encode("utf-8")  # the common case, and several times faster than a regex scan
        return s
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", s)


def to_json(model: BaseModel, indent: int | None = None) -> str:
    return _escape_surrogates(json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=indent))


def to_json_array(models: list[BaseModel]) -> str:
    return _escape_surrogates(json.dumps([m.model_dump(mode="json") for m in models], ensure_ascii=False, indent=2))


def json_pieces(value, indent: int | None = None, level: int = 0) -> Iterator[str]:
    """The text of ``to_json`` (or ``to_json_array`` for a list of models), piece by piece.

    The same characters as ``json.dumps(model.model_dump(mode="json"))``, but a document's lists
    of records are dumped one record at a time: a document of 100,000 targets never exists as
    one dict tree and one string beside its models (that was most of a large run's memory)."""
    if isinstance(value, list):
        yield from _json_container("[", "]", [(None, v) for v in value], indent, level, json_pieces)
    else:
        dumped = value.model_dump(mode="json", exclude=set(_record_lists(value)))
        items = [(name, dumped[name] if name in dumped else getattr(value, name)) for name in type(value).model_fields]
        yield from _json_container("{", "}", items, indent, level, _records)


def _record_lists(model: BaseModel) -> list[str]:
    """Fields of ``model`` that hold lists of models (a document's records)."""
    return [name for name in type(model).model_fields
            if isinstance(v := getattr(model, name), list) and v and isinstance(v[0], BaseModel)]


#: Records dumped per call of ``json.dumps``: few enough to keep memory small, enough to keep
#: the encoder's set-up per call out of the time.
_RECORDS_PER_DUMP = 256


def _records(value: list, indent: int | None, level: int) -> Iterator[str]:
    """A non-empty list of records as the JSON array ``json.dumps`` would write, in batches."""
    pad = "" if indent is None else "\n" + " " * (indent * (level + 1))
    close = "" if indent is None else "\n" + " " * (indent * level)
    between = ", " if indent is None else "," + pad
    yield "[" + pad
    for i in range(0, len(value), _RECORDS_PER_DUMP):
        if i:
            yield between
        text = _dumps([r.model_dump(mode="json") for r in value[i:i + _RECORDS_PER_DUMP]], indent, level)
        yield _escape_surrogates(text[1 + len(pad):-(1 + len(close))])  # without this batch's own brackets
    yield close + "]"


def _json_container(open_: str, close: str, items: list, indent: int | None, level: int, nested) -> Iterator[str]:
    """``items`` ((key or None, value) pairs) as a JSON object or array; values that are models or
    lists of models go through ``nested``, the others are dumped at once."""
    if not items:
        yield open_ + close
        return
    if indent is None:
        first, between, last = open_, ", ", close
    else:
        pad = "\n" + " " * (indent * (level + 1))
        first, between, last = open_ + pad, "," + pad, "\n" + " " * (indent * level) + close
    yield first
    for i, (key, value) in enumerate(items):
        if i:
            yield between
        if key is not None:
            yield json.dumps(key) + ": "
        if nested is not None and (isinstance(value, BaseModel) or (isinstance(value, list) and value
                                                                    and isinstance(value[0], BaseModel))):
            yield from nested(value, indent, level + 1)
        else:
            yield _escape_surrogates(_dumps(value, indent, level + 1))
    yield last


def _dumps(value, indent: int | None, level: int) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    if indent and level and "\n" in text:
        text = text.replace("\n", "\n" + " " * (indent * level))
    return text


def write_json(value, out: IO[str], indent: int | None = None, chunk: int = 1 << 16) -> None:
    """Write :func:`json_pieces` of ``value`` to ``out`` in chunks of about ``chunk`` characters."""
    buffer: list[str] = []
    size = 0
    for piece in json_pieces(value, indent):
        buffer.append(piece)
        size += len(piece)
        if size >= chunk:
            out.write("".join(buffer))
            buffer, size = [], 0
    out.write("".join(buffer))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Mode of written files, as ``open()`` would create them (temp files start private, 0600).
FILE_MODE = 0o666 & ~_umask()


@contextlib.contextmanager
def atomic_writer(path: Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None,
                  durable: bool = True) -> Iterator[IO]:
    """Write to a temp file beside ``path`` and rename it into place only when complete.

    ``durable`` flushes the data to disk before the rename, so a power cut cannot leave an empty
    file behind either; callers that check what they find on disk anyway (batch resume) can skip
    that wait, which costs more than writing a small file.

    The temp file is ``.NAME.PID.XXXXXXXX.part``: a run killed with SIGKILL cannot remove it, and
    the PID lets a later run tell it from the temp file of a run still going
    (:func:`remove_stale_temp_files`). Text that UTF-8 cannot encode (lone surrogates from
    undecodable file names) is written as ``\\udcxx`` rather than failing the whole file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".part", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        errors = None if "b" in mode else "backslashreplace"
        with os.fdopen(fd, mode, encoding=encoding, newline=newline, errors=errors) as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def remove_stale_temp_files(folder: Path, names: tuple[str, ...] | None = None) -> int:
    """Remove temp files of :func:`atomic_writer` left under ``folder`` by runs that were killed
    (their PID is gone); ``names`` limits it to the temp files of those outputs. Returns how many."""
    removed = 0
    for dirpath, _dirnames, filenames in os.walk(folder):
        for fname in filenames:
            if not (fname.startswith(".") and fname.endswith(".part")):
                continue
            name, _, rest = fname[1:-len(".part")].rpartition(".")  # strip the random part
            name, _, pid = name.rpartition(".")
            if not pid.isdigit() or (names is not None and name not in names) or _alive(int(pid)):
                continue
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(dirpath, fname))
                removed += 1
        if names is not None:
            break  # named outputs sit directly in the folder
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: leave its files alone
        return True
    return True


@contextlib.contextmanager
def open_output(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
    else:
        with atomic_writer(path) as fh:
            yield fh


#: ``--color``: auto (colour on a terminal unless NO_COLOR is set), always, never.
COLOR_CHOICES = ("auto", "always", "never")


def use_color(out: IO[str], color: str = "auto") -> bool:
    """Whether to colour ``out``: ``--color always``/``never`` win over NO_COLOR, which wins
    over a terminal (https://no-color.org: any non-empty value)."""
    if color in ("always", "never"):
        return color == "always"
    return bool(hasattr(out, "isatty") and out.isatty()) and not os.environ.get("NO_COLOR")


def console(out: IO[str], color: str = "auto", width: int | None = None):
    """A Rich console for ``out``: terminal width on a terminal, else ``width`` (160)."""
    from rich.console import Console

    is_tty = hasattr(out, "isatty") and out.isatty()
    colored = use_color(out, color)
    # never force "not a terminal": a progress bar on a terminal still moves without colour
    return Console(file=out, force_terminal=True if colored else None, no_color=not colored,
                   color_system="auto" if colored else None, highlight=colored,
                   width=width or (None if is_tty else 160), soft_wrap=False)


#: What a table shows for a value the document does not give.
MISSING = "—"


def _clip(s: str | None, n: int = 60) -> str:
    s = (s or "").replace("\n", " ")
    return s if len(s) <= n else s[: n - 1] + "…"


def _text(s: str | None, n: int = 60) -> str:
    return _clip(s, n) if s else MISSING


def _num(x: float | None) -> str:
    if x is None:
        return MISSING
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def write_tables(docs: list, out: IO[str], color: str = "auto") -> None:
    """Readable tables of one or more documents: metadata, targets, subsidies, tasks, units.
    Each record shows the start of the sentence it came from, so a reader can check it."""
    from rich.table import Table as RichTable
    from rich.text import Text

    class Table(RichTable):
        def add_row(self, *cells: str) -> None:  # document text is text, never Rich markup
            super().add_row(*(Text(c) for c in cells))

    con = console(out, color)
    for doc in docs:
        m, s = doc.metadata, doc.source
        period = f"{m.period_start or MISSING}-{m.period_end or MISSING}" if m.period_start or m.period_end else MISSING
        con.rule(f"{s.path}")
        con.print(f"title: {_text(m.title, 200)}   issuer: {_text(m.issuer)}   number: {_text(m.doc_number)}   "
                  f"issued: {m.issued_date or MISSING}   published: {m.published_date or MISSING}   "
                  f"period: {period}", markup=False)
        con.print(f"encoding: {s.encoding or MISSING}   language: {s.language or MISSING}   "
                  f"script: {s.script or MISSING}   sections: {len(doc.sections)}   repairs: "
                  + (", ".join(f"{r.kind}×{r.count}" for r in s.repairs) or MISSING), markup=False)
        if doc.targets:
            t = Table(title=f"targets ({len(doc.targets)})", show_lines=False)
            for col in ("indicator", "cmp", "value", "unit", "year", "baseline", "source"):
                t.add_column(col)
            for r in doc.targets:
                base = f"{_num(r.baseline.value)} ({r.baseline.year or MISSING})" \
                    if r.baseline and r.baseline.value is not None else MISSING
                value = "masked" if r.masked else _num(r.value) + (f"-{_num(r.value_max)}" if r.value_max else "")
                t.add_row(_text(r.indicator, 30), r.comparator or MISSING, value, r.unit or MISSING,
                          str(r.year or MISSING), base, _text(r.text, 50))
            con.print(t)
        if doc.subsidies:
            t = Table(title=f"subsidies ({len(doc.subsidies)})")
            for col in ("amount (yuan)", "cap", "ratio", "form", "once", "recipient", "source"):
                t.add_column(col)
            for r in doc.subsidies:
                t.add_row(_num(r.amount), "≤" if r.cap else "", _num(r.ratio), r.form or MISSING,
                          {True: "once", False: "annual", None: MISSING}[r.once], _text(r.recipient, 30),
                          _text(r.text, 40))
            con.print(t)
        if doc.tasks:
            t = Table(title=f"tasks ({len(doc.tasks)})")
            for col in ("marker", "title", "lead", "units"):
                t.add_column(col)
            for r in doc.tasks:
                t.add_row(r.marker or MISSING, _text(r.title, 40), "、".join(r.responsible.lead) or MISSING,
                          _text("、".join(r.units), 60))
            con.print(t)
        if doc.units:
            t = Table(title=f"responsible units ({len(doc.units)})")
            for col in ("name", "canonical", "mentions", "lead", "support"):
                t.add_column(col)
            for u in doc.units:
                t.add_row(u.name, u.canonical if u.canonical != u.name else "", str(u.mentions), str(u.lead), str(u.support))
            con.print(t)


def structure_json(text: str, structure, language: str) -> str:
    from plancli.segment import sentences

    sections = []
    for s in structure.sections:
        d = s.model_dump(mode="json")
        d["sentences"] = sum(1 for _ in sentences(text, *s.span))
        sections.append(d)
    return json.dumps({"language": language, "parts": len(structure.parts),
                       "sentences": sum(1 for _ in sentences(text)), "sections": sections},
                      ensure_ascii=False, indent=2)


def write_tree(path: str, text: str, structure, out: IO[str], color: str = "auto") -> None:
    from rich.tree import Tree

    from plancli.segment import sentences

    con = console(out, color)
    root = Tree(f"{path}  ({len(structure.parts)} parts, {len(structure.sections)} sections, "
                f"{sum(1 for _ in sentences(text))} sentences)")
    nodes = {}
    for s in structure.sections:
        label = f"{s.marker or ''} {_clip(s.title, 50)}  [dim]({sum(1 for _ in sentences(text, *s.span))} sentences)[/dim]"
        parent = nodes.get(s.parent, root)
        nodes[s.id] = parent.add(label)
    con.print(root)


# --------------------------------------------------------------------------------------------
# CSV: one table per record kind, for spreadsheets and pandas

#: Record lists of a Document, each written to ``<kind>.csv``.
RECORD_KINDS = ("targets", "subsidies", "tasks", "units")


#: First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula
#: (OWASP "CSV injection"), with their full-width forms, and the blanks that may come before one.
_FORMULA_START = tuple("=+-@\t\r\n＝＋－＠")


def spreadsheet_safe(cell: str) -> str:
    """A text cell a spreadsheet will show as text: one that could start a formula gets a
    leading ``'`` (which spreadsheets hide). For text columns only: numbers stay numbers."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _is_text(annotation) -> bool:
    """Whether a field holds free text (names, sentences, paths), not numbers, flags or one of a
    fixed set of our own values (``Literal``, e.g. the comparator ">=" or "-")."""
    from typing import Literal, get_args, get_origin

    if annotation is str:
        return True
    if get_origin(annotation) is Literal:
        return False
    return any(_is_text(a) for a in get_args(annotation))


def _csv_text_columns(model: type[BaseModel], prefix: str = "", skip: tuple[str, ...] = ()) -> set[str]:
    """Names of the flat columns of ``model`` (as :func:`_csv_columns` makes them) that hold text."""
    from typing import get_args, get_origin

    names: set[str] = set()
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        ann = info.annotation
        sub = next((a for a in (ann, *get_args(ann)) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if sub is not None and get_origin(ann) is not list:
            names |= _csv_text_columns(sub, f"{prefix}{name}_")
        elif _is_text(ann) or get_origin(ann) is list:
            names.add(f"{prefix}{name}")
    return names


def _csv_columns(model: type[BaseModel], prefix: str = "", skip: tuple[str, ...] = ()) -> list[tuple[str, tuple[str, ...], str]]:
    """Flat columns of a model: (name, key path, part); nested models become ``baseline_value``,
    pairs become ``span_start``/``span_end``. Derived from the models so new fields appear."""
    from typing import get_args, get_origin

    cols: list[tuple[str, tuple[str, ...], str]] = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        ann = info.annotation
        options = (ann, *get_args(ann))
        sub = next((a for a in options if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if sub is not None and get_origin(ann) is not list:
            cols += [(f"{prefix}{name}_{c}", (name, *path), part)
                     for c, path, part in _csv_columns(sub)]
        elif any(get_origin(a) is tuple for a in options):
            cols += [(f"{prefix}{name}_start", (name,), "start"), (f"{prefix}{name}_end", (name,), "end")]
        else:
            cols.append((f"{prefix}{name}", (name,), "value"))
    return cols


def _csv_cell(value, part: str = "value") -> str:
    """Text for one cell: lists of names joined with 、, numbers without a spurious .0."""
    if part != "value":
        value = value[0 if part == "start" else 1] if value else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        if all(isinstance(v, dict) and {"kind", "count"} <= v.keys() for v in value):
            return "; ".join(f"{v['kind']}={v['count']}" for v in value)  # repairs
        if all(isinstance(v, str) for v in value):
            return "、".join(value)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _csv_get(data: dict, path: tuple[str, ...]):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _records_first(cols: list) -> list:
    """id and the record's own fields first; provenance (section, text, span, rule) last."""
    tail = ("section", "text", "span", "rule")
    return [c for c in cols if c[1][0] not in tail] + [c for c in cols if c[1][0] in tail]


#: Every table of a set of documents, in the order they are written: one row per document,
#: section, record, and task–unit link. ``doc`` (the input path) is in every table; with ``id``
#: it identifies a section or a record (``targets.section`` -> ``sections.id``,
#: ``task_units.task`` -> ``tasks.id``, ``task_units.unit`` -> ``units.name``).
TABLES = ("documents", "sections", "targets", "subsidies", "tasks", "task_units", "units")


def _task_units(task: dict) -> Iterator[tuple[str, str]]:
    """(unit, role) of every unit named for a task: lead, support, or unspecified."""
    responsible = task.get("responsible") or {}
    lead, support = responsible.get("lead") or [], responsible.get("support") or []
    for unit in dict.fromkeys([*(task.get("units") or []), *lead, *support]):
        yield unit, "lead" if unit in lead else "support" if unit in support else "unspecified"


class Tables:
    """The rows every table gets from one document: raw values (None, bool, numbers, text,
    lists), which the CSV and XLSX writers format. Columns are derived from the models, so new
    fields appear without changes here. ``text[table]``: the indexes of the columns that hold
    free text (names, sentences, paths), the only cells a spreadsheet must be kept from
    running as formulas (:func:`spreadsheet_safe`)."""

    def __init__(self) -> None:
        from plancli.models import Generator, Metadata, Section, Source, Subsidy, Target, Task, Unit

        self._columns = {
            "documents": [("source", c) for c in _csv_columns(Source, skip=("path",))]
                         + [("metadata", c) for c in _csv_columns(Metadata)],
            "sections": _csv_columns(Section),
            **{kind: _records_first(_csv_columns(model)) for kind, model in
               (("targets", Target), ("subsidies", Subsidy), ("tasks", Task), ("units", Unit))},
        }
        # what made each document comes last, after the counts and the error
        self._generator = _csv_columns(Generator, prefix="generator_")
        extra = ["sections", *RECORD_KINDS, "error_kind", "error_message", *(c[0] for c in self._generator)]
        self.headers = {
            "documents": ["doc"] + [c[0] for _, c in self._columns["documents"]] + extra,
            **{kind: ["doc"] + [c[0] for c in self._columns[kind]]
               for kind in ("sections", *RECORD_KINDS)},
            "task_units": ["doc", "task", "unit", "role"],
        }
        text = {"documents": {"doc", "error_kind", "error_message"} | _csv_text_columns(Source, skip=("path",))
                             | _csv_text_columns(Metadata) | _csv_text_columns(Generator, "generator_"),
                **{kind: {"doc"} | _csv_text_columns(model) for kind, model in
                   (("sections", Section), ("targets", Target), ("subsidies", Subsidy), ("tasks", Task),
                    ("units", Unit))},
                "task_units": {"doc", "unit"}}
        self.text = {name: [i for i, col in enumerate(header) if col in text[name]]
                     for name, header in self.headers.items()}

    def rows(self, doc: dict) -> Iterator[tuple[str, list]]:
        """(table, row) for one Document or FailedDocument (as a dict, e.g. parsed JSON)."""
        path = (doc.get("source") or {}).get("path", "")
        error = doc.get("error") or {}
        failed = "error" in doc
        row = [path] + [_part(_csv_get(doc.get(section) or {}, p), part)
                        for section, (_, p, part) in self._columns["documents"]]
        row += [None if failed else len(doc.get(kind) or []) for kind in ("sections", *RECORD_KINDS)]
        row += [error.get("kind"), error.get("message")]
        row += [_part(_csv_get(doc.get("generator") or {}, p), part) for _, p, part in self._generator]
        yield "documents", row
        for kind in ("sections", *RECORD_KINDS):
            for record in doc.get(kind) or []:
                yield kind, [path] + [_part(_csv_get(record, p), part) for _, p, part in self._columns[kind]]
                if kind == "tasks":
                    for unit, role in _task_units(record):
                        yield "task_units", [path, record.get("id"), unit, role]


def _part(value, part: str):
    """A column's value: the start or end of a span, else the value itself."""
    if part == "value":
        return value
    return (value[0 if part == "start" else 1] if value else None)


class CsvTables:
    """Rows of documents added one by one to the CSV tables in ``writers`` (tables without a
    writer are left out). Files are UTF-8 with a BOM so Excel shows Chinese correctly; the csv
    module and pandas read them with ``utf-8-sig``. Text cells that a spreadsheet would run as
    a formula (``=``, ``+``, ``-``, ``@`` first) get a leading ``'`` unless ``raw``
    (:func:`spreadsheet_safe`); number columns and our own values are left alone."""

    def __init__(self, writers: dict, raw: bool = False):
        self._writers = writers
        self._tables = Tables()
        self._raw = raw
        for name in TABLES:
            if name in writers:
                writers[name].writerow(self._tables.headers[name])

    def add(self, doc: dict) -> None:
        """Add one Document or FailedDocument (as a dict, e.g. parsed JSON)."""
        for table, row in self._tables.rows(doc):
            writer = self._writers.get(table)
            if writer is None:
                continue
            cells = [_csv_cell(v) for v in row]
            if not self._raw:
                for i in self._tables.text[table]:
                    if cells[i]:
                        cells[i] = spreadsheet_safe(cells[i])
            writer.writerow(cells)


@contextlib.contextmanager
def csv_tables(folder: Path, raw: bool = False) -> Iterator[CsvTables]:
    """One CSV file per table (``TABLES``) in ``folder``, each written atomically: they appear
    complete when the block ends, or not at all. ``raw``: cells as they are, formula-like text
    included (for pandas rather than spreadsheets)."""
    import csv

    with contextlib.ExitStack() as stack:
        writers = {name: csv.writer(stack.enter_context(atomic_writer(Path(folder) / f"{name}.csv", encoding="utf-8-sig", newline="")))
                   for name in TABLES}
        yield CsvTables(writers, raw=raw)


def csv_table(out: IO[str], table: str, raw: bool = False) -> CsvTables:
    """One table written to ``out`` (standard output, or a file the caller opened)."""
    import csv

    return CsvTables({table: csv.writer(out)}, raw=raw)


def _xlsx_cell(value):
    """A spreadsheet cell: numbers stay numbers, booleans booleans; lists as in the CSV."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, str):
        return _escape_surrogates(value)
    return _escape_surrogates(_csv_cell(value))


#: Column widths in the spreadsheet (characters): long text wide, the rest narrow.
_XLSX_WIDE = {"text": 60, "title": 40, "indicator": 30, "recipient": 30, "error_message": 40, "doc": 30}


class XlsxTables:
    """A workbook with one sheet per table (``TABLES``): header row frozen, autofilter, numbers
    as numbers. Written with XlsxWriter, which never turns text into formulas when cells are
    written by type; text that would start a formula also gets Excel's own "quote prefix" (the
    hidden ``'`` of a typed-in '=…), so that editing the cell keeps it text too. The text itself
    is never changed."""

    def __init__(self, out: IO[bytes]):
        import xlsxwriter

        self._book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                                     "strings_to_urls": False, "strings_to_numbers": False})
        self._tables = Tables()
        bold = self._book.add_format({"bold": True})
        self._quoted = self._book.add_format({"quote_prefix": True})
        self._sheets, self._rows = {}, {}
        for name in TABLES:
            sheet = self._book.add_worksheet(name)
            header = self._tables.headers[name]
            for col, title in enumerate(header):
                sheet.set_column(col, col, _XLSX_WIDE.get(title, max(8, len(title) + 2)))
            sheet.write_row(0, 0, header, bold)
            sheet.freeze_panes(1, 0)
            self._sheets[name], self._rows[name] = sheet, 0

    def add(self, doc: dict) -> None:
        for table, row in self._tables.rows(doc):
            self._rows[table] += 1
            sheet, r = self._sheets[table], self._rows[table]
            for col, value in enumerate(row):
                value = _xlsx_cell(value)
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(r, col, value)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, col, value)
                else:  # Excel keeps at most 32,767 characters
                    sheet.write_string(r, col, value, self._quoted if value.startswith(_FORMULA_START) else None)

    def close(self) -> None:
        for name, sheet in self._sheets.items():
            sheet.autofilter(0, 0, self._rows[name], len(self._tables.headers[name]) - 1)
        self._book.close()


@contextlib.contextmanager
def xlsx_tables(path: Path) -> Iterator[XlsxTables]:
    """A workbook at ``path``, written to a temp file and renamed into place when complete."""
    with atomic_writer(path, mode="wb", encoding=None) as fh:
        tables = XlsxTables(fh)
        yield tables
        tables.close()
