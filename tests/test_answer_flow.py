"""`Answerer.stream` end to end with a fake embedder and a scripted generator: milliseconds a test.

The index, retrieval, scoping, prompts, judge threshold and citation check are the real code over
real report files; only the models are stand-ins (tests/fakes.py), so these tests pin the answer
path's behaviour while the real-model tests (test_cli_answers, test_api…) pin the models' answers.
"""
from __future__ import annotations

import re

import pytest
from fakes import FakeEmbedder, ScriptedGenerator

import rag.pipeline  # noqa: F401  (imported before the patches below, or it would keep the patched names)
from rag.answering import Answerer
from rag.checks.thresholds import Thresholds
from rag.config import Config
from rag.errors import BadInput
from rag.indexing import build_index
from rag.keyword import pos_tags
from rag.prompting import JUDGE_SUFFIX, JUDGE_SYSTEM, REFUSAL, TRANSLATE_SYSTEM
from rag.retrieval import Retriever

REPORT = """{body}关于2024年度法治政府建设报告

来源:{body}法规科  发布日期:2025-02-07 09:34  浏览次数:

2024年,{body}以习近平法治思想为指导,将法治政府建设深度融入教育改革发展之中。

一、2024年推进法治政府建设主要情况

(一)深化学校法治教育,护航青少年健康成长。全区{schools}所中小学实现法治副校长全覆盖,共聘任{vps}名法治副校长,积极参与学校安全事故、侵权纠纷等调解协商。

(二)推进依法行政。全年办理行政复议案件{cases}件,组织机关干部集中学法{studies}次。

二、2025年度推进法治政府建设主要安排

(一)持续深化普法教育。计划开展“宪法进校园”活动{events}场,推动法治教育进课堂。
"""
# Invented places: a name the gazetteer lacks needs a stem of two characters (甲区 would read like 牧区, 灾区)
JIA = {"body": "甲溪区教育局", "schools": 120, "vps": 156, "cases": 7, "studies": 5, "events": 40}
YI = {"body": "乙溪区教育局", "schools": 98, "vps": 131, "cases": 4, "studies": 6, "events": 25}
QUESTION = "全区共聘任了多少名法治副校长？"
# in its own words: no sentence says it in the question's words, so the judge decides
PARAPHRASE = "学校里有多少个法律方面的副校长？"
EMBEDDER = FakeEmbedder()


def _index(folder, *reports: dict) -> Config:
    """The reports indexed once per module (jieba's dictionaries load here, ~1 s, once per process)."""
    cfg = Config().with_(profile="default", index_root=folder / "index", source_dir=folder / "reports")
    cfg.source_dir.mkdir(parents=True)
    for i, fields in enumerate(reports):
        (cfg.source_dir / f"{i}.txt").write_text(REPORT.format(**fields), encoding="utf-8")
    build_index(cfg, EMBEDDER)
    pos_tags("乙溪区")  # jieba's part-of-speech model, which scoping uses, loads here rather than in a test
    return cfg


@pytest.fixture(autouse=True)
def no_real_models(monkeypatch):
    """A test here that reached for a real model would take seconds: make it fail instead."""
    def refuse(*_):
        raise AssertionError("a fast test loaded a real model")

    for module in ("rag.embedding.get_embedder", "rag.generation.get_generator", "rag.pipeline.get_embedder",
                   "rag.pipeline.get_generator"):
        monkeypatch.setattr(module, refuse)


@pytest.fixture(scope="module")
def one_report(tmp_path_factory) -> Config:
    return _index(tmp_path_factory.mktemp("one"), JIA)


@pytest.fixture(scope="module")
def two_reports(tmp_path_factory) -> Config:
    return _index(tmp_path_factory.mktemp("two"), JIA, YI)


def answerer(cfg: Config, *replies: str, judge_score: float = 5.0, min_dense: float = 0.0,
             thresholds: Thresholds | None = None, **settings):
    generator = ScriptedGenerator(replies, judge_score)
    return Answerer(cfg.with_(**settings), Retriever(cfg.index_dir, EMBEDDER, min_dense=min_dense), generator,
                    thresholds), generator


def judge_decision(ans):
    """The judge's decision on an answer (None: the judge did not act)."""
    return next((d for d in ans.decisions if d.check == "judge"), None)


