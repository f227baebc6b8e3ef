"""The clause checks (rag/checks/clauses.py: CLAUSE_CHECKS), each on its own: which figures of one
sentence of the answer may not be shown, read with the passages it cites."""
from __future__ import annotations

from rag.checks.asked import Asked
from rag.checks.clauses import CLAUSE_CHECKS, Clause, misleveled, other_report, outside_scope, unstated_level, unsupported
from rag.schema import Location, Passage, ReportInfo
from rag.scoping import report_names

REPORTS = {"yx": ReportInfo("澄州市云溪区教育局", "云溪区", "澄州市", (2024,)),
           "qh": ReportInfo("澄州市青禾区教育局", "青禾区", "澄州市", (2024,))}
PASSAGES = [Passage(f"p{d}", d, "", "", f"全区共聘任{n}名法治副校长。", 0, 10, (Location(d, 0, 10),))
            for d, n in (("yx", 103), ("qh", 89))]
QUESTION = "全区共聘任了多少名法治副校长？"


def clause(sentence: str, cited: list[Passage], scope=None, reports=REPORTS, passages=PASSAGES) -> Clause:
    asked = Asked.of(QUESTION, report_names(reports))
    return Clause(sentence, cited, passages, asked, sentence, passages, reports, scope)


def test_the_clause_checks_run_in_their_order():
    assert [name for name, _ in CLAUSE_CHECKS] == ["unsaid", "wrong_level", "false_rank", "off_subject", "outranked",
                                                   "unsupported", "other_report", "level", "unstated_level",
                                                   "outside_scope"]


def test_unsupported():
    assert unsupported(clause("全区共聘任999名法治副校长[1]。", PASSAGES[:1])) == ["999"]
    assert unsupported(clause("全区共聘任103名法治副校长[1]。", PASSAGES[:1])) == []


def test_other_report():
    assert other_report(clause("青禾区共聘任103名法治副校长[1]。", PASSAGES[:1])) == ["103"]
    assert other_report(clause("云溪区共聘任103名法治副校长[1]。", PASSAGES[:1])) == []
    # 澄州市教育局 contains 澄州市, the region of the cited 云溪区 report: it is still another body
    reports = {"yx": ReportInfo("澄州市云溪区人民政府", "云溪区", "澄州市", (2024,)),
               "cz": ReportInfo("澄州市教育局", "澄州市", "", (2024,))}
    yunxi = [Passage("p", "yx", "", "", "加强行政规范性文件备案监督,审查备案部门和街道规范性文件44件。", 0, 30, ())]
    assert other_report(clause("澄州市教育局2024年度审查规范性文件44件[1]。", yunxi, None, reports, yunxi)) == ["2024", "44"]
    assert other_report(clause("澄州市云溪区人民政府审查规范性文件44件[1]。", yunxi, None, reports, yunxi)) == []
    # with one report there is no other body to misname
    assert other_report(clause("青禾区共聘任103名法治副校长[1]。", PASSAGES[:1], None, {"yx": REPORTS["yx"]})) == []


def test_level():
    assert misleveled(clause("全市共聘任103名法治副校长[1]。", PASSAGES[:1])) == ["103"]
    assert misleveled(clause("全区共聘任103名法治副校长[1]。", PASSAGES[:1])) == []  # its own level
    # a sentence naming no level counts at its report's level: a district's, not the city's
    bare = Passage("c", "qh", "", "", "共聘任77名法治副校长。", 0, 11, (Location("qh", 0, 11),))
    assert misleveled(clause("全市共聘任77名法治副校长[1]。", [bare], passages=[bare])) == ["77"]
    # a city's report counts the city; a district report that says 全市 itself is its own sentence's level
    city = {"hz": ReportInfo("杭州市教育局", "杭州市", "", (2024,))}
    hz = Passage("h", "hz", "", "", "共聘任1237名法治副校长。", 0, 13, (Location("hz", 0, 13),))
    says = Passage("s", "qh", "", "", "全市共聘任9999名法治副校长。", 0, 15, (Location("qh", 0, 15),))
    assert misleveled(clause("全市共聘任1237名法治副校长[1]。", [hz], None, city, [hz])) == []
    assert misleveled(clause("全市共聘任9999名法治副校长[1]。", [says], passages=[says])) == []


def test_unstated_level():
    """A district's report quoting the city's total as its sentence's subject: stated with no level
    word, under the district report's name, it would read as the district's own."""
    text = "全市共聘任9999名法治副校长。全区49所中小学实现法治副校长全覆盖，共聘任58名法治副校长。"
    district = Passage("g", "qh", "", "", text, 0, len(text), (Location("qh", 0, len(text)),))
    assert unstated_level(clause("共聘任9999名法治副校长[1]。", [district], passages=[district])) == ["9999"]
    assert unstated_level(clause("全市共聘任9999名法治副校长[1]。", [district], passages=[district])) == []  # said
    assert unstated_level(clause("共聘任58名法治副校长[1]。", [district], passages=[district])) == []  # its own
    # a level naming a contest, not the area counted, is no wider count: the city's own students
    city = {"hz": ReportInfo("杭州市教育局", "杭州市", "", (2024,))}
    text = "今年在全省比赛中获特等奖2人、一等奖6人。"
    contest = Passage("c", "hz", "", "", text, 0, len(text), (Location("hz", 0, len(text)),))
    assert unstated_level(clause("获一等奖6人[1]。", [contest], None, city, [contest])) == []


def test_outside_scope():
    assert outside_scope(clause("共聘任89名法治副校长[1]。", PASSAGES[1:], frozenset({"yx"}))) == ["89"]
    assert outside_scope(clause("共聘任89名法治副校长[1]。", PASSAGES[1:], frozenset({"qh"}))) == []
    assert outside_scope(clause("共聘任89名法治副校长[1]。", PASSAGES[1:], None)) == []  # any report


def test_a_figure_misread_from_another_clause():
    other = Passage("o", "yx", "", "", "全年组织领导班子集体学法9次，开展专题研讨5次。", 0, 24, (Location("yx", 0, 24),))
    asked = Asked.of("组织机关干部参加了几次法治培训？")
    wrong = Clause("组织机关干部参加法治培训9次[1]。", [other], [other], asked, "", [other], REPORTS, None)
    assert wrong.misread == ["9"] and wrong.faults == [("9", "unsaid")]
    assert clause("全区共聘任103名法治副校长[1]。", PASSAGES[:1]).misread == []
