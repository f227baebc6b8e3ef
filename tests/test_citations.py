"""The answer check: markers, refusals, and numbers that no cited passage supports."""
from __future__ import annotations

from rag.schema import Passage
from rag.checks.answer import is_refusal
from rag.checks.asked import Asked
from rag.citations import check_answer, normalize_markers
from rag.prompting import REFUSAL


def _p(text: str, path: str = "") -> Passage:
    return Passage(id=text[:8], doc_id="d", title="t", path=path, text=text, start=0, end=len(text), sources=())


PASSAGES = [_p("全市955所中小学实现法治副校长全覆盖,共聘任1237名法治副校长。"),
            _p("今年全市新建成中小学、幼儿园96所,新增学位10.09万个;"),
            _p("全年组织领导班子集体学法4次。", path="一、2024年推进法治政府建设主要情况")]


def test_marker_forms_are_normalised_and_bad_ones_dropped():
    assert normalize_markers("甲【1】乙［2］丙[1,3]丁[1、2]戊[9]", 3) == "甲[1]乙[2]丙[1][3]丁[1][2]戊"


def test_supported_answer_keeps_its_citations():
    c = check_answer("共聘任1237名法治副校长[1]，新增学位10.09万个【2】。", PASSAGES, [0.9, 0.8, 0.7])
    assert not c.refused and [x.n for x in c.citations] == [1, 2]
    assert c.unsupported_numbers == []


def test_number_missing_from_cited_passages_is_reported():
    c = check_answer("共聘任1238名法治副校长[1]，新增学位10.09万个[1]。", PASSAGES, [0.9, 0.8, 0.7])
    assert c.unsupported_numbers == ["1238", "10.09万"]


def test_number_in_heading_path_counts_as_supported():
    assert check_answer("2024年集体学法4次[3]。", PASSAGES, [1, 1, 1]).unsupported_numbers == []


def test_unmarked_sentence_gets_the_passage_it_copies():
    c = check_answer("今年全市新建成中小学、幼儿园96所。", PASSAGES, [1, 1, 1])
    assert c.text == "今年全市新建成中小学、幼儿园96所[2]。" and c.citations[0].passage is PASSAGES[1]


def test_marker_pointing_at_the_wrong_passage_is_repointed():
    c = check_answer("共聘任1237名法治副校长[2]。新增学位10.09万个[2]。", PASSAGES, [1, 1, 1])
    assert c.text == "共聘任1237名法治副校长[1]。新增学位10.09万个[2]。"
    assert [x.n for x in c.citations] == [1, 2] and c.unsupported_numbers == []


def test_refusals_are_detected_and_uncited():
    for text in (REFUSAL, "报告中没有提及相关预算。", "资料中未提到局长的名字[1]", "[1][2]", "无法回答该问题。"):
        assert is_refusal(text), text
        c = check_answer(text, PASSAGES, [1, 1, 1])
        assert c.refused and c.text == REFUSAL and c.citations == []
    assert not is_refusal("共聘任1237名法治副校长[1]。")


def test_an_answer_that_only_restates_the_question_is_a_refusal():
    question = "双随机联合抽查的年度抽查事项覆盖率是多少？"
    c = check_answer("双随机联合抽查的年度抽查事项覆盖率[2]。", PASSAGES, [1, 1, 1], question)
    assert c.refused and c.text == REFUSAL
    # a short answer that adds a number is an answer
    assert not check_answer("共聘任1237名[1]。", PASSAGES, [1, 1, 1], "共聘任了多少名法治副校长？").refused


def test_a_terse_answer_naming_what_the_passage_names_is_an_answer():
    platform = _p("创新打造“清膳E家”校园食品安全数字化监管平台并全域推广。")
    named = check_answer("平台叫“清膳E家”。[1]", [platform], [1.0], "校园食品安全数字化监管平台叫什么名字？")
    assert not named.refused and named.text == "平台叫“清膳E家”[1]。"  # the stray marker joins its sentence
    # a name the passages do not hold is no answer of theirs; restating the question is none either
    assert check_answer("平台叫“阳光厨房”[1]。", [platform], [1.0], "校园食品安全数字化监管平台叫什么名字？").refused
    assert check_answer("平台叫这个名字[1]。", [platform], [1.0], "校园食品安全数字化监管平台叫什么名字？").refused


