"""What a report is made of: documents as output JSON, each with the text its spans index.

An INPUT of ``plancli report`` is one of

* a folder of ``plancli batch --out`` results (it holds ``errors.jsonl`` or ``*.json`` files):
  every ``*.json`` below it, and the failures in ``errors.jsonl``;
* a JSON Lines file (``--jsonl``, ``extract -f jsonl``) or a JSON file (one document or an array,
  ``extract -f json``);
* ``-``: JSON Lines of results on standard input;
* anything else: documents, read and extracted now (a folder is walked as ``plancli batch`` does).

Output JSON does not hold the normalised text (it would double every output), so the text of a
result is made again: its input (``source.path``, from the current folder, else from beside the
results) is read and normalised as at extraction. The text is used only when the input's sha256 is still the one recorded and a
record is highlighted only when its ``text`` is what the new text holds at its ``span``; otherwise
the document is shown without text, or the record without highlight, and the page says why
(moved, edited, other rules). Documents extracted now carry their text.

Reading results, normalising their inputs again and compressing the texts is most of a large
report's time, so it is done in worker processes (``jobs``), a chunk of results at a time, and
the entries come back in input order.
"""
from __future__ import annotations

import itertools
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from plancli.read import DEFAULT_MAX_BYTES, InputError
from plancli.report.data import SPAN_KINDS, packed_text, unpacked_text

#: The failures of a batch (the other files of a results folder are one document each).
ERRORS_FILE = "errors.jsonl"
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
#: Results go to worker processes in chunks of this many, at most WINDOW chunks per worker at a
#: time (which bounds the texts waiting to be written in order).
CHUNK = 16
WINDOW = 3


@dataclass
class Entry:
    """One document of the report."""

    doc: dict  # a Document or FailedDocument, as JSON
    text: str | None = None  # the normalised text its spans index (documents extracted now)
    notes: list[str] = field(default_factory=list)  # why the text is missing or partly unusable
    result: str | None = None  # the output JSON file it was read from, if any
    packed: str | None = None  # the text as the page carries it (``data.packed_text``)
    chars: int | None = None  # the length of the text, in code points
    read_from: str | None = None  # where the input was found again, when not at its recorded path

    def pack(self) -> None:
        if self.text is not None and self.packed is None:
            self.packed, self.chars, self.text = packed_text(self.text), len(self.text), None

    def unpacked(self) -> str | None:
        """The text, packed or not."""
        return self.text if self.text is not None else unpacked_text(self.packed) if self.packed else None

    @property
    def has_text(self) -> bool:
        return self.packed is not None or self.text is not None


#: Called with (input, reason) for an input that could not be read at all.
Problem = Callable[[str, str], None]


@dataclass
class _Unread:
    """A result to read in a worker: a results file, a line of JSON Lines, or a parsed document."""

    where: str
    file: str | None = None
    line: str | None = None
    doc: dict | None = None
    base: str | None = None  # where else a relative input path may start: beside the results


@dataclass
class _Trouble:
    """What a worker could not read (reported by the main process, in order)."""

    where: str
    why: str


def is_results_folder(path: Path) -> bool:
    """A folder of batch results: it holds errors.jsonl, or .json files (before any document)."""
    if (path / ERRORS_FILE).is_file():
        return True
    for _dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if any(f.endswith(".json") and not f.startswith(".") for f in filenames):
            return True
    return False


def collect(inputs: list[str], rules=None, max_bytes: int = DEFAULT_MAX_BYTES, with_text: bool = True,
            problem: Problem | None = None, jobs: int = 1) -> Iterator[Entry]:
    """Every document of ``inputs``, in input order (folders sorted), one Entry at a time, its
    text packed for the page; ``jobs`` worker processes read the results."""
    from plancli.rules import ruleset

    rs = ruleset(rules)
    problem = problem or (lambda where, why: None)
    documents: list[str] = []  # consecutive plain documents, extracted together

    def flush() -> Iterator[Entry]:
        if documents:
            yield from _extract_now(list(documents), rs, max_bytes, with_text, problem)
            documents.clear()

    for name in inputs:
        path = Path(name)
        if name == "-":  # results piped in: `plancli batch … --jsonl - | plancli report - -o r.html`
            yield from flush()
            lines = (_Unread(f"standard input:{n}", line=line) for n, line in enumerate(sys.stdin, 1) if line.strip())
            yield from _read(lines, rs, max_bytes, with_text, problem, jobs)
        elif path.is_dir() and is_results_folder(path):
            yield from flush()
            yield from _results_folder(path, rs, max_bytes, with_text, problem, jobs)
        elif path.is_file() and _is_json(path):
            yield from flush()
            yield from _read(_json_items(path, problem, str(path.resolve().parent)), rs, max_bytes, with_text,
                             problem, jobs)
        elif not path.exists():
            problem(name, "no such file or directory")
        else:
            documents.append(name)
    yield from flush()


