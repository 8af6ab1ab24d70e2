"""The ``plancli`` command: a thin Typer layer over the library.

Data goes to stdout, messages to stderr. Exit status: 0 success, 1 when any input failed,
2 for usage errors, 3 when ``batch`` cannot write its outputs. A failure is one line naming the
file and the reason; ``--debug`` adds the traceback. Heavy modules are imported inside commands
so ``plancli --help`` starts fast.
"""
from __future__ import annotations

import contextlib
import glob
import io
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperCommand


class _Command(TyperCommand):
    """Help in plain words: an argument shows its name (PATH...), without the Python type that
    Typer adds (``<list[str]>``) or its ``{required}`` braces. Typer's own help if that fails."""

    def format_options(self, ctx, formatter) -> None:
        try:
            args, opts = [], []
            for param in self.get_params(ctx):
                record = param.get_help_record(ctx)
                if record is None:
                    continue
                if param.param_type_name == "argument":
                    args.append((_argument_label(param), record[1]))
                else:
                    opts.append(record)
        except Exception:  # Typer's internals changed: its help is still better than none
            return super().format_options(ctx, formatter)
        for title, rows in (("Arguments", args), ("Options", opts)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

    def collect_usage_pieces(self, ctx) -> list[str]:
        try:
            pieces = [self.options_metavar] if self.options_metavar else []
            pieces += [_argument_label(p) for p in self.get_params(ctx) if p.param_type_name == "argument"]
            return pieces
        except Exception:
            return super().collect_usage_pieces(ctx)


def _argument_label(param) -> str:
    label = param.metavar or param.name.upper()
    label += "..." if param.nargs != 1 else ""
    return label if param.required else f"[{label}]"


app = typer.Typer(
    name="plancli",
    help=(
        "Turn downloaded government plan documents (行动计划, 实施方案, 若干措施, notices, press "
        "releases) into validated records: targets, subsidies, tasks, responsible units and "
        "metadata.\n\nExamples:\n\n"
        "  plancli extract notice.txt                  # a JSON array on stdout\n\n"
        "  plancli extract notice.txt -f table         # readable tables\n\n"
        "  cat notice.txt | plancli extract - | jq '.[0].targets[].indicator'\n\n"
        "  plancli extract *.html -f xlsx -o plans.xlsx  # one sheet per record kind\n\n"
        "  plancli batch downloads/ --out results/ --csv tables/\n\n"
        "  plancli normalize notice.txt                # the text all spans refer to\n\n"
        "Run 'plancli COMMAND -h' for the options of a command, and "
        "'plancli --install-completion' once for tab completion in your shell."
    ),
    no_args_is_help=True,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _choices(enum: type[Enum]) -> str:
    """The metavar of a choice option: [json|jsonl|table]."""
    return "[" + "|".join(e.value for e in enum) + "]"


class Format(str, Enum):
    json = "json"
    jsonl = "jsonl"
    table = "table"
    csv = "csv"
    xlsx = "xlsx"


class TreeFormat(str, Enum):
    tree = "tree"
    json = "json"


class ListFormat(str, Enum):
    table = "table"
    json = "json"


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


class CsvTable(str, Enum):
    documents = "documents"
    sections = "sections"
    targets = "targets"
    subsidies = "subsidies"
    tasks = "tasks"
    task_units = "task_units"
    units = "units"


def _whole_number(minimum: int):
    """A parser for a count option: plain words for a bad value, not a type checker's."""

    def parse(value) -> int:
        if isinstance(value, int):
            return value
        try:
            number = int(str(value).replace("_", ""))
        except ValueError:
            raise typer.BadParameter(f"expected a whole number, got {value!r}") from None
        if number < minimum:
            raise typer.BadParameter(f"must be {minimum} or more, got {number}")
        return number

    return parse


RulesOpt = Annotated[Optional[Path], typer.Option(
    "--rules", metavar="DIR", help="Folder of rules files to use instead of the built-in rules (files it "
                                   "lacks come from the built-in set).", file_okay=False, exists=True)]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks for failures.")]
KeywordsOpt = Annotated[bool, typer.Option(
    "--keywords", help="Tag each task with TF-IDF keywords (loads jieba: about one second of start-up).")]
MaxBytesOpt = Annotated[int, typer.Option(
    "--max-bytes", metavar="BYTES", parser=_whole_number(1), show_default=False,
    help="Refuse inputs larger than this many bytes (default: 104857600, 100 MiB).")]
OutputOpt = Annotated[Optional[Path], typer.Option(
    "--output", "-o", metavar="FILE", dir_okay=False,
    help="Write to FILE instead of standard output (it appears complete, or not at all).")]
ColorOpt = Annotated[Color, typer.Option(
    "--color", metavar=_choices(Color), help="Colour: auto (on a terminal, unless NO_COLOR is set), "
                                             "always, never.")]


def _seconds(value) -> float:
    """A parser for --timeout: plain words for a bad value."""
    import math

    if isinstance(value, (int, float)):
        return float(value)
    try:
        seconds = float(str(value))
    except ValueError:
        raise typer.BadParameter(f"expected a number of seconds, got {value!r}") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise typer.BadParameter(f"must be a number of seconds, 0 or more (0: no limit), got {value}")
    return seconds


def _size(value) -> int:
    """A parser for --max-memory: 2G, 512M, 0."""
    from plancli.limits import parse_size

    if isinstance(value, int):
        return value
    try:
        return parse_size(str(value))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


TimeoutOpt = Annotated[float, typer.Option(
    "--timeout", metavar="SECONDS", parser=_seconds, help="Stop a file that takes longer than this and report "
                                                          "it as an error of kind timeout (0: no limit).")]
MaxMemoryOpt = Annotated[int, typer.Option(
    "--max-memory", metavar="SIZE", parser=_size, help="Stop a file whose processing needs more memory than "
    "this, e.g. 2G or 512M, and report it as an error of kind memory_limit (0: no limit).")]
CsvRawOpt = Annotated[bool, typer.Option(
    "--csv-raw", help="Write CSV text cells as they are. By default a text cell starting with = + - @ gets a "
                      "leading ' so that a spreadsheet shows it instead of running it as a formula; numbers "
                      "are never changed.")]


def _print_version(value: bool) -> None:
    if value:
        from plancli import __version__

        print(f"plancli {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option("--version", "-V", is_eager=True, callback=_print_version,
                                          help="Print plancli's version and exit.")] = False,
) -> None:
    """Options that come before the command."""


