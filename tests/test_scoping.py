"""Report identities and question scopes on a shelf of look-alike reports (no model: string rules)."""
from __future__ import annotations

import json

import pytest

from rag.config import PROJECT_ROOT
from rag.loading import load_document
from rag.reportmeta import identify, read_override, sidecar_path, write_override
from rag.schema import ReportInfo
from rag.scoping import coverage, out_of_scope_answer, scope_question

SHELF = PROJECT_ROOT / "eval" / "multi" / "reports"


@pytest.fixture(scope="module")
def shelf() -> dict[str, ReportInfo]:
    return {p.name: load_document(p).info for p in sorted(SHELF.glob("*.txt"))}


def test_identity_from_title_header_and_first_paragraph(shelf):
    seed = shelf["000_08d26d6dac988051.txt"]
    assert (seed.body, seed.place, seed.region, seed.years) == ("杭州市教育局", "杭州市", "", (2024,))
    assert seed.published.startswith("2025-02-07") and seed.label == "杭州市教育局 · 2024年度"
    # the title names no body: the 来源 header and the opening do
    untitled = shelf["chengzhou_jyj_2024.txt"]
    assert (untitled.body, untitled.years) == ("澄州市教育局", (2024,))
    # the title says 云溪区教育局; the header names it in full, which gives the district its city
    district = shelf["yunxi_jyj_2024.txt"]
    assert (district.body, district.place, district.region) == ("澄州市云溪区教育局", "云溪区", "澄州市")
    government = shelf["yunxi_zf_2024.txt"]
    assert (government.body, government.place) == ("澄州市云溪区人民政府", "云溪区")
    assert shelf["chengzhou_jyj_2023.txt"].years == (2023,)


def test_a_sidecar_file_corrects_the_guess(tmp_path):
    report = tmp_path / "r.txt"
    report.write_text("关于2024年度法治政府建设情况的报告\n\n一、主要情况\n\n(一)全年组织集体学法4次。\n", encoding="utf-8")
    assert load_document(report).info.body == ""  # nothing names the body
    write_override(report, {"body": "白沙县司法局", "years": [2023, 2024]})
    info = load_document(report).info
    assert (info.body, info.place, info.years) == ("白沙县司法局", "白沙县", (2023, 2024))
    assert read_override(report) == {"body": "白沙县司法局", "years": [2023, 2024]}
    sidecar_path(report).write_text(json.dumps({"boss": "x"}), encoding="utf-8")
    with pytest.raises(Exception, match="unknown field"):
        load_document(report)


def _scope(shelf, question):
    s = scope_question(question, shelf)
    return (sorted(s.doc_ids) if s.doc_ids is not None else None), list(s.uncovered)


@pytest.mark.parametrize("question, docs", [
    ("云溪区教育局2024年共聘任了多少名法治副校长？", ["yunxi_jyj_2024.txt"]),
    ("云溪区政府全年组织了几次集体学法？", ["yunxi_zf_2024.txt"]),
    ("云溪区新建了几所学校？", ["yunxi_jyj_2024.txt", "yunxi_zf_2024.txt"]),
    ("澄州市2023年组织了几次领导班子集体学法？", ["chengzhou_jyj_2023.txt"]),
    ("澄州市教育局2024年新增了多少学位？", ["chengzhou_jyj_2024.txt"]),
    ("澄州市教育局聘任了多少名法治副校长？", ["chengzhou_jyj_2023.txt", "chengzhou_jyj_2024.txt"]),
    ("杭州全市新建成了多少所中小学？", ["000_08d26d6dac988051.txt"]),
    ("2025年法治副校长工作有什么安排？", ["000_08d26d6dac988051.txt", "chengzhou_jyj_2024.txt", "qinghe_jyj_2024.txt",
                                     "yunxi_jyj_2024.txt", "yunxi_zf_2024.txt"]),  # plans of the 2024 reports
    ("共聘任了多少名法治副校长？", None),  # names no one: every report may answer
])
def test_questions_are_scoped_to_the_reports_they_name(shelf, question, docs):
    assert _scope(shelf, question) == (docs, [])


