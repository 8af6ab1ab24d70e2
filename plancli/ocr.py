"""Optical character recognition of page images, offline, for scanned and garbled PDF pages.

Two engines, both with their models on disk before plancli runs (nothing is downloaded):

* RapidOCR (``pip install 'plancli[ocr]'``): PaddleOCR's Chinese detection and recognition
  models converted to ONNX, shipped inside the ``rapidocr_onnxruntime`` wheel;
* Tesseract, when its binary and the ``chi_sim`` data are installed (Debian:
  ``apt install tesseract-ocr tesseract-ocr-chi-sim``), used when RapidOCR is absent.

``bench/ocr.py`` measures both on rendered notices (accuracy and seconds per page); the README
gives the numbers that made RapidOCR the first choice. Each engine returns lines with a box in
the image's pixels and a confidence, so the PDF reader can lay them out like a text layer.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

#: What to install when no engine is there (the one-line error names it).
OCR_EXTRA = "pip install 'plancli[ocr]'"
#: Tesseract's languages, those installed (adding chi_tra doubles the time for little gain).
_TESSERACT_LANGS = ("chi_sim", "eng")
_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
#: Tesseract puts spaces between CJK characters; a space next to one is not text.
_SPACE_BY_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")


@dataclass
class OcrLine:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float
    #: the boxes a row was merged from, left to right (``merge_rows``): a page set in two
    #: columns is put back in reading order from them
    parts: list["OcrLine"] = field(default_factory=list)


class RapidOcrEngine:
    name = "rapidocr"
    dpi = 200
    #: its detector's boxes stop at a gutter, so a page in two columns is put in order from them
    keeps_columns_apart = True
    #: How far a detected text box is grown: with the default (1.6) the detector dropped whole
    #: lines of a clean page now and then (accuracy 0.92-0.95); 1.8 kept them (bench/ocr.py).
    UNCLIP = 1.8

    def __init__(self):
        import logging

        from rapidocr_onnxruntime import RapidOCR

        logging.getLogger("RapidOCR").setLevel(logging.ERROR)  # it logs every call
        self._ocr = RapidOCR(det_unclip_ratio=self.UNCLIP)

    def read(self, image) -> list[OcrLine]:
        import numpy as np

        result, _ = self._ocr(np.asarray(image.convert("RGB")))
        lines = []
        for box, text, score in result or []:
            xs, ys = [p[0] for p in box], [p[1] for p in box]
            if text.strip():
                lines.append(OcrLine(text.strip(), min(xs), min(ys), max(xs), max(ys), float(score)))
        return merge_rows(lines)


class TesseractEngine:
    name = "tesseract"
    dpi = 200
    #: read as one uniform block (--psm 6, the most accurate on notices), a row runs across both
    #: columns of a page: each column is read again by itself (``pdf._ocr_page``)
    keeps_columns_apart = False

    def __init__(self, binary: str, langs: str):
        self.binary, self.langs = binary, langs

    def read(self, image, timeout: float = 120) -> list[OcrLine]:
        with tempfile.TemporaryDirectory(prefix="plancli-ocr-") as tmp:
            png = os.path.join(tmp, "page.png")
            image.convert("L").save(png)
            out = subprocess.run([self.binary, png, "-", "-l", self.langs, "--psm", "6", "tsv"],
                                 capture_output=True, timeout=timeout, check=False)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or "tesseract failed")
        rows: dict[tuple, list] = {}
        for row in out.stdout.decode("utf-8", "replace").splitlines()[1:]:
            f = row.split("\t")
            if len(f) < 12 or not f[11].strip() or float(f[10]) < 0:
                continue
            left, top, width, height = (int(v) for v in f[6:10])
            rows.setdefault((f[1], f[2], f[3], f[4]), []).append((left, top, left + width, top + height, float(f[10]), f[11]))
        lines = []
        for words in rows.values():
            for piece in _apart(words):
                text = _SPACE_BY_CJK.sub("", " ".join(w[5] for w in piece)).strip()
                if text:
                    lines.append(OcrLine(text, min(w[0] for w in piece), min(w[1] for w in piece),
                                         max(w[2] for w in piece), max(w[3] for w in piece),
                                         sum(w[4] for w in piece) / len(piece) / 100))
        return merge_rows(lines)


def _apart(words: list[tuple]) -> list[list[tuple]]:
    """A tesseract line's words in pieces split where a gap is wider than one and a half times
    the line's height: in a single block (``--psm 6``) a row runs across both columns of a page."""
    pieces: list[list[tuple]] = []
    for word in sorted(words, key=lambda w: w[0]):
        if pieces and word[0] - pieces[-1][-1][2] <= 1.5 * max(word[3] - word[1], 1):
            pieces[-1].append(word)
        else:
            pieces.append([word])
    return pieces


def merge_rows(lines: list[OcrLine]) -> list[OcrLine]:
    """Boxes on one row (mostly overlapping vertically) as one line, left to right, rows top down:
    detectors split a line at a wide gap (a tab stop, a table's columns stay apart by a space)."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda ln: (ln.top + ln.bottom) / 2):
        mid = (line.top + line.bottom) / 2
        if rows:
            last = rows[-1][0]
            if last.top <= mid <= last.bottom:
                rows[-1].append(line)
                continue
        rows.append([line])
    merged = []
    for row in rows:
        row.sort(key=lambda ln: ln.x0)
        text = row[0].text
        for prev, cur in zip(row, row[1:]):
            gap = cur.x0 - prev.x1
            height = prev.bottom - prev.top
            text += (" " if gap > height * 0.8 else "") + cur.text
        chars = sum(len(ln.text) for ln in row)
        merged.append(OcrLine(text, min(ln.x0 for ln in row), min(ln.top for ln in row),
                              max(ln.x1 for ln in row), max(ln.bottom for ln in row),
                              sum(ln.confidence * len(ln.text) for ln in row) / max(chars, 1), parts=row))
    return merged


@functools.lru_cache(maxsize=1)
def engine():
    """The OCR engine this machine has (loaded once per process), or None."""
    if os.environ.get("PLANCLI_OCR", "").lower() in ("off", "none", "0"):
        return None
    preferred = os.environ.get("PLANCLI_OCR", "").lower()
    if preferred != "tesseract":
        try:
            return RapidOcrEngine()
        except ImportError:
            pass
    binary = shutil.which("tesseract")
    if binary:
        langs = _tesseract_langs(binary)
        if langs:
            return TesseractEngine(binary, langs)
    return None


def _tesseract_langs(binary: str) -> str | None:
    try:
        out = subprocess.run([binary, "--list-langs"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    have = set(out.stdout.decode("utf-8", "replace").split())
    langs = [lang for lang in _TESSERACT_LANGS if lang in have]
    return "+".join(langs) if any(lang.startswith("chi") for lang in langs) else None