def _two_districts():
    from rag.schema import Location, ReportInfo

    reports = {"yx": ReportInfo("澄州市云溪区教育局", "云溪区", "澄州市", (2024,)),
               "qh": ReportInfo("澄州市青禾区教育局", "青禾区", "澄州市", (2024,))}
    passages = [Passage(f"p{d}", d, "", "", f"全区共聘任{n}名法治副校长。", 0, 10, (Location(d, 0, 10),))
                for d, n in (("yx", 103), ("qh", 89))]
    return reports, passages


def test_a_figure_is_attributed_to_its_report_when_the_answer_does_not_say_whose():
    reports, passages = _two_districts()
    checked = check_answer("全区共聘任103名法治副校长[1]。", passages, [1.0, 1.0], "共聘任了多少名法治副校长？", None, reports)
    assert checked.text == "据澄州市云溪区教育局2024年度报告，全区共聘任103名法治副校长[1]。"
    named = check_answer("云溪区共聘任103名法治副校长[1]。", passages, [1.0, 1.0], "", None, reports)
    assert named.text == "云溪区共聘任103名法治副校长[1]。"  # already says whose


def test_a_figure_under_another_bodys_name_or_outside_the_scope_is_never_shown():
    reports, passages = _two_districts()
    swapped = check_answer("青禾区共聘任103名法治副校长[1]。", passages, [1.0, 1.0], "", None, reports)
    assert swapped.refused and swapped.wrong_report_numbers == ["103"] and not swapped.citations
    outside = check_answer("共聘任89名法治副校长[2]。", passages, [1.0, 1.0], "", frozenset({"yx"}), reports)
    assert outside.refused and outside.wrong_report_numbers == ["89"]


def test_a_districts_figure_is_never_stated_as_the_citys_or_the_provinces():
    from rag.schema import ReportInfo

    reports, passages = _two_districts()
    for level in ("全市", "全省"):
        checked = check_answer(f"{level}共聘任103名法治副校长[1]。", passages, [1.0, 1.0], "全市共聘任了多少名法治副校长？",
                               None, reports)
        assert checked.refused and checked.wrong_report_numbers == ["103"] and "103" not in checked.text
    assert ReportInfo("杭州市上城区教育局", "上城区", "杭州市").level == "全区" and ReportInfo().level == ""


def test_a_figure_from_a_report_whose_author_was_not_read_names_it_by_title():
    from rag.schema import Location, ReportInfo

    reports, passages = _two_districts()
    reports["un"] = ReportInfo(years=(2024,), title="2024年法治政府建设情况报告")
    passages.append(Passage("pun", "un", "", "", "全区共聘任88名法治副校长。", 0, 12, (Location("un", 0, 12),)))
    checked = check_answer("全区共聘任88名法治副校长[3]；其中女性88名[3]。", passages, [1.0] * 3, "共聘任了多少名法治副校长？",
                           None, reports)
    assert checked.text.startswith("据《2024年法治政府建设情况报告》，全区共聘任88名法治副校长[3]")
    assert checked.text.count("据") == 1  # named once, not before every clause


