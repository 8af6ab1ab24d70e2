"""``plancli batch``: every document under some folders to one JSON file each, in parallel.

Why it looks like this:

* The unit of work is a chunk of consecutive files (a few hundred KB), done by ``process_files``
  in a worker: a local process pool, or a dask.distributed cluster. Sending files in chunks
  rather than one by one keeps the main process nearly idle, so on a machine with as many cores
  as workers it does not take time from them.
* Local workers write each document's JSON file themselves, atomically (temp file + rename), and
  send back only counts; dask workers, which may run on other machines, send the JSON and the
  main process writes it. A killed run leaves whole files or none, and re-running skips inputs
  whose output records the input's current sha256.
* The streams (``errors.jsonl``, ``--jsonl``, ``--csv``) follow input order whatever the
  completion order, through a reorder buffer no larger than the work in flight.
* A file that fails becomes an error entry and the batch goes on.
* Progress is reported through a ``Reporter`` so this module prints nothing itself.
"""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import errno
import fnmatch
import hashlib
import json
import os
import stat
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import Iterator

from plancli import emit, limits, pool
from plancli.models import ErrorInfo, FailedDocument, Source
from plancli.pipeline import extract_prepared, generator, prepare_raw
from plancli.read import DEFAULT_MAX_BYTES, InputError, RawInput, not_a_regular_file, read_input
from plancli.rules import ruleset

#: What a folder walk picks up without ``--glob`` (plus files without a suffix).
SUPPORTED_SUFFIXES = (".txt", ".text", ".htm", ".html", ".xhtml", ".docx", ".pdf", ".doc", ".wps")
RECORD_KINDS = emit.RECORD_KINDS
ERRORS_FILE = "errors.jsonl"
#: Files go to workers in chunks of consecutive files, closed at this many bytes or files (about
#: a tenth of a second of work): a chunk costs the main process one message instead of one per file.
CHUNK_BYTES = 256_000
CHUNK_FILES = 32


class BatchError(Exception):
    """A problem with the batch as a whole (bad folder, missing dask): nothing was processed."""


class OutputError(Exception):
    """The batch cannot write its outputs (a full disk, a read-only OUTDIR, OUTDIR in use by
    another run): it stops, keeping what it has written. ``summary`` counts what was done."""

    def __init__(self, message: str, summary: "Summary | None" = None):
        super().__init__(message)
        self.summary = summary


#: Errors writing one output that no other output would escape: the run stops on them.
_FATAL_WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EACCES, errno.EPERM}


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))  # respects CPU pinning and container limits
    except AttributeError:
        return os.cpu_count() or 1


@dataclass
class BatchOptions:
    inputs: list[str]
    out: Path
    globs: list[str] = field(default_factory=list)
    jsonl: str | None = None  # a path, or "-" for standard output
    csv_dir: Path | None = None
    jobs: int = 0  # 0: one per core
    force: bool = False
    engine: str = "local"  # "local" or "dask"
    scheduler: str | None = None  # dask scheduler address; none: a LocalCluster here
    rules_dir: Path | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    keywords: bool = False  # tag tasks with TF-IDF keywords (loads jieba in every worker)
    report: Path | None = None  # the HTML report written after the run (kept out of the folder walk)
    csv_raw: bool = False  # CSV cells as they are, formulas included (for pandas, not spreadsheets)
    timeout: float | None = limits.DEFAULT_TIMEOUT  # seconds per file; None or 0: no limit
    max_memory: int | None = limits.DEFAULT_MAX_MEMORY  # bytes per worker; None or 0: no limit


@dataclass
class Item:
    """One input found on disk."""

    path: str  # as written in the output (the user's folder argument joined with the file)
    abspath: str  # what the worker reads
    rel: PurePath  # where its output goes under OUTDIR (plus ".json")
    size: int
    refused: InputError | None = None  # not to be read at all (a FIFO, a link out of the tree)


@dataclass
class Outcome:
    """What one input produced; returned by workers, so it is small and picklable."""

    status: str  # "done", "skipped" or "failed"
    json: str  # the Document or FailedDocument, one line
    counts: dict[str, int] = field(default_factory=dict)
    nbytes: int = 0
    error: str | None = None  # "kind: message" for failures
    trace: str | None = None  # traceback of an unexpected failure (shown with --debug)
    write_errno: int | None = None  # why its output could not be written (full disk …)

    @property
    def records(self) -> int:
        return sum(self.counts.values())


