"""The report's data, compact: one row per document and, per record kind, a list of columns and
one array per record (keys are not repeated thousands of times). Texts are compressed one by one
and unpacked by the page only when a document is opened.

Columns come from the records themselves (nested objects flattened to ``baseline.value``), so a
field added to the output contract shows up in the page without touching this module.
"""
from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from plancli.report.place import place

if TYPE_CHECKING:
    from plancli.report.collect import Entry

#: Record lists whose entries point into the text with a ``span``.
SPAN_KINDS = ("targets", "subsidies", "tasks")
RECORD_KINDS = (*SPAN_KINDS, "units")
#: Repairs that say the text may still be wrong where they happened.
WARNING_REPAIRS = ("invalid_bytes_replaced", "html_too_deep_read_as_text")


def warnings(doc: dict, notes: list[str]) -> list[str]:
    """What a reader should check in a document: uncertain repairs, missing text, no records."""
    found = list(notes)
    for repair in (doc.get("source") or {}).get("repairs") or []:
        kind = repair.get("kind", "")
        if kind.endswith("_uncertain") or kind in WARNING_REPAIRS:
            found.append(f"{kind} ×{repair.get('count', 0)}" + (f": {'; '.join(repair['examples'][:3])}"
                                                                 if repair.get("examples") else ""))
    if "error" not in doc and not any(doc.get(kind) for kind in RECORD_KINDS):
        found.append("no records found")
    return found


def _file_uri(path: str | None) -> str | None:
    if not path or path == "-":
        return None
    try:
        p = Path(path).resolve()
        return p.as_uri() if p.exists() else None
    except (OSError, ValueError, UnicodeError):
        return None


def _flat(record: dict) -> dict:
    out = {}
    for key, value in record.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                out[f"{key}.{sub}"] = v
        else:
            out[key] = value
    return out


def _json(value) -> str:
    """JSON that is safe inside <script>: no "<" can close the element or open a comment."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def packed_text(text: str) -> str:
    """The text as base64 of its zlib-compressed UTF-8 (the page unpacks it with DecompressionStream).
    A lone surrogate becomes "?", one code point for one, so spans still line up."""
    return base64.b64encode(zlib.compress(text.encode("utf-8", "replace"), 1)).decode("ascii")


def unpacked_text(packed: str) -> str:
    """The text again, from :func:`packed_text` (what the page does in the browser)."""
    return zlib.decompress(base64.b64decode(packed)).decode("utf-8")


class PageData:
    """Documents added one at a time; :meth:`json` is the page's data once all are in."""

    def __init__(self):
        self.docs: list[str] = []
        self.columns: dict[str, dict[str, int]] = {kind: {"doc": 0} for kind in RECORD_KINDS}
        self.rows: dict[str, list[str]] = {kind: [] for kind in RECORD_KINDS}
        self.failed = self.warned = self.with_text = 0
        self.records = dict.fromkeys(RECORD_KINDS, 0)

    def add(self, entry: "Entry") -> int:
        """Add one document; returns its index (the page's document number)."""
        index = len(self.docs)
        doc, meta, source = entry.doc, entry.doc.get("metadata") or {}, entry.doc.get("source") or {}
        notes = warnings(doc, entry.notes)
        error = doc.get("error")
        self.failed += bool(error)
        self.warned += bool(notes) and not error
        self.with_text += entry.has_text
        path = source.get("path")
        row = {
            "path": path, "href": _file_uri(entry.read_from or path), "result": entry.result, "result_href": _file_uri(entry.result),
            "title": meta.get("title"), "notice_title": meta.get("notice_title"), "issuer": meta.get("issuer"),
            "number": meta.get("doc_number"), "issued": meta.get("issued_date"),
            "published": meta.get("published_date"), "period": [meta.get("period_start"), meta.get("period_end")],
            "kind": doc.get("kind"), "place": place(meta), "lang": source.get("language"),
            "script": source.get("script"), "encoding": source.get("encoding"), "format": source.get("format"),
            "bytes": source.get("bytes"), "error": error, "warnings": notes,
            "repairs": [[r.get("kind"), r.get("count"), r.get("examples") or []] for r in source.get("repairs") or []],
            "n": {kind: len(doc.get(kind) or []) for kind in RECORD_KINDS},
            "text": entry.has_text, "chars": entry.chars,
        }
        self.docs.append(_json(row))
        for kind in RECORD_KINDS:
            cols = self.columns[kind]
            rows = []
            for record in doc.get(kind) or []:
                flat = _flat(record)
                if kind == "tasks" and entry.has_text and flat.get("span"):
                    flat["text"] = None  # a whole task item: the page takes it from the text
                values = [index]
                for key, value in flat.items():
                    at = cols.setdefault(key, len(cols))
                    values.extend([None] * (at + 1 - len(values)))
                    values[at] = value
                rows.append(values)
            if rows:
                self.rows[kind].append(_json(rows)[1:-1])  # one dump per document and kind
                self.records[kind] += len(rows)
        return index

    def json(self, meta: dict) -> str:
        kinds = ",".join(f'"{kind}":{{"cols":{_json(list(self.columns[kind]))},"rows":[{",".join(self.rows[kind])}]}}'
                         for kind in RECORD_KINDS)
        return f'{{"meta":{_json(meta)},"docs":[{",".join(self.docs)}],"kinds":{{{kinds}}}}}'