class _State:
    debug = False


def _fail(path: str, exc: BaseException) -> None:
    """One line on stderr naming the file and the reason (traceback only with --debug)."""
    if _State.debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    print(f"plancli: {path}: {_reason(exc)}", file=sys.stderr)


def _reason(exc: BaseException) -> str:
    """The message of an expected failure (InputError, RulesError), else the exception's type too."""
    from plancli.rules import RulesError

    message = getattr(exc, "message", None)
    if message:
        return message
    if isinstance(exc, RulesError):
        return f"rules: {exc}"
    return f"internal error: {type(exc).__name__}: {exc}" if str(exc) else f"internal error: {type(exc).__name__}"


def _usage(message: str) -> typer.Exit:
    """A usage error: one line, exit status 2."""
    print(f"plancli: {message}", file=sys.stderr)
    return typer.Exit(2)


def _expand(paths: list[str]) -> list[str]:
    """Expand globs the shell left alone (quoted patterns, Windows shells)."""
    out: list[str] = []
    for p in paths:
        if p != "-" and not os.path.exists(p) and any(c in p for c in "*?["):
            matches = sorted(glob.glob(p, recursive=True))
            out.extend(matches or [p])
        else:
            out.append(p)
    return out


def _check_rules(rules: Optional[Path]):
    """The rules of this run, every file validated: a broken rules folder fails early, with
    file/line/rule id (exit 2: a usage error)."""
    from plancli.rules import RulesError, ruleset

    try:
        rs = ruleset(rules)
        rs.check()
        return rs
    except RulesError as exc:
        raise _usage(f"rules: {exc}") from None


def _error_kind(exc: BaseException) -> str:
    return getattr(exc, "kind", None) or "internal_error"


@contextlib.contextmanager
def _writing(target: Optional[Path], spreadsheet: bool = False):
    """Standard output, or ``target`` written atomically. An output that cannot be written
    (a folder, no permission, a full disk) is one line naming it, and exit status 1.
    ``spreadsheet``: a CSV file gets a BOM (Excel then reads it as UTF-8), stdout does not."""
    from plancli import emit

    try:
        if target is not None and spreadsheet:
            opened = emit.atomic_writer(target, encoding="utf-8-sig", newline="")
        else:
            opened = emit.open_output(target)
        with opened as out:
            yield out
    except BrokenPipeError:
        raise
    except OSError as exc:
        _output_failed(target, exc)


