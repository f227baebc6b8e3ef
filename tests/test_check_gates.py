"""The gates before the model (rag/checks/gates.py), each on its own: a case it refuses and one it
lets through, built from a scope, a retrieval and one or two passages (no model, no index)."""
from __future__ import annotations

from rag.checks.gates import GATES, Pending, filtered_out, irrelevant, missing_terms, out_of_scope, run_gates
from rag.schema import ContextItem, Hit, Passage, Retrieval, Scope

TEXT = "全市955所中小学实现法治副校长全覆盖,共聘任1237名法治副校长。"
PASSAGE = Passage("p1", "hz", "杭州市教育局关于2024年度法治政府建设报告", "一、主要工作", TEXT, 0, len(TEXT), (),
                  "杭州市教育局 · 2024年度")
HIT = Hit(PASSAGE, 0.03, 0.71, 12.0, 1)
CONTEXT = [ContextItem(1, HIT, TEXT)]


def pending(question="全市共聘任了多少名法治副校长？", scope=Scope(), relevant=True, context=CONTEXT) -> Pending:
    return Pending(question, scope, Retrieval(question, [HIT], relevant, 0.01, "v1", scope), context, 0.45)


def test_out_of_scope_refuses_what_no_report_covers_and_names_it():
    refused = out_of_scope(pending(scope=Scope(frozenset(), ("上城区教育局",), ("上城区教育局",))))
    assert refused.action == "refuse" and refused.figures == ("上城区教育局",) and "上城区教育局" in refused.reason
    assert out_of_scope(pending(scope=Scope(frozenset({"hz"}), ("杭州市",)))) is None


def test_filtered_out_refuses_an_empty_meeting_of_picked_and_named_reports():
    assert filtered_out(pending(scope=Scope(frozenset(), ("云溪区",), (), chosen=frozenset({"hz"})))).check == "filter"
    assert filtered_out(pending(scope=Scope(frozenset({"hz"}), (), (), chosen=frozenset({"hz"})))) is None
    assert filtered_out(pending(scope=Scope(frozenset(), ("白沙县",), ("白沙县",)))) is None  # out of scope, not a filter


def test_irrelevant_refuses_with_the_closest_cosine_against_the_threshold():
    refused = irrelevant(pending("如何做红烧肉？", relevant=False, context=[]))
    assert (refused.check, refused.value, refused.threshold) == ("relevance", 0.71, 0.45)
    assert irrelevant(pending()) is None


def test_missing_terms_refuses_a_year_or_quoted_name_the_passages_lack():
    refused = missing_terms(pending("2019年全市共聘任了多少名法治副校长？"))
    assert refused.figures == ("2019年",) and "2019年" in refused.reason
    assert missing_terms(pending("“澄学通”平台服务了多少人次？")).figures == ("“澄学通”",)
    assert missing_terms(pending("2024年全市共聘任了多少名法治副校长？")) is None  # the report's own label says 2024
    assert missing_terms(pending(context=[])) is None  # nothing to read: not this gate's call


def test_the_gates_run_in_their_listed_order_and_stop_at_the_first_refusal():
    assert [g.__name__ for g in GATES] == ["out_of_scope", "filtered_out", "irrelevant", "missing_terms"]
    both = pending("2019年上城区教育局聘任了多少名法治副校长？", scope=Scope(frozenset(), (), ("上城区教育局",)))
    assert run_gates(both).check == "scope"  # not also "missing": one reason, the first
    assert run_gates(pending()) is None