def skipped(ans) -> str:
    """How a sentence said what was asked when the judge was skipped ('words', 'meaning'), else ''."""
    d = judge_decision(ans)
    return d.figures[0] if d is not None and d.action == "skip_judge" else ""


def test_events_come_in_order_evidence_retrieved_tokens_answer(one_report):
    reply = "全区共聘任156名法治副校长[1]。"
    a, gen = answerer(one_report, reply)
    events = list(a.stream(QUESTION))
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["evidence", "retrieved"] and kinds[-1] == "answer" and set(kinds[2:-1]) == {"token"}
    assert events[1].data.hits and "".join(e.data for e in events[2:-1]) == reply
    # the evidence is the report's own sentence holding the answer, at its offsets in the report
    evidence, report = events[0].data, (one_report.source_dir / "0.txt").read_text(encoding="utf-8")
    assert "共聘任156名法治副校长" in evidence.text and report[evidence.start:evidence.end] == evidence.text
    ans = events[-1].data
    assert ans.evidence == evidence and ans.to_json()["evidence"]["text"] == evidence.text
    assert not ans.refused and ans.text == reply and [c.n for c in ans.citations] == [1]
    assert "156" in ans.citations[0].passage.text and ans.unsupported_numbers == []
    assert {"retrieve", "first_token", "total"} <= set(ans.timings_ms)
    # the evidence says it in the question's own words: the judge is not asked, the model answers once
    assert skipped(ans) == "words" and "judge" not in ans.timings_ms
    assert gen.judged == [] and len(gen.streamed) == 1
    a, gen = answerer(one_report, reply)
    judged = a.answer(PARAPHRASE)  # in other words: the judge decides, then the model answers
    assert not skipped(judged) and "judge" in judged.timings_ms
    assert len(gen.judged) == 1 and len(gen.streamed) == 1 and not judged.refused


def test_a_sentence_close_in_meaning_in_half_the_words_skips_the_judge(one_report):
    # the fake embedder's cosine of this question and its sentence is 0.44; the real threshold is
    # calibrated for EmbeddingGemma (test_retrieval), so the logic is pinned at the fake's scale
    question = "区里聘请了多少位法治副校长参与学校纠纷调解？"  # 0.6 of its words in the sentence
    a, gen = answerer(one_report, "全区共聘任156名法治副校长[1]。", thresholds=Thresholds(plainly_meant=0.4))
    ans = a.answer(question)
    assert skipped(ans) == "meaning" and gen.judged == [] and not ans.refused
    assert judge_decision(ans).threshold == 0.4 and 0.4 <= judge_decision(ans).value < 0.5
    # not close enough: the judge decides
    a, gen = answerer(one_report, "全区共聘任156名法治副校长[1]。", thresholds=Thresholds(plainly_meant=0.5))
    assert not skipped(a.answer(question)) and len(gen.judged) == 1
    # close enough, in too few of its words
    a, gen = answerer(one_report, "全区共聘任156名法治副校长[1]。",
                      thresholds=Thresholds(plainly_meant=0.4, meant_share=0.7))
    assert not skipped(a.answer(question)) and len(gen.judged) == 1


@pytest.mark.parametrize("score,refused", [(0.5, True), (1.5, False)])
def test_the_judge_threshold_refuses_below_and_answers_above(one_report, score, refused):
    a, gen = answerer(one_report, "全区共聘任156名法治副校长[1]。", judge_score=score, judge_min=1.0)
    ans = a.answer(PARAPHRASE)
    assert ans.refused is refused and judge_decision(ans).value == score
    # a passage at the threshold settles it; below it, the next passage is judged too
    assert len(gen.judged) == (2 if refused else 1)
    if refused:
        assert ans.text == REFUSAL and ans.citations == [] and gen.streamed == []  # the model never answers
        assert ans.hits  # the closest passages are still there to show
    else:
        assert "156" in ans.text and ans.citations