def _output_failed(target: Optional[Path], exc: OSError, what: str = "the output"):
    """``target`` (None: standard output) cannot be written: one line, exit status 1."""
    _cannot_write(target, what, exc)
    raise typer.Exit(1) from None


def _cannot_write(target: Optional[Path], what: str, exc: OSError) -> None:
    """One line: ``what`` cannot be written to ``target`` (None: standard output), and why."""
    from plancli.read import InputError

    if _State.debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    _State.debug = False
    _fail(str(target) if target else "standard output",
          InputError("output_error", f"cannot write {what}: {exc.strerror or exc}"))


@app.command(cls=_Command)
def extract(
    paths: Annotated[list[str], typer.Argument(metavar="PATH", help="Files to read; '-' reads standard input; "
                                               "globs allowed.")],
    format: Annotated[Format, typer.Option(
        "--format", "-f", metavar=_choices(Format),
        help="json: an array with one object per input, however many; jsonl: one object per line; "
             "table: for reading; csv: the tables of `plancli batch --csv` (all of them into the "
             "folder -o DIR, or one, --table, to stdout or -o FILE); xlsx: a workbook, one sheet "
             "per table (needs -o FILE.xlsx).")] = Format.json,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", metavar="FILE|DIR",
        help="Write to FILE instead of standard output (it appears complete, or not at all); a "
             "folder DIR for every table of -f csv.")] = None,
    table: Annotated[Optional[CsvTable], typer.Option(
        "--table", "-t", metavar=_choices(CsvTable),
        help="With -f csv: the one table to write (default without -o: targets).")] = None,
    csv_raw: CsvRawOpt = False,
    rules: RulesOpt = None,
    max_bytes: MaxBytesOpt = 100 * 1024 * 1024,
    timeout: TimeoutOpt = 0,
    max_memory: MaxMemoryOpt = "0",
    keywords: KeywordsOpt = False,
    color: ColorOpt = Color.auto,
    debug: DebugOpt = False,
) -> None:
    """Extract targets, subsidies, tasks, units and metadata from documents.

    Reads text in any Chinese encoding, saved web pages, .docx, .pdf and legacy .doc/.wps.
    Scanned or garbled PDF pages are read by OCR after pip install 'plancli[ocr]'
    (PLANCLI_OCR=tesseract prefers Debian's tesseract, PLANCLI_OCR=off turns OCR off).

    Failed inputs are one line each on stderr and an error entry in the output (json, jsonl,
    csv, xlsx); the exit status is then 1.
    """
    _State.debug = debug
    from plancli import emit, limits
    from plancli.models import ErrorInfo, FailedDocument, Source
    from plancli.pipeline import extract as run

    if table is not None and format is not Format.csv:
        raise _usage("--table goes with --format csv")
    if csv_raw and format is not Format.csv:
        raise _usage("--csv-raw goes with --format csv")
    if format is Format.xlsx and output is None:
        raise _usage("--format xlsx writes a workbook: give it a file name with -o FILE.xlsx")
    if format is Format.csv and table is None and output is not None and output.suffix.lower() == ".csv":
        raise _usage(f"-f csv -o {output}: choose the table with --table, or give -o a folder for every table")
    if format is Format.csv and table is None and output is None:
        table = CsvTable.targets
    rs = _check_rules(rules)
    files = _expand(paths)
    limits.limit_address_space(max_memory)
    results, failed = [], 0
    for path in files:
        try:
            with limits.time_limit(timeout):
                results.append(run(path, rs, max_bytes, keywords))
        except (Exception, limits.FileTimeout) as exc:  # every failure: a line on stderr and an error entry
            exc = limits.limit_error(exc, timeout, max_memory) or exc
            failed += 1
            _fail(path, exc)
            results.append(FailedDocument(source=Source(path=path), error=ErrorInfo(kind=_error_kind(exc), message=_reason(exc))))
    documents = [d for d in results if not hasattr(d, "error")]
    if output is not None and not documents and format is Format.table:
        raise typer.Exit(1)  # no table to show: an existing --output file is left as it was
    if format is Format.xlsx or (format is Format.csv and table is None):
        try:
            with (emit.xlsx_tables(output) if format is Format.xlsx else emit.csv_tables(output, raw=csv_raw)) as tables:
                for doc in results:
                    tables.add(doc.model_dump(mode="json"))
        except OSError as exc:
            _output_failed(output, exc)
        raise typer.Exit(1 if failed else 0)
    with _writing(output, spreadsheet=format is Format.csv) as out:
        if format is Format.table:
            emit.write_tables(documents, out, color.value)
        elif format is Format.jsonl:
            for doc in results:
                emit.write_json(doc, out)  # record by record: no second copy of a large document
                out.write("\n")
        elif format is Format.csv:
            tables = emit.csv_table(out, table.value, raw=csv_raw)
            for doc in results:
                tables.add(doc.model_dump(mode="json"))
        else:
            emit.write_json(results, out, indent=2)
            out.write("\n")
    raise typer.Exit(1 if failed else 0)