@dataclass
class Summary:
    files: int = 0
    done: int = 0
    skipped: int = 0
    failed: int = 0
    records: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECORD_KINDS, 0))
    bytes_read: int = 0  # input bytes processed this run (skipped files excluded)
    seconds: float = 0.0
    retried: int = 0  # files sent to a worker again because the one they were in died
    ignored: dict[str, int] = field(default_factory=dict)  # files the folder walk left out, by kind

    def add(self, outcome: Outcome) -> None:
        setattr(self, outcome.status, getattr(self, outcome.status) + 1)
        for kind, n in outcome.counts.items():
            self.records[kind] = self.records.get(kind, 0) + n
        if outcome.status != "skipped":
            self.bytes_read += outcome.nbytes

    @property
    def mb_per_s(self) -> float:
        return self.bytes_read / 1e6 / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        return {"files": self.files, "documents": self.done + self.skipped, "processed": self.done,
                "skipped": self.skipped, "failed": self.failed, "records": self.records,
                "bytes_read": self.bytes_read, "seconds": round(self.seconds, 3),
                "mb_per_s": round(self.mb_per_s, 3), "retried": self.retried, "ignored": dict(sorted(self.ignored.items()))}


class Reporter:
    """Progress hooks (no-ops here); ``plancli.progress`` has the terminal implementations."""

    def start(self, files: int, nbytes: int) -> None: ...

    def update(self, item: Item, outcome: Outcome) -> None: ...

    def finish(self, summary: Summary) -> None: ...

    def close(self) -> None:
        """Called however the run ends (also on Ctrl-C), after ``finish`` when it succeeded."""


# --------------------------------------------------------------------------------------------
# Finding inputs and where their outputs go

#: Why a file under an input folder was left out of a batch (``Summary.ignored``), in words.
IGNORED_KINDS = {
    "unsupported_type": "unsupported type",
    "not_matching_glob": "not matching --glob",
    "hidden": "hidden (name starts with .)",
    "hidden_folder": "hidden folders",
    "office_temp": "Office temporary (~$…)",
    "symlinked_folder": "symbolic links to folders",
}


def _left_out(name: str, rel: str, globs: list[str]) -> str | None:
    """Why a file found in a folder walk is not an input (a key of ``IGNORED_KINDS``), or None."""
    if name.startswith("."):
        return "hidden"
    if name.startswith("~$"):
        return "office_temp"  # Word and Excel's lock file beside an open document: not the document
    if not _wanted(rel, globs):
        return "not_matching_glob" if globs else "unsupported_type"
    return None


def discover(inputs: list[str], globs: list[str] = (), exclude: list[str | os.PathLike] = (),
             ignored: dict[str, int] | None = None) -> list[Item]:
    """Files under the input folders (sorted, hidden ones left out) plus files named directly.

    Outputs mirror the tree below the folders' common parent: for one folder, its own layout.
    Symlinked folders are not followed (no loops, no escaping the tree); a file's symbolic link
    that leads out of its input folder, and whatever is not a regular file (FIFOs, sockets,
    devices: reading them could block forever), are listed as refused, so they appear among the
    run's errors instead of vanishing. ``exclude`` keeps OUTDIR and the other outputs out of the
    walk when they sit inside an input folder. ``ignored`` counts what the walk left out (not
    an input by its name: hidden, unsupported type …), by kind (``IGNORED_KINDS``).
    """
    for name in inputs:
        if not os.path.exists(name):
            raise BatchError(f"{name}: no such file or directory")
    base = os.path.commonpath([os.path.abspath(p) if os.path.isdir(p) else os.path.dirname(os.path.abspath(p))
                               for p in inputs])
    skip = {os.path.realpath(p) for p in exclude}
    items: list[Item] = []
    seen: set[PurePath] = set()
    ignored = {} if ignored is None else ignored

    def count(kind: str) -> None:
        ignored[kind] = ignored.get(kind, 0) + 1

    def add(path: str, root: str | None = None) -> None:
        """``root``: the input folder the walk found ``path`` in (None: named explicitly)."""
        refused, size, exists = None, 0, False
        try:
            st = os.stat(path)
            size, exists = st.st_size, True
            if not stat.S_ISREG(st.st_mode):
                refused, size = not_a_regular_file(st.st_mode), 0
        except OSError:
            pass  # a broken link: the worker reports it as an error entry
        abspath = os.path.abspath(path)
        real = os.path.realpath(abspath)
        if real in skip:
            return
        if root is not None and exists and refused is None and os.path.islink(path) and not _inside(real, root):
            refused, size = InputError("outside_input", f"symbolic link to {real}, outside the input folder: "
                                                        "not read (name the file itself to read it)"), 0
        rel = PurePath(os.path.relpath(abspath, base))
        if rel not in seen:
            seen.add(rel)
            items.append(Item(path, abspath, rel, size, refused))

    for name in inputs:
        if not os.path.isdir(name):
            add(name)  # named explicitly: taken whatever its suffix
            continue
        root = os.path.realpath(name)
        for dirpath, dirnames, filenames in os.walk(name):
            kept = []
            for d in sorted(dirnames):
                full = os.path.join(dirpath, d)
                if os.path.realpath(full) in skip:
                    continue  # OUTDIR or another output inside the input folder
                if d.startswith("."):
                    count("hidden_folder")
                elif os.path.islink(full):
                    count("symlinked_folder")  # os.walk would not enter it either
                else:
                    kept.append(d)
            dirnames[:] = kept
            for fname in sorted(filenames):
                path = os.path.normpath(os.path.join(dirpath, fname))
                why = _left_out(fname, PurePath(os.path.relpath(path, name)).as_posix(), globs)
                if why:
                    count(why)
                else:
                    add(path, root)
    return items