def test_the_judge_of_a_factual_question_reads_the_sentence_closest_to_it(one_report):
    a, gen = answerer(one_report, "全区共聘任156名法治副校长[1]。", factual_judge_chars=30)
    assert a.factual_judge_chars == 30 and not a.answer(PARAPHRASE).refused
    judged = gen.judged[0][-1]["content"]
    # the passage's sentence that holds the answer, not the rest of the answer's excerpt
    assert "共聘任156名法治副校长" in judged and "护航青少年健康成长" not in judged
    assert "护航青少年健康成长" in gen.streamed[0][-1]["content"]  # the answer still reads its whole excerpt
    # 0: the judge reads the answer's excerpt
    a, gen = answerer(one_report, "全区共聘任156名法治副校长[1]。", factual_judge_chars=0)
    a.answer(PARAPHRASE)
    assert "护航青少年健康成长" in gen.judged[0][-1]["content"]
    # a plan or list needs its heading and the measures under it: its judge reads the whole excerpt
    a, gen = answerer(one_report, "全区开展了哪些法治副校长工作？", factual_judge_chars=30)
    a.answer("学校里的法律副校长都做了哪些工作？")
    assert "护航青少年健康成长" in gen.judged[0][-1]["content"]


def test_a_count_the_report_states_in_the_questions_words_overrules_a_judges_no(one_report):
    a, gen = answerer(one_report, "全年办理行政复议案件7件[1]。", judge_score=-1.0)
    ans = a.answer("全年复议案件有多少件？")  # 4 of its 5 words: the judge is asked, and overruled
    assert not ans.refused and "7件" in ans.text and judge_decision(ans).action == "overrule" and len(gen.streamed) == 1
    # asked about something the sentence does not count in those words: the judge's no stands
    a, gen = answerer(one_report, "全年办理行政诉讼案件7件[1]。", judge_score=-1.0)
    ans = a.answer("甲溪区教育局全年发生了多少件行政诉讼案件？")
    assert ans.refused and judge_decision(ans).action == "refuse" and gen.streamed == []


def test_a_shared_judge_asks_at_the_end_of_the_answer_prompt(one_report):
    a, gen = answerer(one_report, "全区共聘任156名法治副校长[1]。", shared_judge=True, judge_min=1.0)
    assert a.shares_judge_prompt and not a.answer(PARAPHRASE).refused
    judged, answered = gen.judged[0], gen.streamed[0]
    # one prompt: the judge's is the answer's with a last yes/no question, so its passages are read once
    assert judged[:-1] == answered[:-1] and judged[-1]["content"] == answered[-1]["content"] + JUDGE_SUFFIX
    assert answered[-1]["content"].endswith(f"【问题】{PARAPHRASE}")
    refused, gen = answerer(one_report, "不该用到的回答", judge_score=0.5, shared_judge=True, judge_min=1.0)
    assert refused.answer(PARAPHRASE).refused and gen.streamed == []
    # without a threshold for its scale (the profile has none yet) the judge keeps its own prompt
    separate, gen = answerer(one_report, "全区共聘任156名法治副校长[1]。", shared_judge=True)
    assert not separate.shares_judge_prompt and separate.judge_min == 0.8
    separate.answer(PARAPHRASE)
    assert gen.judged[0][0]["content"] == JUDGE_SYSTEM


def test_judge_threshold_comes_from_the_profile_unless_set(one_report):
    assert answerer(one_report)[0].judge_min == 0.8  # the default profile's
    assert answerer(one_report, judge_min=2.0)[0].judge_min == 2.0
    a, gen = answerer(one_report, "全区共聘任156名法治副校长[1]。", profile="lite")  # lite has no judge
    assert not a.answer(QUESTION).refused and gen.judged == []


def test_a_refusal_from_the_model_has_the_refusal_text_and_no_citations(one_report):
    a, _ = answerer(one_report, "根据资料，没有提及这一内容[1]。")
    ans = a.answer(QUESTION)
    assert ans.refused and ans.text == REFUSAL and ans.citations == [] and ans.unsupported_numbers == []


def test_an_off_topic_question_is_refused_without_any_model_call(one_report):
    a, gen = answerer(one_report, "不该用到的回答", min_dense=0.99)
    events = list(a.stream("明天的天气怎么样？"))
    assert [e.kind for e in events] == ["retrieved", "answer"] and not events[0].data.relevant
    assert events[-1].data.refused and events[-1].data.text == REFUSAL
    assert gen.streamed == [] and gen.judged == []