def test_a_figure_read_from_a_clause_about_something_else_is_dropped():
    from rag.schema import Location, ReportInfo

    reports = {"qh": ReportInfo("澄州市青禾区教育局", "青禾区", "澄州市", (2024,)),
               "cz": ReportInfo("澄州市教育局", "澄州市", "", (2023,))}
    text = ("全年组织领导班子集体学法9次，开展专题研讨5次。健全合法性审查机制，全年审查行政规范性文件4件、"
            "行政机关合同58件。")
    platform = "上线“澄学通”入学服务平台，实现17类材料免提交，全年累计服务家长23.6万人次。"
    passages = [Passage("a", "qh", "", "", text, 0, len(text), (Location("qh", 0, len(text)),), reports["qh"].label),
                Passage("b", "cz", "", "", platform, 0, 9, (Location("cz", 0, 9),), reports["cz"].label)]
    misread = check_answer("青禾区教育局2024年组织机关干部集中学法9次[1]。", passages, [1.0, 1.0], "", None, reports)
    assert misread.refused and misread.wrong_clause_numbers == ["9"]
    both = check_answer("青禾区审查行政规范性文件4件[1]；青禾区审查重大决策58件[1]。", passages, [1.0, 1.0], "", None, reports)
    assert both.text == "青禾区审查行政规范性文件4件[1]。" and both.wrong_clause_numbers == ["58"]
    # the subject sits in an earlier clause of the passage's sentence; 一年 is a word, not a figure
    subject = check_answer("澄州市2023年上线的“澄学通”平台一年服务了23.6万人次家长[2]。", passages, [1.0, 1.0], "", None,
                           reports)
    assert not subject.refused and subject.wrong_clause_numbers == []


def test_an_invented_figure_is_never_shown():
    checked = check_answer("全市教育经费总投入100亿元[1]。", PASSAGES, [1, 1, 1], "全市教育经费总投入是多少？")
    assert checked.refused and checked.text == REFUSAL and checked.unsupported_numbers == ["100亿"]
    # only the clause with the invented figure goes; the sourced one stays, with its marker
    mixed = check_answer("共聘任1237名法治副校长，其中女性999名[1]。", PASSAGES, [1, 1, 1], "聘任了多少名法治副校长？")
    assert mixed.text == "共聘任1237名法治副校长[1]。" and mixed.unsupported_numbers == ["999"]


SEVERAL_COUNTS = _p("全市连续4年开展宪法宣传周活动,连续9年开展民法典宣传月活动,连续11年开展青少年模拟法庭比赛。")


def test_a_figure_from_the_neighbouring_clause_is_not_the_answer():
    question = "青少年模拟法庭比赛连续开展了几年？"
    wrong = check_answer("青少年模拟法庭比赛已连续开展9年[1]。", [SEVERAL_COUNTS], [1.0], question)
    assert wrong.refused and wrong.wrong_clause_numbers == ["9"]
    right = check_answer("青少年模拟法庭比赛已连续开展11年[1]。", [SEVERAL_COUNTS], [1.0], question)
    assert not right.refused and right.text == "青少年模拟法庭比赛已连续开展11年[1]。"
    # a list answer stating every count is not a wrong clause
    listing = check_answer("宪法宣传周连续4年，民法典宣传月连续9年，模拟法庭比赛连续11年[1]。", [SEVERAL_COUNTS], [1.0],
                           "全市的法治宣传活动各开展了多少年？")
    assert not listing.refused and listing.wrong_clause_numbers == []


def test_a_rival_clause_counts_even_when_a_short_context_left_its_passage_out():
    # the model read only the first passage; retrieval also found the one that counts 重大决策
    shown = _p("深化行政执法改革,全年开展重大行政决策合法性审查培训5次。")
    left_out = _p("健全重大行政决策程序制度,全年审查重大决策4件、行政规范性文件2件。")
    question = "全年审查了多少件重大决策？"
    answer = "全年审查重大决策5件[1]。"
    assert not check_answer(answer, [shown], [1.0], question).refused  # nothing in sight says otherwise
    checked = check_answer(answer, [shown], [1.0], question, retrieved=[shown, left_out])
    assert checked.refused and checked.wrong_clause_numbers == ["5"]


