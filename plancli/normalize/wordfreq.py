"""jieba's word frequencies for the mojibake scorer, unpacked one first character at a time.

jieba's prefix dictionary (``jieba.dt.FREQ``: every word and word prefix, half a million
entries) takes about a second and 70 MB per process to load, while scoring a page's damaged
runs looks up words starting with a few hundred characters. So the dictionary is split once by
first character into a cache file (built from jieba's own table, so every number is the same),
and each process unpacks only the groups it needs: about 20 ms and 10 MB to open.
"""
from __future__ import annotations

import functools
import importlib.util
import marshal
import os
from pathlib import Path


class WordFreq:
    """``freq`` is the part of jieba's ``FREQ`` unpacked so far; ``need`` adds groups to it."""

    def __init__(self, total: int, groups: dict[str, bytes]):
        self.total = total
        self.freq: dict[str, int] = {}
        self._groups = groups

    def need(self, text: str) -> dict[str, int]:
        """``freq``, holding every entry that starts with a character of ``text``."""
        groups = self._groups
        if groups.keys().isdisjoint(text):  # the usual case once a page's characters are in
            return self.freq
        for ch in set(text):
            packed = groups.pop(ch, None)
            if packed is not None:
                self.freq.update(marshal.loads(packed))
        return self.freq


@functools.lru_cache(maxsize=1)
def table() -> WordFreq:
    """The split table, read from the user cache (built there on first use)."""
    from plancli.segment import user_cache_dir

    spec = importlib.util.find_spec("jieba")
    source = Path(spec.origin).parent / "dict.txt"  # what jieba.dt loads by default
    st = source.stat()
    cache = user_cache_dir() / f"wordfreq-{st.st_size}-{st.st_mtime_ns}.marshal"
    try:
        total, groups = marshal.loads(cache.read_bytes())
        return WordFreq(total, groups)
    except (OSError, ValueError, EOFError, TypeError):
        pass
    total, groups = _build()
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    try:
        tmp.write_bytes(marshal.dumps((total, groups)))
        tmp.replace(cache)  # atomic: parallel workers building at once never see half a file
    except OSError:
        pass
    return WordFreq(total, groups)


def _build() -> tuple[int, dict[str, bytes]]:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    by_first: dict[str, dict[str, int]] = {}
    for word, f in jieba.dt.FREQ.items():
        if word:
            by_first.setdefault(word[0], {})[word] = f
    return jieba.dt.total, {ch: marshal.dumps(words) for ch, words in by_first.items()}
