"""The output contract (``../shared/SCHEMA.md``, schema_version "1") as Pydantic models.

These models are the source of truth: ``plancli schema`` prints their JSON Schema, and every
emitter serialises them. Add fields freely; renaming or dropping one needs a new
``SCHEMA_VERSION``.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

SCHEMA_VERSION = "1"

Span = tuple[int, int]


def _plain_number(x: float | None) -> float | int | None:
    """1600 rather than 1600.0 in JSON and CSV: whole numbers are written as integers."""
    if x is not None and float(x).is_integer() and abs(x) < 2**53:
        return int(x)
    return x


#: A number written as an integer when it is whole (values, amounts, ratios).
Number = Annotated[float, PlainSerializer(_plain_number, when_used="always")]
Comparator = Literal[">=", "<=", "~", "=", "+", "-"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Repair(Model):
    """One kind of change normalisation made, with how often and a few examples."""

    kind: str
    count: int
    examples: list[str] = Field(default_factory=list)


class PageRead(Model):
    """How one page of a PDF was read: ``text`` (its text layer), ``pdfium`` (the second text
    extractor, when the first came out garbled), ``ocr:<engine>``, ``unread`` (no OCR engine
    installed) or ``empty``; ``confidence`` is the text judge's score or the OCR's mean."""

    page: int
    method: str
    confidence: float | None = None
    note: str | None = None


class Source(Model):
    path: str
    sha256: str | None = None
    bytes: int | None = None
    encoding: str | None = None
    #: How clearly ``encoding`` won: 1.0 for a BOM or valid UTF-8, else 0 (a tie) to 1 against
    #: the runner-up; null when the encoding was declared (HTML <meta>) or the format has none.
    encoding_confidence: float | None = None
    #: The encoding that came second when one had to be chosen among GB18030, Big5 …
    encoding_runner_up: str | None = None
    format: str = "text"
    language: Literal["zh", "en"] | None = None
    script: Literal["simplified", "traditional", "mixed"] | None = None
    repairs: list[Repair] = Field(default_factory=list)
    #: PDFs only: how each page was read.
    pages: list[PageRead] | None = None


class Metadata(Model):
    #: The plan's own title; a notice that publishes a plan has its own title in ``notice_title``.
    title: str | None = None
    notice_title: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    issued_date: str | None = None
    published_date: str | None = None
    period_start: int | None = None
    period_end: int | None = None


class Section(Model):
    id: str
    parent: str | None
    level: int
    marker: str | None
    title: str
    span: Span
    #: part: an article of a page holding several; heading: a numbered or titled section;
    #: enumeration: "一是…二是…" points inside a paragraph.
    kind: Literal["part", "heading", "enumeration"] = "heading"
    #: The marker family (rules/headings.yaml): cn_dun for 一、, cn_paren for (一), arabic_dot …
    family: str | None = None


class Record(Model):
    """What every extracted record carries: provenance in the normalised text."""

    id: str
    section: str | None = None
    text: str
    span: Span
    rule: str


class Baseline(Model):
    value: Number | None = None
    year: int | None = None


class Target(Record):
    indicator: str | None = None
    indicator_id: str | None = None
    value: Number | None = None
    value_max: Number | None = None
    unit: str | None = None
    comparator: Comparator | None = "="
    year: int | None = None
    baseline: Baseline | None = None
    masked: bool = False


class Subsidy(Record):
    amount: Number | None = None
    currency: str | None = "CNY"
    amount_text: str | None = None
    cap: bool = False
    ratio: Number | None = None
    #: The upper end of a ratio written as a range ("5%—20%": ratio 0.05, ratio_max 0.2).
    ratio_max: Number | None = None
    #: What a rate is per ("户" in "800元/户", "千瓦时" in "0.2元/千瓦时"), and its period
    #: ("月" in "2000元/人/月"); null for a lump sum.
    per: str | None = None
    period: str | None = None
    form: str | None = None
    once: bool | None = None
    recipient: str | None = None


class Responsible(Model):
    lead: list[str] = Field(default_factory=list)
    support: list[str] = Field(default_factory=list)


class Task(Record):
    marker: str | None = None
    title: str
    responsible: Responsible = Field(default_factory=Responsible)
    units: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)


class Unit(Model):
    name: str
    canonical: str
    aliases: list[str] = Field(default_factory=list)
    mentions: int = 0
    lead: int = 0
    support: int = 0


class ErrorInfo(Model):
    kind: str
    message: str


class Generator(Model):
    """What produced a document: batch resume redoes outputs that another version of plancli,
    other rules or another ``--keywords`` setting made."""

    plancli: str
    rules: str  # digest of the rules files in use (a user folder's and the built-in rest)
    keywords: bool = False


class Document(Model):
    """One processed input: the top-level object of ``plancli extract``."""

    schema_version: str = SCHEMA_VERSION
    source: Source
    #: What the document is, from its title and wording: plan (意见, 方案, 计划, 规划, 要点), division
    #: (分工方案, 任务分解), opinions (若干意见), measures (若干措施, 办法, 细则), notice, bulletin
    #: (统计公报), report (工作总结: past work); null when the text does not say.
    kind: str | None = None
    metadata: Metadata = Field(default_factory=Metadata)
    sections: list[Section] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    subsidies: list[Subsidy] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    units: list[Unit] = Field(default_factory=list)
    generator: Generator | None = None


class FailedDocument(Model):
    """An input that could not be processed (batch / jsonl output)."""

    schema_version: str = SCHEMA_VERSION
    source: Source
    error: ErrorInfo