def _inside(path: str, folder: str) -> bool:
    return os.path.commonpath([path, folder]) == folder


def _wanted(rel: str, globs: list[str]) -> bool:
    """Default: supported suffixes and no suffix; else any --glob (on the name, or on the path
    below the folder when the pattern has a "/"; a leading "**/" also matches the top level)."""
    name = rel.rsplit("/", 1)[-1]
    if not globs:
        suffix = PurePath(name).suffix.lower()
        return suffix in SUPPORTED_SUFFIXES or suffix == ""
    for g in globs:
        if "/" not in g:
            if fnmatch.fnmatch(name, g):
                return True
        elif fnmatch.fnmatch(rel, g) or (g.startswith("**/") and fnmatch.fnmatch(rel, g[3:])):
            return True
    return False


def output_path(out_dir: Path, rel: PurePath, real_dirs: dict[Path, str] | None = None) -> Path:
    """OUTDIR/rel.json, refusing anything that would land outside OUTDIR (``..``, symlinks).

    ``real_dirs`` memoises resolved folders for one run (thousands of outputs share a few)."""
    parts = rel.parts
    if not parts or rel.is_absolute() or any(p in ("", ".", "..") for p in parts):
        raise InputError("unsafe_output_path", f"output path {rel} would leave the output folder")
    target = out_dir.joinpath(*parts[:-1], parts[-1] + ".json")
    real_dirs = {} if real_dirs is None else real_dirs
    for folder in (out_dir, target.parent):
        if folder not in real_dirs:
            real_dirs[folder] = os.path.realpath(folder)
    root, parent = real_dirs[out_dir], real_dirs[target.parent]
    if os.path.commonpath([root, parent]) != root or os.path.islink(target):
        raise InputError("unsafe_output_path", f"output path {target} leads outside the output folder "
                                               "(symbolic link?)")
    return target


# --------------------------------------------------------------------------------------------
# The work done per file

def process_file(path: str, display: str, rules_dir: str | None, max_bytes: int,
                 keywords: bool = False, target: Path | None = None, keep_json: bool = True) -> Outcome:
    """Extract one file (run in a worker); any failure becomes a FailedDocument. With a
    ``target``, the document is written there (:func:`_write_document`), and its JSON comes back
    only when ``keep_json``."""
    raw = None
    try:
        rs = ruleset(rules_dir)  # made once per worker process and rules folder
        raw = RawInput(display, read_input(path, max_bytes=max_bytes).data)
        nbytes = raw.size
        doc = extract_prepared(prepare_raw(raw, rs, max_bytes, keep_bytes=False), rs, keywords)
        counts = {k: len(getattr(doc, k)) for k in RECORD_KINDS}
        if target is not None:
            failed = _write_document(target, doc)
            if failed is not None:
                return failed
        return Outcome("done", emit.to_json(doc) if keep_json or target is None else "", counts, nbytes)
    except Exception as exc:  # every failure of one file is that file's error entry
        if limits.limit_error(exc) is not None:
            pool.retire()  # out of memory: a fresh worker takes the next chunk
        return _failure(display, exc, raw)


