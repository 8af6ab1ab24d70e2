"""Legacy Word/WPS files read with antiword or catdoc; other office files and images refused by name.

No Word is at hand to save a .doc, so ``word97`` below writes one: an OLE2 compound file holding
a Word 97 FIB, a one-style stylesheet and a piece table over Unicode text, the least that
antiword and catdoc read (and that valgrind finds antiword reading cleanly).
"""
from __future__ import annotations

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile

import pytest

from conftest import sample
from plancli import legacy_office
from plancli.read import InputError, RawInput, decode_bytes, decode_input

HAVE_ANTIWORD = shutil.which("antiword") is not None
HAVE_CATDOC = shutil.which("catdoc") is not None
needs_antiword = pytest.mark.skipif(not HAVE_ANTIWORD, reason="antiword is not installed (apt install antiword)")
needs_catdoc = pytest.mark.skipif(not HAVE_CATDOC, reason="catdoc is not installed (apt install catdoc)")

PARAGRAPHS = ["临沂市人民政府关于印发《临沂市科技创新行动计划》的通知",
              "到2025年，高新技术企业达到1600家以上。",
              "Second paragraph, in English."]

# --- writing OLE2 compound files and Word 97 documents ------------------------------------------

_SECTOR, _FREE, _END, _FATSECT = 512, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def compound_file(streams: list[tuple[str, bytes]]) -> bytes:
    """An OLE2 file (version 3, one FAT sector) holding ``streams`` in its root storage.

    Streams are padded to 4096 bytes so that none belongs in the mini stream."""
    streams = [(n, d + bytes(max(0, 4096 - len(d)))) for n, d in streams]
    fat, starts, body = [_FATSECT, _END], [], b""  # sector 0: the FAT, sector 1: the directory
    for _, d in streams:
        d += bytes(-len(d) % _SECTOR)
        start, n = len(fat), len(d) // _SECTOR
        starts.append(start)
        fat += [start + i + 1 for i in range(n - 1)] + [_END]
        body += d
    assert len(fat) <= 128, "too large for one FAT sector"
    fat += [_FREE] * (128 - len(fat))

    def entry(name, kind, right=_FREE, child=_FREE, start=_END, size=0):
        raw = name.encode("utf-16-le") + b"\0\0"
        return (raw.ljust(64, b"\0") + struct.pack("<HBB3I", len(raw), kind, 1, _FREE, right, child)
                + bytes(36) + struct.pack("<IQ", start, size))

    # the streams as a chain of right siblings, in the directory's order (name length, then name)
    order = sorted(range(len(streams)), key=lambda i: (len(streams[i][0]), streams[i][0].upper()))
    entries = [entry("Root Entry", 5, child=1)]
    for k, i in enumerate(order):
        entries.append(entry(streams[i][0], 2, right=k + 2 if k + 1 < len(order) else _FREE,
                             start=starts[i], size=len(streams[i][1])))
    assert len(entries) <= 4
    header = (legacy_office.OLE2_MAGIC + bytes(16)
              + struct.pack("<HHHHH6xIIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0, 0x1000, _END, 0, _END, 0, 0)
              + struct.pack("<108I", *[_FREE] * 108))
    assert len(header) == _SECTOR
    return header + struct.pack("<128I", *fat) + b"".join(entries).ljust(_SECTOR, b"\0") + body


def word97(paragraphs: list[str]) -> bytes:
    """A Word 97 .doc of these paragraphs (UTF-16 text in one piece, table stream 1Table)."""
    text = "".join(p + "\r" for p in paragraphs)
    utf16, fc_text = text.encode("utf-16-le"), 0x400
    fib = bytearray(fc_text)
    struct.pack_into("<HHHHH", fib, 0, 0xA5EC, 0xC1, 0, 0x0804, 0)  # wIdent, nFib (Word 97), lid zh-CN
    struct.pack_into("<H", fib, 0x0A, (1 << 9) | (1 << 12) | (1 << 14))  # 1Table, fExtChar, fFarEast
    struct.pack_into("<H", fib, 0x0C, 0xBF)
    struct.pack_into("<II", fib, 0x18, fc_text, fc_text + len(utf16))  # fcMin, fcMac
    struct.pack_into("<H", fib, 0x20, 14)  # csw
    struct.pack_into("<H", fib, 0x3E, 22)  # cslw
    struct.pack_into("<I", fib, 0x40, fc_text + len(utf16))  # cbMac
    struct.pack_into("<I", fib, 0x4C, len(text))  # ccpText
    struct.pack_into("<H", fib, 0x98, 0x5D)  # cbRgFcLcb
    stsh = struct.pack("<H9H", 18, 1, 10, 0, 0, 0, 0, 0, 0, 0) + struct.pack("<H", 0)  # one empty style
    plc = struct.pack("<II", 0, len(text)) + struct.pack("<HIH", 0, fc_text, 0)  # one piece, not compressed
    clx = b"\x02" + struct.pack("<I", len(plc)) + plc
    struct.pack_into("<II", fib, 0x9A + 1 * 8, 0, len(stsh))  # fcStshf, lcbStshf
    struct.pack_into("<II", fib, 0x9A + 33 * 8, len(stsh), len(clx))  # fcClx, lcbClx
    return compound_file([("WordDocument", bytes(fib) + utf16), ("1Table", stsh + clx)])


def excel97() -> bytes:
    """An OLE2 file with a Workbook stream (a BIFF8 BOF record): what antiword calls Excel."""
    return compound_file([("Workbook", struct.pack("<HHHH", 0x0809, 16, 0x0600, 0x0005) + bytes(12))])


def decode(path: str, data: bytes, max_bytes: int = 10**8):
    return decode_input(RawInput(path, data), max_bytes)


def refused(path: str, data: bytes) -> InputError:
    with pytest.raises(InputError) as err:
        decode(path, data)
    return err.value


def which_only(monkeypatch, **found: str | None) -> None:
    """Make ``shutil.which`` find only the named tools (at the given paths)."""
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: found.get(name))


