"""The place a plan is for, as the report groups and filters by it.

Documents do not state a "place" field yet; the issuer (临沂市人民政府办公室, 中共某县委) or the
title (某市建设…行动计划) almost always begins with the administrative name. :func:`place` is
the one function to improve (a gazetteer, the units' names) when extraction learns more.
"""
from __future__ import annotations

import re

_HAN = r"[\u4e00-\u9fff]"
#: Province, then prefecture, then county level, each optional, at the start of a name.
_ZH_PLACE = re.compile(
    rf"(?:{_HAN}{{2,7}}?(?:省|自治区|特别行政区))?"
    rf"(?:{_HAN}{{1,7}}?(?:市|自治州|地区|盟))?"
    rf"(?:{_HAN}{{1,7}}?(?:自治县|县|区|旗))?"
)
#: Words a document's name may begin with before the place: 关于印发《…》, 中共…委.
_ZH_LEAD = re.compile(r"^(?:中共|中国共产党|关于印发|关于|印发|《|“|\s)+")
#: Not places, though they end like one: 全市, 本区, 各县, 创新型城市 …
_ZH_NOT_PLACE = re.compile(r"^(?:全|本|我|各|该|省|市|县|区)|[型性化的和与及]|建设|发展|推动|促进|加快|实施|创新")
_NATIONAL = re.compile(r"^(?:国务院|国家|中共中央|中华人民共和国|The State Council|State Council)")
_EN_PLACE = re.compile(
    r"\b((?:[A-Z][a-z]+)(?: [A-Z][a-z]+)?) (?:City|Municipal|Municipality|Province|Provincial|District|County)\b")


def place(metadata: dict | None) -> str | None:
    """The administrative place of a document from its metadata (issuer first, then the titles):
    "临沂市", "连云港市", a province, a city with its district, "全国" for State Council
    documents, "Rizhao" in English; None when no name says it."""
    metadata = metadata or {}
    for key in ("issuer", "title", "notice_title"):
        name = (metadata.get(key) or "").strip()
        if not name:
            continue
        if _NATIONAL.match(name):
            return "全国"
        found = _zh_place(name) or _en_place(name)
        if found:
            return found
    return None


def _zh_place(name: str) -> str | None:
    name = _ZH_LEAD.sub("", name)
    match = _ZH_PLACE.match(name)
    found = match.group(0) if match else ""
    if len(found) < 2 or _ZH_NOT_PLACE.search(found):
        return None
    return found


def _en_place(name: str) -> str | None:
    match = _EN_PLACE.search(name[:80])
    return match.group(1) if match else None
