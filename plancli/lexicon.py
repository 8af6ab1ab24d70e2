"""The jieba user dictionary, generated from the rules so unit and indicator names stay whole.

jieba would split ``市发展改革委`` into 市 / 发展 / 改革委; the gazetteer and the indicator
catalogue in ``rules/`` already list such names, so we write them out as a user dictionary
(once per rules content, in the user cache directory) instead of keeping a second word list.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from plancli import rules as rules_mod


def dictionary_words(rs=None) -> list[str]:
    words: set[str] = set()
    for name in ("units", "indicators"):
        rf = rules_mod.ruleset(rs).get(name)
        words.update(getattr(rf, "dictionary_words", lambda: [])())
    return sorted(w for w in words if len(w) >= 2 and " " not in w)


def user_dictionary_path(rs=None) -> Path:
    from plancli.segment import user_cache_dir

    words = dictionary_words(rs)
    body = "".join(f"{w} 2000 n\n" for w in words)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]
    path = user_cache_dir() / f"userdict-{digest}.txt"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(path)
    return path
