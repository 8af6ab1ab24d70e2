"""Reading bytes: encodings, BOMs, binary refusal, invalid bytes, empty input.

Every sample is re-encoded the ways downloaded pages arrive (GB18030, UTF-16 with and without a
BOM, UTF-8 with a BOM, Big5) and must normalise to exactly the text of the UTF-8 file.
"""
from __future__ import annotations

import codecs
import functools
import zipfile

import pytest

from conftest import SAMPLE_NAMES, SAMPLES, normalized
from plancli.pipeline import extract_prepared, prepare
from plancli.read import InputError, decode_bytes, read_input

#: (name, how to encode text, the encoding `source.encoding` reports)
ENCODINGS = [
    ("gb18030", lambda t: t.encode("gb18030"), "gb18030"),
    ("utf-16-bom", lambda t: t.encode("utf-16"), "utf-16"),          # BOM + native (LE) order
    ("utf-16-be-bom", lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), "utf-16"),
    ("utf-16-le", lambda t: t.encode("utf-16-le"), "utf-16"),        # no BOM
    ("utf-8-bom", lambda t: t.encode("utf-8-sig"), "utf-8-sig"),
]


@functools.lru_cache(maxsize=1)
def _s2t():
    import opencc

    # Taiwan standard characters (為, 著) are the ones Big5 can encode; plain s2t gives 爲, 着.
    return opencc.OpenCC("s2tw")


@pytest.mark.parametrize("name", SAMPLE_NAMES)
@pytest.mark.parametrize("label,encode,reported", ENCODINGS, ids=[e[0] for e in ENCODINGS])
def test_reencoded_sample_normalises_like_utf8(tmp_path, name, label, encode, reported):
    text = (SAMPLES / name).read_text(encoding="utf-8")
    path = tmp_path / name
    path.write_bytes(encode(text))
    prep = prepare(path)
    assert prep.decoded.encoding == reported
    assert prep.normalized.text == normalized(name[:3])
    doc = extract_prepared(prep)
    assert doc.source.encoding == reported
    assert not any(r.kind == "invalid_bytes_replaced" for r in doc.source.repairs)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_big5_sample_normalises_like_utf8(tmp_path, name):
    # Big5 holds Traditional characters only: convert first, then compare with the UTF-8 file of
    # the same converted text. Pages with characters outside Big5 (pinyin tone marks, ≥) skip.
    text = _s2t().convert((SAMPLES / name).read_text(encoding="utf-8"))
    try:
        data = text.encode("big5")
    except UnicodeEncodeError as exc:
        pytest.skip(f"{name} is not encodable in Big5 ({exc.object[exc.start:exc.end]!r})")
    (tmp_path / "big5.txt").write_bytes(data)
    (tmp_path / "utf8.txt").write_text(text, encoding="utf-8")
    prep = prepare(tmp_path / "big5.txt")
    assert prep.decoded.encoding == "big5"
    assert prep.normalized.text == prepare(tmp_path / "utf8.txt").normalized.text
    assert extract_prepared(prep).source.encoding == "big5"


def test_big5_traditional_sentence_becomes_simplified(tmp_path):
    # A line of samples/004 as a Taiwanese portal would serve it.
    line = "為加快實施創新驅動發展戰略,著力建設一批高起點、高水平重大產業創新平臺,進一步集聚高端研發資源。\n"
    (tmp_path / "p.txt").write_bytes(line.encode("big5"))
    prep = prepare(tmp_path / "p.txt")
    assert prep.decoded.encoding == "big5"
    assert prep.normalized.script == "traditional"
    assert prep.normalized.text == "为加快实施创新驱动发展战略,著力建设一批高起点、高水平重大产业创新平台,进一步集聚高端研发资源。"


def test_short_gb18030_english_page_is_not_mistaken_for_big5():
    # Mostly ASCII with a handful of Chinese characters: GB and Big5 byte ranges overlap.
    text = "Author:Rizhao News Network Time:2022.06.23\n优建超集\nThe first part is the guidance.\n"
    assert decode_bytes(text.encode("gb18030")).text == text


# --- binary input ----------------------------------------------------------------------------

def _zip_bytes(tmp_path) -> bytes:
    z = tmp_path / "a.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("notice.txt", "临沂市人民政府")
    return z.read_bytes()


