"""The 原文 sentence shown before the model answers (rag/evidence.py), picked without a model."""
from __future__ import annotations

from rag.evidence import best_evidence
from rag.schema import Hit, Passage


def _hits(*texts: str) -> list[Hit]:
    return [Hit(Passage(f"p{i}", "d", "", "", t, 0, len(t), ()), 0.03, 0.6, 5.0, i) for i, t in enumerate(texts, 1)]


def test_the_question_s_verb_outweighs_where_the_report_puts_the_counted_noun():
    """"新建了多少所学校？": the counter 所 is rewarded once, where a figure of it stands; as the bigram
    所学 it would count again only where the noun follows the figure ("22所学校"), and that word
    order beat the question's verb (新建) in a follow-up of a real conversation."""
    hits = _hits("今年全市新建成中小学、幼儿园96所,新增学位10.09万个;",
                 "深入推进清廉学校建设,22所学校被评为省清廉学校建设示范校。")
    assert "96所" in best_evidence(hits, "新建了多少所学校？").text
    # the same passages, asked about the other: its sentence
    assert "22所" in best_evidence(hits, "多少所学校被评为清廉学校建设示范校？").text


def test_of_equal_scores_the_sentence_whose_counting_clause_carries_the_question_wins():
    """The count bonus is the sentence's, whichever of its figures earned it: of two sentences
    scoring alike, the one where a figure of the counter stands in the clause naming what is asked."""
    hits = _hits("行政诉讼案件办理规范,受理行政复议申请5件。行政诉讼案件均未败诉,全年发生行政诉讼案件6件。")
    assert "6件" in best_evidence(hits, "有几件行政诉讼案件？").text


def test_whose_and_when_do_not_pick_the_sentence():
    """A question naming its body and year ("青禾区2024年新增了多少个学位？") matched the report's opening
    sentence, which names both and answers nothing; scored without the reports' names and own
    years, the sentence stating the count wins. A year the reports are not about (a 2024 report's
    plans for 2025) says what is asked and still counts."""
    hits = _hits("2024年，青禾区教育局坚持以习近平法治思想为指导，全面推进青禾区教育法治建设。",
                 "全年全区新建成中小学、幼儿园7所，新增学位6,480个，新建学校全部按计划投入使用。")
    question, names = "青禾区教育局2024年新增了多少个学位？", ("青禾区教育局", "青禾区", "青禾")
    assert "6,480" in best_evidence(hits, question, names, (2024,)).text
    assert "6,480" not in best_evidence(hits, question).text  # as the question was scored before
    plans = _hits("2024年，全区压实法治建设责任，召开专题会议3次。", "2025年，将继续压实法治建设责任，完善述法制度。")
    assert "2025年" in best_evidence(plans, "2025年如何压实法治建设责任？", names, (2024,)).text
