"""The ``plancli`` command: a thin Typer layer over the library.

Data goes to stdout, messages to stderr. Exit status: 0 success, 1 when any input failed,
2 for usage errors, 3 when ``batch`` cannot write its outputs. A failure is one line naming the
file and the reason; ``--debug`` adds the traceback. Heavy modules are imported inside commands so ``plancli --help`` starts fast.
"""
from __future__ import annotations

import glob
import io
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(
    name="plancli",
    help=(
        "Turn downloaded government plan documents (行动计划, 实施方案, 若干措施, notices, press "
        "releases) into validated records: targets, subsidies, tasks, responsible units and "
        "metadata.\n\nExamples:\n\n"
        "  plancli extract notice.txt                  # JSON on stdout\n\n"
        "  plancli extract notice.txt --format table   # readable tables\n\n"
        "  cat notice.txt | plancli extract - | jq '.targets[].indicator'\n\n"
        "  plancli batch downloads/ --out results/ --csv tables/\n\n"
        "  plancli normalize notice.txt                # the text all spans refer to"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Format(str, Enum):
    json = "json"
    jsonl = "jsonl"
    table = "table"


RulesOpt = Annotated[Optional[Path], typer.Option(
    "--rules", help="Folder of rules files to use instead of the built-in rules/ (files it lacks "
                    "come from the built-in set).", file_okay=False, exists=True)]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks for failures.")]
KeywordsOpt = Annotated[bool, typer.Option(
    "--keywords", help="Tag each task with TF-IDF keywords (loads jieba: about one second of start-up).")]
MaxBytesOpt = Annotated[int, typer.Option(
    "--max-bytes", help="Refuse inputs larger than this many bytes.", min=1)]


def _size(text: str) -> int:
    from plancli.limits import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


TimeoutOpt = Annotated[float, typer.Option(
    "--timeout", metavar="SECONDS", min=0, help="Stop a file that takes longer than this and report it as "
    "an error of kind timeout (0: no limit).")]
MaxMemoryOpt = Annotated[int, typer.Option(
    "--max-memory", metavar="SIZE", parser=_size, help="Stop a file whose processing needs more memory than "
    "this, e.g. 2G or 512M, and report it as an error of kind memory_limit (0: no limit).")]


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
        print(f"plancli: rules: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None


def _error_kind(exc: BaseException) -> str:
    return getattr(exc, "kind", None) or "internal_error"


@app.command()
def extract(
    paths: Annotated[list[str], typer.Argument(help="Files to read; '-' reads standard input; globs allowed.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="json: one object (an array for several "
                                           "inputs); jsonl: one object per line; table: for reading.")] = Format.json,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
    rules: RulesOpt = None,
    max_bytes: MaxBytesOpt = 100 * 1024 * 1024,
    timeout: TimeoutOpt = 0,
    max_memory: MaxMemoryOpt = "0",
    keywords: KeywordsOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Extract targets, subsidies, tasks, units and metadata from documents."""
    _State.debug = debug
    from plancli import emit, limits
    from plancli.models import ErrorInfo, FailedDocument, Source
    from plancli.pipeline import extract as run

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
    if output is not None and not documents and (format is Format.table or (format is Format.json and len(files) == 1)):
        raise typer.Exit(1)  # nothing to write: an existing --output file is left as it was
    try:
        with emit.open_output(output) as out:
            if format is Format.table:
                emit.write_tables([d for d in results if not hasattr(d, "error")], out)
            elif format is Format.jsonl:
                for doc in results:
                    emit.write_json(doc, out)  # record by record: no second copy of a large document
                    out.write("\n")
            else:
                good = results if len(files) > 1 else [d for d in results if not hasattr(d, "error")]
                if len(files) == 1 and good:
                    emit.write_json(good[0], out, indent=2)
                    out.write("\n")
                elif len(files) > 1:
                    emit.write_json(good, out, indent=2)
                    out.write("\n")
    except BrokenPipeError:
        raise
    except OSError as exc:  # --output is a folder, not writable, the disk is full …
        from plancli.read import InputError

        if _State.debug:
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
        _State.debug = False
        _fail(str(output) if output else "standard output",
              InputError("output_error", f"cannot write the output: {exc.strerror or exc}"))
        raise typer.Exit(1) from None
    raise typer.Exit(1 if failed else 0)


@app.command()
def normalize(
    paths: Annotated[list[str], typer.Argument(help="Files to read; '-' reads standard input.")],
    rules: RulesOpt = None,
    max_bytes: MaxBytesOpt = 100 * 1024 * 1024,
    repairs: Annotated[bool, typer.Option("--repairs", help="Also list the repairs made, on stderr.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Print the normalised text (UTF-8, Simplified, repaired): the text all spans index."""
    _State.debug = debug
    from plancli.pipeline import prepare

    rs = _check_rules(rules)
    files, failed = _expand(paths), 0
    for path in files:
        try:
            prep = prepare(path, rs, max_bytes)
        except Exception as exc:
            failed += 1
            _fail(path, exc)
            continue
        if len(files) > 1:
            sys.stdout.write(f"==> {path} <==\n")
        sys.stdout.write(prep.normalized.text + "\n")
        if repairs:
            for r in prep.decoded.repairs + prep.normalized.repairs:
                print(f"{path}: {r.kind} x{r.count} {'; '.join(r.examples)}", file=sys.stderr)
    raise typer.Exit(1 if failed else 0)


@app.command()
def segment(
    path: Annotated[str, typer.Argument(help="File to read; '-' reads standard input.")],
    format: Annotated[str, typer.Option("--format", "-f", help="tree (Rich) or json.")] = "tree",
    rules: RulesOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Show a document's parts, section tree and sentence counts."""
    _State.debug = debug
    from plancli import emit
    from plancli.pipeline import prepare
    from plancli.segment import detect_language, find_structure

    if format not in ("tree", "json"):
        print("plancli: --format must be 'tree' or 'json'", file=sys.stderr)
        raise typer.Exit(2)
    rs = _check_rules(rules)
    try:
        prep = prepare(path, rs)
    except Exception as exc:
        _fail(path, exc)
        raise typer.Exit(1) from None
    text = prep.normalized.text
    structure = find_structure(text, rs)
    if format == "json":
        sys.stdout.write(emit.structure_json(text, structure, detect_language(text)) + "\n")
    else:
        emit.write_tree(path, text, structure, sys.stdout)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the output (one document object)."""
    import json

    from plancli.models import Document

    print(json.dumps(Document.model_json_schema(), ensure_ascii=False, indent=2))


@app.command("rules")
def list_rules(
    rules: RulesOpt = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """List every rule (id, file, description); fails with file/line/rule id on a broken rules file."""
    from plancli.rules import RulesError, ruleset

    try:
        rs = ruleset(rules)
        files = rs.check()
    except RulesError as exc:
        print(f"plancli: rules: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    rows = [(name, r.id, r.description) for name, rf in files.items() for r in rf.rules]
    if format == "json":
        import json

        print(json.dumps([{"file": f, "id": i, "description": d} for f, i, d in rows], ensure_ascii=False, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} rules in {rs.where}")
    for col in ("file", "id", "description"):
        table.add_column(col, no_wrap=col != "description")  # ids stay whole, greppable
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@app.command()
def quantities(
    text: Annotated[str, typer.Argument(help="Text to scan, e.g. '到2024年达到1600家以上'; '-' reads stdin.")],
) -> None:
    """Print the quantities found in TEXT as JSON (value, unit, number, comparator, span …)."""
    import json

    from plancli.quantities import find_quantities

    if text == "-":
        text = sys.stdin.read()
    print(json.dumps([q.to_dict() for q in find_quantities(text)], ensure_ascii=False, indent=1))


class Engine(str, Enum):
    local = "local"
    dask = "dask"


@app.command()
def batch(
    inputs: Annotated[list[str], typer.Argument(metavar="DIR", help="Folders to walk (recursively) and/or files.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for one JSON per input, mirroring the input "
                                      "tree (OUTDIR/sub/a.txt.json), and errors.jsonl.", file_okay=False)],
    glob_: Annotated[Optional[list[str]], typer.Option("--glob", metavar="PATTERN", help="Only files matching this pattern "
                     "(repeatable), e.g. '*.html' or 'sub/**/*.txt'. Default: .txt .text .htm .html .xhtml "
                     ".docx .pdf and files without a suffix.")] = None,
    jsonl: Annotated[Optional[str], typer.Option("--jsonl", metavar="FILE", help="Also write every result to this JSON "
                     "Lines file ('-': stdout), in input order.")] = None,
    csv: Annotated[Optional[Path], typer.Option("--csv", help="Also write documents/targets/subsidies/tasks/"
                   "units .csv to this folder (UTF-8 with BOM for Excel).", file_okay=False)] = None,
    csv_raw: Annotated[bool, typer.Option("--csv-raw", help="Write CSV text cells as they are. By default a "
                       "text cell starting with = + - @ gets a leading ' so that a spreadsheet shows it "
                       "instead of running it as a formula; numbers are never changed.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes (0: one per core).", min=0)] = 0,
    force: Annotated[bool, typer.Option("--force", help="Redo every input. Without it, an input is skipped when "
                     "its output records the input's current sha256 and was made by this plancli version, "
                     "these rules and this --keywords setting.")] = False,
    engine: Annotated[Engine, typer.Option("--engine", help="local: a process pool; dask: a "
                      "dask.distributed cluster (pip install 'plancli[dask]').")] = Engine.local,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. "
                         "tcp://10.0.0.5:8786 (default: a local cluster).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary; failures still "
                     "print one line each.")] = False,
    json_summary: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
    rules: RulesOpt = None,
    max_bytes: MaxBytesOpt = 100 * 1024 * 1024,
    timeout: TimeoutOpt = 120,
    max_memory: MaxMemoryOpt = "2G",
    keywords: KeywordsOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Process folders of documents in parallel: one JSON per input, plus JSONL and CSV.

    Re-running skips inputs whose output is up to date (same sha256); failures go to
    OUTDIR/errors.jsonl and make the exit status 1.
    """
    _State.debug = debug
    import json
    import signal

    from plancli.batch import BatchError, BatchOptions, OutputError, prestart, run
    from plancli.progress import make_reporter

    if scheduler and engine is not Engine.dask:
        print("plancli: --scheduler needs --engine dask", file=sys.stderr)
        raise typer.Exit(2)
    if json_summary and jsonl == "-":
        print("plancli: --json and --jsonl - both write to stdout; choose one", file=sys.stderr)
        raise typer.Exit(2)
    if engine is Engine.local:
        prestart(jobs, limited=bool(timeout or max_memory))
    _check_rules(rules)

    def terminated(signum, frame):  # `kill`: unwind so temporary files are removed
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminated)
    opts = BatchOptions(inputs=inputs, out=out, globs=glob_ or [], jsonl=jsonl, csv_dir=csv, jobs=jobs,
                        force=force, engine=engine.value, scheduler=scheduler, rules_dir=rules,
                        max_bytes=max_bytes, keywords=keywords, csv_raw=csv_raw, timeout=timeout or None,
                        max_memory=max_memory or None)
    try:
        summary = run(opts, make_reporter(quiet=quiet, debug=debug))
    except BatchError as exc:
        print(f"plancli: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    except OutputError as exc:
        print(f"plancli: {exc}", file=sys.stderr)
        if json_summary and exc.summary:
            print(json.dumps(exc.summary.to_dict(), ensure_ascii=False))
        raise typer.Exit(3) from None
    except KeyboardInterrupt:
        print("plancli: interrupted; finished outputs are kept: run the same command again to resume",
              file=sys.stderr)
        raise typer.Exit(130) from None
    if json_summary:
        print(json.dumps(summary.to_dict(), ensure_ascii=False))
    raise typer.Exit(1 if summary.failed else 0)


class StdoutError(OSError):
    """Standard output could not be written (a full disk, a closed terminal): never a silent cut."""


class _Stdout(io.RawIOBase):
    """File descriptor 1 for a ``BufferedWriter``, which writes the rest of a short write and
    raises on errors. (Under ``PYTHONUNBUFFERED`` Python writes text straight to a raw file and
    drops what a short write left over: on a full disk, truncated JSON and exit status 0.)"""

    def __init__(self, fd: int):
        super().__init__()
        self._fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data) -> int:
        try:
            return os.write(self._fd, data)
        except BrokenPipeError:
            raise
        except OSError as exc:
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


def _output_failed(exc: OSError) -> None:
    print(f"plancli: standard output: cannot write: {exc.strerror or exc}", file=sys.stderr)
    sys.stdout = open(os.devnull, "w")  # nothing more to flush at exit
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
        _output_failed(exc)
    except Exception as exc:  # a bug of ours: one line, the traceback only with --debug
        if "--debug" in sys.argv:
            raise
        print(f"plancli: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