@pytest.mark.parametrize("what,make,filename", [
    ("png", lambda tmp: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "scan.png"),
    ("png-named-txt", lambda tmp: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "notice.txt"),
    ("zip", _zip_bytes, "bundle.zip"),
    ("zip-named-txt", _zip_bytes, "notice.txt"),
    ("nul-bytes", lambda tmp: b"\x00\x01\x02\x03\x04binary\x00\xff\xfe\x00\x10" * 40, "data.txt"),
    ("elf", lambda tmp: b"\x7fELF\x02\x01\x01" + bytes(100), "plancli"),
])
def test_binary_input_is_refused(tmp_path, what, make, filename):
    path = tmp_path / filename
    path.write_bytes(make(tmp_path))
    with pytest.raises(InputError) as err:
        prepare(path)
    assert err.value.kind == "binary"
    assert "not a text document" in err.value.message


def test_nul_bytes_inside_utf8_text_are_binary():
    data = "临沂市人民政府\n".encode() + b"\x00" * 3 + "关于印发".encode()
    with pytest.raises(InputError) as err:
        decode_bytes(data)
    assert err.value.kind == "binary"


# --- invalid bytes, empty input, errors ------------------------------------------------------

def test_invalid_bytes_inside_utf8_are_replaced_and_counted(tmp_path):
    text = (SAMPLES / SAMPLE_NAMES[2]).read_text(encoding="utf-8")
    cut = text.index("一、总体要求")
    # A stray Latin-1 byte before a heading and a truncated 3-byte sequence at a line end, as
    # left by a broken download.
    data = (text[:cut].encode() + b"\xe9" + text[cut:cut + 6].encode() + "临".encode()[:2]
            + text[cut + 6:].encode())
    path = tmp_path / "broken.txt"
    path.write_bytes(data)
    prep = prepare(path)
    assert prep.decoded.encoding == "utf-8"
    repairs = {r.kind: r for r in extract_prepared(prep).source.repairs}
    assert repairs["invalid_bytes_replaced"].count == 2
    assert prep.normalized.text.count("\ufffd") == 2
    assert "\ufffd一、总体要求\ufffd" in prep.normalized.text
    assert "临沂市建设国家创新型城市三年行动计划" in prep.normalized.text


def test_short_text_with_one_invalid_byte_stays_utf8():
    data = "到2024年,高新技术企业达到1600家".encode() + b"\xff" + "以上。".encode()
    decoded = decode_bytes(data)
    assert decoded.encoding == "utf-8"
    assert decoded.text == "到2024年,高新技术企业达到1600家\ufffd以上。"
    assert [(r.kind, r.count) for r in decoded.repairs] == [("invalid_bytes_replaced", 1)]


@pytest.mark.parametrize("data", [b"", codecs.BOM_UTF8, b"\n\n  \n"], ids=["empty", "bom-only", "blank"])
def test_empty_file_is_a_valid_empty_document(tmp_path, data):
    path = tmp_path / "empty.txt"
    path.write_bytes(data)
    doc = extract_prepared(prepare(path))
    assert doc.source.bytes == len(data)
    assert doc.sections == [] and doc.targets == [] and doc.subsidies == [] and doc.tasks == []
    assert doc.metadata.title is None
    assert prepare(path).normalized.text == ""
    from plancli.models import Document

    assert Document.model_validate_json(doc.model_dump_json()) == doc


def test_missing_file_and_directory_errors(tmp_path):
    with pytest.raises(InputError) as err:
        read_input(tmp_path / "nope.txt")
    assert err.value.kind == "not_found"
    with pytest.raises(InputError) as err:
        read_input(tmp_path)
    assert err.value.kind == "is_directory"


def test_too_large_input_is_refused(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes("一".encode() * 100)
    with pytest.raises(InputError) as err:
        read_input(path, max_bytes=50)
    assert err.value.kind == "too_large"


def test_source_records_size_and_hash():
    import hashlib

    path = SAMPLES / SAMPLE_NAMES[2]
    doc = extract_prepared(prepare(path))
    data = path.read_bytes()
    assert doc.source.bytes == len(data)
    assert doc.source.sha256 == hashlib.sha256(data).hexdigest()
    assert doc.source.encoding == "utf-8"