def _is_json(path: Path) -> bool:
    if path.suffix.lower() in JSON_SUFFIXES:
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    return head[:1] == b"{" and b'"schema_version"' in head or head[:2] in (b'[{', b'[\n')


def _results_folder(folder: Path, rs, max_bytes: int, with_text: bool, problem: Problem,
                    jobs: int) -> Iterator[Entry]:
    """The results of a batch folder in path order; a failure in errors.jsonl replaces an older
    output of the same input (errors.jsonl is the latest run's)."""
    failed: dict[str, dict] = {}
    errors = folder / ERRORS_FILE
    if errors.is_file():
        for entry in _read(_json_items(errors, problem), rs, max_bytes, False, problem, 1):
            failed[entry.doc["source"].get("path", "")] = entry.doc
    files: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        files += [os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".json") and not f.startswith(".")]
    shown: set[str] = set()
    base = str(folder.resolve().parent)  # `batch in --out out` run from the folder that holds both
    for entry in _read((_Unread(f, file=f, base=base) for f in files), rs, max_bytes, with_text, problem, jobs):
        path = entry.doc["source"].get("path", "")
        if path in failed:
            shown.add(path)
            entry = Entry(failed[path], result=str(errors))
        yield entry
    for path, doc in failed.items():
        if path not in shown:
            yield Entry(doc, result=str(errors))


