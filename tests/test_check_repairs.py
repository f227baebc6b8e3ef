"""The repairs (rag/checks/repairs.py) on their own: a marker pointed at the passage that supports
its sentence, a withheld clause taken out with its marker, the report's sentence quoted in place of
a failed answer, and a figure given its report's name."""
from __future__ import annotations

from rag.checks.asked import Asked
from rag.checks.clauses import Clause
from rag.checks.repairs import attribute, cite_sentences, keep, quote_evidence, repoint
from rag.checks.thresholds import DEFAULT
from rag.schema import Checked, Evidence, Location, Passage, ReportInfo

VPS = Passage("a", "d", "", "", "全市955所中小学实现法治副校长全覆盖,共聘任1237名法治副校长。", 0, 32, ())
SCHOOLS = Passage("b", "d", "", "", "今年全市新建成中小学、幼儿园96所,新增学位10.09万个;", 0, 29, ())
LAWSUITS = Passage("l", "d", "", "", "全年发生行政复议案件7件、行政诉讼案件2件,行政机关负责人出庭应诉率达到100%。", 0, 40, ())
REVIEWS = Passage("r", "d", "", "", "健全重大行政决策程序制度,全年审查重大决策4件、行政规范性文件2件、行政机关合同63件。", 0, 44, ())


def test_cite_sentences():
    # an unmarked sentence gets the passage it copies; a wrong marker the passage holding its figures
    assert cite_sentences("今年全市新建成中小学、幼儿园96所。", [VPS, SCHOOLS]) == "今年全市新建成中小学、幼儿园96所[2]。"
    assert cite_sentences("共聘任1237名法治副校长[2]。", [VPS, SCHOOLS]) == "共聘任1237名法治副校长[1]。"
    # a sentence copying too little of any passage is left unmarked; the table decides how little
    assert cite_sentences("法治教育很重要。", [VPS, SCHOOLS]) == "法治教育很重要。"
    assert cite_sentences("全市中小学法治副校长全覆盖。", [VPS, SCHOOLS], DEFAULT.with_(min_overlap=1.0)) == \
        "全市中小学法治副校长全覆盖。"
    assert cite_sentences("全市中小学法治副校长全覆盖。", [VPS, SCHOOLS]) == "全市中小学法治副校长全覆盖[1]。"


def test_repoint():
    # 2件 stands in [1] too, but there it counts 行政诉讼案件: [2] states it of 行政规范性文件
    asked = Asked.of("审了几件行政规范性文件？")
    sentence = "全年审查行政规范性文件2件[1]。"
    passages = [LAWSUITS, REVIEWS]
    moved = repoint(Clause(sentence, [LAWSUITS], passages, asked, sentence, passages, {}, None))
    assert moved.sentence == "全年审查行政规范性文件2件[2]。" and moved.cited == [REVIEWS]
    right = Clause("全年发生行政诉讼案件2件[1]。", [LAWSUITS], passages, Asked.of("发生了几件行政诉讼案件？"),
                   "全年发生行政诉讼案件2件[1]。", passages, {}, None)
    assert repoint(right) is right


def test_keep():
    assert keep("全区共聘任131名法治副校长[1]，其中新聘1名[2]。", {"1"}) == "全区共聘任131名法治副校长[1]。"
    # markers that sat only at the sentence's end still stand for what is left
    assert keep("全区共聘任131名法治副校长，开展法治讲座999场[1]。", {"999"}) == "全区共聘任131名法治副校长[1]。"
    assert keep("开展法治讲座999场[1]。", {"999"}) == ""  # nothing left


def test_attribute():
    reports = {"yx": ReportInfo("澄州市云溪区教育局", "云溪区", "澄州市", (2024,)),
               "qh": ReportInfo("澄州市青禾区教育局", "青禾区", "澄州市", (2024,))}
    yx = Passage("p", "yx", "", "", "全区共聘任103名法治副校长。", 0, 14, (Location("yx", 0, 14),))
    assert attribute("全区共聘任103名法治副校长[1]。", [yx], reports) == \
        "据澄州市云溪区教育局2024年度报告，全区共聘任103名法治副校长[1]。"
    assert attribute("云溪区共聘任103名法治副校长[1]。", [yx], reports) == "云溪区共聘任103名法治副校长[1]。"


def test_quote_evidence():
    counts = Passage("c", "d", "", "", "全市连续4年开展宪法宣传周活动,连续9年开展民法典宣传月活动,连续11年开展青少年模拟法庭比赛。",
                     0, 48, ())
    evidence = Evidence(counts, counts.text, 0, len(counts.text), 3.0)
    asked = Asked.of("青少年模拟法庭比赛连续开展了几年？")
    withheld = Checked("未作答", True, [], [], [], ["9"])
    quoted = quote_evidence(withheld, evidence, [counts], [1.0], asked)
    # only the stretch counting what was asked: 4 and 9 belong to the other activities
    assert not quoted.refused and quoted.text == "报告原文：连续11年开展青少年模拟法庭比赛[1]。"
    assert quoted.decisions[-1].check == "quote" and quoted.wrong_clause_numbers == ["9"]
    # a refusal the checks did not make (the model's own) is not replaced, nor a sentence that
    # does not count what is asked
    assert quote_evidence(Checked("未作答", True, [], []), evidence, [counts], [1.0], asked).refused
    other = Asked.of("组织机关干部参加了几次法治培训？")
    assert quote_evidence(withheld, evidence, [counts], [1.0], other) is withheld
