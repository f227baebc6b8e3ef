"""The answer checks on the model's whole answer (rag/checks/answer.py): it declined, it only
restated the question, or nothing that answers is left after the clause checks."""
from __future__ import annotations

from rag.checks.answer import ECHO, MODEL_REFUSED, NO_COUNT, NOTHING_LEFT, is_echo, is_refusal, left_nothing, refused_outright
from rag.checks.asked import Asked
from rag.checks.thresholds import DEFAULT
from rag.prompting import REFUSAL
from rag.schema import Passage

TEXT = "全区共设立210个托管服务点;连续八年向社会开放学校体育场地(场馆),方便群众就近健身。"
FIELDS = Passage("f", "d", "", "", TEXT, 0, len(TEXT), ())


def test_model_refused():
    for text in (REFUSAL, "报告中没有提及相关预算。", "资料中未提到局长的名字[1]", "[1][2]", "无法回答该问题。"):
        assert is_refusal(text), text
    assert not is_refusal("共聘任1237名法治副校长[1]。")
    assert refused_outright("无法回答该问题。", Asked.of("学校开放吗？"), [FIELDS]) == (MODEL_REFUSED, "")


def test_echo_and_what_a_restated_yes_no_question_affirms():
    asked = Asked.of("晚上想去附近学校操场散步，学校开放吗？")
    assert refused_outright("学校开放[1]。", asked, [FIELDS]) == (ECHO, "学校开放。")
    # negated, it is a refusal in other words
    assert refused_outright("学校不开放[1]。", asked, [FIELDS]) == (MODEL_REFUSED, "")
    # an answer with words of its own from the passage is no echo
    assert refused_outright("连续八年向社会开放学校体育场地[1]。", asked, [FIELDS]) is None
    assert not is_echo("设立210个托管服务点[1]。", "设立了多少个托管服务点？", [FIELDS])


def test_echo_reads_the_table_it_is_given():
    question, answer = "学校开放体育场地吗？", "学校开放体育场地，方便群众健身[1]。"
    assert not is_echo(answer, question, [FIELDS])  # 方便, 群众, 健身: its own words from the passage
    assert is_echo(answer, question, [FIELDS], DEFAULT.with_(min_new_bigrams=9, min_new_name=9))


def test_left_nothing():
    how_many = Asked.of("设立了多少个托管服务点？")
    assert left_nothing("", how_many, True) is NOTHING_LEFT
    assert left_nothing("全区设立托管服务点。", how_many, False) is NO_COUNT  # a how-many answer with no count
    assert left_nothing("全区设立托管服务点210个[1]。", how_many, True) is None
    other = Asked.of("学校开放吗？")
    assert left_nothing("2024年学校开放[1]。", other, True) is NOTHING_LEFT  # only a year left where figures went
    assert left_nothing("学校开放[1]。", other, False) is None