def _json_items(path: Path, problem: Problem, base: str | None = None) -> Iterator[_Unread]:
    """The documents of a JSON file (one object or an array, parsed here) or of a JSON Lines
    file (one line each, parsed by a worker); ``base``: see ``_Unread``."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            stripped = fh.read(1 << 16).lstrip()
            fh.seek(0)
            if stripped[:1] == "[" or (path.suffix.lower() == ".json" and stripped[:1] == "{"):
                try:
                    data = json.load(fh)
                except ValueError as exc:
                    if stripped[:1] == "[":
                        problem(str(path), f"not valid JSON: {exc}")
                        return
                    fh.seek(0)  # one object per line after all
                else:
                    for i, doc in enumerate(data if isinstance(data, list) else [data]):
                        yield _Unread(f"{path}[{i}]", doc=doc, base=base)
                    return
            for number, line in enumerate(fh, 1):
                if line.strip():
                    yield _Unread(f"{path}:{number}", line=line, base=base)
    except UnicodeDecodeError:
        problem(str(path), "not UTF-8 JSON")
    except OSError as exc:
        problem(str(path), exc.strerror or str(exc))


def _read(items: Iterator[_Unread], rs, max_bytes: int, with_text: bool, problem: Problem,
          jobs: int) -> Iterator[Entry]:
    """The documents of ``items``, in order, each with its text; in ``jobs`` worker processes
    once there are more than two chunks of them."""
    first = list(itertools.islice(items, 2 * CHUNK))
    if jobs <= 1 or len(first) < 2 * CHUNK:
        for item in itertools.chain(first, items):
            yield from _reported(_made([item], rs, max_bytes, with_text), problem)
        return
    import concurrent.futures as cf
    import multiprocessing as mp
    from collections import deque

    from plancli.rules import patterns_already_timed

    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    context = mp.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["plancli.pipeline", "plancli.report.collect"])  # workers start warm
    folder = str(rs.folder) if rs.folder else None
    rest = itertools.chain(first, items)
    chunks = iter(lambda: list(itertools.islice(rest, CHUNK)), [])
    rs.check()  # every rules file valid, user patterns timed: once, here, not in every worker
    with cf.ProcessPoolExecutor(jobs, mp_context=context, initializer=patterns_already_timed) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.submit(_made_in_worker, chunk, folder, max_bytes, with_text))
            while len(pending) >= jobs * WINDOW or (pending and pending[0].done()):
                yield from _reported(pending.popleft().result(), problem)
        while pending:
            yield from _reported(pending.popleft().result(), problem)


def _reported(made: list, problem: Problem) -> Iterator[Entry]:
    for thing in made:
        if isinstance(thing, _Trouble):
            problem(thing.where, thing.why)
        else:
            yield thing


def _made_in_worker(items: list[_Unread], rules_folder: str | None, max_bytes: int, with_text: bool) -> list:
    from plancli.rules import ruleset

    return _made(items, ruleset(rules_folder), max_bytes, with_text)


def _made(items: list[_Unread], rs, max_bytes: int, with_text: bool) -> list:
    """Entries (text found again, checked and packed) and troubles, in the order of ``items``."""
    made: list = []
    for item in items:
        for found in _parsed(item):
            if isinstance(found, Entry) and with_text and "error" not in found.doc:
                text, why = renormalized(found.doc, rs, max_bytes, item.base)
                if not why and text is not None and not os.path.exists(found.doc["source"]["path"]):
                    found.read_from = os.path.join(item.base, found.doc["source"]["path"])
                if why:
                    found.notes.append(why)
                else:
                    found.notes += check_spans(found.doc, text)
                    found.text = text
                    found.pack()
            made.append(found)
    return made


def _parsed(item: _Unread) -> list:
    """The documents an item holds (a results file may hold one, an array or lines), or troubles."""
    if item.file is not None:
        troubles: list = []
        path = Path(item.file)
        found = [_document(u.doc if u.doc is not None else u.line, u.where) for u in
                 _json_items(path, lambda where, why: troubles.append(_Trouble(where, why)))]
        for entry in found:
            if isinstance(entry, Entry):
                entry.result = item.file
        return troubles + found
    return [_document(item.doc if item.doc is not None else item.line, item.where)]


def _document(raw, where: str):
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            return _Trouble(where, f"not valid JSON: {exc}")
    if isinstance(raw, dict) and isinstance(raw.get("source"), dict):
        return Entry(raw)
    return _Trouble(where, "not a plancli document (no 'source')")


def renormalized(doc: dict, rs, max_bytes: int = DEFAULT_MAX_BYTES, base: str | None = None
                 ) -> tuple[str | None, str | None]:
    """The normalised text of a result's input, read again, or None and the reason. A relative
    path is tried from the current folder, then from ``base``."""
    from plancli.pipeline import prepare_raw
    from plancli.read import RawInput, read_input

    source = doc["source"]
    path = source.get("path")
    if not path or path == "-":
        return None, "the input was standard input: its text is not in the results"
    try:
        raw = read_input(path, max_bytes=max_bytes)
    except InputError as exc:
        beside = os.path.join(base, path) if base and not os.path.isabs(path) else None
        try:
            if exc.kind != "not_found" or beside is None:
                raise
            raw = read_input(beside, max_bytes=max_bytes)
        except InputError:
            return None, f"the input {path} cannot be read here ({exc.kind}): text not shown"
    if source.get("sha256") and raw.sha256 != source["sha256"]:
        return None, f"the input {path} has changed since it was extracted: text not shown"
    try:
        return prepare_raw(RawInput(path, raw.data), rs, max_bytes).normalized.text, None
    except Exception as exc:  # a reader failing now where it worked before: show the records anyway
        return None, f"the input {path} could not be read again ({getattr(exc, 'kind', type(exc).__name__)})"


def check_spans(doc: dict, text: str) -> list[str]:
    """Notes on records whose ``text`` is not what ``text`` holds at their span (the text was
    normalised otherwise, e.g. with other rules); such records are shown without a highlight."""
    bad = 0
    for kind in SPAN_KINDS:
        for record in doc.get(kind) or []:
            span = record.get("span")
            if span and text[span[0]:span[1]] != record.get("text"):
                record["span"] = None
                bad += 1
    if bad:
        return [f"{bad} records do not match the text at their span (normalised with other rules?): "
                "shown without a highlight"]
    return []


def _extract_now(paths: list[str], rs, max_bytes: int, with_text: bool, problem: Problem) -> Iterator[Entry]:
    """Documents named on the command line (files, or folders walked as batch does), extracted now."""
    from plancli import batch, emit
    from plancli.models import ErrorInfo, FailedDocument, Source
    from plancli.pipeline import extract_prepared, prepare

    try:
        items = batch.discover(paths)
    except batch.BatchError as exc:
        problem(paths[0], str(exc))
        return
    for item in items:
        try:
            if item.refused is not None:  # a FIFO or device, a link out of the folder: not read
                raise item.refused
            prep = prepare(item.path, rs, max_bytes)
            doc = json.loads(emit.to_json(extract_prepared(prep, rs)))
        except Exception as exc:  # a failed document is shown as one, like in a batch
            kind = getattr(exc, "kind", None) or "internal_error"
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            problem(item.path, message)
            failed = FailedDocument(source=Source(path=item.path), error=ErrorInfo(kind=kind, message=message))
            yield Entry(json.loads(emit.to_json(failed)))
            continue
        entry = Entry(doc, prep.normalized.text if with_text else None)
        entry.pack()
        yield entry
