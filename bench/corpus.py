"""Build benchmark corpora from samples/*.txt: the samples repeated, in several encodings.

Real downloads arrive as UTF-8, GB18030 and UTF-16, and decoding/detection is part of the cost,
so copies cycle through the encodings (5 samples x 3 encodings repeat every 15 copies) and every
corpus ends at the end of such a round, giving every size the same mix. Sizes are bytes on
disk; MB means 10**6 bytes throughout the bench.
"""
from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
OUT = ROOT / "bench" / "out"
ENCODINGS = ("utf-8", "gb18030", "utf-16")
MB = 1_000_000


@dataclass
class Doc:
    path: Path
    encoding: str
    nbytes: int  # on disk
    utf8: int  # size of the same text in UTF-8


@dataclass
class Corpus:
    folder: Path
    docs: list[Doc]

    @property
    def nbytes(self) -> int:
        return sum(d.nbytes for d in self.docs)

    @property
    def utf8_bytes(self) -> int:
        return sum(d.utf8 for d in self.docs)


def sample_texts() -> list[tuple[str, str]]:
    """(stem, text) of every sample, in name order."""
    files = sorted(SAMPLES.glob("*.txt"))
    if not files:
        raise SystemExit(f"no samples in {SAMPLES}")
    return [(f.stem, f.read_text(encoding="utf-8")) for f in files]


def build(size_mb: float, folder: Path | None = None, min_docs: int = 0) -> Corpus:
    """Write copies of the samples until the folder holds at least ``size_mb`` MB (and
    ``min_docs`` documents), in whole rounds of every sample in every encoding: each size has
    the same mix of documents, so the time per MB of two sizes differs only by how cost scales
    (not by which documents they hold)."""
    folder = folder or OUT / f"corpus-{size_mb:g}mb"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    samples = [(stem, text, len(text.encode("utf-8"))) for stem, text in sample_texts()]
    docs: list[Doc] = []
    period = math.lcm(len(samples), len(ENCODINGS))
    total, i = 0, 0
    while total < size_mb * MB or i < min_docs or i % period:
        stem, text, utf8 = samples[i % len(samples)]
        enc = ENCODINGS[i % len(ENCODINGS)]
        data = text.encode(enc)
        path = folder / f"{i:05d}_{stem[:3]}_{enc.replace('-', '')}.txt"
        path.write_bytes(data)
        docs.append(Doc(path, enc, len(data), utf8))
        total += len(data)
        i += 1
    return Corpus(folder, docs)


def encoding_of(path: Path) -> str:
    """The encoding a corpus file was written in (it is in the name: 00001_000_gb18030.txt)."""
    tag = path.stem.rsplit("_", 1)[-1]
    return next(enc for enc in ENCODINGS if enc.replace("-", "") == tag)


def cut(stem_prefix: str, nbytes: int, name: str) -> Path:
    """The first ``nbytes`` UTF-8 bytes of a sample, ending at a line break (a short document)."""
    src = next(SAMPLES.glob(f"{stem_prefix}*.txt"))
    data = src.read_bytes()[:nbytes]
    data = data[: data.rfind(b"\n") + 1] or data
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    path.write_bytes(data)
    return path
