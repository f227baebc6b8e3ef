"""The one analysis of a question every check reads (rag/checks/asked.py)."""
from __future__ import annotations

from rag.checks.asked import Asked, specific, subject_of, words


def test_a_how_many_question_says_what_it_counts_and_what_it_asks_about():
    asked = Asked.of("杭州市教育局2024年新增了多少个学位？", ("杭州市教育局", "杭州市"))
    assert (asked.counter, asked.noun, asked.how_many) == ("个", "学位", True)
    # names, years and asking words are whose and when, not what is asked
    assert "学位" in asked.subject and not any("杭州" in w or "20" in w or "多少" in w for w in asked.subject)
    assert asked.carried("全市新增学位10.09万个") >= {"学位", "新增"} and asked.share("天气晴朗") == 0.0


def test_yes_no_and_how_many_without_a_counter():
    assert Asked.of("市教育局是否建立了查询制度？").yes_no and Asked.of("学校开放吗？").yes_no
    assert not Asked.of("开展了哪些普法活动？").yes_no and not Asked.of("开展了哪些普法活动？").how_many
    # 总数是多少 asks how many without naming a counter; 哪几 lists
    total = Asked.of("在校学生总数是多少？")
    assert total.how_many and total.counter == ""
    assert not Asked.of("重点做了哪几项工作？").how_many


def test_the_level_asked_at():
    assert Asked.of("今年在全国比赛中获得了几个一等奖？").levels == {"全国"}
    assert Asked.of("共聘任了多少名法治副校长？").levels == frozenset()


def test_a_subject_is_specific_with_two_words_or_the_thing_counted():
    assert specific(subject_of("聘任法治副校长"), "")
    assert Asked.of("它一共设了多少项指标？").specific  # one word, the very thing counted
    assert not Asked.of("它一共有多少？").specific
    assert not specific(frozenset({"指标"}), "")


def test_words_leave_out_names_years_and_whose_report():
    said = words("据杭州市教育局2024年度报告，共聘任1237名", ("杭州市教育局",))
    assert "聘任" in said and not any("杭州" in w or "报告" in w for w in said)


def test_a_body_referred_to_by_its_kind_is_whose_not_what():
    assert subject_of("市司法局审查了几件？") == {"审查"}
    assert subject_of("区教育体育局聘任了多少名？") == {"聘任"}
    # a committee is often what is asked about
    assert {"委员", "会议"} <= subject_of("依法治区委员会召开了几次会议？")


def test_a_demonstrative_is_never_what_is_asked():
    assert subject_of("这份名单总共收录了多少个案例？") == subject_of("名单总共收录了多少个案例？")
