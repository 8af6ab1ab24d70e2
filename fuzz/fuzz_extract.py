#!/usr/bin/env python3
"""Fuzz target: arbitrary bytes → plancli's JSON, checking the output contract on every input.

The first byte chooses how the rest is fed in (so one corpus covers every entry point):

    0  bytes in a file named fuzz.txt   (encoding detection, binary refusal, the whole pipeline)
    1  bytes in a file named fuzz.html  (the HTML reader)
    2  bytes in a file without a suffix (magic numbers: PDF, .docx, images …)
    3  bytes as UTF-8 text, invalid sequences replaced, through ``extract_text``
    4  bytes as GB18030 text, invalid sequences replaced, through ``extract_text``

An input passes when it is refused with an ``InputError`` (binary, corrupt …), or when its
``Document``: has every record's ``span`` index its ``text`` in the normalised text, has sections
that nest inside their parents, survives a JSON round trip through the Pydantic model, and
validates against ``Document.model_json_schema()`` (when jsonschema is installed). Normalising
the normalised text must change nothing. Anything else (an exception, a failed check) is a crash.

Engines: atheris (coverage-guided libFuzzer, ``pip install atheris``) when it is installed,
otherwise hypothesis with a large example budget (``FUZZ_ENGINE=hypothesis`` forces it).

    python fuzz/fuzz_extract.py --make-seeds build/fuzz-corpus       # seed inputs from samples/
    python fuzz/fuzz_extract.py -max_total_time=120 -max_len=4096 build/fuzz-corpus
    python fuzz/fuzz_extract.py --replay crash-1234abcd               # re-run saved inputs

A crash found here becomes a regression test: add its bytes to ``REGRESSIONS`` in
tests/test_fuzz.py.
"""
from __future__ import annotations

import functools
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
MODES = ("fuzz.txt", "fuzz.html", "fuzz", "utf-8 text", "gb18030 text")


@functools.lru_cache(maxsize=1)
def _validator():
    """A JSON Schema validator for ``plancli schema`` (None when jsonschema is not installed)."""
    try:
        import jsonschema
    except ImportError:
        return None
    from plancli.models import Document

    schema = Document.model_json_schema()
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def _not_json(constant: str):
    raise AssertionError(f"{constant} in the output is not valid JSON")


def check_document(normalized: str, doc) -> dict:
    """Check the output contract of one extracted document; returns its JSON as a dict."""
    from plancli import emit
    from plancli.models import Document

    n = len(normalized)
    ids = [s.id for s in doc.sections]
    assert len(ids) == len(set(ids)), f"duplicate section ids {ids}"
    by_id = {}
    for s in doc.sections:
        a, b = s.span
        assert 0 <= a <= b <= n, f"section {s.id} span {s.span} outside the text (length {n})"
        if s.parent is not None:
            assert s.parent in by_id, f"section {s.id}: parent {s.parent} is not an earlier section"
            p = by_id[s.parent]
            assert p.span[0] <= a and b <= p.span[1], f"section {s.id} {s.span} not inside its parent {p.id} {p.span}"
            assert s.level == p.level + 1, f"section {s.id} level {s.level} under level {p.level}"
        by_id[s.id] = s
    starts = [s.span[0] for s in doc.sections]
    assert starts == sorted(starts), "sections are not in text order"
    for kind in ("targets", "subsidies", "tasks"):
        for r in getattr(doc, kind):
            a, b = r.span
            assert 0 <= a <= b <= n, f"{kind} {r.id} ({r.rule}) span {r.span} outside the text (length {n})"
            assert normalized[a:b] == r.text, (
                f"{kind} {r.id} ({r.rule}): normalized[{a}:{b}] = {normalized[a:b][:60]!r} "
                f"!= text {r.text[:60]!r}")
            assert r.section is None or r.section in by_id, f"{kind} {r.id}: unknown section {r.section}"
    text = emit.to_json(doc)
    text.encode("utf-8")  # valid UTF-8 whatever the input
    data = json.loads(text, parse_constant=_not_json)
    assert Document.model_validate(data) == doc, "the JSON does not give the same document back"
    validator = _validator()
    if validator is not None:
        validator.validate(data)
    return data


def check_bytes(data: bytes) -> None:
    """Run one fuzz input; raises on a bug, returns quietly otherwise."""
    from plancli.normalize import normalize_text
    from plancli.pipeline import Prepared, extract_prepared, extract_text
    from plancli.read import InputError, RawInput, decode_input

    mode, body = (data[0] % len(MODES), data[1:]) if data else (0, b"")
    if mode >= 3:
        text = body.decode("utf-8" if mode == 3 else "gb18030", errors="replace")
        normalized = normalize_text(text).text
        assert normalize_text(normalized).text == normalized, "normalising the normalised text changed it"
        check_document(normalized, extract_text(text))
        return
    raw = RawInput(MODES[mode], body)
    try:
        decoded = decode_input(raw)
    except InputError as exc:
        assert exc.kind and exc.message and "\n" not in exc.message, f"unclear error {exc.kind!r}: {exc.message!r}"
        return
    norm = normalize_text(decoded.text)
    assert normalize_text(norm.text).text == norm.text, "normalising the normalised text changed it"
    doc = extract_prepared(Prepared(raw, decoded, norm))
    assert doc.source.bytes == len(body)
    check_document(norm.text, doc)


