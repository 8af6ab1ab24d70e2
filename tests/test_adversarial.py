"""Adversarial inputs: regex cost, hostile rules files, and batch runs that are interrupted or
pointed outside their output folder.

* Time: extraction must grow linearly with the input on text built to make regexes and
  per-item loops misbehave (long digit runs, ``1.1.1.1…``, ``((((``, ``一、一、``, repeated
  labels, masked numbers, lines without punctuation). Each case compares ``extract_text`` on N
  and 4N characters: ``time(4N) < 8 × time(N) + 0.1 s``, under an alarm so a super-linear case
  fails in seconds instead of hanging the suite. Cases that were super-linear once are kept as
  regressions, with the input and the code that was at fault.
* Rules: every pattern is linted for nested quantifiers at load, the error names file, line and
  rule id; YAML tags that would construct Python objects are refused, never run.
* Batch: outputs only ever appear inside OUTDIR, atomically; killed and interrupted runs leave
  no temp files behind once resumed, and never a truncated output.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path, PurePath

import pytest

from conftest import RULES, SAMPLES
from makedocs import minimal_docx
from plancli import emit
from plancli.limits import interrupt_after
from plancli import rules as rules_mod
from plancli.pipeline import extract_text
from plancli.read import InputError
from plancli.rules import RulesError, lint_pattern

_SCRIPT = Path(sys.executable).with_name("plancli")
PLANCLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "plancli.cli"]


# --- time -------------------------------------------------------------------------------------

class TooSlow(Exception):
    pass


# Times are this process's CPU seconds, so that other work on a busy machine (a parallel CI job)
# does not read as a slow algorithm.

def time_limit(seconds: float):
    """Raise TooSlow in this (main) thread after ``seconds`` of CPU time."""
    return interrupt_after(seconds, lambda: TooSlow(f"still running after {seconds:.2f}s"), cpu=True)


def seconds_for(fn, arg, repeat: int = 1, limit: float | None = None) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        with time_limit(limit) if limit else contextlib.nullcontext():
            fn(arg)
        best = min(best, time.process_time() - started)
    return best


def assert_linear(make, n: int, factor: int = 4, slack: float = 0.1, fn=extract_text) -> None:
    """time(factor·n) < 2·factor·time(n) + slack, for ``fn(make(size))`` (extraction by default)."""
    fn(make(200))  # rules loaded, caches warm
    small, large = make(n), make(factor * n)
    t_small = seconds_for(fn, small, repeat=2)
    budget = 2 * factor * t_small + slack
    try:
        t_large = seconds_for(fn, large, limit=budget)
    except TooSlow:
        pytest.fail(f"{len(large)} characters took over {budget:.2f}s; {len(small)} took {t_small:.3f}s "
                    f"(input starts {large[:40]!r})")
    assert t_large < budget


def _repeat(unit: str):
    return lambda n: (unit * (n // len(unit) + 1))[:n]


#: Inputs built to make a backtracking regex or a per-match loop misbehave; all linear today.
LINEAR = {
    "digits": _repeat("1234567890"),
    "dotted-numbers": _repeat("1."),
    "dotted-1.1.1.1": _repeat("1.1.1.1."),
    "open-parens": _repeat("("),
    "open-cn-parens": _repeat("("),
    "cn-paren-markers": _repeat("(一)"),
    "yi-dun": _repeat("一、"),
    "duty-label": _repeat("责任单位:"),
    "duty-with-units": _repeat("责任单位:市发展改革委、市科技局"),
    "lead-units": _repeat("牵头单位:市发改委、市科技局;"),
    "masked": _repeat("xx%"),
    "masked-pairs": _repeat("xx%xx%"),
    "no-punctuation": _repeat("推动高质量发展加快建设创新型城市"),
    "english-words": _repeat("the quick brown fox "),
    "year-cues": _repeat("到2025年"),
    "thousands": _repeat("1,000,000,"),
    "heading-lines": _repeat("一、\n"),
    "paren-lines": _repeat("(一)\n"),
    "newlines": _repeat("\n"),
    "spaces": _repeat(" "),
    "pinyin": _repeat("務(wù)"),
    "percent-ranges": _repeat("10%-20%~"),
    "midline-markers": _repeat("。1."),
    "mojibake": _repeat("??h区"),
    "replacement-chars": _repeat("\ufffd"),
    "units-list": _repeat("市发改委、"),
    "cn-numerals": _repeat("一二三四五六七八九十百千万亿"),
    "doc-numbers": _repeat("临政字〔2022〕98号"),
    "space-table": _repeat("高新技术企业数 1117 1600 "),
    "tab-table": _repeat("指标\t2021\t2024\n"),
    "parts": _repeat("篇一\n"),
    "goals-in-sentences": _repeat("到2025年,高新技术企业达到1600家以上。"),
    "grants-in-sentences": _repeat("对新认定的企业给予一次性奖励30万元。"),
}


@pytest.mark.parametrize("name", list(LINEAR))
def test_extraction_time_grows_linearly(name):
    assert_linear(LINEAR[name], 8000)


#: Inputs that were super-linear once, kept as regressions: (input maker, size, what it was).
SUPERLINEAR = {
    "many-quantities-in-one-clause": (
        _repeat("xx%xx%提高"), 600,
        "plancli/extract/targets.py: per quantity, year_in/annual/exclude_before/exclude_after and "
        "_clean_indicator scan the whole clause (head/tail), so a clause with k quantities costs "
        "O(k·len); 'xx%xx%提高'*2000 (16 KB, one clause) takes ~30 s, *8000 ~500 s"),
    "filler-before-a-goal": (
        lambda n: "到2025年," + "的" * n + "x达到100家以上。", 600,
        "rules/targets.yaml indicator_trail '(…|的|\\s|…)+$' backtracks O(n²) over a long run of "
        "filler before a quantity (re.sub tries every start); '到2025年,' + '的'*4000 + 'x达到100家以上。' "
        "takes ~1.5 s, 'By 2025, ' + 'the '*1000 + 'x reach 100 firms.' ~0.4 s"),
    "many-grants-in-one-sentence": (
        _repeat("奖励30万元"), 600,
        "plancli/extract/subsidies.py: _nearest() walks every match in the sentence per quantity and "
        "clauses(sentence) is re-split per quantity: O(k·len); '奖励30万元'*700 (4 KB) takes ~1.2 s; "
        "later the grant verb was searched over the whole clause per amount ('奖励30万元'*3200 ~2 s)"),
    "many-matching-ratios-in-one-clause": (
        _repeat("按1:1给予配套"), 600,
        "plancli/extract/subsidies.py: per ratio, the clause was searched for a ratio form word and all "
        "its form words listed again: O(k·len); '按1:1给予配套'*3200 (29 KB) took ~7 s"),
    "many-cost-shares-in-one-clause": (
        _repeat("按项目投资的20%给予补贴"), 600,
        "plancli/extract/subsidies.py: per share of cost, the clause was searched for a grant verb and the "
        "share looked up in a list: O(k·len); '按项目投资的20%给予补贴'*3200 (42 KB) took ~13 s"),
    "deep-outline": (
        lambda n: "\n".join(["1. 标题", "(1) 标题", "一、标题", "(一)标题", "1、标题", "①标题"][i % 6] + str(i)
                            for i in range(n // 8)), 2000,
        "plancli/extract/targets.py _Section (and Structure.ancestors per section): titles of all "
        "ancestors are joined and searched for every section, O(sections × depth); headings that "
        "restart at 1 under another family nest without limit, so cycling "
        "'1. / (1) / 一、 / (一) / 1、 / ①' 10,000 times gives depth 10,000 and takes ~180 s"),
}


@pytest.mark.parametrize("name", list(SUPERLINEAR))
def test_formerly_superlinear_extraction(name):
    make, n, _ = SUPERLINEAR[name]
    assert_linear(make, n, factor=8)


def test_html_reading_time_grows_linearly_with_nesting():
    from plancli.formats import read_html

    assert_linear(lambda n: ("<html><body>" + "<div>第一行" * (n // 8) + "</body></html>").encode(), 20_000,
                  factor=8, fn=read_html)


def test_docx_that_unpacks_far_beyond_the_limit_is_refused(tmp_path):
    from plancli.pipeline import prepare

    path = tmp_path / "bomb.docx"
    path.write_bytes(minimal_docx(20_000))  # ~10 KB on disk, ~1.6 MB unpacked
    assert path.stat().st_size < 100_000
    with time_limit(30), pytest.raises(InputError) as err:
        prepare(path, max_bytes=100_000)
    assert err.value.kind == "too_large"


def one_megabyte_of_adversarial_text() -> str:
    """Plan text (the samples) with a 600-character adversarial chunk after every 5 KB, all the
    patterns above in turn (the super-linear ones cut into short sentences), 1 MB in all."""
    samples = [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt"))]
    makers = list(LINEAR.values()) + [
        lambda n, m=m: "。\n".join(m(120) for _ in range(n // 122 + 1))[:n]
        for name, (m, _, _) in SUPERLINEAR.items() if name != "deep-outline"]
    pieces, size, i = [], 0, 0
    while size < 1_000_000:
        sample = samples[i % len(samples)]
        at = (i * 5000) % max(1, len(sample) - 5000)
        piece = sample[at:at + 5000] + "\n" + makers[i % len(makers)](600) + "\n"
        pieces.append(piece)
        size += len(piece.encode())
        i += 1
    return "".join(pieces)


def test_one_megabyte_costs_a_bounded_multiple_of_a_plain_pass():
    """Extracting 1 MB of plan text laced with adversarial patterns costs a bounded multiple of
    merely reading it (encoding it and one regex pass over it)."""
    text = one_megabyte_of_adversarial_text()
    extract_text(text[:2000])
    plain = float("inf")
    for _ in range(3):
        started = time.process_time()
        text.encode("utf-8")
        words = re.findall(r"\d+(?:\.\d+)?|[\u4e00-\u9fff]+|[A-Za-z]+", text)
        plain = min(plain, time.process_time() - started)
    assert words
    limit = 1000 * plain + 2
    try:
        took = seconds_for(extract_text, text, limit=limit)
    except TooSlow:
        pytest.fail(f"1 MB took over {limit:.1f}s; a plain pass over it takes {plain:.3f}s")
    assert took < limit


def test_deep_nesting_is_bounded_and_does_not_recurse():
    """10,000 headings that keep restarting their numbering: every heading is kept, nesting
    stops at segment.MAX_DEPTH levels, and segmentation and JSON output need no recursion."""
    from plancli.segment import MAX_DEPTH, find_structure

    text = SUPERLINEAR["deep-outline"][0](80_000)
    with time_limit(30):
        structure = find_structure(text)
    assert len(structure.sections) == 10_000
    assert max(s.level for s in structure.sections) == MAX_DEPTH
    deepest = max(structure.sections, key=lambda s: s.level)
    assert len(structure.ancestors(deepest)) == MAX_DEPTH
    from plancli.models import Document, Source

    doc = Document(source=Source(path="deep.txt"), sections=structure.sections)
    assert Document.model_validate_json(emit.to_json(doc)) == doc


# --- rules ------------------------------------------------------------------------------------

HEADINGS = (RULES / "headings.yaml").read_text(encoding="utf-8")


def _with_circled_pattern(pattern: str) -> str:
    """headings.yaml with the pattern of rule heading.circled replaced (YAML single-quoted)."""
    new, n = re.subn(r"(id: heading\.circled\n(?:    .*\n)*?    pattern: )'(?:[^']|'')*'",
                     lambda m: m.group(1) + "'" + pattern.replace("'", "''") + "'", HEADINGS, count=1)
    assert n == 1, "heading.circled has no single-quoted pattern any more"
    return new


def _load_headings(folder: Path, text: str):
    (folder / "headings.yaml").write_text(text, encoding="utf-8")
    return rules_mod.RuleSet(folder).get("headings")


@pytest.mark.parametrize("pattern", ["(a+)+", r"(\d*)*", "(x+|y)+",
                                     # hidden from a textual check by inner groups or brackets:
                                     "((a+))+", "([()]+)+", r"((\d+),?)+", r"(?:(?:\s*)x?)*"])
def test_catastrophic_pattern_in_a_rules_file_is_refused_with_its_rule_id(tmp_path, pattern):
    with pytest.raises(RulesError) as err:
        _load_headings(tmp_path, _with_circled_pattern(pattern))
    msg = str(err.value)
    assert err.value.rule_id == "heading.circled"
    assert "nests quantifiers" in msg and "heading.circled" in msg and str(tmp_path / "headings.yaml") in msg
    assert err.value.line is not None


@pytest.mark.parametrize("pattern", [r"\d+(?:\+(?:\d+|[A-Za-z]))+", r"((?:第\d+)条)+", r"((?:[^.]+)\.)+"])
def test_repeats_with_a_delimiter_pass_the_lint(pattern):
    """A repeated group whose rounds must each contain a character its inner repeats cannot
    match (the '+' of 1+2+3, '条', '.') cannot backtrack catastrophically: the lint lets it
    through (the first is in rules/quantities.yaml)."""
    assert lint_pattern(pattern) == pattern


def test_missing_rule_id_names_file_line_and_position(tmp_path):
    text = HEADINGS.replace("  - id: heading.circled\n", "  - \n", 1)
    assert text != HEADINGS
    with pytest.raises(RulesError) as err:
        _load_headings(tmp_path, text)
    msg = str(err.value)
    assert re.search(r"rules\[\d+\]: 'id' is missing", msg), msg
    assert "Field required" not in msg  # plain words, not pydantic's
    assert err.value.line is not None and f"headings.yaml:{err.value.line}:" in msg


def test_rules_file_that_is_not_utf8(tmp_path):
    (tmp_path / "headings.yaml").write_bytes(HEADINGS.encode("utf-8").replace(b"heading.circled", b"heading.\xff", 1))
    proc = subprocess.run([*PLANCLI, "rules", "--rules", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"plancli: rules: {tmp_path / 'headings.yaml'}:") and "not UTF-8" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().split("\n")) == 1


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system", "!!python/object/new:os.system",
                                 "!!python/name:os.system", "!!python/object:os.system"])
def test_rules_are_data_only_python_tags_are_refused(tmp_path, tag):
    marker = tmp_path / "ran"
    (tmp_path / "rules").mkdir()
    text = HEADINGS.replace("description:", f"x: {tag} [\"touch {marker}\"]\ndescription:", 1)
    (tmp_path / "rules" / "headings.yaml").write_text(text, encoding="utf-8")
    proc = subprocess.run([*PLANCLI, "rules", "--rules", str(tmp_path / "rules")], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2
    assert "not valid YAML" in proc.stderr and "headings.yaml:" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not marker.exists(), "a YAML tag ran code"


def test_alias_bomb_in_a_rules_file_is_refused_quickly(tmp_path):
    """'Billion laughs': nested aliases are never expanded, the model refuses the value."""
    lines = ["description: x", "rules:", "  - &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"  - &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    (tmp_path / "headings.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with time_limit(20), pytest.raises(RulesError) as err:
        rules_mod.RuleSet(tmp_path).get("headings")
    assert "rules[0] should be a mapping" in str(err.value)


# --- batch safety -----------------------------------------------------------------------------

def _plancli(*args, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*PLANCLI, *map(str, args)], cwd=cwd, capture_output=True, timeout=timeout)


def test_output_path_refuses_to_leave_the_folder(tmp_path):
    from plancli.batch import output_path

    out = tmp_path / "out"
    out.mkdir()
    for rel in ("../x.txt", "a/../../x.txt", "/etc/passwd", "."):
        with pytest.raises(InputError) as err:
            output_path(out, PurePath(rel))
        assert err.value.kind == "unsafe_output_path"
    assert output_path(out, PurePath("a/b.txt")) == out / "a" / "b.txt.json"


def test_inputs_named_with_dotdot_and_symlinks_stay_inside_outdir(tmp_path):
    """Files named through '..' are read, symbolic links found in the walk that lead outside the
    input folder (to a file or a folder) are not followed, and every output lands inside OUTDIR;
    a planted symlink at an output's place is refused and the file it points to is left alone."""
    text = next(SAMPLES.glob("000_*.txt")).read_bytes()
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    (tmp_path / "in" / "a.txt").write_bytes(text)
    (tmp_path / "other" / "b.txt").write_bytes(text)
    (tmp_path / "in" / "link.txt").symlink_to(tmp_path / "other" / "b.txt")
    (tmp_path / "in" / "sub" / "dirlink").symlink_to(tmp_path / "other", target_is_directory=True)
    victim = tmp_path / "victim.json"
    victim.write_text("precious", encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "in").mkdir()
    (tmp_path / "out" / "in" / "planted.txt.json").symlink_to(victim)
    (tmp_path / "in" / "planted.txt").write_bytes(text)
    before = {p for p in tmp_path.rglob("*")}
    result = _plancli("batch", "in", "in/sub/../../other/b.txt", "--out", "out", "--jobs", "1", "--quiet",
                      "--json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr.decode()
    created = {p for p in tmp_path.rglob("*")} - before
    out = (tmp_path / "out").resolve()
    for p in created:
        assert out in p.resolve().parents or p.resolve() == out, f"{p} written outside OUTDIR"
    assert victim.read_text(encoding="utf-8") == "precious"
    errors = [json.loads(line) for line in (tmp_path / "out" / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["error"]["kind"] for e in errors] == ["outside_input", "unsafe_output_path"]
    assert errors[0]["source"]["path"].endswith("link.txt") and errors[1]["source"]["path"].endswith("planted.txt")
    assert (tmp_path / "out" / "in" / "a.txt.json").exists()
    assert not (tmp_path / "out" / "in" / "link.txt.json").exists()  # it leads out of the input folder
    assert (tmp_path / "out" / "other" / "b.txt.json").exists()
    assert not list((tmp_path / "out").rglob("dirlink*")), "symlinked folders are not followed"


def test_atomic_writer_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "a.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with emit.atomic_writer(target) as fh:
            fh.write("half")
            raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


@pytest.mark.parametrize("durable", [True, False])
def test_atomic_writer_flushes_to_disk_only_when_durable(tmp_path, monkeypatch, durable):
    synced = []
    monkeypatch.setattr(emit.os, "fsync", lambda fd: synced.append(fd))
    with emit.atomic_writer(tmp_path / "a.json", durable=durable) as fh:
        fh.write("{}")
    assert (tmp_path / "a.json").read_text(encoding="utf-8") == "{}"
    assert bool(synced) == durable


def test_stale_temp_files_of_dead_runs_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "sub").mkdir()
    stale = [tmp_path / f".a.txt.json.{dead.pid}.abc123xy.part", tmp_path / "sub" / f".b.json.{dead.pid}.zz_9.part"]
    alive = [tmp_path / f".c.json.{os.getpid()}.q1.part", tmp_path / f".d.json.{os.getppid()}.q2.part"]
    unrelated = [tmp_path / ".notes.part", tmp_path / "x.json", tmp_path / ".e.json.abc.part"]
    for p in stale + alive + unrelated:
        p.write_text("x", encoding="utf-8")
    assert emit.remove_stale_temp_files(tmp_path) == 2
    assert not any(p.exists() for p in stale)
    assert all(p.exists() for p in alive + unrelated)


def _corpus(tmp_path: Path, copies: int) -> Path:
    src = tmp_path / "in"
    english = next(SAMPLES.glob("000_*.txt")).read_bytes()
    for i in range(copies):
        (src / f"d{i % 3}").mkdir(parents=True, exist_ok=True)
        (src / f"d{i % 3}" / f"copy{i:03d}.txt").write_bytes(english + f"\nCopy {i}.\n".encode())
    return src


def _start_and_stop(tmp_path: Path, sig: int) -> tuple[int, bytes]:
    out = tmp_path / "out"
    # A shell starts background jobs with SIGINT ignored, and Python keeps an ignored SIGINT
    # ignored; restore the default so the test means the same wherever the suite runs.
    proc = subprocess.Popen([*PLANCLI, "batch", "in", "--out", "out", "--jobs", "1", "--jsonl", "all.jsonl",
                             "--csv", "csv", "--quiet"], cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while len(list(out.rglob("*.json"))) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "the batch finished before it could be interrupted; use more copies"
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    return proc.returncode, stderr


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=["kill", "term", "int"])
def test_interrupted_batch_resumes_without_redoing_and_leaves_nothing_half_written(tmp_path, sig):
    copies = 25
    src = _corpus(tmp_path, copies)
    returncode, stderr = _start_and_stop(tmp_path, sig)
    if sig == signal.SIGINT:
        assert returncode == 130 and b"interrupted" in stderr
    elif sig == signal.SIGTERM:
        assert returncode == 128 + signal.SIGTERM
    if sig != signal.SIGKILL:
        assert b"Traceback" not in stderr, stderr.decode()
    finished = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.json")}
    assert 0 < len(finished) < copies
    for p in finished:
        json.loads(p.read_text(encoding="utf-8"))  # whole files only
    parts = list(tmp_path.rglob("*.part"))
    if sig != signal.SIGKILL:
        assert parts == [], "a clean interruption removes its temp files"
    # the streams are written only by a run that completes: never half a file
    assert not (tmp_path / "all.jsonl").exists() and not (tmp_path / "csv" / "documents.csv").exists()

    again = _plancli("batch", "in", "--out", "out", "--jobs", "1", "--jsonl", "all.jsonl", "--csv", "csv",
                     "--json", "--quiet", cwd=tmp_path)
    assert again.returncode == 0, again.stderr.decode()
    summary = json.loads(again.stdout)
    assert (summary["skipped"], summary["processed"]) == (len(finished), copies - len(finished))
    assert all(p.stat().st_mtime_ns == m for p, m in finished.items()), "finished files were redone"
    assert list(tmp_path.rglob("*.part")) == [], "temp files of the interrupted run are left behind"
    assert len(list((tmp_path / "out").rglob("*.json"))) == copies
    lines = (tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == copies and all(json.loads(line)["source"]["sha256"] for line in lines)
    assert len(list(src.rglob("*.txt"))) == copies


def test_atomic_writer_gives_files_the_usual_mode(tmp_path):
    """Outputs are readable as any file the user creates (mkstemp alone would leave them 0600)."""
    with emit.atomic_writer(tmp_path / "a.json") as fh:
        fh.write("{}")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o666 & ~umask