@pytest.mark.parametrize("question, uncovered", [
    ("白沙县教育局2024年聘任了多少名法治副校长？", ["白沙县教育局"]),  # the body, not only its place
    ("青禾区人民政府2024年办理了多少件行政复议？", ["青禾区人民政府"]),  # 青禾区 has only its bureau's report
    ("澄州市人民政府2024年审查了多少件行政规范性文件？", ["澄州市人民政府"]),
    ("杭州市教育局2022年新建了多少所学校？", ["2022年"]),
])
def test_a_body_place_or_year_without_a_report_is_out_of_scope(shelf, question, uncovered):
    assert _scope(shelf, question) == ([], uncovered)


def test_the_refusal_names_what_the_index_covers(shelf):
    scope = scope_question("白沙县教育局2024年聘任了多少名法治副校长？", shelf)
    text = out_of_scope_answer(scope, shelf)
    assert text.startswith("报告中没有找到与该问题相关的内容。") and "白沙县" in text
    assert "澄州市教育局（2023、2024年度）" in coverage(shelf) and "杭州市教育局（2024年度）" in text


def test_a_district_inside_an_indexed_citys_area_is_told_why_the_citys_figure_is_not_its_own():
    hangzhou = {"hz": ReportInfo("杭州市教育局", "杭州市", "", (2024,))}
    inside = out_of_scope_answer(scope_question("上城区教育局聘任了多少名法治副校长？", hangzhou), hangzhou)
    assert "没有上城区教育局的报告；上城区属杭州市，杭州市教育局的报告所列是全市的数字，不是上城区的。" in inside
    elsewhere = out_of_scope_answer(scope_question("海淀区教育局聘任了多少名法治副校长？", hangzhou), hangzhou)
    assert "没有海淀区教育局的报告；现有：杭州市教育局（2024年度）。" in elsewhere  # not in 杭州市: nothing to say
    # a province's report beside the city's: each says its own area's level
    both = {**hangzhou, "zj": ReportInfo("浙江省教育厅", "浙江省", "", (2024,))}
    said = out_of_scope_answer(scope_question("上城区教育局聘任了多少名法治副校长？", both), both)
    assert "上城区属浙江省，浙江省教育厅的报告所列是全省的数字" in said
    assert "上城区属杭州市，杭州市教育局的报告所列是全市的数字" in said


def test_a_whole_area_named_without_a_body_asks_the_reports_counting_that_area():
    shelf = {"hz": ReportInfo("杭州市教育局", "杭州市", "", (2024,)),
             "xh": ReportInfo("西湖区教育局", "西湖区", "", (2024,)),
             "gs": ReportInfo("拱墅区教育局", "拱墅区", "", (2024,))}
    city = scope_question("全市共聘任了多少名法治副校长？", shelf)
    assert city.doc_ids == {"hz"} and city.named == ("全市",)  # a district's 全区 figure is not the city's
    assert scope_question("全区共聘任了多少名法治副校长？", shelf).doc_ids == {"xh", "gs"}
    assert scope_question("西湖区全区共聘任了多少名法治副校长？", shelf).doc_ids == {"xh"}  # the body named decides
    assert scope_question("全省共聘任了多少名法治副校长？", shelf).doc_ids is None  # no province's report: no scope
    only = {"hz": shelf["hz"]}
    assert scope_question("全市共聘任了多少名法治副校长？", only).doc_ids is None  # excludes nothing: no scope


def test_a_verb_before_a_city_government_names_no_place(shelf):
    # 列入市政府民生实事: "put on the city government's list", not a city called 列入市
    assert _scope(shelf, "“新建中小学、幼儿园”已经连着几年列入市政府民生实事了？") == (None, [])
    assert _scope(shelf, "纳入县政府考核的指标有哪些？") == (None, [])
    assert _scope(shelf, "白沙县政府2024年新建了几所学校？") == ([], ["白沙县政府"])


def test_a_place_the_reports_talk_about_is_a_topic_not_a_scope(shelf):
    question = "西湖区有几所学校获评示范校？"
    assert scope_question(question, shelf).uncovered == ("西湖区",)
    assert scope_question(question, shelf, mentioned=lambda w: w == "西湖区").uncovered == ()


def test_identify_needs_no_report_specific_rules():
    info = identify("2024年，白沙县人民政府坚持依法行政。\n一、主要情况", "白沙县2023—2024年法治政府建设情况报告")
    assert (info.body, info.place, info.years) == ("白沙县人民政府", "白沙县", (2023, 2024))


