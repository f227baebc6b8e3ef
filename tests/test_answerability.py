"""The cheap answerability check: years and places the passages do not mention."""
from __future__ import annotations

from rag.answerability import missing_constraints
from rag.schema import Passage
from rag.schema import ContextItem
from rag.schema import Hit


def _ctx(text: str, title: str = "杭州市教育局关于2024年度法治政府建设报告") -> list[ContextItem]:
    p = Passage("id", "doc", title, "一、2024年推进法治政府建设主要情况", text, 0, len(text), ())
    return [ContextItem(1, Hit(p, 1.0, 0.5, 1.0, 1), text)]


CTX = _ctx("今年全市新建成中小学、幼儿园96所,新增学位10.09万个;")


def test_other_year_or_city_is_missing():
    assert missing_constraints("2023年新建成了多少所中小学？", CTX) == ["2023年"]
    assert missing_constraints("宁波市新增了多少学位？", CTX) == ["宁波市"]


def test_same_year_and_city_pass():
    assert missing_constraints("2024年杭州新建成了多少所中小学和幼儿园？", CTX) == []
    assert missing_constraints("全市新增了多少学位？", CTX) == []
    # words jieba mistakes for places are not constraints
    assert missing_constraints("中午能在学校躺着午休吗？", CTX) == []


def test_a_quoted_name_no_passage_mentions_is_missing():
    ctx = _ctx("创新打造“清膳E家”校园食品安全数字化监管平台,组织开展“学宪法 讲宪法”活动。")
    assert missing_constraints("“澄学通”平台服务了多少人次？", ctx) == ["“澄学通”"]
    assert missing_constraints("《杭州市教育督导条例》哪年施行？", ctx) == ["“杭州市教育督导条例”"]
    # named as the report names it, whatever the spaces and quote marks; English in quotes is no name
    assert missing_constraints("「清膳E家」覆盖了多少所学校？", ctx) == []
    assert missing_constraints("“学宪法讲宪法”活动有多少人参加？", ctx) == []
    assert missing_constraints('What is the "lie-down nap" rate?', ctx) == []
    # the model's translation quotes its own wording, which the report need not use
    assert missing_constraints("2025年规范性文件发布前必须通过的“四项强制性检查”是什么？", ctx, quoted=False) == ["2025年"]


def test_the_passage_holding_the_answer_is_read_first_whatever_its_rank():
    """Evidence first: the judge reads the first two excerpts and a small model the first best, so
    the passage whose sentence carries the question leads even when retrieval ranked it 4th."""
    from rag.prompting import select_context

    texts = ["全面落实义务教育课后服务,课后服务覆盖率达到100%。", "持续推进学校体育场地设施向社会开放。",
             "深入推进清廉学校建设,推动清廉教育与法治教育融合发展。",
             "全市955所中小学实现法治副校长全覆盖,共聘任1237名法治副校长。"]
    hits = [Hit(Passage(f"p{i}", "doc", "t", "", t, 0, len(t), ()), 1.0 - i / 10, 0.5, 1.0, i + 1)
            for i, t in enumerate(texts)]
    context = select_context(hits, "全市聘任了多少名法治副校长？", 2000, 400)
    assert [c.n for c in context] == [1, 2, 3, 4] and context[0].hit.rank == 4
    assert [c.hit.rank for c in context[1:]] == [1, 2, 3]  # the rest keep their retrieval order


def test_a_factual_question_reads_a_smaller_context_than_a_list_or_plan():
    """Every character is read at ~37 tokens/s: a how-many question gets the best few clauses."""
    from rag.prompting import is_factual, select_context

    assert all(map(is_factual, ["全市聘任了多少名法治副校长？", "平台叫什么名字？", "在全省排第几？", "是否全覆盖？"]))
    assert not any(map(is_factual, ["2025年有哪些工作安排？", "如何推进依法治校？", "双随机抽查了哪几类学校？"]))
    texts = [f"第{i}项工作:全年组织活动{i}次,覆盖学校{i * 10}所,参与师生{i * 100}人次,形成典型案例若干。" for i in range(1, 9)]
    hits = [Hit(Passage(f"p{i}", "doc", "t", "", t, 0, len(t), ()), 1.0 - i / 10, 0.5, 1.0, i + 1)
            for i, t in enumerate(texts)]
    factual = select_context(hits, "全年组织了多少次活动？", 600, 200, 100)
    listing = select_context(hits, "全年组织了哪些活动？", 600, 200, 100)
    assert sum(len(c.excerpt) for c in factual) <= 100 < sum(len(c.excerpt) for c in listing)
    assert len(select_context(hits, "全年组织了多少次活动？", 600, 200)) == len(listing)  # 0: one budget for all
