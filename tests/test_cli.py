"""The command line: output formats, stdin, errors and exit codes, --help.

A few tests run the real executable in a subprocess (exit codes, stderr, stdin as a pipe); the
rest use Typer's CliRunner in-process, which is much faster.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from conftest import normalized, sample
from plancli.cli import app
from plancli.models import Document

runner = CliRunner()
FAST = str(sample("004"))   # the smallest samples
ZH = str(sample("002"))
EN = str(sample("000"))


def plancli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "plancli.cli", *args], input=stdin,
                          capture_output=True, timeout=300)


def invoke(*args: str, stdin: bytes | str | None = None):
    return runner.invoke(app, list(args), input=stdin)


@pytest.fixture(scope="module")
def schema() -> dict:
    result = invoke("schema")
    assert result.exit_code == 0
    return json.loads(result.stdout)


def validate(obj: dict, schema: dict) -> None:
    """Against `plancli schema` with jsonschema when installed; else with the Pydantic model."""
    try:
        import jsonschema
    except ImportError:
        Document.model_validate_json(json.dumps(obj))
    else:
        jsonschema.validate(obj, schema)


# --- extract ---------------------------------------------------------------------------------


def test_extract_prints_json_that_validates(schema):
    proc = plancli("extract", ZH)
    assert proc.returncode == 0, proc.stderr.decode()
    [doc] = json.loads(proc.stdout.decode("utf-8"))  # an array, even for one input
    validate(doc, schema)
    assert doc["schema_version"] == "1"
    assert doc["source"]["path"] == ZH and doc["source"]["encoding"] == "utf-8"
    assert doc["metadata"]["doc_number"] == "临政字〔2022〕98号"
    assert "临沂" in proc.stdout.decode("utf-8")  # Chinese is not \u-escaped
    assert proc.stderr == b""


def test_schema_is_a_json_schema_of_the_document(schema):
    assert schema["type"] == "object"
    for key in ("schema_version", "source", "metadata", "sections", "targets", "subsidies", "tasks", "units"):
        assert key in schema["properties"]


def test_dash_reads_standard_input(schema):
    data = sample("002").read_bytes()
    proc = plancli("extract", "-", stdin=data)
    assert proc.returncode == 0, proc.stderr.decode()
    [doc] = json.loads(proc.stdout)
    validate(doc, schema)
    assert doc["source"]["path"] == "-"
    assert doc["metadata"]["title"] == "临沂市建设国家创新型城市三年行动计划(2022-2024年)"
    # the same document as from the file, apart from the path
    [from_file] = json.loads(invoke("extract", ZH).stdout)
    from_file["source"]["path"] = "-"
    assert doc == from_file


def test_dash_reads_gb18030_standard_input():
    text = sample("004").read_text(encoding="utf-8")
    proc = plancli("normalize", "-", stdin=text.encode("gb18030"))
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode("utf-8") == normalized("004") + "\n"


def test_several_paths_give_an_array(schema):
    result = invoke("extract", FAST, ZH)
    assert result.exit_code == 0, result.stderr
    docs = json.loads(result.stdout)
    assert isinstance(docs, list) and [d["source"]["path"] for d in docs] == [FAST, ZH]
    for d in docs:
        validate(d, schema)


def test_jsonl_prints_one_object_per_line(schema):
    result = invoke("extract", FAST, ZH, EN, "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.rstrip("\n").split("\n")
    assert len(lines) == 3
    docs = [json.loads(ln) for ln in lines]
    assert [d["source"]["language"] for d in docs] == ["zh", "zh", "en"]
    for d in docs:
        validate(d, schema)


def test_jsonl_keeps_failed_inputs_as_error_objects(tmp_path):
    missing = str(tmp_path / "missing.txt")
    result = invoke("extract", FAST, missing, "--format", "jsonl")
    assert result.exit_code == 1
    docs = [json.loads(ln) for ln in result.stdout.strip().split("\n")]
    assert len(docs) == 2
    assert docs[1]["error"]["kind"] == "not_found" and docs[1]["source"]["path"] == missing
    assert "error" not in docs[0]


def test_output_file(tmp_path):
    out = tmp_path / "out" / "doc.json"
    result = invoke("extract", FAST, "--output", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    [doc] = json.loads(out.read_text(encoding="utf-8"))
    Document.model_validate(doc)


def test_table_format_is_readable():
    result = invoke("extract", ZH, "--format", "table")
    assert result.exit_code == 0, result.stderr
    assert "临政字〔2022〕98号" in result.stdout and "encoding: utf-8" in result.stdout


# --- errors ----------------------------------------------------------------------------------


def test_missing_file_is_one_line_naming_it(tmp_path):
    missing = str(tmp_path / "no-such-notice.txt")
    proc = plancli("extract", missing)
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and missing in err and "no such file" in err
    assert "Traceback" not in err
    [entry] = json.loads(proc.stdout)  # the same shape as for many inputs
    assert entry["error"] == {"kind": "not_found", "message": "no such file"}


def test_debug_shows_the_traceback(tmp_path):
    missing = str(tmp_path / "no-such-notice.txt")
    proc = plancli("extract", missing, "--debug")
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert "Traceback (most recent call last)" in err and "InputError" in err
    assert err.rstrip("\n").split("\n")[-1] == f"plancli: {missing}: no such file"


def test_one_bad_input_does_not_stop_the_others(tmp_path):
    png = tmp_path / "scan.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    result = invoke("extract", FAST, str(png), ZH)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"plancli: {png}: not a supported document: PNG image"
    docs = json.loads(result.stdout)
    assert [("error" in d) for d in docs] == [False, True, False]
    assert docs[1]["error"]["kind"] == "unsupported_format"


def test_directory_and_binary_for_normalize(tmp_path):
    result = invoke("normalize", str(tmp_path))
    assert result.exit_code == 1
    assert str(tmp_path) in result.stderr and "directory" in result.stderr


def test_usage_error_exits_2():
    result = invoke("extract", FAST, "--format", "xml")
    assert result.exit_code == 2
    result = invoke("segment", FAST, "--format", "xml")
    assert result.exit_code == 2
    result = invoke("rules", "--format", "xml")
    assert result.exit_code == 2 and "xml" in result.stderr and "table" in result.stderr


# --- normalize, segment ----------------------------------------------------------------------


def test_normalize_prints_the_text():
    result = invoke("normalize", ZH)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == normalized("002") + "\n"


def test_normalize_repairs_go_to_stderr():
    result = invoke("normalize", FAST, "--repairs")
    assert result.exit_code == 0
    assert result.stdout == normalized("004") + "\n"
    assert "traditional_converted" in result.stderr and "boilerplate_removed" in result.stderr


def test_normalize_several_files_are_headed():
    result = invoke("normalize", FAST, ZH)
    assert result.stdout.startswith(f"==> {FAST} <==\n")
    assert f"\n==> {ZH} <==\n" in result.stdout


@pytest.mark.parametrize("prefix,parts", [("003", 9), ("001", 4), ("002", 0)])
def test_segment_json_gives_parts(prefix, parts):
    result = invoke("segment", str(sample(prefix)), "--format", "json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["parts"] == parts and out["language"] == "zh"
    text = normalized(prefix)
    for s in out["sections"]:
        assert text[s["span"][0]:].startswith(s["marker"])
        assert s["sentences"] >= 1
    assert len([s for s in out["sections"] if s["kind"] == "part"]) == parts


def test_segment_tree_format():
    result = invoke("segment", ZH)
    assert result.exit_code == 0, result.stderr
    assert "三、 重点任务" in result.stdout and "推动国家高新区高质量发展" in result.stdout


# --- help ------------------------------------------------------------------------------------


COMMANDS = [c.name or c.callback.__name__ for c in app.registered_commands]


def test_every_command_is_listed():
    result = invoke("--help")
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_help_of_every_command(name):
    result = invoke(name, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout and name in result.stdout


def test_help_through_the_executable():
    proc = plancli("--help")
    assert proc.returncode == 0 and b"extract" in proc.stdout
