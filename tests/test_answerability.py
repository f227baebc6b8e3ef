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