def test_a_date_asked_for_is_no_count():
    header = _p("来源:澄州市教育局法规科  发布日期:2025-03-11 10:20  浏览次数:")
    summary = _p("这份报告总结了全年法治政府建设工作,部署下一年度法治政府建设各项工作。")
    question = "这份法治政府建设报告是哪个部门发布的，发布日期是哪天？"
    checked = check_answer("这份法治政府建设报告是澄州市教育局发布的，发布日期是2025-03-11 10:20[1]。", [header, summary],
                           [1.0, 0.9], question)
    assert not checked.refused and "2025-03-11 10:20" in checked.text and checked.wrong_clause_numbers == []


def test_figures_listed_from_a_clause_about_something_else_are_not_the_answer():
    # asked how many 执法人员 were trained; the model lists two 名 counts of background checks
    checks = _p("完成7386名拟聘用教职工准入和12万余名在职教职工无犯罪记录查询工作。")
    plans = _p("加强教育系统执法人员业务培训,提高执法能力和水平。")
    question = "2024年教育系统一共培训了多少名行政执法人员？"
    checked = check_answer("2024年教育系统一共培训了7386名拟聘用教职工准入和12万余名在职教职工[1]。", [checks, plans],
                           [1.0, 0.9], question)
    assert checked.refused and set(checked.wrong_clause_numbers) == {"7386", "12万"}
    # the same two figures, asked about in the report's words, are its answer
    right = check_answer("完成7386名拟聘用教职工准入和12万余名在职教职工无犯罪记录查询[1]。", [checks, plans], [1.0, 0.9],
                         "完成了多少名拟聘用教职工准入和在职教职工无犯罪记录查询？")
    assert not right.refused and right.wrong_clause_numbers == []


def test_a_count_of_something_else_does_not_answer_how_many():
    # asked about 集中学法 of 机关干部; the passage only counts the leaders' 集体学法
    passage = _p("全年组织领导班子集体学法9次,开展习近平法治思想专题研讨5次。")
    plans = _p("健全领导班子学法制度,组织开展机关干部法治培训,集中学习法律知识。")  # the report's words
    checked = check_answer("组织机关干部集中学法9次[1]。", [passage, plans], [1.0, 0.9], "组织机关干部集中学法几次？")
    assert checked.refused and checked.wrong_clause_numbers == ["9"]
    same = check_answer("领导班子集体学法9次[1]。", [passage, plans], [1.0, 0.9], "领导班子一共集体学法几次？")
    assert not same.refused
    # "总数是多少" names no counter: the figure's own (名) is what is counted
    care = _p("全市共设立1385个托管服务点,惠及17.8万名少年儿童;全市义务教育阶段学校午休覆盖率40.4%。")
    total = check_answer("全市义务教育阶段在校学生总数是17.8万名[1]。", [care], [1.0], "全市义务教育阶段在校学生总数是多少？")
    assert total.refused and total.wrong_clause_numbers == ["17.8万"]
    # a question in its own words (一起学了几回法律) is the judge's to decide, not word matching's
    paraphrase = check_answer("领导们一起学了9回法律[1]。", [passage], [1.0], "教育局的领导们一年里一起学了几回法律？")
    assert not paraphrase.refused


def test_a_figure_counted_at_another_level_is_not_the_answer():
    from rag.checks.repairs import quote_evidence
    from rag.schema import Evidence

    # asked about the national contest; the report counts prizes of the provincial one
    # (6 is also 连续6年 of a clause with no level: what the figure counts tells the clauses apart)
    contest = _p("连续6年开展演讲活动,我区学生在全国全省演讲比赛中屡获佳绩,今年在全省比赛中获特等奖2人、一等奖6人。")
    asked = "今年我区学生在全国演讲比赛中获得了几个一等奖？"
    checked = check_answer("今年我区学生在全国演讲比赛中获特等奖2人、一等奖6人[1]。", [contest], [1.0], asked)
    assert checked.refused and set(checked.wrong_clause_numbers) == {"2", "6"}
    evidence = Evidence(contest, contest.text, 0, len(contest.text), 3.0)
    assert quote_evidence(checked, evidence, [contest], [1.0], Asked.of(asked)) is checked  # nor quoted as its answer
    # asked at the report's own level, the same figure is the answer
    right = check_answer("今年在全省比赛中获一等奖6人[1]。", [contest], [1.0], "今年在全省演讲比赛中获得了几个一等奖？")
    assert not right.refused and "6人" in right.text


