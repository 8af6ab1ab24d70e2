"""Words (jieba with the user dictionary generated from rules/) and task keywords."""
from __future__ import annotations

import subprocess
import sys

import pytest

from plancli.keywords import keywords
from plancli.lexicon import dictionary_words
from plancli.segment import words


@pytest.mark.parametrize("name", ["市发展改革委", "市工业和信息化局", "市人力资源社会保障局", "每万人发明专利拥有量"])
def test_unit_and_indicator_names_stay_whole(name):
    """Names from the gazetteer and the indicator catalogue are single words, not 市/发展/改革委."""
    assert name in dictionary_words()
    assert name in words(f"{name}牵头,其他单位配合。")


def test_words_cover_the_text():
    text = "(责任单位:市科技局、市发展改革委、市工业和信息化局,临沂高新区管委会)"
    assert "".join(words(text)) == text


def test_keywords_name_the_topic_of_a_task():
    task = ("2.助推生态临沂建设。纵深推进大气污染防治行动,加快工业污染源、挥发性有机污染物、移动源污染综合"
            "防控技术研发与推广。积极推广农业秸秆综合利用技术,从源头减少露天焚烧、炼山造林行为。"
            "开展松材线虫病等林业有害生物防治技术研究,力争到“十四五”末,森林覆盖率达到23.67%。")
    found = keywords(task, 5)
    assert len(found) == 5
    assert {"污染", "污染物", "秸秆", "林业", "防治", "森林覆盖率", "大气污染"} & set(found)
    assert not {"加强", "推进", "的", "和"} & set(found)  # stop words never rank


def test_keywords_only_when_asked(tmp_path):
    """The default extract path must not load jieba (start-up cost); --keywords does."""
    sample = tmp_path / "plan.txt"
    sample.write_text("三、重点任务\n1.推动国家高新区高质量发展。加快建设科创走廊。(责任单位:市科技局)\n", encoding="utf-8")
    code = ("import sys, plancli.pipeline as p; d = p.extract(sys.argv[1]); "
            "print('jieba' in sys.modules, d.tasks[0].keywords)")
    out = subprocess.run([sys.executable, "-c", code, str(sample)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False []"
    code = ("import sys, plancli.pipeline as p; d = p.extract(sys.argv[1], keywords=True); "
            "print(len(d.tasks[0].keywords) > 0)")
    out = subprocess.run([sys.executable, "-c", code, str(sample)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
