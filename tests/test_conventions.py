"""The conventions analysts expect of a command-line tool, driven through the CLI.

--version, -h on every command, shell completion, --color, help without Python type names,
errors in plain words, an output shape that does not depend on how many files a glob matched,
-o on every command that prints data, CSV and XLSX output, the readable table view.
"""
from __future__ import annotations

import csv
import inspect
import io
import json
import os
import re
import shutil
import subprocess
import sys
from enum import Enum
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ROOT, sample
from plancli import __version__
from plancli.cli import app

runner = CliRunner()
FAST = str(sample("004"))
ZH = str(sample("002"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")
COMMANDS = {c.name or c.callback.__name__: c.callback for c in app.registered_commands}
TABLES = ("documents", "sections", "targets", "subsidies", "tasks", "task_units", "units")


def plancli(*args: str, cwd: Path | None = None, env: dict | None = None, stdin: bytes | None = None):
    return subprocess.run([sys.executable, "-m", "plancli.cli", *map(str, args)], cwd=cwd, input=stdin,
                          capture_output=True, timeout=300, env={**os.environ, **(env or {})})


def invoke(*args: str, env: dict | None = None):
    return runner.invoke(app, list(map(str, args)), env=env)


# --- version, help, completion ----------------------------------------------------------------

@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag):
    proc = plancli(flag)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().strip() == f"plancli {__version__}"


@pytest.mark.parametrize("name", [None, *COMMANDS])
def test_dash_h_is_help_on_every_command(name):
    args = [name] if name else []
    short, long = invoke(*args, "-h"), invoke(*args, "--help")
    assert short.exit_code == long.exit_code == 0, short.output
    assert short.stdout == long.stdout and "Usage:" in short.stdout


#: What Typer prints for a parameter's Python type, or its {required} braces.
TYPE_NAMES = re.compile(r"<(list|str|int|bool|float|path|dir|file|int range)[^>]*>|\{\w+\}|list\[")


@pytest.mark.parametrize("name", [None, *COMMANDS])
def test_help_names_no_python_types(name):
    text = invoke(*([name] if name else []), "--help").stdout
    assert not TYPE_NAMES.search(text), TYPE_NAMES.search(text).group()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_choice_option_lists_its_choices(name):
    """Found from the commands' signatures, so a new choice option is checked too."""
    text = " ".join(invoke(name, "--help").stdout.split())
    enums = [p.annotation.__origin__ if hasattr(p.annotation, "__metadata__") else p.annotation
             for p in inspect.signature(COMMANDS[name]).parameters.values()]
    for enum in enums:
        enum = next((a for a in getattr(enum, "__args__", (enum,)) if isinstance(a, type)), enum)
        if isinstance(enum, type) and issubclass(enum, Enum):
            assert "[" + "|".join(e.value for e in enum) + "]" in text, (name, enum)


def test_segment_and_rules_formats_are_choices():
    for name, choices in (("segment", "[tree|json]"), ("rules", "[table|json]")):
        assert choices in invoke(name, "--help").stdout
        bad = invoke(name, *(["x"] if name == "segment" else []), "--format", "xml")
        assert bad.exit_code == 2 and "'xml' is not one of" in bad.stderr


def test_shell_completion_is_offered_and_completes():
    """Through the `plancli` script: completion is keyed to the program's name."""
    script = Path(sys.executable).with_name("plancli")
    if not script.exists():
        pytest.skip("plancli is not installed in this environment")

    def run(*args: str, **env: str):
        return subprocess.run([str(script), *args], capture_output=True, timeout=60, env={**os.environ, **env})

    root = invoke("--help").stdout
    assert "--install-completion" in root and "--show-completion" in root
    proc = run(_PLANCLI_COMPLETE="complete_bash", COMP_WORDS="plancli ex", COMP_CWORD="1")
    assert proc.returncode == 0 and proc.stdout.decode().split() == ["extract"]
    proc = run(_PLANCLI_COMPLETE="complete_bash", COMP_WORDS="plancli extract notice.txt -f ", COMP_CWORD="4")
    assert proc.stdout.decode().split() == ["json", "jsonl", "table", "csv", "xlsx"]
    # typer finds the shell in the process tree, so run it from one, as a person would (the
    # trailing command keeps bash from exec-ing into plancli and leaving the tree)
    script = subprocess.run(["bash", "-c", f'"{script}" --show-completion; exit $?'], capture_output=True, timeout=60)
    assert script.returncode == 0 and "_PLANCLI_COMPLETE" in script.stdout.decode()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "plancli --install-completion" in readme


# --- colour -----------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["extract", FAST, "-f", "table"], ["segment", FAST], ["rules"]],
                         ids=["extract", "segment", "rules"])