EXPECTED = "\n\n".join(PARAGRAPHS) + "\n"

# --- .doc and .wps -------------------------------------------------------------------------------


@needs_antiword
@pytest.mark.parametrize("name", ["notice.doc", "notice.wps", "notice", "notice.txt"])
def test_word97_is_read_by_antiword_one_block_per_paragraph(name, monkeypatch):
    which_only(monkeypatch, antiword=shutil.which("antiword"))
    decoded = decode(name, word97(PARAGRAPHS))
    assert (decoded.text, decoded.encoding, decoded.format) == (EXPECTED, "utf-8", "doc")


@needs_catdoc
@pytest.mark.parametrize("antiword", [None, "/bin/false"], ids=["antiword-missing", "antiword-fails"])
def test_catdoc_reads_it_when_antiword_is_missing_or_fails(antiword, monkeypatch):
    which_only(monkeypatch, antiword=antiword, catdoc=shutil.which("catdoc"))
    decoded = decode("notice.doc", word97(PARAGRAPHS))
    assert (decoded.text, decoded.format) == (EXPECTED, "doc")


def test_without_converters_a_doc_is_refused_with_one_line(monkeypatch):
    which_only(monkeypatch)
    err = refused("notice.doc", word97(PARAGRAPHS))
    assert err.kind == "unsupported_format"
    assert err.message == ("legacy Word/WPS file: install antiword or catdoc (Debian: apt install antiword "
                           "catdoc) to read it, or save it as .docx")


@needs_antiword
@needs_catdoc
def test_a_damaged_doc_names_what_both_converters_said():
    err = refused("notice.doc", legacy_office.OLE2_MAGIC + bytes(range(256)) * 4)
    assert err.kind == "unsupported_format"
    assert err.message.startswith("legacy Word/WPS file that neither converter can read (antiword: ")
    assert "catdoc: " in err.message and err.message.endswith("save it as .docx")
    assert "\n" not in err.message and "plancli-doc-" not in err.message  # no temporary path


@pytest.mark.parametrize("have", ["converters", "none"])
@pytest.mark.parametrize("name,what", [("book.xls", "Excel workbook (.xls)"),
                                       ("slides.ppt", "PowerPoint presentation (.ppt)")])
def test_other_ole2_files_are_named_by_suffix(name, what, have, monkeypatch):
    if have == "none":
        which_only(monkeypatch)
    elif not (HAVE_ANTIWORD or HAVE_CATDOC):
        pytest.skip("neither antiword nor catdoc is installed")
    err = refused(name, excel97())
    assert (err.kind, err.message) == ("unsupported_format", f"not a supported document: {what}")


@needs_antiword
def test_an_excel_file_without_a_suffix_is_named_from_antiword():
    err = refused("-", excel97())
    assert err.message == "not a supported document: Excel workbook (.xls)"


@needs_antiword
def test_converter_output_is_bounded_by_max_bytes():
    with pytest.raises(InputError) as err:
        decode("notice.doc", word97(PARAGRAPHS), max_bytes=40)
    assert err.value.kind == "too_large" and "40 bytes" in err.value.message


def test_a_converter_that_writes_too_much_is_stopped():
    started = time.monotonic()
    with pytest.raises(InputError) as err:
        legacy_office._run([sys.executable, "-c", "import sys\nwhile True: sys.stdout.write('x' * 65536)"],
                           100_000, time.monotonic() + 30)
    assert err.value.kind == "too_large"
    assert time.monotonic() - started < 10


def test_a_converter_that_hangs_is_stopped_at_the_deadline():
    started = time.monotonic()
    with pytest.raises(InputError) as err:
        legacy_office._run([sys.executable, "-c", "import time; time.sleep(60)"], 1000, time.monotonic() + 1)
    assert err.value.kind == "timeout"
    assert time.monotonic() - started < 10