@app.command(cls=_Command)
def normalize(
    paths: Annotated[list[str], typer.Argument(metavar="PATH", help="Files to read; '-' reads standard input.")],
    output: OutputOpt = None,
    rules: RulesOpt = None,
    max_bytes: MaxBytesOpt = 100 * 1024 * 1024,
    repairs: Annotated[bool, typer.Option("--repairs", help="Also list the repairs made, on stderr.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Print the normalised text (UTF-8, Simplified, repaired): the text all spans index.

    Several files are headed '==> PATH <==', as `head` does.
    """
    _State.debug = debug
    from plancli.pipeline import prepare

    rs = _check_rules(rules)
    files, failed = _expand(paths), 0
    with _writing(output) as out:
        for path in files:
            try:
                prep = prepare(path, rs, max_bytes)
            except Exception as exc:
                failed += 1
                _fail(path, exc)
                continue
            if len(files) > 1:
                out.write(f"==> {path} <==\n")
            out.write(prep.normalized.text + "\n")
            if repairs:
                for r in prep.decoded.repairs + prep.normalized.repairs:
                    print(f"{path}: {r.kind} x{r.count} {'; '.join(r.examples)}", file=sys.stderr)
    raise typer.Exit(1 if failed else 0)


@app.command(cls=_Command)
def segment(
    path: Annotated[str, typer.Argument(metavar="PATH", help="File to read; '-' reads standard input.")],
    format: Annotated[TreeFormat, typer.Option("--format", "-f", metavar=_choices(TreeFormat),
                                               help="tree: for reading; json: sections with spans.")] = TreeFormat.tree,
    output: OutputOpt = None,
    rules: RulesOpt = None,
    color: ColorOpt = Color.auto,
    debug: DebugOpt = False,
) -> None:
    """Show a document's parts, section tree and sentence counts."""
    _State.debug = debug
    from plancli import emit
    from plancli.pipeline import prepare
    from plancli.segment import detect_language, find_structure

    rs = _check_rules(rules)
    try:
        prep = prepare(path, rs)
    except Exception as exc:
        _fail(path, exc)
        raise typer.Exit(1) from None
    text = prep.normalized.text
    structure = find_structure(text, rs)
    with _writing(output) as out:
        if format is TreeFormat.json:
            out.write(emit.structure_json(text, structure, detect_language(text)) + "\n")
        else:
            emit.write_tree(path, text, structure, out, color.value)


@app.command(cls=_Command)
def schema(output: OutputOpt = None) -> None:
    """Print the JSON Schema of the output (one document object; `extract -f json` prints an
    array of them)."""
    import json

    from plancli.models import Document

    with _writing(output) as out:
        out.write(json.dumps(Document.model_json_schema(), ensure_ascii=False, indent=2) + "\n")


@app.command("rules", cls=_Command)
def list_rules(
    rules: RulesOpt = None,
    format: Annotated[ListFormat, typer.Option("--format", "-f", metavar=_choices(ListFormat),
                                               help="table: for reading; json: a list of {file, id, "
                                                    "description}.")] = ListFormat.table,
    output: OutputOpt = None,
    color: ColorOpt = Color.auto,
) -> None:
    """List every rule (id, file, description); fails with file/line/rule id on a broken rules file."""
    from plancli import emit

    rs = _check_rules(rules)
    files = rs.check()
    rows = [(name, r.id, r.description) for name, rf in files.items() for r in rf.rules]
    with _writing(output) as out:
        if format is ListFormat.json:
            import json

            out.write(json.dumps([{"file": f, "id": i, "description": d} for f, i, d in rows],
                                 ensure_ascii=False, indent=1) + "\n")
            return
        from rich.table import Table
        from rich.text import Text

        table = Table(title=f"{len(rows)} rules in {rs.where}")
        for col in ("file", "id", "description"):
            table.add_column(col, no_wrap=col != "description")  # ids stay whole, greppable
        for row in rows:
            table.add_row(*(Text(c) for c in row))
        emit.console(out, color.value).print(table)


@app.command(cls=_Command)
def quantities(
    text: Annotated[str, typer.Argument(metavar="TEXT", help="Text to scan, e.g. '到2024年达到1600家以上'; "
                                        "'-' reads standard input.")],
    output: OutputOpt = None,
) -> None:
    """Print the quantities found in TEXT as JSON (value, unit, number, comparator, span …)."""
    import json

    from plancli.quantities import find_quantities

    if text == "-":
        text = sys.stdin.read()
    found = [q.to_dict() for q in find_quantities(text)]
    with _writing(output) as out:
        out.write(json.dumps(found, ensure_ascii=False, indent=1) + "\n")


@app.command(cls=_Command)
def report(
    inputs: Annotated[list[str], typer.Argument(metavar="INPUT", help="Batch output folders (--out), JSON Lines or "
                      "JSON files of results ('-': JSON Lines on standard input), or documents (files or "
                      "folders: extracted now); globs allowed.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", dir_okay=False,
                      help="Write the page to FILE (e.g. report.html) instead of standard output.")] = None,
    title: Annotated[Optional[str], typer.Option("--title", metavar="TEXT", help="Title of the page (default: from the inputs).")] = None,
    no_text: Annotated[bool, typer.Option("--no-text", help="Leave the documents' texts out: a smaller page "
                       "that lists records without highlighting them.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", metavar="N", help="Worker processes that read and normalise the inputs "
                    "of results again (0: one per core).", min=0)] = 0,
    rules: RulesOpt = None,
    max_bytes: MaxBytesOpt = 100 * 1024 * 1024,
    debug: DebugOpt = False,
) -> None:
    """Write one HTML page to check records against their text and compare plans across places.

    The page works offline (one file, nothing fetched): per document, the normalised text with
    every record highlighted; across documents, targets by indicator, subsidies by form and who
    is responsible for which tasks, with charts, a filter box and sortable columns. The text of
    results is read and normalised again from each input's path (as recorded: from the current
    folder, else from beside the results); a document whose input moved or changed is shown
    without its text.

    Examples: plancli report results/ -o report.html;  plancli report downloads/*.html -o report.html
    """
    _State.debug = debug
    from plancli.report import write_report

    if output is None and sys.stdout.isatty():
        print("plancli: report: the page is HTML; write it to a file with -o report.html", file=sys.stderr)
        raise typer.Exit(2)
    rs = _check_rules(rules)
    try:
        summary = write_report(_expand(inputs), output or sys.stdout, rs, max_bytes, with_text=not no_text,
                               title=title, jobs=jobs, problem=lambda where, why: print(f"plancli: {where}: {why}", file=sys.stderr))
    except OSError as exc:
        _output_failed(output, exc, "the report")
    if output is not None:
        print(f"plancli: wrote {output} ({_report_counts(summary)})", file=sys.stderr)
    raise typer.Exit(1 if summary.problems else 0)


def _report_counts(summary) -> str:
    counts = f"{summary.documents} documents"
    if summary.failed:
        counts += f", {summary.failed} failed"
    counts += ", " + ", ".join(f"{n} {kind}" for kind, n in summary.records.items())
    if summary.with_text < summary.documents - summary.failed:
        counts += f"; {summary.documents - summary.failed - summary.with_text} without their text"
    return counts


class Engine(str, Enum):
    local = "local"
    dask = "dask"


@app.command(cls=_Command)
def batch(
    inputs: Annotated[list[str], typer.Argument(metavar="DIR", help="Folders to walk (recursively) and/or files.")],
    out: Annotated[Path, typer.Option("--out", "-o", metavar="OUTDIR", help="Folder for one JSON per input, "
                                      "mirroring the input tree (OUTDIR/sub/a.txt.json), and errors.jsonl.",
                                      file_okay=False)],
    glob_: Annotated[Optional[list[str]], typer.Option("--glob", metavar="PATTERN", help="Only files matching this pattern "
                     "(repeatable), e.g. '*.html' or 'sub/**/*.txt'. Default: .txt .text .htm .html .xhtml "
                     ".docx .pdf .doc .wps and files without a suffix.")] = None,
    jsonl: Annotated[Optional[str], typer.Option("--jsonl", metavar="FILE", help="Also write every result to this JSON "
                     "Lines file ('-': stdout), in input order.")] = None,
    csv: Annotated[Optional[Path], typer.Option("--csv", metavar="DIR", help="Also write the tables documents, "
                   "sections, targets, subsidies, tasks, task_units and units as .csv files in DIR (UTF-8 "
                   "with BOM for Excel).", file_okay=False)] = None,
    csv_raw: CsvRawOpt = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", metavar="N", parser=_whole_number(0),
                                      help="Worker processes (0: one per core).")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Redo every input. Without it, an input is skipped when "
                     "its output records the input's current sha256 and was made by this plancli version, "
                     "these rules and this --keywords setting.")] = False,
    engine: Annotated[Engine, typer.Option("--engine", metavar=_choices(Engine), help="local: a process pool; dask: a "
                      "dask.distributed cluster (pip install 'plancli[dask]').")] = Engine.local,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. "
                         "tcp://10.0.0.5:8786 (default: a local cluster).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary; failures still "
                     "print one line each.")] = False,
    json_summary: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout "
                                               "(the same as --summary -).")] = False,
    summary_file: Annotated[Optional[str], typer.Option("--summary", metavar="FILE", help="Write the summary as "
                            "JSON to FILE ('-': stdout).")] = None,
    report_file: Annotated[Optional[Path], typer.Option("--report", metavar="FILE", dir_okay=False, help="At the end, "
                           "also write the HTML report of OUTDIR to FILE (as `plancli report OUTDIR -o FILE`).")] = None,
    rules: RulesOpt = None,
    max_bytes: MaxBytesOpt = 100 * 1024 * 1024,
    timeout: TimeoutOpt = 120,
    max_memory: MaxMemoryOpt = "2G",
    keywords: KeywordsOpt = False,
    color: ColorOpt = Color.auto,
    debug: DebugOpt = False,
) -> None:
    """Process folders of documents in parallel: one JSON per input, plus JSONL and CSV.

    Re-running skips inputs whose output is up to date (same sha256); failures go to
    OUTDIR/errors.jsonl and make the exit status 1. A file over --timeout or --max-memory is
    one such failure; its worker is replaced and the run goes on. An output that cannot be
    written (a full disk, a read-only OUTDIR) stops the run, keeping what is written: exit
    status 3. The summary counts the files the walk left out, by kind (unsupported type,
    hidden, Office temporary files …).
    """
    _State.debug = debug
    import json
    import signal

    from plancli.batch import BatchError, BatchOptions, OutputError, prestart, run
    from plancli.progress import make_reporter

    if json_summary:
        if summary_file not in (None, "-"):
            raise _usage("--json prints the summary on stdout; --summary FILE writes it to a file: choose one")
        summary_file = "-"
    if scheduler and engine is not Engine.dask:
        raise _usage("--scheduler needs --engine dask")
    if csv_raw and csv is None:
        raise _usage("--csv-raw goes with --csv DIR")
    if summary_file == "-" and jsonl == "-":
        raise _usage("the summary and --jsonl - both write to stdout; choose one")
    if engine is Engine.local:
        prestart(jobs, limited=bool(timeout or max_memory))
    _check_rules(rules)

    def terminated(signum, frame):  # `kill`: unwind so temporary files are removed
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminated)
    opts = BatchOptions(inputs=inputs, out=out, globs=glob_ or [], jsonl=jsonl, csv_dir=csv, jobs=jobs,
                        force=force, engine=engine.value, scheduler=scheduler, rules_dir=rules,
                        max_bytes=max_bytes, keywords=keywords, report=report_file, csv_raw=csv_raw,
                        timeout=timeout or None, max_memory=max_memory or None)
    try:
        summary = run(opts, make_reporter(quiet=quiet, debug=debug, color=color.value))
    except BatchError as exc:
        raise _usage(str(exc)) from None
    except OutputError as exc:  # OUTDIR (or another output) cannot be written: the run stopped
        print(f"plancli: {exc}", file=sys.stderr)
        if summary_file is not None and exc.summary is not None:
            _write_summary(summary_file, exc.summary)
        raise typer.Exit(3) from None
    except KeyboardInterrupt:
        print("plancli: interrupted; finished outputs are kept: run the same command again to resume",
              file=sys.stderr)
        raise typer.Exit(130) from None
    if summary_file is not None and not _write_summary(summary_file, summary):
        raise typer.Exit(3)
    if report_file is not None:
        _batch_report(inputs, out, report_file, rules, max_bytes, quiet, jobs)
    raise typer.Exit(1 if summary.failed else 0)