def test_color_always_never_and_no_color(args):
    always = plancli(*args, "--color", "always")  # a pipe, not a terminal: only `always` colours
    assert always.returncode == 0, always.stderr
    assert ANSI.search(always.stdout.decode())
    for proc in (plancli(*args, "--color", "never"), plancli(*args),
                 plancli(*args, "--color", "auto", env={"NO_COLOR": "1"})):
        assert proc.returncode == 0 and not ANSI.search(proc.stdout.decode())
    # --color always wins over NO_COLOR, as the convention asks
    assert ANSI.search(plancli(*args, "--color", "always", env={"NO_COLOR": "1"}).stdout.decode())
    # the same text either way
    assert ANSI.sub("", always.stdout.decode()).split() == plancli(*args, "--color", "never").stdout.decode().split()


def test_color_value_is_checked():
    result = invoke("rules", "--color", "sometimes")
    assert result.exit_code == 2 and "auto" in result.stderr


# --- errors in plain words --------------------------------------------------------------------

@pytest.mark.parametrize("args,words", [
    (["extract", FAST, "--max-bytes", "lots"], "expected a whole number, got 'lots'"),
    (["extract", FAST, "--max-bytes", "0"], "must be 1 or more, got 0"),
    (["batch", ".", "-o", "out", "--jobs", "-2"], "must be 0 or more, got -2"),
])
def test_bad_values_are_explained_in_plain_words(args, words):
    result = invoke(*args)
    assert result.exit_code == 2
    assert words in result.stderr and "Input should" not in result.stderr


def test_a_broken_rules_file_is_explained_in_plain_words(tmp_path):
    (tmp_path / "targets.yaml").write_text("description: mine\nrules:\n  - pattern: 'x'\n", encoding="utf-8")
    result = invoke("rules", "--rules", tmp_path)
    assert result.exit_code == 2
    assert "rules[0]: 'id' is missing" in result.stderr
    assert "Field required" not in result.stderr and "Input should" not in result.stderr


# --- the output shape does not depend on how many files a glob matched -----------------------

def test_json_is_an_array_however_many_files_match(tmp_path):
    shutil.copy(FAST, tmp_path / "a.txt")
    one = plancli("extract", "*.txt", cwd=tmp_path)  # the glob expanded by plancli
    shutil.copy(ZH, tmp_path / "b.txt")
    two = plancli("extract", "*.txt", cwd=tmp_path)
    assert one.returncode == two.returncode == 0
    one, two = json.loads(one.stdout), json.loads(two.stdout)
    assert isinstance(one, list) and isinstance(two, list)
    assert [d["source"]["path"] for d in one] == ["a.txt"]
    assert [d["source"]["path"] for d in two] == ["a.txt", "b.txt"]
    assert one[0] == two[0]  # a script reading .[0] gets the same document


def test_jsonl_is_one_object_per_line_for_one_input_too():
    result = invoke("extract", FAST, "-f", "jsonl")
    assert result.exit_code == 0
    [line] = result.stdout.splitlines()
    assert json.loads(line)["source"]["path"] == FAST


# --- -o FILE on every command that prints data ------------------------------------------------

@pytest.mark.parametrize("args", [
    ["extract", FAST], ["extract", FAST, "-f", "jsonl"], ["normalize", FAST, ZH], ["segment", FAST, "-f", "json"],
    ["segment", FAST], ["quantities", "到2025年新增企业100家以上"], ["schema"], ["rules"], ["rules", "-f", "json"],
], ids=lambda a: "-".join(x for x in a if not x.startswith("/")))
def test_output_file_holds_what_stdout_would(tmp_path, args):
    printed = invoke(*args)
    assert printed.exit_code == 0, printed.stderr
    target = tmp_path / "out.txt"
    written = invoke(*args, "-o", target)
    assert written.exit_code == 0, written.stderr
    assert written.stdout == ""
    assert target.read_text(encoding="utf-8") == printed.stdout


def test_output_that_cannot_be_written_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way", encoding="utf-8")
    for args in (["schema"], ["rules", "-f", "json"], ["quantities", "新增100家"]):
        result = invoke(*args, "-o", blocker / "out.json")
        assert result.exit_code == 1
        assert result.stderr.startswith(f"plancli: {blocker / 'out.json'}: cannot write the output: ")
        assert result.stderr.count("\n") == 1
    result = invoke("normalize", FAST, "-o", tmp_path)  # a folder: refused before any work
    assert result.exit_code == 2 and "is a directory" in result.stderr


