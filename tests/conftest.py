"""Shared fixtures: the sample documents, the gold annotations and cached normalised texts.

The samples in ``samples/`` are copies of real downloaded pages; ``../shared/gold`` holds their
annotations (tests that need it skip when the folder is absent, e.g. in a bare checkout).
"""
from __future__ import annotations

import functools
import json
import os
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SHARED = ROOT.parent / "shared"
GOLD = SHARED / "gold"
CASES = Path(__file__).resolve().parent / "cases"
RULES = ROOT / "rules"

SAMPLE_NAMES = sorted(p.name for p in SAMPLES.glob("*.txt"))


def sample(prefix: str) -> Path:
    """The sample whose file name starts with ``prefix`` ("002" → samples/002_….txt)."""
    matches = [SAMPLES / n for n in SAMPLE_NAMES if n.startswith(prefix)]
    assert len(matches) == 1, f"no single sample named {prefix}*"
    return matches[0]


@functools.lru_cache(maxsize=None)
def prepared(prefix: str):
    """``pipeline.prepare`` of a sample, computed once per test session."""
    from plancli.pipeline import prepare

    return prepare(sample(prefix))


def normalized(prefix: str) -> str:
    """The normalised text of a sample (what every span indexes)."""
    return prepared(prefix).normalized.text


def raw_text(prefix: str) -> str:
    return sample(prefix).read_text(encoding="utf-8")


def load_cases(name: str) -> list[dict]:
    """The cases in ``tests/cases/<name>.yaml`` (a list of mappings)."""
    data = yaml.safe_load((CASES / f"{name}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, list), f"{name}.yaml must be a list of cases"
    return data


def case_id(case: dict) -> str:
    return f"{case['rule']}:{str(case.get('input', ''))[:20]!r}"


def gold(doc: str) -> dict:
    path = GOLD / f"{doc}.gold.json"
    if not path.exists():
        pytest.skip(f"no gold file {path}")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture(name="normalized", scope="session")
def normalized_fixture():
    """``normalized("002")`` → the normalised text of samples/002_….txt (cached)."""
    return normalized


@pytest.fixture(name="prepared", scope="session")
def prepared_fixture():
    return prepared


# --- comparing produced records with expected partial records (case files, expected/*.yaml) --


def flat_record(kind: str, record) -> dict:
    """A record as a flat dict: baseline and responsible units lifted to the top level."""
    d = record.model_dump()
    if kind == "targets":
        base = d.pop("baseline") or {}
        d["baseline_value"], d["baseline_year"] = base.get("value"), base.get("year")
    elif kind == "tasks":
        resp = d.pop("responsible")
        d["lead"], d["support"] = resp["lead"], resp["support"]
    return d


def values_match(want, have, as_set: bool = False, as_substring: bool = False) -> bool:
    """An expected value against a produced one: sets ignore order, numbers a rounding error."""
    import math

    if want is None or have is None:
        return want is None and have is None
    if as_set:
        return sorted(set(want)) == sorted(set(have))
    if as_substring:
        return str(want) in str(have)
    if isinstance(want, bool) or isinstance(have, bool):
        return want is have
    if isinstance(want, (int, float)) and isinstance(have, (int, float)):
        return math.isclose(want, have, rel_tol=1e-6, abs_tol=1e-9)
    return want == have


def edited_rules_file(folder: Path, name: str, old: str, new: str) -> Path:
    """A copy of the built-in ``rules/<name>.yaml`` in ``folder`` with ``old`` replaced once."""
    from plancli.rules import builtin_dir

    text = (builtin_dir() / f"{name}.yaml").read_text(encoding="utf-8")
    assert old in text, f"rules/{name}.yaml no longer holds {old!r}"
    path = folder / f"{name}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.fixture
def no_ocr(monkeypatch):
    """OCR turned off, as on a machine without ``plancli[ocr]`` (the engine is chosen once per
    process, so its cache is cleared around the test)."""
    from plancli import ocr

    monkeypatch.setenv("PLANCLI_OCR", "off")
    ocr.engine.cache_clear()
    yield
    ocr.engine.cache_clear()


@pytest.fixture
def network_off(tmp_path) -> dict:
    """An environment for a subprocess in which every socket connection is refused (a
    ``sitecustomize`` that Python imports at start-up), to show a command needs no network."""
    folder = tmp_path / "network-off"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(textwrap.dedent("""
        import socket
        def refuse(*a, **k):
            raise OSError("network is off in this test")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
    """))
    return {**os.environ, "PYTHONPATH": str(folder)}