@dataclass
class Task:
    """One file for a worker: where to read it, its name in the output, where to write its JSON
    (``None``: send the JSON back instead, for workers that cannot see OUTDIR)."""

    path: str
    display: str
    target: str | None


def process_files(tasks: list[Task], rules_dir: str | None, max_bytes: int, keywords: bool,
                  keep_json: bool) -> list[Outcome]:
    """Extract a chunk of files (in a worker), writing each output where the task says.

    ``keep_json``: whether the caller still needs a written document's JSON (for ``--jsonl`` or
    ``--csv``); otherwise only its counts travel back."""
    outcomes = []
    for i, task in enumerate(tasks):
        pool.file_started(i)  # the pool's parent knows which file a stopped worker was on
        target = Path(task.target) if task.target is not None else None
        outcomes.append(process_file(task.path, task.display, rules_dir, max_bytes, keywords, target, keep_json))
    return outcomes


def _failure(display: str, exc: BaseException, raw: RawInput | None = None) -> Outcome:
    exc = limits.limit_error(exc) or exc  # out of memory is neither an internal error nor a corrupt file
    kind = getattr(exc, "kind", None) or "internal_error"
    message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
    source = Source(path=display, sha256=raw.sha256 if raw else None, bytes=raw.size if raw else None)
    doc = FailedDocument(source=source, error=ErrorInfo(kind=kind, message=message))
    trace = None if isinstance(exc, InputError) else "".join(traceback.format_exception(exc))
    return Outcome("failed", emit.to_json(doc), nbytes=raw.size if raw else 0,
                   error=f"{kind}: {message}", trace=trace)


def _write_document(target: Path, doc) -> Outcome | None:
    """Write one document's JSON file, record by record (:func:`emit.write_json`); None when
    written, else the failure (see :func:`_write_output`)."""
    try:
        with emit.atomic_writer(target, durable=False) as fh:
            emit.write_json(doc, fh)
            fh.write("\n")
    except (OSError, UnicodeError) as exc:
        failed = _failure(doc.source.path, InputError("output_error", f"cannot write {target}: "
                                                                      f"{getattr(exc, 'strerror', None) or exc}"))
        return replace(failed, write_errno=getattr(exc, "errno", None))
    return None


def _write_output(target: Path, outcome: Outcome, keep_json: bool) -> Outcome:
    """Write one document's JSON file; an output that cannot be written (name too long …) fails
    that file. Failures are not written here (they go to errors.jsonl).

    Not flushed to disk one by one: resume re-reads every output and redoes any that a power cut
    left empty or cut short, so a disk flush per document would slow a large batch for nothing."""
    if outcome.status != "done":
        return outcome
    try:
        with emit.atomic_writer(target, durable=False) as fh:
            fh.write(outcome.json + "\n")
    except (OSError, UnicodeError) as exc:
        doc = json.loads(outcome.json)
        failed = _failure(doc["source"]["path"], InputError("output_error", f"cannot write {target}: "
                                                            f"{getattr(exc, 'strerror', None) or exc}"))
        return replace(failed, write_errno=getattr(exc, "errno", None))
    return outcome if keep_json else replace(outcome, json="")