def test_an_english_question_is_translated_then_answered_in_chinese(one_report):
    translation = "全区共聘任了多少名法治副校长？"
    a, gen = answerer(one_report, translation, "全区共聘任156名法治副校长[1]。")
    ans = a.answer("How many vice principals for the rule of law were appointed?")
    assert gen.streamed[0][0]["content"] == TRANSLATE_SYSTEM  # the first model call translates
    assert ans.standalone_question == translation and gen.streamed[1][-1]["content"].endswith(f"【问题】{translation}")
    assert not ans.refused and "156" in ans.text and "translate" in ans.timings_ms
    fallback, _ = answerer(one_report, "Sorry, I cannot translate that.")
    assert fallback.translate("How many?") == "How many?"  # no Chinese back: the question as asked


def test_markers_are_normalised_and_numbers_not_in_cited_passages_are_reported(one_report):
    a, _ = answerer(one_report, "全区共聘任156名法治副校长【1】，其中女性999名［1］[9]。")
    ans = a.answer(QUESTION)
    # 【1】［1］ → [1]; [9] points at nothing; 999 is in no cited passage, so its clause is not shown
    assert ans.text == "全区共聘任156名法治副校长[1]。"
    assert [c.n for c in ans.citations] == [1] and ans.unsupported_numbers == ["999"]


def _blocks(messages: list[dict]) -> list[str]:
    """The passages as the model read them: the '[n] …' lines of the last user message."""
    return [ln for ln in messages[-1]["content"].split("\n") if re.match(r"\[\d+\] ", ln)]


def test_a_question_naming_one_report_gets_only_its_passages_each_labelled(two_reports):
    a, gen = answerer(two_reports, "乙溪区共聘任131名法治副校长[1]。")
    yi = next(d for d, info in a.retriever.version.reports.items() if info.body == "乙溪区教育局")
    ans = a.answer("乙溪区学校里有多少个法律方面的副校长？")
    assert ans.hits and {h.passage.doc_id for h in ans.hits} == {yi} and ans.scope == ("乙溪区教育局 · 2024年度",)
    blocks = _blocks(gen.streamed[0])
    assert blocks and all(b.split(" ", 1)[1].startswith("【乙溪区教育局 · 2024年度】") for b in blocks)
    assert "156" not in gen.streamed[0][-1]["content"]  # 甲溪区's figure never reaches the model
    assert gen.judged[0][-1]["content"].startswith("资料：【乙溪区教育局 · 2024年度】")
    assert not ans.refused and "131" in ans.text and ans.citations[0].passage.doc_id == yi


def test_a_question_naming_no_report_sees_each_passage_with_its_own_label(two_reports):
    a, gen = answerer(two_reports, "甲溪区共聘任156名法治副校长[1]。")
    a.answer(QUESTION, top_k=8)
    labels = {re.match(r"\[\d+\] (【[^】]+】)", b).group(1) for b in _blocks(gen.streamed[0])}
    assert labels == {"【甲溪区教育局 · 2024年度】", "【乙溪区教育局 · 2024年度】"}


def test_a_repeated_question_is_answered_from_the_cache_until_the_index_changes(tmp_path):
    cfg = _index(tmp_path, JIA)
    a, gen = answerer(cfg, "全区共聘任156名法治副校长[1]。", "全区共聘任156名法治副校长[1]。")
    first = a.answer(QUESTION)
    again = a.answer(" " + QUESTION)  # the same question, typed again
    assert again.text == first.text and again.citations == first.citations and again.cached
    assert len(gen.streamed) == 1  # no second model call
    # a follow-up that resolves to another question is not a cache hit
    assert not a.answer("那办理了多少件行政复议案件？", [{"question": QUESTION, "answer": first.text}]).cached
    # a new index version invalidates it
    (cfg.source_dir / "0.txt").write_text(REPORT.format(**{**JIA, "vps": 157}), encoding="utf-8")
    build_index(cfg, EMBEDDER)
    assert not a.answer(QUESTION).cached
    # and it can be turned off
    off, gen_off = answerer(cfg, "甲[1]。", "乙[1]。", answer_cache=0)
    off.answer(QUESTION), off.answer(QUESTION)
    assert len(gen_off.streamed) == 2


