"""Places from a real gazetteer (rag/gazetteer.py): real administrative names, each with its parent,
the kinds a regex gets wrong, and words that end in 市/区/县 without being places."""
from __future__ import annotations

import pytest

from rag.gazetteer import gazetteer, strip_suffix
from rag.reportmeta import plain_name, unquoted

# (name, the division directly above it)
REAL = """上城区 杭州市|拱墅区 杭州市|滨江区 杭州市|萧山区 杭州市|余杭区 杭州市|临平区 杭州市|钱塘区 杭州市|富阳区 杭州市
|桐庐县 杭州市|淳安县 杭州市|建德市 杭州市|东城区 北京市|西城区 北京市|海淀区 北京市|浦东新区 上海市|滨海新区 天津市
|渝中区 重庆市|渠县 达州市|沛县 徐州市|泾县 宣城市|萧县 宿州市|歙县 黄山市|莒县 日照市|鄂温克族自治旗 呼伦贝尔市
|正蓝旗 锡林郭勒盟|阿荣旗 呼伦贝尔市|额济纳旗 阿拉善盟|神农架林区 湖北省|白沙黎族自治县 海南省|峨边彝族自治县 乐山市
|长阳土家族自治县 宜昌市|石渠县 甘孜藏族自治州|长兴县 湖州市|义乌市 金华市|瑞安市 温州市|鄞州区 宁波市|余姚市 宁波市
|柯桥区 绍兴市|南浔区 湖州市|越城区 绍兴市|椒江区 台州市|莲都区 丽水市|定海区 舟山市|衢江区 衢州市|婺城区 金华市
|秀洲区 嘉兴市|平阳县 温州市|福田区 深圳市|天河区 广州市|武侯区 成都市|雁塔区 西安市|江宁区 南京市|姑苏区 苏州市
|阳泉市 山西省|杭州市 浙江省|达州市 四川省|甘孜藏族自治州 四川省|锡林郭勒盟 内蒙古自治区|呼伦贝尔市 内蒙古自治区
|宁波市 浙江省|下城区 杭州市|江干区 杭州市"""
PLACES = [tuple(pair.split()) for pair in REAL.replace("\n", "").split("|")]

NOT_PLACES = ("几名区 列入市 纳入县 全市 全区 全县 全省 本区 本市 本县 各县 各区 各市 该区 我市 我区 辖区 社区 园区 校区 景区 "
              "小区 片区 新区 地区 山区 学区 示范区 试点区 城市 超市 都市 上市 县区 市县 城区 市区 郊区 矿区 省委 区委").split()


def test_the_table_is_large_enough():
    assert len(PLACES) >= 60 and len(NOT_PLACES) >= 30


@pytest.mark.parametrize("name, parent", PLACES)
def test_a_real_division_is_a_place_with_its_parent(name, parent):
    divisions = gazetteer().lookup(name)
    assert divisions and any(d.parent == parent for d in divisions)
    assert name in gazetteer() and gazetteer().places_in(name) == [(name, 0, len(name))]
    assert gazetteer().contains(parent, name)


@pytest.mark.parametrize("word", NOT_PLACES)
def test_a_word_ending_like_a_place_is_not_one(word):
    assert gazetteer().places_in(word) == [] and not plain_name(word)


def test_short_names_and_hierarchy():
    g = gazetteer()
    assert [d.name for d in g.lookup("杭州")] == ["杭州市"] and [d.name for d in g.lookup("浙江")] == ["浙江省"]
    assert [d.name for d in g.lookup("白沙县")] == ["白沙黎族自治县"]  # as people say it
    assert [d.name for d in g.chain(g.lookup("上城区")[0])] == ["浙江省", "杭州市", "上城区"]
    assert g.contains("杭州", "上城区") and g.contains("浙江", "上城区") and not g.contains("杭州市", "西城区")
    assert not g.lookup("下城区")[0].current  # merged in 2021, still a place for older reports
    assert strip_suffix("上城区") == "上城" and strip_suffix("渠县") == "渠县" and strip_suffix("杭州市") == "杭州"


@pytest.mark.parametrize("text, found", [
    ("上城区教育局聘任了多少名法治副校长？", ["上城区"]),
    ("浙江省杭州市上城区", ["浙江省", "杭州市", "上城区"]),
    ("阳泉市城区的学校", ["阳泉市", "城区"]),  # a district named by a common word, after its city
    ("城区学校新增学位", []),
    ("市和县两级财政", []),  # 和县 inside a phrase
    ("提高县域教育质量", []),
    ("和县教育局", ["和县"]),
    ("全市增聘了几名区政府法律顾问？", []),
    ("“新建中小学、幼儿园”列入市政府民生实事", []),
])
def test_places_in_running_text(text, found):
    assert [n for n, _, _ in gazetteer().places_in(text)] == found


def test_named_places_leave_out_the_places_that_locate_another():
    assert [n for n, _, _ in gazetteer().named_places("浙江省杭州市上城区教育局")] == ["上城区"]
    assert [n for n, _, _ in gazetteer().named_places("杭州和宁波")] == ["杭州", "宁波"]


def test_quoted_titles_and_series_spans_are_blanked():
    q = "在《杭州市法治政府建设评估报告(2021—2022)》中排第几？对照《纲要(2021—2025年)》呢？"
    bare = unquoted(q)
    assert len(bare) == len(q) and "2021" not in bare and "杭州市" not in bare and "排第几" in bare


def test_threads_asking_at_once_share_one_load(monkeypatch):
    import threading
    import time

    import rag.gazetteer as g

    loads = []

    def slow_load():
        loads.append(1)
        time.sleep(0.05)
        return "the gazetteer"

    monkeypatch.setattr(g, "_loaded", None)
    monkeypatch.setattr(g, "_load", slow_load)
    threads = [threading.Thread(target=g.gazetteer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loads == [1] and g.gazetteer() == "the gazetteer"
