"""TF-IDF keywords for tasks, so analysts can search and group work items.

jieba ships an IDF table but its ``jieba.analyse`` module also loads the part-of-speech model
(about a second) that keyword ranking does not need. We tokenise with our own jieba instance
(user dictionary included, see ``segment.words``) and read the same IDF table once, caching it
in marshal form in the user cache directory.
"""
from __future__ import annotations

import functools
import marshal
import re
from collections import Counter
from pathlib import Path

#: Function words and plan boilerplate that carry no topic.
STOP_WORDS = frozenset(
    "的 了 和 与 及 或 等 在 对 为 以 将 把 被 从 向 于 并 也 都 而 其 之 是 有 这 那 各 每 该 "
    "加强 加快 推进 推动 进一步 积极 大力 全面 深入 不断 有效 重点 实施 建设 完善 提升 提高 支持 鼓励 "
    "开展 健全 强化 促进 发挥 形成 构建 实现 做好 相关 有关 工作 方面 领域 体系 机制 能力 水平 "
    "责任单位 牵头 配合".split()
)
_WORDISH = re.compile(r"^[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9&+-]*$")


@functools.lru_cache(maxsize=1)
def idf_table() -> tuple[dict[str, float], float]:
    """jieba's IDF values (word → idf) and their median, for words the table lacks."""
    import jieba

    from plancli.segment import user_cache_dir

    source = Path(jieba.__file__).parent / "analyse" / "idf.txt"
    cache = user_cache_dir() / f"idf-{source.stat().st_size}.marshal"
    try:
        table = marshal.loads(cache.read_bytes())
    except (OSError, ValueError, EOFError):
        table = {}
        for line in source.read_text(encoding="utf-8").splitlines():
            word, _, value = line.partition(" ")
            if value:
                table[word] = float(value)
        tmp = cache.with_suffix(".tmp")
        try:
            tmp.write_bytes(marshal.dumps(table))
            tmp.replace(cache)
        except OSError:
            pass
    values = sorted(table.values())
    return table, values[len(values) // 2] if values else 10.0


def keywords(text: str, k: int = 5) -> list[str]:
    """The ``k`` words of ``text`` with the highest TF-IDF (ties keep first appearance)."""
    if k <= 0 or not text.strip():
        return []
    from plancli.segment import words

    idf, median = idf_table()
    counts = Counter(w for w in words(text) if len(w) >= 2 and w not in STOP_WORDS and _WORDISH.match(w))
    total = sum(counts.values()) or 1
    scored = sorted(counts, key=lambda w: -(counts[w] / total) * idf.get(w, median))
    return scored[:k]