def test_a_withheld_figure_gives_way_to_the_reports_own_sentence():
    from rag.checks.repairs import quote_evidence
    from rag.schema import Evidence

    question = "青少年模拟法庭比赛连续开展了几年？"
    withheld = check_answer("青少年模拟法庭比赛已连续开展9年[1]。", [SEVERAL_COUNTS], [1.0], question)
    evidence = Evidence(SEVERAL_COUNTS, SEVERAL_COUNTS.text, 0, len(SEVERAL_COUNTS.text), 3.0)
    quoted = quote_evidence(withheld, evidence, [SEVERAL_COUNTS], [1.0], Asked.of(question))
    # only the part that counts what was asked: 9 and 4 belong to the other activities
    assert not quoted.refused and quoted.text == "报告原文：连续11年开展青少年模拟法庭比赛[1]。"
    assert quoted.wrong_clause_numbers == ["9"] and [c.n for c in quoted.citations] == [1]
    # a sentence that does not count what is asked is no answer: the refusal stands
    other = _p("全年组织领导班子集体学法9次,开展习近平法治思想专题研讨5次。")
    asked = "组织机关干部参加了几次法治培训？"
    refused = check_answer("组织机关干部参加法治培训9次[1]。", [other], [1.0], asked)
    assert refused.refused
    assert quote_evidence(refused, Evidence(other, other.text, 0, len(other.text), 1.0), [other], [1.0], Asked.of(asked)) is refused
    # a model that only restated the question gets the sentence too
    reviews = _p("全年审查重大决策1件、行政规范性文件3件、行政机关合同127件。")
    asked = "审查了几件重大决策和几件行政规范性文件？"
    echo = check_answer("审查了几件重大决策和几件行政规范性文件[1]。", [reviews], [1.0], asked)
    assert echo.refused and echo.echoed
    found = quote_evidence(echo, Evidence(reviews, reviews.text, 0, len(reviews.text), 2.0), [reviews], [1.0], Asked.of(asked))
    assert not found.refused and "重大决策1件、行政规范性文件3件" in found.text
    # nor is a model refusal or an answer that was shown: only withheld figures are replaced
    assert quote_evidence(check_answer(REFUSAL, [SEVERAL_COUNTS], [1.0], question), evidence, [SEVERAL_COUNTS],
                          [1.0], Asked.of(question)).text == REFUSAL


def test_a_count_of_something_else_gives_way_to_the_sentence_that_counts_what_was_asked():
    from rag.checks.repairs import quote_evidence
    from rag.schema import Evidence

    reviews = _p("全年审查重大决策1件、行政规范性文件5件、行政机关合同88件。")
    checks = _p("完成6120名拟聘用教职工准入查询工作。")
    question = "2024年区教育局审查了多少件行政规范性文件？"
    checked = check_answer("区教育局审查了6120名拟聘用教职工准入[2]。", [reviews, checks], [1.0, 0.9], question)
    assert not checked.refused  # every figure is its cited passage's: the number check alone lets it through
    evidence = Evidence(reviews, reviews.text, 0, len(reviews.text), 3.0)
    quoted = quote_evidence(checked, evidence, [reviews, checks], [1.0, 0.9], Asked.of(question))
    assert "行政规范性文件5件" in quoted.text and quoted.text.startswith("报告原文：") and "6120" not in quoted.text
    assert quoted.wrong_clause_numbers == ["6120"] and [c.n for c in quoted.citations] == [1]
    # an answer with a figure of what is asked stays the model's
    right = check_answer("审查行政规范性文件5件[1]。", [reviews, checks], [1.0, 0.9], question)
    assert quote_evidence(right, evidence, [reviews, checks], [1.0, 0.9], Asked.of(question)) is right


