"""Wrong figures never reach people: real models and real report files. Mostly lite (no judge:
the model answers whatever it is asked, so the citation check is the only guard).
"""
from __future__ import annotations

import pytest

from rag.checks.clauses import passage_figures
from rag.config import Config
from rag.textnorm import figures

pytestmark = pytest.mark.slow

SEVERAL_COUNTS = """澄州市青禾区司法局关于2024年度普法工作情况的报告

2024年,青禾区司法局坚持以习近平法治思想为指导,持续深化全民普法。

一、2024年普法工作主要情况

(一)深化法治宣传活动。全区连续4年开展“宪法宣传周”活动,连续9年开展“民法典宣传月”活动,连续11年开展“青少年模拟法庭”比赛,全年组织各类法治宣传活动236场。

(二)加强普法阵地建设。新建法治文化公园3个、法治宣传长廊12条,全区村(社区)法治文化阵地实现全覆盖。
"""


def _shown_figures_are_sourced(answer) -> None:
    held = set().union(*(passage_figures(c.passage) for c in answer.citations))
    shown = [f for f in figures(answer.text) if not f.startswith("20")]  # years say when
    assert all(f in held for f in shown), (answer.text, held)
    assert not set(answer.unsupported_numbers) & set(figures(answer.text))  # withheld means not shown


@pytest.fixture(scope="module")
def lite(lite_config):
    from rag.pipeline import load_answerer

    return load_answerer(lite_config)


def test_no_figure_is_shown_that_no_cited_passage_holds(lite):
    for question in ("2024年杭州全市教育经费总投入是多少亿元？", "全市一共有多少名在编教师？",
                     "市教育局2024年共处理了多少件信访件？"):
        _shown_figures_are_sourced(lite.answer(question))


def test_a_count_from_the_neighbouring_clause_is_never_the_answer(tmp_path, lite_config):
    from rag.embedding import get_embedder
    from rag.indexing import build_index
    from rag.pipeline import load_answerer

    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "qinghe_sfj_2024.txt").write_text(SEVERAL_COUNTS, encoding="utf-8")
    cfg = Config.from_env().with_(profile="lite", index_root=tmp_path / "index", source_dir=tmp_path / "reports")
    build_index(cfg, get_embedder(cfg))
    answerer = load_answerer(cfg)
    for question, right, wrong in (("“青少年模拟法庭”比赛连续开展了几年？", "11", {"4", "9"}),
                                   ("“民法典宣传月”活动已经连续开展了几年？", "9", {"4", "11"})):
        answer = answerer.answer(question)
        _shown_figures_are_sourced(answer)
        shown = set(figures(answer.text))
        assert not shown & wrong, answer.text  # another activity's count is never shown as this one's
        assert answer.refused or right in shown, answer.text


def test_a_new_subject_after_na_is_a_new_question_and_a_pronoun_follows_up(default_config):
    from conftest import needs_models

    from rag.pipeline import load_answerer

    needs_models("default", generator=True)
    shipped = load_answerer(default_config)  # the 0.5B cannot tell 学校 from 中小学、幼儿园
    first = "全市共聘任了多少名法治副校长？"
    history = [{"question": first, "answer": shipped.answer(first).text}]
    switch = shipped.answer("那新建了多少所学校？", history)
    assert switch.standalone_question == "新建了多少所学校？"  # not glued to the 法治副校长 question
    assert "96" in switch.text and "1237" not in switch.text
    assert any("96所" in c.passage.text for c in switch.citations)
    follow = shipped.answer("它们覆盖了多少所中小学？", history)
    assert follow.standalone_question.startswith("它们覆盖了多少所中小学") and "法治副校长" in follow.standalone_question
    assert "955" in follow.text


def test_evidence_retrieved_fourth_is_read_first_and_answered(default_config, monkeypatch):
    """Retrieval is the boundary here: the real search, with its order turned around so that the
    passage holding the answer comes 4th; judge, context and model are the real ones."""
    from dataclasses import replace

    from conftest import needs_models

    from rag.pipeline import load_answerer

    needs_models("default", generator=True)
    answerer = load_answerer(default_config.with_(answer_cache=0))
    search = answerer.retriever.search

    def evidence_fourth(question, top_k, scope=None):
        found = search(question, top_k, scope)
        hits = sorted(found.hits, key=lambda h: "1237" in h.passage.text)  # the evidence last
        return replace(found, hits=[replace(h, rank=i + 1) for i, h in enumerate(hits)])

    monkeypatch.setattr(answerer.retriever, "search", evidence_fourth)
    answer = answerer.answer("全市共聘任了多少名法治副校长？", top_k=4)
    assert [h.rank for h in answer.hits if "1237" in h.passage.text] == [4]
    assert "1237" in answer.context[0].hit.passage.text  # read first, whatever its rank
    assert not answer.refused and "1237" in answer.text
