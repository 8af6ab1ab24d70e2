"""The rules catalogue: every rule has a data case; broken rules files fail clearly."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import CASES, RULES
from plancli import rules as rules_mod
from plancli.rules import RULE_FILES, RulesError, lint_pattern


def _case_rules() -> set[str]:
    """Every ``rule:`` named by a case in any tests/cases/*.yaml file."""
    named: set[str] = set()
    for path in sorted(CASES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = data if isinstance(data, list) else (data or {}).get("cases", [])
        named.update(c["rule"] for c in items if isinstance(c, dict) and "rule" in c)
    return named


def _rule_ids(name: str) -> list[str]:
    data = yaml.safe_load((RULES / f"{name}.yaml").read_text(encoding="utf-8")) or {}
    return [r["id"] for r in data.get("rules") or [] if isinstance(r, dict) and "id" in r]


RULE_FILE_NAMES = sorted(p.stem for p in RULES.glob("*.yaml"))


@pytest.mark.parametrize("name", RULE_FILE_NAMES)
def test_every_rule_has_a_case(name):
    if name not in RULE_FILES:
        pytest.skip(f"rules/{name}.yaml is not registered in plancli.rules.RULE_FILES yet")
    missing = sorted(set(_rule_ids(name)) - _case_rules())
    assert not missing, f"rules without a case in tests/cases/*.yaml: {missing}"


@pytest.mark.parametrize("name", sorted(RULE_FILES))
def test_registered_rules_file_loads(name):
    if not (RULES / f"{name}.yaml").exists():
        pytest.skip(f"rules/{name}.yaml does not exist yet")
    parsed = rules_mod.ruleset().get(name)
    ids = [r.id for r in parsed.rules]
    assert len(ids) == len(set(ids))
    assert all("." in i for i in ids), "rule ids are kind.name"


def test_every_case_names_a_real_rule():
    known = {r.id for name in RULE_FILES if (RULES / f"{name}.yaml").exists()
             for r in rules_mod.ruleset().get(name).rules}
    unknown = sorted(_case_rules() - known)
    assert not unknown, f"cases name rules that do not exist: {unknown}"


@pytest.mark.parametrize("name", sorted(RULE_FILES))
def test_rule_ids_and_descriptions(name):
    """Ids are ``<kind>.<name>`` with the file's kind; descriptions are one line."""
    if not (RULES / f"{name}.yaml").exists():
        pytest.skip(f"rules/{name}.yaml does not exist yet")
    prefix = {"quantities": "quantity", "headings": "heading", "targets": "target", "subsidies": "subsidy",
              "tasks": "task", "units": "unit", "indicators": "indicator"}.get(name, name)
    for rule in rules_mod.ruleset().get(name).rules:
        assert rule.id.startswith(prefix + "."), rule.id
        assert rule.description.strip() and "\n" not in rule.description.strip(), rule.id


# --- broken rules files ----------------------------------------------------------------------

HEADINGS = (RULES / "headings.yaml").read_text(encoding="utf-8")


def _break(kind: str) -> tuple[str, str, str]:
    """(text of a broken headings.yaml, the rule id named, the text of the offending line)."""
    if kind == "bad_yaml":
        return (HEADINGS.replace("    family: cn_paren\n", "    family: cn_paren\n    pattern: [unclosed\n", 1),
                "heading.cn_paren", "not valid YAML")
    if kind == "unknown_key":
        return (HEADINGS.replace("    family: cn_paren\n", "    family: cn_paren\n    colour: red\n", 1),
                "heading.cn_paren", "colour")
    if kind == "invalid_regex":
        return (HEADINGS.replace("pattern: '(?P<num>[①", "pattern: '[①②(?P<num>[①", 1),
                "heading.circled", "invalid regex")
    if kind == "nested_quantifier":
        return (HEADINGS.replace("pattern: '(?P<num>[①", "pattern: '(a+)+(?P<num>[①", 1),
                "heading.circled", "nests quantifiers")
    if kind == "duplicate_id":
        return (HEADINGS.replace("id: heading.circled", "id: heading.cn_paren", 1),
                "heading.cn_paren", "duplicate rule id")
    raise AssertionError(kind)


BREAKS = ["bad_yaml", "unknown_key", "invalid_regex", "nested_quantifier", "duplicate_id"]


def _offending_line(text: str, kind: str) -> int:
    needle = {"bad_yaml": "[unclosed", "unknown_key": "colour: red", "invalid_regex": "'[①②",
              "nested_quantifier": "(a+)+", "duplicate_id": "id: heading.cn_paren"}[kind]
    lines = text.split("\n")
    hits = [i + 1 for i, ln in enumerate(lines) if needle in ln]
    return hits[-1]


@pytest.mark.parametrize("kind", BREAKS)
def test_broken_rules_file_names_file_line_and_rule(tmp_path, kind):
    text, rule_id, what = _break(kind)
    assert text != HEADINGS
    path = tmp_path / "headings.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as err:
        rules_mod.RuleSet(tmp_path).get("headings")
    msg = str(err.value)
    assert err.value.path == path
    assert str(path) in msg and what in msg and rule_id in msg
    assert err.value.rule_id == rule_id
    # the line named is the offending one (a YAML parser may notice one line later)
    assert err.value.line is not None
    assert 0 <= err.value.line - _offending_line(text, kind) <= 1
    assert f"{path}:{err.value.line}:" in msg


CLI_BREAKS = [(["rules"], kind) for kind in BREAKS] + [
    (["extract", "SAMPLE"], "bad_yaml"), (["normalize", "SAMPLE"], "nested_quantifier"),
    (["segment", "SAMPLE", "--format", "json"], "unknown_key")]


@pytest.mark.parametrize("command,kind", CLI_BREAKS, ids=[f"{c[0]}-{k}" for c, k in CLI_BREAKS])
def test_cli_exits_2_on_broken_rules(tmp_path, kind, command, samples_dir):
    text, rule_id, _ = _break(kind)
    (tmp_path / "headings.yaml").write_text(text, encoding="utf-8")
    sample = str(next(samples_dir.glob("002_*.txt")))
    args = [sample if a == "SAMPLE" else a for a in command]
    proc = subprocess.run([sys.executable, "-m", "plancli.cli", *args, "--rules", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert str(tmp_path / "headings.yaml") in proc.stderr and rule_id in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().split("\n")) == 1


def test_rules_folder_may_hold_only_some_files(tmp_path):
    # A user folder with its own boilerplate rules; the rest come from the built-in set.
    (tmp_path / "boilerplate.yaml").write_text(
        "description: only one rule\nrules:\n  - id: boilerplate.only\n    description: x\n    pattern: '^广告'\n",
        encoding="utf-8")
    from plancli.normalize import normalize_text

    text = normalize_text("广告位招租\n一、总体要求\n【下载Word】", tmp_path).text
    assert text == "一、总体要求\n【下载Word】"


@pytest.mark.parametrize("pattern", ["(a+)+", r"(\d*)*", "(x+|y)+", r"(?:\s+)*", "([一二]+、)+"])
def test_nested_quantifiers_are_refused(pattern):
    with pytest.raises(ValueError, match="nests quantifiers"):
        lint_pattern(pattern)


@pytest.mark.parametrize("pattern", [r"\d+(\.\d+)?", r"(一|二)+", r"[(【\[][^()【】\[\]]{0,8}", r"(?P<num>\d{1,2})\."])
def test_ordinary_patterns_pass_the_lint(pattern):
    assert lint_pattern(pattern) == pattern


# --- plancli rules ---------------------------------------------------------------------------


def test_plancli_rules_lists_every_id():
    proc = subprocess.run([sys.executable, "-m", "plancli.cli", "rules", "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    import json

    listed = {(r["file"], r["id"]) for r in json.loads(proc.stdout)}
    for name in ("boilerplate", "headings", "metadata"):
        for rule_id in _rule_ids(name):
            assert (name, rule_id) in listed


def test_plancli_rules_table_shows_ids():
    proc = subprocess.run([sys.executable, "-m", "plancli.cli", "rules"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split("\n")
    for name in sorted(RULE_FILES):
        for rule_id in _rule_ids(name) if (RULES / f"{name}.yaml").exists() else []:
            assert any(f" {rule_id} " in ln for ln in lines), rule_id


def test_fingerprint_follows_the_rules_files_in_use(tmp_path):
    """Recorded in every document so batch resume can tell outputs made with other rules: a
    folder that changes nothing (empty, or an exact copy) keeps the built-in digest."""
    from conftest import edited_rules_file

    builtin = rules_mod.RuleSet().fingerprint
    assert rules_mod.ruleset(tmp_path).fingerprint == builtin
    path = edited_rules_file(tmp_path, "units", "rules:", "rules:")  # an exact copy
    assert rules_mod.ruleset(tmp_path).fingerprint == builtin
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "# a local edit\n", encoding="utf-8")
    edited = rules_mod.ruleset(tmp_path).fingerprint
    assert edited != builtin
    path.write_text(text, encoding="utf-8")
    assert rules_mod.ruleset(tmp_path).fingerprint == builtin