def test_a_marker_on_a_passage_that_holds_the_figure_elsewhere_is_repointed():
    lawsuits = _p("全年发生行政复议案件7件、行政诉讼案件2件,行政机关负责人出庭应诉率达到100%。")
    reviews = _p("健全重大行政决策程序制度,全年审查重大决策4件、行政规范性文件2件、行政机关合同63件。")
    checked = check_answer("全年审查行政规范性文件2件[1]。", [lawsuits, reviews], [1.0, 0.9], "审了几件行政规范性文件？")
    assert not checked.refused and checked.text == "全年审查行政规范性文件2件[2]。"
    assert [c.passage for c in checked.citations] == [reviews]


def test_a_follow_up_naming_only_the_thing_counted_is_still_checked():
    from rag.checks.repairs import quote_evidence
    from rag.schema import Evidence

    # "它一共设了多少项指标？": one word says what is asked; the model took the next clause's 项
    platform = _p("打造“青苗食安”监管平台并全区推广,创设6大模块21项指标,强化智能预警。"
                  "扎实开展校外培训专项治理,重点聚焦3个方面14项问题。")
    question = "它一共设了多少项指标？"
    checked = check_answer("校外培训专项治理重点聚焦3个方面14项问题[1]。", [platform], [1.0], question)
    assert checked.refused and "14" in checked.wrong_clause_numbers
    evidence = Evidence(platform, platform.text, 0, len(platform.text), 2.0)
    quoted = quote_evidence(checked, evidence, [platform], [1.0], Asked.of(question))
    assert not quoted.refused and "21项指标" in quoted.text and "14项" not in quoted.text
    assert not check_answer("平台创设了21项指标[1]。", [platform], [1.0], question).refused


def test_the_thing_counted_named_beside_the_figure_answers_a_question_in_other_words():
    # "这些新学校" is the conversation's words; the report counts 学位 right beside the figure
    schools = _p("今年全区新建成中小学、幼儿园14所,新增学位2.3万个;设立课后服务点310个;全区学校课后服务全覆盖。")
    question = "这些新学校一共增加了多少个学位？"
    checked = check_answer("这些新学校一共增加了2.3万个学位[1]。", [schools], [1.0], question)
    assert not checked.refused and checked.wrong_clause_numbers == []
    # but a figure beside another thing is not its count
    wrong = check_answer("这些新学校一共增加了310个学位[1]。", [schools], [1.0], question)
    assert wrong.refused and wrong.wrong_clause_numbers == ["310"]


def test_a_demonstrative_is_not_what_a_question_asks_about():
    # 这份名单 of 100 cases, of which the city had 17: the list's size is asked
    cases = _p("省教育厅公布的80个依法治校典型案例名单中,全区共计17个典型案例上榜,位列全省第二。")
    checked = check_answer("这份名单总共收录了17个案例[1]。", [cases], [1.0], "这份名单总共收录了多少个案例？")
    assert checked.refused and checked.wrong_clause_numbers == ["17"]
    assert not check_answer("这份名单共有80个典型案例[1]。", [cases], [1.0], "这份名单总共收录了多少个案例？").refused


def test_a_count_is_not_a_rank():
    cases = _p("省教育厅公布的80个依法治校典型案例名单中,全区共计17个典型案例上榜,位列全省第二。")
    checked = check_answer("全区在其中排第17位[1]。", [cases], [1.0], "全区在其中排第几？")
    assert checked.refused and checked.wrong_clause_numbers == ["17"]
    assert not check_answer("全区位列全省第二[1]。", [cases], [1.0], "全区在其中排第几？").refused


