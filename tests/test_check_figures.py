"""The figure checks (rag/checks/clauses.py: FIGURE_CHECKS), each on its own: a figure of an
answer's sentence that a cited passage holds, asked whether it answers what was asked. Each test
builds one `Asked` and one passage, and asserts a case the check fails and one it passes."""
from __future__ import annotations

from rag.checks.asked import Asked
from rag.checks.clauses import FIGURE_CHECKS, Clause, Figure, false_rank, off_subject, outranked, unsaid, wrong_level
from rag.schema import Passage

STUDY = "全年组织领导班子集体学法9次，开展专题研讨5次。"
CONTEST = "连续6年开展演讲活动,我区学生在全国全省演讲比赛中屡获佳绩,今年在全省比赛中获特等奖2人、一等奖6人。"
CASES = "省教育厅公布的80个依法治校典型案例名单中,全区共计17个典型案例上榜,位列全省第二。"
SCHOOLS = "今年全区新建成中小学、幼儿园14所,新增学位2.3万个;设立课后服务点310个;全区学校课后服务全覆盖。"


def figure(text: str, question: str, answer: str, number: str) -> tuple[Clause, Figure]:
    """The clause of `answer` citing a passage of `text`, and its figure `number`."""
    p = Passage("p", "d", "", "", text, 0, len(text), ())
    clause = Clause(answer, [p], [p], Asked.of(question), answer, [p], {}, None)
    return clause, next(f for f in clause.stated if f.figure == number)


def test_the_figure_checks_run_in_their_order():
    assert [name for name, _ in FIGURE_CHECKS] == ["unsaid", "wrong_level", "false_rank", "off_subject", "outranked"]


def test_unsaid():
    # what the clause adds (参加法治培训) no sentence holding 9 says (领导班子集体学法)
    assert unsaid(*figure(STUDY, "组织机关干部参加了几次法治培训？", "组织机关干部参加法治培训9次[1]。", "9"))
    assert not unsaid(*figure(STUDY, "领导班子集体学法几次？", "领导班子集体学法9次[1]。", "9"))


def test_wrong_level():
    asked_nationally = "今年我区学生在全国演讲比赛中获得了几个一等奖？"
    assert wrong_level(*figure(CONTEST, asked_nationally, "今年在全国演讲比赛中获一等奖6人[1]。", "6"))
    assert not wrong_level(*figure(CONTEST, "今年在全省演讲比赛中获得了几个一等奖？", "今年在全省比赛中获一等奖6人[1]。", "6"))


def test_false_rank():
    assert false_rank(*figure(CASES, "全区在其中排第几？", "全区在其中排第17位[1]。", "17"))
    assert not false_rank(*figure(CASES, "全区在其中排第几？", "全区位列全省第二[1]。", "2"))


def test_off_subject():
    question = "这些新学校一共增加了多少个学位？"
    # 310个 is 课后服务点's count; 2.3万个 sits beside 学位, the very thing counted
    assert off_subject(*figure(SCHOOLS, question, "这些新学校一共增加了310个学位[1]。", "310"))
    assert not off_subject(*figure(SCHOOLS, question, "这些新学校一共增加了2.3万个学位[1]。", "2.3万"))


def test_outranked():
    # 5次 counts 专题研讨 in the question's words: 9次 of the neighbouring clause is not its answer
    assert outranked(*figure(STUDY, "开展了几次专题研讨？", "开展专题研讨9次[1]。", "9"))
    assert not outranked(*figure(STUDY, "开展了几次专题研讨？", "开展专题研讨5次[1]。", "5"))
    # a sentence listing several counts of what is asked has no rival among them
    listing = "开展专题研讨9次、5次[1]。"
    assert not outranked(*figure(STUDY, "开展了几次专题研讨？", listing, "9"))


def test_outranked_by_a_clause_naming_the_thing_counted():
    """A list of counts ("审查重大决策9件、规范性文件14件、行政机关合同236件"): asked about 行政机关合同, 9件
    sits in a stretch carrying fewer of the question's words and not naming the thing counted, while
    236件's names it: 9 is the neighbouring item's count. A figure whose own stretch names the thing
    (or carries as many words) keeps its place."""
    reviews = "全年审查区政府重大行政决策9件、行政规范性文件14件、行政机关合同236件,合法性审查率100%。"
    question = "一年审查了多少件行政机关合同？"
    assert outranked(*figure(reviews, question, "审查行政机关合同9件[1]。", "9"))
    assert not outranked(*figure(reviews, question, "审查行政机关合同236件[1]。", "236"))
    # "新建了多少所学校": 96所 counts 中小学、幼儿园, in as many of the question's words as 22所学校
    schools = "今年全市新建成中小学、幼儿园96所,新增学位10.09万个;22所学校被评为清廉学校建设示范校。"
    assert not outranked(*figure(schools, "新建了多少所学校？", "新建中小学、幼儿园96所[1]。", "96"))
