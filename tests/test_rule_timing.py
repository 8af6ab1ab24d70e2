"""User rules cannot hang the engine: patterns are judged by what they do, and the readers of
Python's private regex parser fail soft.

``^(a|a)+$`` nests no quantifier, so the shape lint lets it through, yet on ``aaaa…!`` it takes
2**n steps. Rules from a user's folder are therefore also searched, at load, over text made of
their own pieces (``plancli.regex_check``), and refused with file, line and rule id. The
built-in rules skip that check (start-up matters) but must pass it, which is tested here.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import types

import pytest

import measured
from conftest import RULES, sample
from plancli import regex_check, regex_prefilter
from plancli import rules as rules_mod
from plancli.rules import RulesError, lint_pattern
from test_adversarial import _load_headings, _with_circled_pattern

#: Pass the nested-quantifier lint, backtrack exponentially.
OVERLAPPING = [r"^(a|a)+$", r"(a|aa)+b", r"(?:\d|\d\d)+元", r"^(ab|a|b)*c$", r"(?:到|到)+x"]


@pytest.mark.parametrize("pattern", OVERLAPPING)
def test_overlapping_alternation_passes_the_lint_but_not_the_timed_check(tmp_path, pattern):
    assert lint_pattern(pattern) == pattern  # the shape alone does not tell
    with pytest.raises(RulesError) as err:
        _load_headings(tmp_path, _with_circled_pattern(pattern))
    msg = str(err.value)
    assert err.value.rule_id == "heading.circled" and err.value.line is not None
    assert f"{tmp_path / 'headings.yaml'}:{err.value.line}: rule heading.circled:" in msg
    assert "takes too long on text made of its own pieces" in msg and "catastrophic backtracking" in msg


def test_cli_refuses_the_rule_at_once_with_one_line(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "headings.yaml").write_text(_with_circled_pattern(r"^(a|a)+$"), encoding="utf-8")
    (tmp_path / "plan.txt").write_text("①" + "a" * 40 + "!\n", encoding="utf-8")
    run = measured.run(["extract", "plan.txt", "--rules", "rules"], tmp_path, timeout=120)
    assert run.returncode == 2
    assert len(run.lines) == 1 and run.lines[0].startswith("plancli: rules: ") and "heading.circled" in run.lines[0]
    assert run.cpu < 10, f"{run.cpu:.1f} s of CPU"


@pytest.mark.parametrize("pattern", [r"\d+(?:\+(?:\d+|[A-Za-z]))+", r"((?:第\d+)条)+", r"(?:[^.]+\.)+x",
                                     r"市[^、,]{2,12}(?:局|委)", r"(\s|的)+$"])
def test_ordinary_and_delimited_patterns_pass_the_timed_check(pattern):
    assert regex_check.too_slow(pattern) is None


def test_a_copy_of_every_builtin_rules_file_passes_the_timed_check(tmp_path):
    """As a user's folder, every built-in file is timed: none may be refused."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    regex_check.too_slow.cache_clear()
    files = rules_mod.RuleSet(folder).check()
    assert set(files) == set(rules_mod.RULE_FILES)


def test_builtin_rules_load_without_the_timed_check():
    code = ("import sys; from plancli.rules import ruleset; ruleset().check(); "
            "print('plancli.regex_check' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


# --- a Python whose private regex parser has changed ---------------------------------------------

class _ChangedTree(list):
    state = None  # no .state.flags: a changed parser


def _raising(*args, **kwargs):
    raise TypeError("parse() got an unexpected keyword argument")


def _junk(*args, **kwargs):
    return _ChangedTree([("NEW_OPCODE", (object(), None)), (17, "?")])


@pytest.mark.parametrize("parse", [_raising, _junk], ids=["parse-raises", "parse-returns-another-shape"])
def test_a_changed_private_parser_costs_guards_not_correctness(monkeypatch, parse, tmp_path):
    from plancli.pipeline import extract_text

    text = sample("002").read_text(encoding="utf-8")
    before = extract_text(text)
    fake = types.SimpleNamespace(parse=parse, SubPattern=None)
    monkeypatch.setattr(regex_prefilter, "P", fake)
    monkeypatch.setattr("re._parser", fake)
    for cache in (rules_mod.compiled, rules_mod.any_of, regex_prefilter.reach_before, regex_check.too_slow):
        cache.cache_clear()
    monkeypatch.setattr(rules_mod, "_sets", {})

    # the guard and the skip-ahead reader step aside …
    assert regex_prefilter.guard(r"到\s*(19|20)\d{2}|力争") == r"到\s*(19|20)\d{2}|力争"
    assert regex_prefilter.first_char_class(r"到|力争") is None
    assert regex_prefilter.reach_before(r"(?:市|县)\S{0,8}局", "局") is None
    # … the shape lint keeps its text check, the timed check takes its pieces from the text …
    with pytest.raises(ValueError):
        lint_pattern("(a+)+")
    assert lint_pattern(r"((\d+),?)+")  # only the parser saw this one: no verdict, no crash
    with pytest.raises(RulesError) as err:
        _load_headings(tmp_path, _with_circled_pattern(r"^(a|a)+$"))
    assert "takes too long" in str(err.value)
    # … and extraction gives the same records, only without the speed-ups
    after = extract_text(text)
    assert after.model_dump(exclude={"generator"}) == before.model_dump(exclude={"generator"})
    for cache in (rules_mod.compiled, rules_mod.any_of, regex_prefilter.reach_before, regex_check.too_slow):
        cache.cache_clear()


def test_a_line_of_many_issuers_does_not_hang(tmp_path):
    """metadata.issuer_heading_line split each issuer name in several ways (某县委|人民政府,
    某县委人民|政府) and retried them all: 30 names on a line never finished. The timed check
    found it in the built-in rules; each further name is now an atomic group."""
    line = " ".join(["中共某某县委人民政府"] * 30) + "。"
    (tmp_path / "plan.txt").write_text(f"{line}\n关于印发某市行动计划的通知\n", encoding="utf-8")
    run = measured.run(["extract", "plan.txt"], tmp_path, timeout=120)
    assert run.returncode == 0, run.lines
    assert run.cpu < 10, f"{run.cpu:.1f} s of CPU"
