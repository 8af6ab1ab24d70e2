"""What a report is made of: documents as output JSON, each with the text its spans index.

An INPUT of ``plancli report`` is one of

* a folder of ``plancli batch --out`` results (it holds ``errors.jsonl`` or ``*.json`` files):
  every ``*.json`` below it, and the failures in ``errors.jsonl``;
* a JSON Lines file (``--jsonl``, ``extract -f jsonl``) or a JSON file (one document or an array,
  ``extract -f json``);
* anything else: documents, read and extracted now (a folder is walked as ``plancli batch`` does).

Output JSON does not hold the normalised text (it would double every output), so the text of a
result is made again: its input (``source.path``, from the current folder) is read and normalised
as at extraction. The text is used only when the input's sha256 is still the one recorded and
every record's ``text`` is what the new text holds at its ``span``; otherwise the document is shown
without text and says why (moved, edited, other rules). Documents extracted now carry their text.
"""
from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from plancli.read import DEFAULT_MAX_BYTES, InputError

#: Record lists whose entries point into the text with a ``span``.
SPAN_KINDS = ("targets", "subsidies", "tasks")
#: Files of a results folder that are not one document each.
ERRORS_FILE = "errors.jsonl"
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


@dataclass
class Entry:
    """One document of the report."""

    doc: dict  # a Document or FailedDocument, as JSON
    text: str | None = None  # the normalised text its spans index, when it could be had
    notes: list[str] = field(default_factory=list)  # why the text is missing or partly unusable
    result: str | None = None  # the output JSON file it was read from, if any


#: Called with (input, reason) for an input that could not be read at all.
Problem = Callable[[str, str], None]


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
    """Every document of ``inputs``, in input order (folders sorted), one Entry at a time;
    ``jobs`` worker processes normalise the inputs of results again."""
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
        if path.is_dir() and is_results_folder(path):
            yield from flush()
            yield from _results_folder(path, rs, max_bytes, with_text, problem, jobs)
        elif path.is_file() and _is_json(path):
            yield from flush()
            yield from _with_text(_json_file(path, problem), rs, max_bytes, with_text, jobs)
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
                    jobs: int = 1) -> Iterator[Entry]:
    """The results of a batch folder in path order; a failure in errors.jsonl replaces an older
    output of the same input (errors.jsonl is the latest run's)."""
    failed: dict[str, dict] = {}
    errors = folder / ERRORS_FILE
    if errors.is_file():
        for doc in _json_file(errors, problem):
            failed[doc.doc["source"].get("path", "")] = doc.doc
    shown_failures: set[str] = set()
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        files += [Path(dirpath, f) for f in sorted(filenames) if f.endswith(".json") and not f.startswith(".")]
    def results() -> Iterator[Entry]:
        for file in files:
            for entry in _json_file(file, problem):
                path = entry.doc["source"].get("path", "")
                if path in failed:
                    shown_failures.add(path)
                    yield Entry(failed[path], result=str(errors))
                else:
                    entry.result = str(file)
                    yield entry

    yield from _with_text(results(), rs, max_bytes, with_text, jobs)
    for path, doc in failed.items():
        if path not in shown_failures:
            yield Entry(doc, result=str(errors))


def _json_file(path: Path, problem: Problem) -> Iterator[Entry]:
    """Documents in a JSON file (one object or an array) or a JSON Lines file."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            head = fh.read(1 << 16)
            fh.seek(0)
            stripped = head.lstrip()
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
                        if _is_document(doc):
                            yield Entry(doc)
                        else:
                            problem(f"{path}[{i}]", "not a plancli document (no 'source')")
                    return
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    doc = json.loads(line)
                except ValueError as exc:
                    problem(f"{path}:{number}", f"not valid JSON: {exc}")
                    continue
                if _is_document(doc):
                    yield Entry(doc)
                else:
                    problem(f"{path}:{number}", "not a plancli document (no 'source')")
    except UnicodeDecodeError:
        problem(str(path), "not UTF-8 JSON")
    except OSError as exc:
        problem(str(path), exc.strerror or str(exc))


def _is_document(doc) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("source"), dict)


#: Results whose text is made again go to worker processes in chunks of this many, at most
#: WINDOW chunks per worker at a time (which bounds the texts waiting to be written in order).
CHUNK = 16
WINDOW = 3


def _with_text(entries: Iterator[Entry], rs, max_bytes: int, with_text: bool, jobs: int = 1) -> Iterator[Entry]:
    """The entries with their text normalised again, in order; in ``jobs`` worker processes once
    there are more than a couple of chunks (normalising is most of a large report's time)."""
    if not with_text:
        yield from entries
        return
    first = list(itertools.islice(entries, 2 * CHUNK))
    if jobs <= 1 or len(first) < 2 * CHUNK:
        for entry in itertools.chain(first, entries):
            _give_text(entry, renormalized(entry.doc, rs, max_bytes) if "error" not in entry.doc else None)
            yield entry
        return
    import concurrent.futures as cf
    import multiprocessing as mp
    from collections import deque

    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    context = mp.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["plancli.pipeline", "plancli.report.collect"])  # workers start warm
    folder = str(rs.folder) if rs.folder else None
    with cf.ProcessPoolExecutor(jobs, mp_context=context) as pool:
        pending: deque = deque()
        rest = itertools.chain(first, entries)
        chunks = iter(lambda: list(itertools.islice(rest, CHUNK)), [])
        for chunk in chunks:
            sources = [e.doc["source"] for e in chunk if "error" not in e.doc]
            pending.append((chunk, pool.submit(_texts_of, sources, folder, max_bytes)))
            while len(pending) >= jobs * WINDOW or (pending and pending[0][1].done()):
                yield from _settle(*pending.popleft())
        while pending:
            yield from _settle(*pending.popleft())


def _settle(chunk: list[Entry], future) -> Iterator[Entry]:
    texts = iter(future.result())
    for entry in chunk:
        _give_text(entry, next(texts) if "error" not in entry.doc else None)
        yield entry


def _give_text(entry: Entry, made: tuple[str | None, str | None] | None) -> None:
    if made is None:
        return
    entry.text, why = made
    if why:
        entry.notes.append(why)
    else:
        entry.notes += check_spans(entry.doc, entry.text)


def _texts_of(sources: list[dict], rules_folder: str | None, max_bytes: int) -> list[tuple[str | None, str | None]]:
    """In a worker: the texts of some results' inputs (see :func:`renormalized`)."""
    from plancli.rules import ruleset

    rs = ruleset(rules_folder)
    return [renormalized({"source": source}, rs, max_bytes) for source in sources]


def renormalized(doc: dict, rs, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str | None, str | None]:
    """The normalised text of a result's input, read again, or None and the reason."""
    from plancli.pipeline import prepare_raw
    from plancli.read import RawInput, read_input

    source = doc["source"]
    path = source.get("path")
    if not path or path == "-":
        return None, "the input was standard input: its text is not in the results"
    try:
        raw = read_input(path, max_bytes=max_bytes)
    except InputError as exc:
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
            prep = prepare(item.path, rs, max_bytes)
            doc = json.loads(emit.to_json(extract_prepared(prep, rs)))
        except Exception as exc:  # a failed document is shown as one, like in a batch
            kind = getattr(exc, "kind", None) or "internal_error"
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            problem(item.path, message)
            failed = FailedDocument(source=Source(path=item.path), error=ErrorInfo(kind=kind, message=message))
            yield Entry(json.loads(emit.to_json(failed)))
            continue
        yield Entry(doc, prep.normalized.text if with_text else None)