def _write_summary(target: str, summary) -> bool:
    """The batch summary as JSON to ``target`` ('-': stdout, else a file written atomically);
    False, after one line saying why, when it cannot be written."""
    import json

    from plancli import emit

    try:
        with emit.open_output(None if target == "-" else Path(target)) as fh:
            fh.write(json.dumps(summary.to_dict(), ensure_ascii=False) + "\n")
    except BrokenPipeError:
        raise
    except OSError as exc:
        _cannot_write(None if target == "-" else Path(target), "the summary", exc)
        return False
    return True


def _batch_report(inputs: list[str], out: Path, report_file: Path, rules: Optional[Path], max_bytes: int, quiet: bool,
                  jobs: int) -> None:
    """``batch --report``: the report of OUTDIR, once the batch is done (a report that cannot be
    written is one line, and exit status 3: an output of the batch is missing)."""
    from plancli.report import default_title, write_report

    try:
        summary = write_report([str(out)], report_file, rules, max_bytes, jobs=jobs, title=default_title(inputs),
                               problem=lambda where, why: print(f"plancli: {where}: {why}", file=sys.stderr))
    except OSError as exc:
        _cannot_write(report_file, "the report", exc)
        raise typer.Exit(3) from None
    if not quiet:
        print(f"plancli: wrote {report_file} ({_report_counts(summary)})", file=sys.stderr)