def test_a_follow_up_keeps_or_narrows_the_conversations_scope(tmp_path):
    """Real shelf, fake embedder (milliseconds): the scope a follow-up gets from the conversation."""
    from fakes import FakeEmbedder

    from rag.answering import Answerer
    from rag.config import Config
    from rag.indexing import build_index
    from rag.retrieval import Retriever

    cfg = Config().with_(index_root=tmp_path / "index", source_dir=SHELF)
    embedder = FakeEmbedder()
    build_index(cfg, embedder)
    answerer = Answerer(cfg, Retriever(cfg.index_dir, embedder, 0.0), None)
    names = {d["doc_id"]: d["path"].rsplit("/", 1)[-1] for d in answerer.retriever.version.documents}

    def scope(question, previous):
        asked = answerer.resolve(question, [{"question": previous, "answer": ""}]).asked
        s = answerer.scope_of(question, asked)
        return sorted(names[d] for d in s.doc_ids) if s.doc_ids is not None else None

    assert scope("那2024年呢？", "澄州市教育局2023年新建成了多少所中小学？") == ["chengzhou_jyj_2024.txt"]
    assert scope("那青禾区教育局呢？", "杭州市教育局2024年审查了多少件合同？") == ["qinghe_jyj_2024.txt"]
    assert scope("那新增了多少学位？", "云溪区教育局2024年新建了几所学校？") == ["yunxi_jyj_2024.txt"]
    assert scope("那云溪区呢？", "青禾区教育局2024年聘了多少名法治副校长？") == ["yunxi_jyj_2024.txt"]
    assert scope("那白沙县呢？", "青禾区教育局2024年聘了多少名法治副校长？") == []  # out of scope, refused

    def resolved(question, *previous):
        return answerer.resolve(question, [{"question": p, "answer": ""} for p in previous])

    # a new subject after 那 is a new question: only the body and year carry over
    switch = resolved("那暑期托管设了多少个服务点？", "云溪区教育局2024年新建成了多少所中小学、幼儿园？")
    assert switch.asked == switch.query == "云溪区教育局2024年暑期托管设了多少个服务点？"
    # an ellipsis is the previous question about the newly named year / body
    assert resolved("那2024年呢？", "澄州市教育局2023年新建成了多少所中小学？").asked == "澄州市教育局2024年新建成了多少所中小学？"
    assert resolved("那云溪区人民政府呢？", "云溪区教育局2024年审查了多少件合同？").asked == "云溪区人民政府2024年审查了多少件合同？"
    # a pronoun keeps its own words first; retrieval also reads the topic it refers to
    ref = resolved("那它们覆盖了多少所中小学？", "澄州市教育局2024年聘任了多少名法治副校长？")
    assert ref.asked == "澄州市教育局2024年它们覆盖了多少所中小学？"
    assert ref.query.startswith(ref.asked.rstrip("？")) and ref.query.endswith("聘任了多少名法治副校长")
    # a chain keeps the subject: the third turn's ellipsis refers to the resolved second turn
    chain = resolved("那2023年呢？", "澄州市教育局2024年新建成了多少所中小学？", "那新增了多少学位？")
    assert chain.asked == "澄州市教育局2023年新增了多少学位？"
    # a new subject and an ellipsis: the thing the previous question counted is replaced
    other = resolved("那行政规范性文件呢？", "云溪区教育局2024年审查了几件重大决策？")
    assert other.asked == other.query == "云溪区教育局2024年审查了几件行政规范性文件？"
    assert resolved("那在职教职工呢？", "澄州市教育局2024年有多少名拟聘用的教职工做了准入查询？").asked == \
        "澄州市教育局2024年有多少名在职教职工做了准入查询？"
    # one word in front of a longer name replaces its first word
    assert resolved("存量的呢？", "云溪区教育局2024年自查了多少件增量政策措施？").asked == "云溪区教育局2024年自查了多少件存量政策措施？"
    # no conversation: the question as typed
    alone = resolved("全市共聘任了多少名法治副校长？")
    assert alone.asked == alone.query == "全市共聘任了多少名法治副校长？"
