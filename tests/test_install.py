"""An ordinary install works: the wheel carries the rules, and the tool runs from any folder.

This is what `pip install .`, `pipx install .` and `pip install git+…` do: build a wheel and
install it into a fresh environment. The test does the same (dependencies come from pip's
cache or the package index) and runs the installed `plancli` from a folder that holds neither
the source tree nor its rules.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, RULES, sample
from makedocs import cjk_font_file, sample_lines, scanned_pdf

pytestmark = pytest.mark.skipif(shutil.which("git") is None and not (ROOT / "pyproject.toml").exists(),
                                reason="needs the source tree")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # build from a copy, so that the build leaves nothing behind in the checkout
    src = out / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info",
                                                              "__pycache__", ".pytest_cache", ".hypothesis"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheels = list(out.glob("plancli-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed; returns its plancli command."""
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return env_dir / "bin" / "plancli"


@pytest.fixture(scope="module")
def installed_with_ocr(wheel, tmp_path_factory) -> Path:
    """Another fresh environment, with ``pip install 'plancli[ocr]'`` from the same wheel."""
    env_dir = tmp_path_factory.mktemp("venv-ocr") / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", f"{wheel}[ocr]"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return env_dir / "bin" / "plancli"


def test_the_wheel_carries_every_rules_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in RULES.glob("*.yaml"):
        assert f"plancli/builtin_rules/{path.name}" in names, path.name


def test_the_wheel_carries_the_report_page_assets(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (ROOT / "plancli" / "report" / "assets").iterdir():
        assert f"plancli/report/assets/{path.name}" in names, path.name


def test_the_installed_tool_writes_a_report(installed, tmp_path):
    shutil.copy(sample("002"), tmp_path / "notice.txt")
    proc = subprocess.run([str(installed), "report", "notice.txt", "-o", "report.html"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Chart.js v4" in page and 'id="tx-0"' in page and "plancli-data" in page


def test_the_installed_tool_extracts_a_sample_from_another_folder(installed, tmp_path):
    doc = tmp_path / "notice.txt"
    shutil.copy(sample("002"), doc)
    env = {k: v for k, v in os.environ.items() if k not in ("PLANCLI_RULES", "PYTHONPATH")}
    proc = subprocess.run([str(installed), "extract", "notice.txt"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    [out] = json.loads(proc.stdout)
    assert out["targets"] and out["tasks"] and out["metadata"]["title"]
    # it runs the installed copy, not the source tree
    where = subprocess.run([str(installed.parent / "python"), "-c",
                            "import plancli.rules as r; print(r.builtin_dir())"],
                           cwd=tmp_path, capture_output=True, text=True, env=env)
    assert "site-packages" in where.stdout and str(ROOT) not in where.stdout


def test_the_installed_tool_reads_a_saved_web_page_without_extras(installed, tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><head><meta charset='utf-8'><title>t</title></head><body><div class='content'>"
                    "<p>某市推进数字经济发展行动计划</p><p>一、发展目标</p>"
                    "<p>到2026年,全市数字经济核心产业增加值达到500亿元以上。</p></div></body></html>",
                    encoding="utf-8")
    proc = subprocess.run([str(installed), "extract", "page.html"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    targets = json.loads(proc.stdout)[0]["targets"]
    assert [t["value"] for t in targets] == [500]


def test_user_rules_still_override_the_installed_ones_file_by_file(installed, tmp_path):
    rules = tmp_path / "myrules"
    rules.mkdir()
    text = (RULES / "quantities.yaml").read_text(encoding="utf-8")
    assert "words: [" in text
    (rules / "quantities.yaml").write_text(text.replace("words: [", "words: [棚, ", 1), encoding="utf-8")
    proc = subprocess.run([str(installed), "quantities", "新建5棚"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PLANCLI_RULES": str(rules)})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["unit"] == "棚"


def test_the_installed_tool_follows_the_cli_conventions(installed, tmp_path):
    """--version, -h, an array for one input, -f xlsx (XlsxWriter comes with the install), a
    Big5-HKSCS file read as such, and shell completion keyed to the installed name."""
    def run(*args: str, **env: str):
        return subprocess.run([str(installed), *args], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                              env={**os.environ, **env})

    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("plancli ")
    assert run("extract", "-h").stdout == run("extract", "--help").stdout
    shutil.copy(sample("004"), tmp_path / "a.txt")
    (tmp_path / "hk.txt").write_bytes("到2027年，深水埗區新增公共屋邨單位3000個以上，啱晒。\n".encode("big5hkscs"))
    one = run("extract", "a.txt")
    assert one.returncode == 0, one.stderr
    assert [d["source"]["path"] for d in json.loads(one.stdout)] == ["a.txt"]
    [hk] = json.loads(run("extract", "hk.txt").stdout)
    assert (hk["source"]["encoding"], hk["source"]["language"]) == ("big5hkscs", "zh")
    assert [t["value"] for t in hk["targets"]] == [3000]
    book = run("extract", "a.txt", "hk.txt", "-f", "xlsx", "-o", "plans.xlsx")
    assert book.returncode == 0, book.stderr
    names = zipfile.ZipFile(tmp_path / "plans.xlsx").namelist()
    assert sum(n.startswith("xl/worksheets/sheet") for n in names) == 7
    done = run(_PLANCLI_COMPLETE="complete_bash", COMP_WORDS="plancli ba", COMP_CWORD="1")
    assert done.stdout.split() == ["batch"]


def test_library_extract_stays_callable_after_the_subpackage_is_imported():
    """plancli.extract (the function) shares its name with the subpackage plancli.extract; a
    second call, or an import of an extractor module, must not replace the function."""
    code = ("import plancli, sys; p = sys.argv[1]; a = plancli.extract(p); import plancli.extract.targets; "
            "b = plancli.extract(p); print(len(a.tasks), len(b.tasks), a.model_dump_json() == b.model_dump_json())")
    out = subprocess.run([sys.executable, "-c", code, str(sample("002"))], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    first, second, same = out.stdout.split()
    assert int(first) > 0 and first == second and same == "True"


def test_library_extract_is_the_function_when_the_subpackage_came_first():
    code = ("import plancli.extract.tasks, sys; from plancli import extract; "
            "from plancli.extract import targets; print(callable(extract), len(extract(sys.argv[1]).tasks))")
    out = subprocess.run([sys.executable, "-c", code, str(sample("002"))], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    is_callable, tasks = out.stdout.split()
    assert is_callable == "True" and int(tasks) > 0


@pytest.mark.skipif(cjk_font_file() is None, reason="no CJK font to draw a scan with")
def test_the_ocr_extra_reads_a_scanned_pdf_with_the_network_off(installed_with_ocr, tmp_path, network_off):
    """What the README promises: after ``pip install 'plancli[ocr]'``, a scanned notice is read
    by RapidOCR with models from its wheel, with every network connection refused."""
    data, _ = scanned_pdf(sample_lines("002")[:25], max_pages=1)
    (tmp_path / "scanned.pdf").write_bytes(data)
    env = {k: v for k, v in network_off.items() if k != "PLANCLI_OCR"}
    proc = subprocess.run([str(installed_with_ocr), "extract", "scanned.pdf"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr
    [out] = json.loads(proc.stdout)
    assert out["source"]["pages"][0]["method"] == "ocr:rapidocr"
    assert out["metadata"]["title"] and "临沂" in out["metadata"]["title"]