def test_batch_summary_goes_to_a_file(tmp_path):
    (tmp_path / "in").mkdir()
    shutil.copy(FAST, tmp_path / "in" / "a.txt")
    (tmp_path / "in" / "notes.md").write_text("not a plan", encoding="utf-8")
    (tmp_path / "in" / "~$a.docx").write_bytes(b"owner file of an open Word document")
    proc = plancli("batch", "in", "-o", "out", "--jobs", "1", "--quiet", "--summary", "summary.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert (summary["files"], summary["processed"]) == (1, 1)
    assert summary["ignored"] == {"office_temp": 1, "unsupported_type": 1}
    again = plancli("batch", "in", "-o", "out", "--jobs", "1", "--quiet", "--json", cwd=tmp_path)
    assert json.loads(again.stdout)["skipped"] == 1
    both = plancli("batch", "in", "-o", "out", "--json", "--jsonl", "-", cwd=tmp_path)
    assert both.returncode == 2 and both.stderr.decode().count("\n") == 1


# --- CSV and XLSX -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Two documents, extracted once by `batch --csv` for comparison."""
    base = tmp_path_factory.mktemp("tables")
    (base / "in").mkdir()
    shutil.copy(ZH, base / "in" / "a.txt")
    shutil.copy(FAST, base / "in" / "b.txt")
    proc = plancli("batch", "in", "-o", "out", "--csv", "batch-csv", "--jobs", "1", "--quiet", cwd=base)
    assert proc.returncode == 0, proc.stderr
    return base


def test_extract_csv_to_a_folder_gives_the_tables_of_batch(folder):
    proc = plancli("extract", "in/a.txt", "in/b.txt", "-f", "csv", "-o", "extract-csv", cwd=folder)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (folder / "extract-csv").iterdir()) == sorted(f"{t}.csv" for t in TABLES)
    for table in TABLES:
        assert (folder / "extract-csv" / f"{table}.csv").read_bytes() == (folder / "batch-csv" / f"{table}.csv").read_bytes()


def test_extract_csv_one_table_to_stdout(folder):
    default = plancli("extract", "in/a.txt", "in/b.txt", "-f", "csv", cwd=folder)
    units = plancli("extract", "in/a.txt", "in/b.txt", "-f", "csv", "--table", "task_units", cwd=folder)
    assert default.returncode == units.returncode == 0
    batch_csv = folder / "batch-csv"
    assert default.stdout == (batch_csv / "targets.csv").read_bytes().removeprefix(b"\xef\xbb\xbf")  # no BOM on a pipe
    rows = list(csv.DictReader(io.StringIO(units.stdout.decode("utf-8"))))
    assert rows and {r["role"] for r in rows} <= {"lead", "support", "unspecified"}
    to_file = plancli("extract", "in/a.txt", "in/b.txt", "-f", "csv", "-t", "units", "-o", "units.csv", cwd=folder)
    assert to_file.returncode == 0
    assert (folder / "units.csv").read_bytes() == (batch_csv / "units.csv").read_bytes()  # BOM in a file, for Excel


@pytest.mark.parametrize("args,words", [
    (["-f", "xlsx"], "-o FILE.xlsx"), (["-f", "csv", "-o", "t.csv"], "--table"), (["--table", "units"], "--format csv"),
])
def test_csv_and_xlsx_usage_errors(folder, args, words):
    proc = plancli("extract", "in/a.txt", *args, cwd=folder)
    assert proc.returncode == 2 and words in proc.stderr.decode()
    assert proc.stdout == b"" and not (folder / "t.csv").exists()


def test_xlsx_has_a_sheet_per_table_with_frozen_headers_filters_and_numbers(folder):
    openpyxl = pytest.importorskip("openpyxl")
    proc = plancli("extract", "in/a.txt", "in/b.txt", "in/missing.txt", "-f", "xlsx", "-o", "plans.xlsx", cwd=folder)
    assert proc.returncode == 1  # missing.txt failed: a row in documents, as in the CSV
    book = openpyxl.load_workbook(folder / "plans.xlsx")
    assert book.sheetnames == list(TABLES)
    for table in TABLES:
        sheet = book[table]
        with open(folder / "batch-csv" / f"{table}.csv", encoding="utf-8-sig", newline="") as fh:
            expected = list(csv.reader(fh))
        header = [c.value for c in sheet[1]]
        assert header == expected[0]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref.startswith("A1:")
        extra = 1 if table == "documents" else 0  # the failed input
        assert sheet.max_row == len(expected) + extra
    targets = book["targets"]
    col = {c.value: i for i, c in enumerate(targets[1])}
    values = [row[col["value"]] for row in targets.iter_rows(min_row=2, values_only=True)]
    years = [row[col["year"]] for row in targets.iter_rows(min_row=2, values_only=True) if row[col["year"]]]
    assert values and all(isinstance(v, (int, float)) for v in values if v is not None)
    assert years and all(isinstance(y, int) for y in years)  # 2024, never "2024" or 2024.0
    docs = list(book["documents"].iter_rows(min_row=2, values_only=True))
    dcol = {c.value: i for i, c in enumerate(book["documents"][1])}
    assert [d[dcol["error_kind"]] for d in docs] == [None, None, "not_found"]
    assert all(isinstance(d[dcol["targets"]], int) for d in docs[:2])


# --- the readable table view ------------------------------------------------------------------

def test_table_view_shows_the_source_sentence_and_a_dash_for_missing_values(tmp_path):
    plan = tmp_path / "plan.txt"
    plan.write_text("一、发展目标\n到2026年,全市新建充电桩达到5000个以上。\n", encoding="utf-8")
    result = invoke("extract", plan, "-f", "table", "--color", "never")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "全市新建充电桩达到5000个以上" in text  # the sentence, where the rule id was
    assert "target." not in text and "rule" not in text.split("targets (")[1].split("\n")[2]
    assert "number: —" in text and "issuer: —" in text  # the text names no number, no issuer
    assert "None" not in text