def _previous(item: Item, target: Path, generator: dict) -> Outcome | None:
    """The earlier output of ``item`` if it records the input's current sha256 and was made the
    way this run would make it (``generator``: plancli version, rules, options), for resume."""
    try:
        text = target.read_text(encoding="utf-8").strip()
        doc = json.loads(text)
        recorded = doc["source"]["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not recorded or "error" in doc or doc.get("generator") != generator or _sha256(item.abspath) != recorded:
        return None
    counts = {k: len(doc.get(k) or []) for k in RECORD_KINDS}
    return Outcome("skipped", text, counts, item.size)


def _sha256(path: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Executors: in-process, a local process pool, or dask.distributed

class _InlineExecutor(cf.Executor):
    """``--jobs 1``: run each file right here (no pool start-up, simplest to debug)."""

    def submit(self, fn, /, *args, **kwargs):
        future: cf.Future = cf.Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _init_worker() -> None:
    """Workers leave Ctrl-C to the main process, which finishes the files in flight cleanly, and
    skip the timed check of user rules, which the main process has done (``_run``)."""
    import signal

    from plancli import rules

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    rules.patterns_already_timed()


def _pool_context():
    """forkserver (spawn where there is none) rather than fork: the main process runs a
    progress-bar thread. The fork server imports plancli and runs a warm-up extraction once, so
    the workers forked from it start warm."""
    import multiprocessing as mp

    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["plancli.pipeline", "plancli.batch", "plancli.pool", "plancli.warm"])
    return ctx


def prestart(jobs: int, limited: bool = True) -> None:
    """Start the workers' fork server now, so that its imports and warm-up run while this
    process checks the rules and walks the input folders (not before the first file).
    ``limited``: whether a time or memory limit is set (then even one job runs in a worker)."""
    if ((jobs or default_jobs()) > 1 or limited) and _pool_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


@contextlib.contextmanager
def _executor(opts: BatchOptions, jobs: int) -> Iterator[tuple[cf.Executor, int]]:
    """The executor and how many chunks of files to keep in flight (which bounds the reorder buffer)."""
    if opts.engine == "dask":
        with _dask_executor(opts.scheduler, jobs) as pair:
            yield pair
    elif jobs == 1 and not opts.timeout and not opts.max_memory:
        yield _InlineExecutor(), 1
    else:
        # a pool also for --jobs 1 when there are limits: only a worker can be stopped and replaced
        workers = pool.LimitedPool(jobs, _pool_context(), opts.timeout, opts.max_memory, initializer=_init_worker)
        try:
            yield workers, jobs * 4
        finally:
            workers.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _dask_executor(scheduler: str | None, jobs: int) -> Iterator[tuple[cf.Executor, int]]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise BatchError("--engine dask needs dask.distributed: pip install 'plancli[dask]'") from None
    with contextlib.ExitStack() as stack:
        try:
            if scheduler:
                client = stack.enter_context(Client(scheduler, timeout="20s"))
            else:
                cluster = stack.enter_context(LocalCluster(n_workers=jobs, threads_per_worker=1))
                client = stack.enter_context(Client(cluster))
        except OSError as exc:  # includes timeouts
            raise BatchError(f"cannot reach the dask scheduler {scheduler}: {exc}") from None
        slots = sum(client.nthreads().values()) or jobs
        yield client.get_executor(pure=False), max(slots * 2, 4)


# --------------------------------------------------------------------------------------------
# Writing

class _Streams:
    """errors.jsonl, --jsonl and --csv: fed in input order, committed only when the run ends.

    A stream that cannot be written (or committed) stops the run with :class:`OutputError`."""

    def __init__(self, opts: BatchOptions, stack: contextlib.ExitStack):
        self.errors = stack.enter_context(_writing(emit.atomic_writer(opts.out / ERRORS_FILE), opts.out / ERRORS_FILE))
        self.jsonl = None
        if opts.jsonl:
            where = "standard output" if opts.jsonl == "-" else opts.jsonl
            self.jsonl = stack.enter_context(_writing(emit.open_output(None if opts.jsonl == "-" else Path(opts.jsonl)),
                                                      where))
        self.csv = None
        if opts.csv_dir:
            self.csv = stack.enter_context(_writing(emit.csv_tables(opts.csv_dir, raw=opts.csv_raw), opts.csv_dir))
        self._where = (opts.out / ERRORS_FILE, opts.jsonl, opts.csv_dir)

    @property
    def keep_json(self) -> bool:
        """Whether documents that succeeded are needed here after their file is written."""
        return self.jsonl is not None or self.csv is not None

    def write(self, outcome: Outcome) -> None:
        line = outcome.json + "\n"
        errors, jsonl, csv_dir = self._where
        with _stopping_on_os_error(errors):
            if outcome.status == "failed":
                self.errors.write(line)
        if self.jsonl is not None:
            with _stopping_on_os_error("standard output" if jsonl == "-" else jsonl):
                self.jsonl.write(line)
        if self.csv is not None:
            with _stopping_on_os_error(csv_dir):
                self.csv.add(json.loads(outcome.json))


@contextlib.contextmanager
def _stopping_on_os_error(where) -> Iterator[None]:
    """An OSError while writing ``where`` stops the run (a reader closing a pipe is not an error)."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(_cannot_write(where, exc.strerror or str(exc))) from exc


def _cannot_write(where, reason: str) -> str:
    return (f"cannot write {where}: {reason}; stopped, keeping the outputs already written (make room or "
            "fix the folder, then run the same command again to resume)")


@contextlib.contextmanager
def _writing(cm, where) -> Iterator:
    """Enter the output context ``cm`` (opened and committed atomically): an OSError while
    opening or committing it stops the run; errors of the run itself pass through unchanged."""
    with _stopping_on_os_error(where):
        value = cm.__enter__()
    try:
        yield value
    except BaseException as exc:
        if not cm.__exit__(type(exc), exc, exc.__traceback__):
            raise
    else:
        with _stopping_on_os_error(where):
            cm.__exit__(None, None, None)


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold a lock on OUTDIR for the run, so that two runs never write it at once (released by the
    kernel however this process ends). Filesystems without locks run unlocked."""
    path = out / ".plancli-batch.lock"
    with _stopping_on_os_error(out):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:
            pass
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise OutputError(f"{out} is being written by another plancli batch"
                              + (f" (process {holder})" if holder.isdigit() else "")
                              + "; wait for it to finish or choose another --out") from None
        except OSError:
            pass  # e.g. NFS without lock support
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def _remove_stale_temp_files(opts: BatchOptions) -> None:
    """Temp files of an earlier run that was killed (SIGKILL, power loss) are removed, so a
    resumed run leaves nothing half-written behind; those of a run still going are kept."""
    emit.remove_stale_temp_files(opts.out)
    if opts.csv_dir and opts.csv_dir.is_dir():
        emit.remove_stale_temp_files(opts.csv_dir, tuple(f"{n}.csv" for n in emit.TABLES))
    if opts.jsonl and opts.jsonl != "-":
        jsonl = Path(opts.jsonl)
        if jsonl.parent.is_dir():
            emit.remove_stale_temp_files(jsonl.parent, (jsonl.name,))


# --------------------------------------------------------------------------------------------
# The run

def run(opts: BatchOptions, reporter: Reporter | None = None) -> Summary:
    """Process every input of ``opts``; returns the counts (failures of inputs included, never
    raised). Raises :class:`OutputError`, after reporting the summary so far, when the outputs
    cannot be written."""
    reporter = reporter or Reporter()
    summary = Summary()
    started = time.monotonic()
    try:
        try:
            _run(opts, reporter, summary)
        except OutputError as exc:
            summary.seconds = time.monotonic() - started
            exc.summary = summary
            if summary.files:
                reporter.finish(summary)
            raise
        summary.seconds = time.monotonic() - started
        reporter.finish(summary)
    finally:
        reporter.close()
    return summary


def _run(opts: BatchOptions, reporter: Reporter, summary: Summary) -> None:
    jobs = opts.jobs or default_jobs()
    exclude = [opts.out] + ([opts.csv_dir] if opts.csv_dir else []) + \
              ([opts.jsonl] if opts.jsonl and opts.jsonl != "-" else []) + ([opts.report] if opts.report else [])
    items = discover(opts.inputs, opts.globs, exclude, summary.ignored)
    with _stopping_on_os_error(opts.out):
        opts.out.mkdir(parents=True, exist_ok=True)
    rules_dir = os.path.abspath(opts.rules_dir) if opts.rules_dir else None
    ruleset(rules_dir).check()  # every rules file valid, user patterns timed: once, here
    workers_write = opts.engine != "dask"  # dask workers may not see OUTDIR
    made_now = generator(rules_dir, opts.keywords).model_dump()

    with contextlib.ExitStack() as stack:
        stack.enter_context(_locked(opts.out))
        _remove_stale_temp_files(opts)
        summary.files = len(items)
        reporter.start(len(items), sum(i.size for i in items))
        streams = _Streams(opts, stack)
        executor, window = stack.enter_context(_executor(opts, jobs))
        if not streams.keep_json:
            # results wait in input order only for the streams; without JSONL/CSV a waiting result
            # is a few counts, so more work can be in flight and a slow file idles no worker
            window *= 4
        pending: dict[cf.Future, tuple[list[tuple[int, Path]], bool]] = {}  # chunk, and whether a retry
        ready: dict[int, Outcome] = {}
        real_dirs: dict[Path, str] = {}
        next_submit = next_write = 0
        open_bytes = 0  # input bytes from next_write to next_submit: in flight or waiting for order

        def send(chunk: list[tuple[int, Path]], retry: bool) -> None:
            tasks = [Task(items[i].abspath, items[i].path, str(t) if workers_write else None) for i, t in chunk]
            future = executor.submit(process_files, tasks, rules_dir, opts.max_bytes, opts.keywords, streams.keep_json)
            pending[future] = chunk, retry

        def finished(index: int, outcome: Outcome) -> None:
            if outcome.write_errno in _FATAL_WRITE_ERRORS:
                raise OutputError(_cannot_write(opts.out, os.strerror(outcome.write_errno)))
            ready[index] = outcome
            summary.add(outcome)
            reporter.update(items[index], outcome)

        while next_write < len(items):
            while (next_submit < len(items) and open_bytes < window * CHUNK_BYTES
                   and next_submit - next_write < window * CHUNK_FILES):
                chunk: list[tuple[int, Path]] = []
                chunk_bytes = 0
                while next_submit < len(items) and len(chunk) < CHUNK_FILES and chunk_bytes < CHUNK_BYTES:
                    index, item = next_submit, items[next_submit]
                    next_submit += 1
                    open_bytes += item.size
                    try:
                        if item.refused is not None:
                            raise item.refused
                        target = output_path(opts.out, item.rel, real_dirs)
                    except InputError as exc:
                        finished(index, _failure(item.path, exc))
                        continue
                    previous = None if opts.force else _previous(item, target, made_now)
                    if previous is not None:
                        finished(index, previous)
                        continue
                    chunk.append((index, target))
                    chunk_bytes += item.size
                if chunk:
                    send(chunk, retry=False)
            while next_write in ready:
                streams.write(ready.pop(next_write))
                open_bytes -= items[next_write].size
                next_write += 1
            if pending:
                done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    chunk, retry = pending.pop(future)
                    try:
                        outcomes = future.result()
                    except pool.WorkerLost as lost:  # stopped over a limit, or died (OOM killer, a crash in C)
                        summary.retried += _after_lost_worker(lost, chunk, retry, opts, items, send, finished)
                        continue
                    except Exception as exc:  # the pool itself broke (dask: a lost worker)
                        if not retry:
                            # every chunk in flight is lost, most of them innocent: each file gets a
                            # second try on its own, so only one that kills a worker again fails
                            for entry in chunk:
                                send([entry], retry=True)
                            summary.retried += len(chunk)
                            continue
                        outcomes = [_failure(items[i].path, _crashed(f"{type(exc).__name__}; out of memory?")) for i, _ in chunk]
                    for (index, target), outcome in zip(chunk, outcomes):
                        if not workers_write:
                            outcome = _write_output(target, outcome, streams.keep_json)
                        finished(index, outcome)


def _crashed(detail: str) -> InputError:
    return InputError("worker_crashed", f"a worker process died with this file in it, also on a second try "
                                        f"on its own ({detail})")


def _after_lost_worker(lost: pool.WorkerLost, chunk: list, retry: bool, opts: BatchOptions, items: list[Item],
                       send, finished) -> int:
    """A worker was stopped or died on file ``lost.item`` of ``chunk``: that file fails with the
    reason (a crash first gets a second try on its own), the chunk's other files go to another
    worker. Returns how many files were sent again."""
    if lost.item is None:  # between two files: blame none, each gets a try of its own
        for entry in chunk:
            if retry:
                finished(entry[0], _failure(items[entry[0]].path, _crashed(lost.detail)))
            else:
                send([entry], retry=True)
        return 0 if retry else len(chunk)
    others = chunk[:lost.item] + chunk[lost.item + 1:]
    if others:
        send(others, retry=False)
    index, target = chunk[lost.item]
    if lost.reason == "timeout":
        finished(index, _failure(items[index].path, limits.timeout_error(opts.timeout)))
    elif lost.reason == "memory_limit":
        finished(index, _failure(items[index].path, limits.memory_error(opts.max_memory)))
    elif not retry:
        send([(index, target)], retry=True)
        return len(others) + 1
    else:
        finished(index, _failure(items[index].path, _crashed(lost.detail)))
    return len(others)