class StdoutError(OSError):
    """Standard output could not be written (a full disk, a closed terminal): never a silent cut."""


class _Stdout(io.RawIOBase):
    """File descriptor 1 for a ``BufferedWriter``, which writes the rest of a short write and
    raises on errors. (Under ``PYTHONUNBUFFERED`` Python writes text straight to a raw file and
    drops what a short write left over: on a full disk, truncated JSON and exit status 0.)"""

    def __init__(self, fd: int):
        super().__init__()
        self._fd = fd
        self._failed = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data) -> int:
        if self._failed:  # said once already: what was still buffered is dropped, not said again
            return len(data)
        try:
            return os.write(self._fd, data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            self._failed = True
            raise StdoutError(exc.errno, exc.strerror) from None


def _reliable_stdout() -> None:
    """Send stdout through :class:`_Stdout`; undecodable file names (GBK names from an unzipped
    archive) are written as \\udcxx instead of crashing a strict UTF-8 locale."""
    old = sys.stdout
    try:
        fd = old.fileno()
    except (AttributeError, ValueError, OSError):
        return  # not a real file (embedded, captured): leave it
    old.flush()
    errors = "backslashreplace" if getattr(old, "errors", "strict") == "strict" else old.errors
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(_Stdout(fd)), encoding=getattr(old, "encoding", None) or "utf-8",
                                  errors=errors, line_buffering=os.isatty(fd))


def _stdout_failed(exc: OSError) -> None:
    """The last flush of standard output failed: one line, exit status 1."""
    _cannot_write(None, "the output", exc)
    sys.exit(1)


def main() -> None:
    _reliable_stdout()
    try:
        try:
            app()
        finally:
            sys.stdout.flush()  # the last of the data: an error here is an error of the run
    except KeyboardInterrupt:
        print("plancli: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        # `plancli extract … | head`: the reader left; that is not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except StdoutError as exc:
        _stdout_failed(exc)
    except Exception as exc:  # a bug of ours: one line, the traceback only with --debug
        if "--debug" in sys.argv:
            raise
        print(f"plancli: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
