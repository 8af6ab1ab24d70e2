"""Imported by the batch pool's fork server, so that workers start warm.

Workers are forked from that server: a worker forked after this import has the built-in rules
parsed, their regexes compiled and OpenCC's dictionary loaded, instead of paying for that
(about half a second) on its first document. Nothing here is needed for correctness.
"""
from __future__ import annotations

#: A short plan in the shapes the extractors look for (headings, goals, grants, duties; a
#: Traditional character and a pinyin annotation for the normalisation steps).
SAMPLE = (
    "關於印發某市行動計劃的通知\n"
    "一、主要目標\n到2025年,全市新增高新技術企業100家,研發投入增長10%以上。\n"
    "二、重點任務\n(一)培育創新主體。對新認定的企業給予一次性獎勵30萬元。\n"
    "責任單位:市科技局(牽頭),市財政局\n"
    "三、保障措施\n加強組織領導,務(wù)求實效。\n"
)


def warm_up() -> None:
    from plancli.pipeline import extract_text

    try:
        extract_text(SAMPLE)
    except Exception:  # a broken rules folder is reported by the worker that meets it
        pass


warm_up()