def test_every_refusal_and_withheld_figure_carries_its_decision_and_reason(one_report):
    off, _ = answerer(one_report, "不该用到的回答", min_dense=0.99)
    ans = off.answer("明天的天气怎么样？")
    first = ans.decisions[0]
    assert (first.check, first.action) == ("relevance", "refuse") and first.value < first.threshold == 0.99
    assert ans.why.startswith("未作答：报告中没有与问题相关的段落") and ans.to_json()["why"] == ans.why

    low, _ = answerer(one_report, "不该用到的回答", judge_score=0.5)
    judged = low.answer(PARAPHRASE)
    assert judged.refused and [(d.check, d.action, d.value) for d in judged.decisions] == [("judge", "refuse", 0.5)]
    assert "0.50" in judged.why

    withheld, _ = answerer(one_report, "全区共聘任156名法治副校长[1]，其中女性999名[1]。")
    shown = withheld.answer(QUESTION)
    assert not shown.refused and "999" not in shown.text
    assert [(d.check, d.action, d.figures) for d in shown.decisions if d.action == "withhold"] == [
        ("unsupported", "withhold", ("999",))]
    assert shown.why == "未显示 999：引用的段落中没有这些数字。"

    model, _ = answerer(one_report, "资料中没有相关信息。")
    said_no = model.answer(QUESTION)
    assert said_no.refused and said_no.decisions[-1].check == "model_refused" and said_no.why

    scoped, _ = answerer(one_report, "不该用到的回答")
    outside = scoped.answer("2019年全区共聘任了多少名法治副校长？")
    assert outside.refused and outside.decisions[0].check == "scope" and "2019年" in outside.why
    assert outside.reasons() == []  # its text already says which report is missing
    assert judged.reasons() == [judged.why] and shown.reasons() == []  # 999 has its own note


def test_reports_picked_by_hand_meet_the_questions_own_scope(two_reports):
    from rag.schema import ReportFilter

    a, gen = answerer(two_reports, "全区共聘任131名法治副校长[1]。")
    reports = a.retriever.version.reports
    yi = next(d for d, info in reports.items() if info.body == "乙溪区教育局")
    for picked in (ReportFilter(doc_ids=(yi,)), ReportFilter(bodies=("乙溪区教育局",)),
                   ReportFilter(bodies=("乙溪区教育局",), years=(2024,))):
        ans = a.answer(QUESTION, reports=picked)  # the question names no report: only the picked one
        assert ans.hits and {h.passage.doc_id for h in ans.hits} == {yi} and "131" in ans.text, picked
    # picked 乙溪区, asked about 甲溪区: nothing in common, said with both, no model call
    calls = len(gen.streamed)
    other = a.answer("甲溪区共聘任了多少名法治副校长？", reports=ReportFilter(doc_ids=(yi,)))
    assert other.refused and "乙溪区教育局 · 2024年度" in other.text and "甲溪区" in other.text
    assert other.decisions[0].check == "filter" and len(gen.streamed) == calls and "156" not in other.text
    with pytest.raises(BadInput, match="白沙县教育局"):
        a.answer(QUESTION, reports=ReportFilter(bodies=("白沙县教育局",)))
    with pytest.raises(BadInput, match="1999"):
        a.answer(QUESTION, reports=ReportFilter(years=(1999,)))
    with pytest.raises(BadInput, match="together"):  # each value exists, but no report has both
        a.answer(QUESTION, reports=ReportFilter(bodies=("乙溪区教育局",), doc_ids=(next(d for d in reports if d != yi),)))


def test_widening_ignores_the_scope_the_question_implies(two_reports):
    a, _ = answerer(two_reports, "乙溪区共聘任131名法治副校长[1]。")
    scoped = a.answer("乙溪区共聘任了多少名法治副校长？")
    wide = a.answer("乙溪区共聘任了多少名法治副校长？", widen=True)
    assert scoped.scope == ("乙溪区教育局 · 2024年度",) and len({h.passage.doc_id for h in scoped.hits}) == 1
    assert wide.scope == () and len({h.passage.doc_id for h in wide.hits}) == 2