def test_a_yes_no_question_affirmed_by_restating_it_gets_the_reports_sentence():
    from rag.checks.repairs import quote_evidence
    from rag.schema import Evidence

    fields = _p("全区共设立210个托管服务点;连续八年向社会开放学校体育场地(场馆),方便群众就近健身。")
    evidence = Evidence(fields, "连续八年向社会开放学校体育场地(场馆),方便群众就近健身。", 0, 10, 1.0)
    question = "晚上想去附近学校操场散步，学校开放吗？"
    echo = check_answer("学校开放[1]。", [fields], [1.0], question)
    assert echo.refused and echo.affirmed == "学校开放。"  # "yes", in the question's words only
    quoted = quote_evidence(echo, evidence, [fields], [1.0], Asked.of(question))
    assert not quoted.refused and quoted.text == "报告原文：连续八年向社会开放学校体育场地(场馆),方便群众就近健身[1]。"
    # a negated restatement is a refusal in other words, and a restatement of another kind of
    # question says nothing: neither is quoted
    assert not check_answer("学校不开放[1]。", [fields], [1.0], question).affirmed
    other = check_answer("学校开放了哪些场地[1]。", [fields], [1.0], "学校开放了哪些场地？")
    assert other.refused and not other.affirmed
    # nor is a sentence that does not carry what the model affirmed
    night = "晚上学校图书馆对外开放吗？"
    library = check_answer("晚上学校图书馆对外开放[1]。", [fields], [1.0], night)
    assert library.affirmed and quote_evidence(library, evidence, [fields], [1.0], Asked.of(night)) is library


def test_a_bare_yes_gets_the_sentence_when_it_carries_half_of_what_is_asked():
    """"是[1]" to "…是否建立了…制度？" names nothing it affirms: the report's sentence is shown if it
    carries half of the question's words, as for any quote (it was refused)."""
    from rag.checks.repairs import quote_evidence
    from rag.schema import Evidence

    rule = _p("建立健全中小学、幼儿园教职工违法犯罪信息定期查询制度,完成7386名拟聘用教职工准入查询工作。")
    evidence = Evidence(rule, "建立健全中小学、幼儿园教职工违法犯罪信息定期查询制度,完成7386名拟聘用教职工准入查询工作。",
                        0, 10, 1.0)
    question = "市教育局是否建立了教职工违法犯罪信息定期查询制度？"
    yes = check_answer("是[1]。", [rule], [1.0], question)
    assert yes.refused and yes.affirmed == "是。"
    quoted = quote_evidence(yes, evidence, [rule], [1.0], Asked.of(question))
    assert not quoted.refused and quoted.text.startswith("报告原文：建立健全中小学、幼儿园教职工违法犯罪信息定期查询制度")
    # a sentence about something else is not quoted for a bare yes
    other = "市教育局是否建立了校外培训机构黑名单制度？"
    assert quote_evidence(check_answer("是[1]。", [rule], [1.0], other), evidence, [rule], [1.0], Asked.of(other)).refused


def test_a_withheld_clause_takes_its_own_marker_with_it():
    """"…131名[1]，1名[2]": the one-digit 1 is checked like any figure ([2] says it of 重大决策) and
    goes with its marker, so [2] is not left citing a clause it never supported."""
    a = "全区98所中小学实现法治副校长全覆盖,共聘任131名法治副校长,开展法治讲座210场。"
    b = "坚持依法决策,全年审查重大决策1件、行政规范性文件3件、行政机关合同42件。"
    passages = [Passage("a", "d", "", "", a, 0, len(a), ()), Passage("b", "d", "", "", b, 0, len(b), ())]
    checked = check_answer("全区共聘任131名法治副校长[1]，其中新聘1名[2]。", passages, [1.0, 1.0], "全区共聘任了多少名法治副校长？")
    assert checked.text == "全区共聘任131名法治副校长[1]。" and [c.n for c in checked.citations] == [1]
    assert checked.wrong_clause_numbers == ["1"]
    # markers that sat only at the sentence's end still stand for what is left
    end = check_answer("全区共聘任131名法治副校长，开展法治讲座999场[1]。", passages[:1], [1.0], "全区共聘任了多少名法治副校长？")
    assert end.text == "全区共聘任131名法治副校长[1]。" and end.unsupported_numbers == ["999"]
