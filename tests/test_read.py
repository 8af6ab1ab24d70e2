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
    if what == "nul-bytes":  # bytes of no format we know
        assert (err.value.kind, err.value.message) == ("binary", "not a text document (contains NUL bytes)")
    else:  # a format we can name is refused by its name
        assert err.value.kind == "unsupported_format"
        assert err.value.message.startswith("not a supported document: ")


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


# --- choosing among the legacy encodings -----------------------------------------------------

#: A Taiwanese-style plan in plain Big5 characters (our own words).
TAIWAN_PLAN = """臺南市促進綠色能源產業發展行動方案
臺南市政府經濟發展局
2024年5月6日

一、發展目標
到2026年，全市太陽光電裝置容量達到3000百萬瓦以上，綠能企業數量達到120家。

二、重點任務
（一）擴大屋頂光電設置。鼓勵工業區廠房設置屋頂光電，對設置容量超過1百萬瓦的企業，給予一次性補助最高200萬元。由經濟發展局牽頭，工務局配合。
（二）培育在地綠能人才。與大專院校合作開設綠能課程，每年培訓技術人員500人次。由教育局負責。
"""
#: The same with characters only cp950 (Microsoft's Big5) has: 裏 and 碁 (bytes F9D8, F9D6).
CP950_PLAN = TAIWAN_PLAN.replace("培育在地綠能人才", "培育鄰裏綠能人才").replace("工業區廠房", "碁盤式工業區廠房")
#: A Hong Kong plan that needs Big5-HKSCS: 埗 邨 and the Cantonese 啲 喺 唔 啱 嘅 冇 嘢 are not in Big5.
HONG_KONG_PLAN = """深水埗區舊樓重建行動計劃
粵港澳大灣區發展辦公室
2024年3月1日

一、目標
到2027年，深水埗區新增公共屋邨單位3000個以上，長者日間中心達到12間。
街坊話：「啲樓咁舊，住喺度真係唔啱嘅。」重建之後冇人再擔心漏水嘢。

二、措施
（一）加快審批。對符合條件的重建項目，給予一次性資助最高500萬元。由房屋局牽頭，地政總署配合。
（二）改善社區設施。新建社區會堂兩座，由民政事務總署負責。
"""

#: (document, encoding written, encoding reported). Bytes that a narrower encoding reads the same
#: way are reported by the narrower name: a Big5 text saved as cp950 is Big5.
ENCODED_DOCUMENTS = [
    ("taiwan", TAIWAN_PLAN, "gb18030", "gb18030"),
    ("taiwan", TAIWAN_PLAN, "big5", "big5"),
    ("taiwan", TAIWAN_PLAN, "cp950", "big5"),
    ("taiwan", TAIWAN_PLAN, "big5hkscs", "big5"),
    ("taiwan", TAIWAN_PLAN, "utf-16-le", "utf-16"),
    ("taiwan", TAIWAN_PLAN, "utf-16", "utf-16"),
    ("cp950", CP950_PLAN, "cp950", "cp950"),
    ("cp950", CP950_PLAN, "gb18030", "gb18030"),
    ("hongkong", HONG_KONG_PLAN, "big5hkscs", "big5hkscs"),
    ("hongkong", HONG_KONG_PLAN, "gb18030", "gb18030"),
    ("hongkong", HONG_KONG_PLAN, "utf-16-be", "utf-16"),
]


def _records(doc) -> dict:
    """Everything a document says apart from where its bytes came from."""
    data = doc.model_dump(mode="json")
    data.pop("source")
    return data


@functools.lru_cache(maxsize=None)
def _utf8_records(text: str) -> tuple[str, str]:
    import json

    from plancli.pipeline import extract_text

    doc = extract_text(text)
    return json.dumps(_records(doc), ensure_ascii=False, sort_keys=True), doc.source.language


@pytest.mark.parametrize("name,text,written,reported", ENCODED_DOCUMENTS,
                         ids=[f"{n}-{w}" for n, _, w, _ in ENCODED_DOCUMENTS])
def test_the_same_document_in_every_encoding_gives_the_same_records(tmp_path, name, text, written, reported):
    import json

    path = tmp_path / f"{name}.txt"
    path.write_bytes(text.encode(written))
    doc = extract_prepared(prepare(path))
    assert doc.source.encoding == reported
    assert not any(r.kind == "invalid_bytes_replaced" for r in doc.source.repairs)
    assert doc.source.language == "zh"
    expected, _ = _utf8_records(text)
    assert json.dumps(_records(doc), ensure_ascii=False, sort_keys=True) == expected
    assert doc.targets and doc.subsidies  # the comparison is about records, not empty lists


def test_texts_that_need_cp950_or_hkscs_are_not_big5():
    with pytest.raises(UnicodeEncodeError):
        CP950_PLAN.encode("big5")
    for narrower in ("big5", "cp950"):
        with pytest.raises(UnicodeEncodeError):
            HONG_KONG_PLAN.encode(narrower)


def test_hkscs_file_is_not_read_as_utf8_full_of_replacements():
    """The bug of issue 13: no other detector candidate read it, so it fell back to UTF-8."""
    decoded = decode_bytes(HONG_KONG_PLAN.encode("big5hkscs"))
    assert decoded.encoding == "big5hkscs"
    assert decoded.text == HONG_KONG_PLAN and "\ufffd" not in decoded.text
    # Big5 reads all but the Hong Kong characters, GB18030 reads everything as rare characters:
    # the runner-up is named and the margin is clear
    assert decoded.runner_up in ("big5", "gb18030")
    assert decoded.confidence > 0.5


@pytest.mark.parametrize("written", ["gb18030", "big5hkscs"])
def test_choice_and_confidence_are_recorded_in_source(tmp_path, written):
    path = tmp_path / "plan.txt"
    path.write_bytes(HONG_KONG_PLAN.encode(written))
    source = extract_prepared(prepare(path)).source
    assert source.encoding == written
    assert 0.5 < source.encoding_confidence <= 1
    assert source.encoding_runner_up and source.encoding_runner_up != written


def test_valid_utf8_is_certain():
    decoded = decode_bytes(HONG_KONG_PLAN.encode("utf-8"))
    assert (decoded.encoding, decoded.confidence, decoded.runner_up) == ("utf-8", 1.0, None)


def test_mostly_valid_utf8_with_one_broken_byte_stays_utf8():
    data = HONG_KONG_PLAN.encode("utf-8")
    cut = data.index("重建之後".encode())
    decoded = decode_bytes(data[:cut] + b"\xa4" + data[cut:])  # a stray byte, valid in Big5 and GB
    assert decoded.encoding == "utf-8"
    assert decoded.text.count("\ufffd") == 1
    assert decoded.text.replace("\ufffd", "") == HONG_KONG_PLAN


def test_a_clean_garbage_decoding_does_not_beat_big5_with_one_broken_byte():
    """GB18030 reads the bytes of a damaged Big5 file without an error, as rare characters."""
    data = TAIWAN_PLAN.encode("big5")
    cut = data.index("重點任務".encode("big5"))
    damaged = data[:cut] + b"\x81\x40" + data[cut:]  # not Big5, but a valid GB18030 character
    assert "\ufffd" not in damaged.decode("gb18030", errors="replace")
    decoded = decode_bytes(damaged)
    assert decoded.encoding == "big5"
    assert 1 <= decoded.text.count("\ufffd") <= 2
    assert decoded.text.replace("\ufffd", "").replace("@", "") == TAIWAN_PLAN
