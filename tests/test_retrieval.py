"""Retrieval on the real seed with both real embedders: the supporting passage is in the top 3."""
from __future__ import annotations

import pytest

from rag.embedding import get_embedder
from rag.errors import IndexMissing
from rag.models import profile_spec
from rag.retrieval import Retriever

# (question, a string the supporting passage contains)
QUESTIONS = [
    ("全市共聘任了多少名法治副校长？", "1237名法治副校长"),
    ("今年新建了多少所中小学和幼儿园？", "幼儿园96所"),
    ("暑期托管服务点一共有多少个？", "1385个托管服务点"),
    ("领导班子全年集体学法几次？", "集体学法4次"),
    ("审查了多少件行政机关合同？", "行政机关合同127件"),
    ("入驻全国平台的成人文化教育类培训机构有多少家？", "培训机构164家"),
    ("有多少名拟聘用教职工完成了准入查询？", "7386名"),
    ("依申请政府信息公开办结了多少件？", "政府信息公开93件"),
    ("清膳E家平台有多少个模块和指标？", "5大模块18项指标"),
    ("学宪法讲宪法活动连续开展了几年？", "连续9年"),
    ("躺睡工程的受益学生占比是多少？", "40.4%"),
    ("2025年在行政执法方面有什么安排？", "着力提升行政执法质效"),
    ("明年怎么完善法治副校长制度？", "完善法治副校长工作制度"),
]
OFF_TOPIC = ["今天天气怎么样", "如何做红烧肉", "股票明天会涨吗", "Python怎么读取文件"]


def _retriever(cfg):
    embedder = get_embedder(cfg)
    return Retriever(cfg.index_dir, embedder, profile_spec(cfg.profile).min_dense)


@pytest.mark.parametrize("profile", ["lite", "default"])
def test_supporting_passage_in_top3(profile, request):
    cfg = request.getfixturevalue(f"{profile}_config")
    retriever = _retriever(cfg)
    misses = []
    for question, needle in QUESTIONS:
        result = retriever.search(question, 3)
        assert result.relevant, question
        if not any(needle in h.passage.text for h in result.hits):
            misses.append((question, [h.passage.text[:30] for h in result.hits]))
    assert not misses, misses


@pytest.mark.parametrize("profile", ["lite", "default"])
def test_off_topic_questions_are_not_relevant(profile, request):
    retriever = _retriever(request.getfixturevalue(f"{profile}_config"))
    for question in OFF_TOPIC:
        assert not retriever.search(question, 3).relevant, question


def test_hits_carry_paths_scores_and_offsets(lite_config, seed_path):
    hits = _retriever(lite_config).search("法治副校长", 4).hits
    text = seed_path.read_text(encoding="utf-8")
    assert [h.rank for h in hits] == [1, 2, 3, 4]
    assert all(hits[i].score >= hits[i + 1].score for i in range(3))
    top = hits[0].passage
    assert top.path.startswith("一、2024年推进法治政府建设主要情况")
    assert text[top.start:top.end] == top.text and len(top.sources) == 2


def test_index_from_another_embedder_is_refused(lite_config, default_config):
    with pytest.raises(IndexMissing, match="embedder"):
        Retriever(lite_config.index_dir, get_embedder(default_config), 0.2)


ENGLISH = [
    ("How many rule-of-law vice principals were appointed across the city?", "1237名法治副校长"),
    ("How many administrative contracts were reviewed?", "行政机关合同127件"),
    ("How many summer childcare service points were set up?", "1385个"),
]


def test_a_sentence_that_answers_is_closer_in_meaning_than_a_near_miss(default_config):
    """The judge is skipped for a sentence plainly_meant close to the question (checks/judge.py): the
    sentence that answers reaches it, one on the same topic that does not answer stays below."""
    from rag.checks.thresholds import DEFAULT
    from rag.evidence import best_evidence, similarity

    retriever = _retriever(default_config)
    for question, needle, answers in [
        ("公平竞争审查中自查了多少件增量政策措施？", "增量政策措施15件", True),
        ("“宪法晨读”活动中传唱的是哪首歌曲？", "宪法伴我们成长", True),
        ("“清膳E家”平台目前已经覆盖了多少所学校食堂？", "清膳E家", False),  # the report gives no count
        ("法治副校长主要来自公安、法院还是检察院，各占多少？", "1237名", False),
    ]:
        evidence = best_evidence(retriever.search(question, 4).hits, question)
        assert needle in evidence.text, (question, evidence.text)
        assert (similarity(evidence, question, retriever.embedder) >= DEFAULT.plainly_meant) == answers, question


@pytest.mark.slow
def test_an_english_question_shows_the_reports_sentence_before_the_model_translates(default_config):
    """The embedder is multilingual: the evidence comes from the English words, before any model call."""
    from fakes import ScriptedGenerator

    from rag.answering import Answerer

    retriever = _retriever(default_config)
    for question, needle in ENGLISH:
        generator = ScriptedGenerator(["无关的译文"])
        answerer = Answerer(default_config, retriever, generator)
        first = next(answerer.stream(question))
        assert first.kind == "evidence" and needle in first.data.text, (question, first)
        assert generator.streamed == []  # the translation has not started yet
