"""The pipeline run in-process, one stage at a time, to see where a document's time goes.

It calls the same library functions as ``plancli.batch.process_file`` (read, decode, normalise,
extract, serialise); segmentation is timed by wrapping the two functions ``extract_prepared``
calls, so "extract" is the extractors alone.
"""
from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

STAGES = ("read", "normalise", "segment", "extract", "emit")


def _timed(fn, totals: dict[str, float], stage: str):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[stage] += time.perf_counter() - started
    return wrapper


def run(paths: list[Path]) -> dict[str, float]:
    """Seconds per stage over ``paths`` (in this process, so caches and loaded models persist)."""
    from plancli import emit, pipeline
    from plancli.normalize import normalize_text
    from plancli.read import decode_input, read_input

    totals: dict[str, float] = defaultdict(float)
    saved = pipeline.find_structure, pipeline.detect_language
    pipeline.find_structure = _timed(pipeline.find_structure, totals, "segment")
    pipeline.detect_language = _timed(pipeline.detect_language, totals, "segment")
    try:
        for path in paths:
            t0 = time.perf_counter()
            raw = read_input(path)
            decoded = decode_input(raw)
            t1 = time.perf_counter()
            normalized = normalize_text(decoded.text)
            t2 = time.perf_counter()
            segment_before = totals["segment"]
            doc = pipeline.extract_prepared(pipeline.Prepared(raw, decoded, normalized))
            t3 = time.perf_counter()
            emit.to_json(doc)
            t4 = time.perf_counter()
            totals["read"] += t1 - t0
            totals["normalise"] += t2 - t1
            totals["extract"] += (t3 - t2) - (totals["segment"] - segment_before)
            totals["emit"] += t4 - t3
    finally:
        pipeline.find_structure, pipeline.detect_language = saved
    return {s: totals[s] for s in STAGES}


def profile(paths: list[Path], html: Path, top: int = 15) -> list[tuple[float, float, str]]:
    """Profile ``run`` with pyinstrument; write the HTML report and return the ``top`` frames
    by self time as (self seconds, inclusive seconds, "function  file:line")."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    run(paths)
    profiler.stop()
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(profiler.output_html(), encoding="utf-8")

    self_time: dict[str, float] = defaultdict(float)
    inclusive: dict[str, float] = defaultdict(float)

    def walk(frame, open_keys: frozenset[str]) -> None:
        key = f"{frame.function}  {frame.file_path_short}:{frame.line_no}"
        if not frame.is_synthetic:
            self_time[key] += frame.total_self_time
            if key not in open_keys:  # recursion: count the outermost call only
                inclusive[key] += frame.time
            open_keys = open_keys | {key}
        for child in frame.children:
            walk(child, open_keys)

    walk(profiler.last_session.root_frame(), frozenset())
    ranked = sorted(self_time, key=lambda k: -self_time[k])[:top]
    return [(self_time[k], inclusive[k], k) for k in ranked]
