"""The mojibake scorer's split word table holds exactly jieba's prefix dictionary."""
import logging

import jieba

from plancli.normalize import wordfreq


def test_groups_hold_jiebas_entries_and_total():
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    table = wordfreq.table()
    text = "十四五期间加快建设国际科技创新中心縣?h"
    freq = table.need(text)
    wanted = {w: f for w, f in jieba.dt.FREQ.items() if w[0] in set(text)}
    assert {w: f for w, f in freq.items() if w[0] in set(text)} == wanted
    assert table.total == jieba.dt.total


def test_a_broken_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    wordfreq.table.cache_clear()
    try:
        first = wordfreq.table()
        (cache,) = (tmp_path / "plancli").glob("wordfreq-*.marshal")
        cache.write_bytes(b"\x00broken")
        wordfreq.table.cache_clear()
        again = wordfreq.table()
        assert again.total == first.total and again.need("中") == first.need("中")
    finally:
        wordfreq.table.cache_clear()
