"""The pipeline: read → normalise → segment → extract, as one library call per document.

``plancli.extract(path)`` is what the CLI, the batch runner and Python users call; each stage
lives in its own module and this file only wires them together.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from plancli import __version__
from plancli.models import Document, Generator, Metadata, Source
from plancli.normalize import Normalized, normalize_text
from plancli.read import DEFAULT_MAX_BYTES, Decoded, RawInput, decode_input, read_input
from plancli.rules import RuleSet, ruleset
from plancli.segment import Structure, detect_language, find_structure, sentences


@dataclass
class Context:
    """What every extractor gets: the normalised text, its structure and the rules of the run."""

    text: str
    structure: Structure
    language: str
    rules: RuleSet
    #: Tag tasks with TF-IDF keywords (loads jieba: about a second per process).
    keywords: bool = False
    #: What the document is (plan, division, measures, notice, bulletin …; ``Document.kind``).
    kind: str | None = None
    #: The document's metadata (title, period …), found before the records.
    metadata: Metadata | None = None

    @functools.cached_property
    def roles(self) -> dict:
        """section id -> (role, named) from the outline (see ``plancli.extract.outline``)."""
        from plancli.extract import outline, tasks

        return outline.section_roles(self.structure, self.kind, tasks.rules(self.rules))

    def role_at(self, pos: int) -> str | None:
        """The outline role (work, front, back, background, other) of the section at ``pos``."""
        sec = self.structure.section_at(pos)
        return self.roles[sec.id][0] if sec else None

    @functools.cached_property
    def sentences(self) -> list[tuple[int, int]]:
        """Sentence spans of the whole text, computed once for all extractors."""
        return list(sentences(self.text))

    @functools.cached_property
    def _quantities(self) -> dict[tuple[int, int], list]:
        return {}

    def quantities(self, start: int, end: int) -> list:
        """Quantities of text[start:end] (spans relative to ``start``), parsed once per piece."""
        key = (start, end)
        if key not in self._quantities:
            self._quantities[key] = self.quantity_engine.find(self.text[start:end])
        return self._quantities[key]

    @functools.cached_property
    def quantity_engine(self):
        from plancli import quantities

        return quantities.rules(self.rules).engine


@dataclass
class Prepared:
    raw: RawInput
    decoded: Decoded
    normalized: Normalized


#: What ``rules`` may be in the functions below: a RuleSet, a rules folder, or None (the
#: folder in $PLANCLI_RULES, else the built-in rules).
Rules = RuleSet | str | os.PathLike[str] | None


def prepare(path: str | os.PathLike[str], rules: Rules = None, max_bytes: int = DEFAULT_MAX_BYTES,
            keep_bytes: bool = True) -> Prepared:
    """Read and normalise one input (the text ``plancli normalize`` prints)."""
    raw = read_input(path, max_bytes=max_bytes)
    return prepare_raw(raw, rules, max_bytes, keep_bytes)


def prepare_raw(raw: RawInput, rules: Rules = None, max_bytes: int = DEFAULT_MAX_BYTES,
                keep_bytes: bool = True) -> Prepared:
    """Decode and normalise ``raw``; ``keep_bytes=False`` drops its bytes once decoded (their
    sha256 and size stay): memory then holds the input once, as text, not twice."""
    decoded = decode_input(raw, max_bytes)
    if not keep_bytes:
        raw.release()
    return Prepared(raw, decoded, normalize_text(decoded.text, ruleset(rules)))


def extract(path: str | os.PathLike[str], rules: Rules = None, max_bytes: int = DEFAULT_MAX_BYTES,
            keywords: bool = False) -> Document:
    """Extract every record from the document at ``path`` (``-`` for standard input)."""
    rs = ruleset(rules)
    return extract_prepared(prepare(path, rs, max_bytes, keep_bytes=False), rs, keywords)


def extract_text(text: str, rules: Rules = None, path: str = "<text>", keywords: bool = False) -> Document:
    """Extract from text already in memory (it is still normalised first)."""
    rs = ruleset(rules)
    raw = RawInput(path, text.encode("utf-8"))
    prep = Prepared(raw, Decoded(text, "utf-8"), normalize_text(text, rs))
    return extract_prepared(prep, rs, keywords)


def extract_prepared(prep: Prepared, rules: Rules = None, keywords: bool = False) -> Document:
    from plancli.extract import metadata, subsidies, targets, tasks, units

    rs = ruleset(rules)
    text = prep.normalized.text
    language = detect_language(text)
    structure = find_structure(text, rs)
    found_metadata = metadata.extract_metadata(text, rs, prep.decoded.hints)
    kind = metadata.document_kind(found_metadata, text, rs)
    ctx = Context(text, structure, language, rs, keywords, kind, found_metadata)
    if kind is None and targets.past_report(ctx):
        ctx.kind = kind = "report"  # figures of the past, not a plan: say so, and take no targets
    source = Source(path=prep.raw.path, sha256=prep.raw.sha256, bytes=prep.raw.size,
                    encoding=prep.decoded.encoding, encoding_confidence=prep.decoded.confidence,
                    encoding_runner_up=prep.decoded.runner_up, format=prep.decoded.format, language=language,
                    script=prep.normalized.script if language == "zh" else None,
                    repairs=prep.decoded.repairs + prep.normalized.repairs, pages=prep.decoded.pages)
    found_tasks = tasks.extract(ctx)
    found_targets = targets.extract(ctx)
    return Document(
        source=source,
        kind=kind,
        metadata=found_metadata,
        sections=structure.sections,
        targets=found_targets,
        subsidies=subsidies.extract(ctx),
        tasks=found_tasks,
        units=units.document_units(ctx, found_tasks),
        generator=generator(rs, keywords),
    )


def generator(rules: Rules = None, keywords: bool = False) -> Generator:
    """What a document made now with these settings records as its maker (batch resume compares it)."""
    return Generator(plancli=__version__, rules=ruleset(rules).fingerprint, keywords=keywords)