@needs_antiword
def test_the_temporary_copy_is_deleted(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    decode("notice.doc", word97(PARAGRAPHS))
    with pytest.raises(InputError):
        decode("book.xls", excel97())
    assert os.listdir(tmp_path) == []


# --- zips that are not .docx, and images -------------------------------------------------------


def _xlsx() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "临沂市人民政府"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _zip(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return buf.getvalue()


def _docx() -> bytes:
    import docx

    document = docx.Document()
    for p in PARAGRAPHS:
        document.add_paragraph(p)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("name,make,what", [
    ("plans.xlsx", _xlsx, "Excel workbook (.xlsx)"),
    ("plans.xlsm", _xlsx, "Excel workbook (.xlsm)"),
    ("plans", _xlsx, "Excel workbook (.xlsx)"),
    ("plans.docx", _xlsx, "Excel workbook (.xlsx)"),  # misnamed: say what it is, not "corrupt .docx"
    ("plans.zip", _xlsx, "Excel workbook (.xlsx)"),
    ("talk.pptx", lambda: _zip({"[Content_Types].xml": "<Types/>", "ppt/presentation.xml": "<p/>"}),
     "PowerPoint presentation (.pptx)"),
    ("notice.odt", lambda: _zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<c/>"}),
     "OpenDocument text (.odt)"),
    ("table.ods", lambda: _zip({"mimetype": "application/vnd.oasis.opendocument.spreadsheet"}),
     "OpenDocument spreadsheet (.ods)"),
])
def test_office_zips_other_than_docx_are_named(name, make, what):
    err = refused(name, make())
    assert (err.kind, err.message) == ("unsupported_format", f"not a supported document: {what}")


@pytest.mark.parametrize("name", ["notice.docx", "notice.zip", "notice"])
def test_a_docx_is_read_whatever_it_is_called(name):
    decoded = decode(name, _docx())
    assert (decoded.text, decoded.format) == (EXPECTED, "docx")


def test_a_plain_zip_is_still_a_zip_archive():
    err = refused("bundle.zip", _zip({"notice.txt": "临沂市人民政府"}))
    assert (err.kind, err.message) == ("unsupported_format", "not a supported document: ZIP archive")


def test_a_zip_with_a_huge_directory_is_not_listed():
    many = _zip({f"f{i}.txt": "" for i in range(legacy_office._MAX_ZIP_MEMBERS + 1)})
    assert legacy_office.zip_members(many) is None
    assert legacy_office.zip_members(_zip({"a.txt": "x"})) == ["a.txt"]


@pytest.mark.parametrize("fmt,what", [("PNG", "PNG image"), ("JPEG", "JPEG image"), ("GIF", "GIF image"),
                                      ("TIFF", "TIFF image"), ("BMP", "BMP image"), ("WEBP", "WebP image")])
def test_images_are_refused_by_name(fmt, what, tmp_path):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buf, fmt)
    err = refused("scan.txt", buf.getvalue())
    assert (err.kind, err.message) == ("unsupported_format", f"not a supported document: {what}")


def test_text_starting_like_a_bmp_or_riff_is_still_text():
    for text in ("BMW 与临沂市签署合作协议。\n", "RIFF 项目进展顺利。\n"):
        assert decode_bytes(text.encode()).text == text


# --- the command line ---------------------------------------------------------------------------


def plancli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "plancli.cli", *args], capture_output=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_cli_refuses_an_xlsx_with_its_name(tmp_path):
    path = tmp_path / "plans.xlsx"
    path.write_bytes(_xlsx())
    proc = plancli("extract", str(path))
    assert proc.returncode != 0
    assert proc.stderr.decode().strip() == f"plancli: {path}: not a supported document: Excel workbook (.xlsx)"
    [doc] = json.loads(proc.stdout)
    assert doc["error"]["kind"] == "unsupported_format"


def test_cli_without_converters_says_what_to_install(tmp_path):
    path = tmp_path / "notice.doc"
    path.write_bytes(word97(PARAGRAPHS))
    empty = tmp_path / "bin"
    empty.mkdir()
    proc = plancli("extract", str(path), env={"PATH": str(empty)})
    assert proc.returncode != 0
    assert proc.stderr.decode().strip() == f"plancli: {path}: {legacy_office.NO_CONVERTER}"


@needs_antiword
def test_cli_extracts_a_doc_like_the_same_text_file(tmp_path):
    """A sample notice saved as .doc gives the same records as the sample itself."""
    text = sample("002").read_text(encoding="utf-8")
    path = tmp_path / "notice.doc"
    path.write_bytes(word97([line.strip() for line in text.splitlines() if line.strip()]))
    as_doc, as_txt = plancli("extract", str(path)), plancli("extract", str(sample("002")))
    assert as_doc.returncode == 0, as_doc.stderr.decode()
    [doc], [txt] = json.loads(as_doc.stdout), json.loads(as_txt.stdout)
    assert doc["source"]["format"] == "doc"
    assert doc["targets"] and doc["tasks"]
    for kind in ("targets", "subsidies", "tasks"):
        assert [r["text"] for r in doc[kind]] == [r["text"] for r in txt[kind]]
    assert doc["metadata"] == txt["metadata"]