def make_seeds(folder: Path, chunk: int = 1500) -> list[Path]:
    """Seed inputs: slices of every sample, in the text modes and re-encoded, plus edge cases."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds: dict[str, bytes] = {
        "empty": b"", "bom": b"\x00\xef\xbb\xbf", "nul": b"\x00a\x00b\x00",
        "png": b"\x02\x89PNG\r\n\x1a\n", "html": b"\x01<html><body><p>\xe4\xb8\x80\xe3\x80\x81</p><table><tr><td>1</td></tr></table></body></html>",
    }
    for path in sorted(SAMPLES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for i, start in enumerate(range(0, len(text), max(1, len(text) // 3))):
            piece = text[start:start + chunk]
            seeds[f"{path.stem[:3]}-{i}-txt"] = b"\x00" + piece.encode("utf-8")
            seeds[f"{path.stem[:3]}-{i}-utf8"] = b"\x03" + piece.encode("utf-8")
            seeds[f"{path.stem[:3]}-{i}-gb"] = b"\x00" + piece.encode("gb18030", errors="replace")
            seeds[f"{path.stem[:3]}-{i}-u16"] = b"\x00" + piece.encode("utf-16")
    written = []
    for name, data in seeds.items():
        (folder / f"seed-{name}").write_bytes(data)
        written.append(folder / f"seed-{name}")
    return written


def _instrumented_import() -> None:
    """Import every plancli module (inside atheris' instrumentation when it is active)."""
    import importlib
    import pkgutil

    import plancli

    for mod in pkgutil.walk_packages(plancli.__path__, "plancli."):
        if mod.name not in ("plancli.cli", "plancli.batch", "plancli.progress", "plancli.keywords"):
            importlib.import_module(mod.name)


def run_atheris(argv: list[str]) -> None:
    import atheris

    with atheris.instrument_imports(include=["plancli"]):
        _instrumented_import()
    check_bytes(b"\x03warm up: \xe4\xb8\x80\xe3\x80\x81")  # load rules and lexicons before fuzzing
    atheris.Setup(argv, check_bytes)
    atheris.Fuzz()


def run_hypothesis(seconds: float, corpus: list[str], runs: int | None = None, seeded: bool = False) -> None:
    """No atheris: hypothesis, mixing random bytes with mutated seed inputs, until time is up."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    _instrumented_import()
    seeds = [p.read_bytes() for folder in corpus for p in sorted(Path(folder).glob("*")) if p.is_file()]
    seeds = seeds or [p.read_bytes()[:2000] for p in sorted(SAMPLES.glob("*.txt"))]

    @st.composite
    def mutated(draw):
        data = bytearray(draw(st.sampled_from(seeds)))
        for _ in range(draw(st.integers(0, 8))):
            pos = draw(st.integers(0, len(data)))
            op = draw(st.integers(0, 2))
            if op == 0:
                del data[pos:pos + draw(st.integers(1, 16))]
            elif op == 1:
                data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
            elif data:
                data[min(pos, len(data) - 1)] ^= 1 << draw(st.integers(0, 7))
        return bytes(data)

    @settings(max_examples=25, deadline=None, database=None, derandomize=seeded,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(st.binary(max_size=2048), mutated()))
    def fuzz(data):
        check_bytes(data)

    deadline = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < deadline and (runs is None or rounds * 25 < runs):
        fuzz()
        rounds += 1
        if seeded:
            break  # derandomised rounds would repeat the same inputs
    print(f"fuzz_extract (hypothesis): {rounds * 25} inputs in {seconds:g}s, no crash", file=sys.stderr)


def replay(paths: list[str]) -> int:
    _instrumented_import()
    failed = 0
    for p in paths:
        try:
            check_bytes(Path(p).read_bytes())
        except Exception as exc:  # report every input, not just the first
            failed += 1
            print(f"{p}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if len(argv) > 2 and argv[1] == "--make-seeds":
        print(f"{len(make_seeds(Path(argv[2])))} seed inputs in {argv[2]}", file=sys.stderr)
        return 0
    if len(argv) > 1 and argv[1] == "--replay":
        return replay(argv[2:])
    engine = os.environ.get("FUZZ_ENGINE", "atheris")
    if engine == "atheris":
        try:
            import atheris  # noqa: F401
        except ImportError:
            engine = "hypothesis"
            print("fuzz_extract: atheris is not installed (pip install atheris); using hypothesis", file=sys.stderr)
    if engine == "atheris":
        run_atheris(argv)
        return 0
    seconds = next((float(a.split("=", 1)[1]) for a in argv if a.startswith("-max_total_time=")), 60.0)
    runs = next((int(a.split("=", 1)[1]) for a in argv if a.startswith("-runs=")), None)
    # a fixed seed asks for a repeatable run (as in the test suite): derandomised, bounded count
    seeded = any(a.startswith("-seed=") for a in argv)
    run_hypothesis(seconds, [a for a in argv[1:] if not a.startswith("-")], runs, seeded)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
