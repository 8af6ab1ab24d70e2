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


def _console(out: IO[str]):
    from rich.console import Console

    is_tty = hasattr(out, "isatty") and out.isatty()
    return Console(file=out, force_terminal=is_tty, no_color="NO_COLOR" in os.environ or not is_tty,
                   width=None if is_tty else 160, soft_wrap=False)


def _clip(s: str | None, n: int = 60) -> str:
    s = (s or "").replace("\n", " ")
    return s if len(s) <= n else s[: n - 1] + "…"


def _num(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def write_tables(docs: list, out: IO[str]) -> None:
    """Readable tables of one or more documents: metadata, targets, subsidies, tasks, units."""
    from rich.table import Table

    console = _console(out)
    for doc in docs:
        m, s = doc.metadata, doc.source
        console.rule(f"{s.path}")
        console.print(f"title: {m.title}   issuer: {m.issuer}   number: {m.doc_number}   "
                      f"issued: {m.issued_date}   published: {m.published_date}   "
                      f"period: {m.period_start}-{m.period_end}")
        console.print(f"encoding: {s.encoding}   language: {s.language}   script: {s.script}   "
                      f"sections: {len(doc.sections)}   repairs: "
                      + ", ".join(f"{r.kind}×{r.count}" for r in s.repairs))
        if doc.targets:
            t = Table(title=f"targets ({len(doc.targets)})", show_lines=False)
            for col in ("indicator", "cmp", "value", "unit", "year", "baseline", "rule"):
                t.add_column(col)
            for r in doc.targets:
                base = f"{_num(r.baseline.value)} ({r.baseline.year})" if r.baseline and r.baseline.value is not None else ""
                value = "masked" if r.masked else _num(r.value) + (f"-{_num(r.value_max)}" if r.value_max else "")
                t.add_row(_clip(r.indicator, 40), r.comparator or "", value, r.unit or "",
                          str(r.year or ""), base, r.rule)
            console.print(t)
        if doc.subsidies:
            t = Table(title=f"subsidies ({len(doc.subsidies)})")
            for col in ("amount (yuan)", "cap", "ratio", "form", "once", "recipient"):
                t.add_column(col)
            for r in doc.subsidies:
                t.add_row(_num(r.amount), "≤" if r.cap else "", _num(r.ratio), r.form or "",
                          {True: "once", False: "annual", None: ""}[r.once], _clip(r.recipient, 50))
            console.print(t)
        if doc.tasks:
            t = Table(title=f"tasks ({len(doc.tasks)})")
            for col in ("marker", "title", "lead", "units"):
                t.add_column(col)
            for r in doc.tasks:
                t.add_row(r.marker or "", _clip(r.title, 40), "、".join(r.responsible.lead),
                          _clip("、".join(r.units), 60))
            console.print(t)
        if doc.units:
            t = Table(title=f"responsible units ({len(doc.units)})")
            for col in ("name", "canonical", "mentions", "lead", "support"):
                t.add_column(col)
            for u in doc.units:
                t.add_row(u.name, u.canonical if u.canonical != u.name else "", str(u.mentions), str(u.lead), str(u.support))
            console.print(t)


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


def write_tree(path: str, text: str, structure, out: IO[str]) -> None:
    from rich.tree import Tree

    from plancli.segment import sentences

    console = _console(out)
    root = Tree(f"{path}  ({len(structure.parts)} parts, {len(structure.sections)} sections, "
                f"{sum(1 for _ in sentences(text))} sentences)")
    nodes = {}
    for s in structure.sections:
        label = f"{s.marker or ''} {_clip(s.title, 50)}  [dim]({sum(1 for _ in sentences(text, *s.span))} sentences)[/dim]"
        parent = nodes.get(s.parent, root)
        nodes[s.id] = parent.add(label)
    console.print(root)


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


class CsvTables:
    """Rows of documents added one by one to documents.csv and one CSV per record kind.

    ``doc`` (the input path) links every row to its document. Files are UTF-8 with a BOM so
    Excel shows Chinese correctly; the csv module and pandas read them with ``utf-8-sig``.
    Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) get a
    leading ``'`` unless ``raw`` (:func:`spreadsheet_safe`); number columns are left alone.
    """

    def __init__(self, writers: dict, raw: bool = False):
        from plancli.models import Generator, Metadata, Source, Subsidy, Target, Task, Unit

        self._writers = writers if raw else {name: _SafeWriter(w, None) for name, w in writers.items()}
        self._columns = {
            "documents": [("source", c) for c in _csv_columns(Source, skip=("path",))]
                         + [("metadata", c) for c in _csv_columns(Metadata)],
            **{kind: _records_first(_csv_columns(model)) for kind, model in
               (("targets", Target), ("subsidies", Subsidy), ("tasks", Task), ("units", Unit))},
        }
        # what made each document comes last, after the counts and the error
        self._generator = _csv_columns(Generator, prefix="generator_")
        extra = ["sections", *RECORD_KINDS, "error_kind", "error_message", *(c[0] for c in self._generator)]
        headers = {"documents": ["doc"] + [c[0] for _, c in self._columns["documents"]] + extra,
                   **{kind: ["doc"] + [c[0] for c in self._columns[kind]] for kind in RECORD_KINDS}}
        text = {"documents": {"doc", "error_kind", "error_message"} | _csv_text_columns(Source, skip=("path",))
                             | _csv_text_columns(Metadata) | _csv_text_columns(Generator, "generator_"),
                **{kind: {"doc"} | _csv_text_columns(model) for kind, model in
                   (("targets", Target), ("subsidies", Subsidy), ("tasks", Task), ("units", Unit))}}
        for name, header in headers.items():
            writers[name].writerow(header)
            if not raw:
                self._writers[name].text = [i for i, col in enumerate(header) if col in text[name]]

    def add(self, doc: dict) -> None:
        """Add one Document or FailedDocument (as a dict, e.g. parsed JSON)."""
        path = (doc.get("source") or {}).get("path", "")
        error = doc.get("error") or {}
        row = [path] + [_csv_cell(_csv_get(doc.get(section) or {}, p), part)
                        for section, (_, p, part) in self._columns["documents"]]
        row += [str(len(doc.get("sections") or []))] if "error" not in doc else [""]
        row += [str(len(doc.get(kind) or [])) if "error" not in doc else "" for kind in RECORD_KINDS]
        row += [error.get("kind", ""), error.get("message", "")]
        row += [_csv_cell(_csv_get(doc.get("generator") or {}, p), part) for _, p, part in self._generator]
        self._writers["documents"].writerow(row)
        for kind in RECORD_KINDS:
            for record in doc.get(kind) or []:
                self._writers[kind].writerow([path] + [_csv_cell(_csv_get(record, p), part)
                                                       for _, p, part in self._columns[kind]])


class _SafeWriter:
    """A csv writer whose text columns (indexes in ``text``) pass through :func:`spreadsheet_safe`."""

    def __init__(self, writer, text: list[int] | None):
        self._writer, self.text = writer, text or []

    def writerow(self, row: list[str]) -> None:
        for i in self.text:
            if i < len(row) and row[i]:
                row[i] = spreadsheet_safe(row[i])
        self._writer.writerow(row)


@contextlib.contextmanager
def csv_tables(folder: Path, raw: bool = False) -> Iterator[CsvTables]:
    """documents.csv, targets.csv, subsidies.csv, tasks.csv and units.csv in ``folder``, each
    written atomically: they appear complete when the block ends, or not at all. ``raw``: cells
    as they are, formula-like text included (for pandas rather than spreadsheets)."""
    import csv

    with contextlib.ExitStack() as stack:
        writers = {name: csv.writer(stack.enter_context(atomic_writer(Path(folder) / f"{name}.csv", encoding="utf-8-sig", newline="")))
                   for name in ("documents", *RECORD_KINDS)}
        yield CsvTables(writers, raw=raw)
