"""Who wrote a report, read from real header shapes (tests/fixtures/headers/: our own text, real place
names), each field with where it was read from; and the city's figure never stated as a district's."""
from __future__ import annotations

from pathlib import Path

import pytest

from rag.loading import load_document
from rag.reportmeta import _bodies, identified, identify

HEADERS = Path(__file__).parent / "fixtures" / "headers"

# file → (body, place, region, years, where the body was read from)
EXPECTED = {
    "district_government_title_only.txt": ("杭州市上城区人民政府", "上城区", "杭州市", (2024,),
                                           "title (a place's report: its government)"),
    "bureau_citing_party_office.txt": ("西湖区教育体育局", "西湖区", "", (2024,), "title"),
    "city_government_meeting_line.txt": ("宁波市人民政府", "宁波市", "", (2024,), "line"),
    "party_committee_and_bureau.txt": ("渠县教育局", "渠县", "", (2024,), "line"),
    "fawen_header.txt": ("沛县人民政府", "沛县", "", (2024,), "header"),
    "xinxi_laiyuan_combined_bureau.txt": ("鄞州区文化广电旅游体育局", "鄞州区", "", (2024,), "header"),
    "autonomous_banner.txt": ("鄂温克族自治旗教育局", "鄂温克族自治旗", "", (2024,), "title"),
    "county_with_series_span.txt": ("淳安县人民政府", "淳安县", "", (2024,), "title"),
    # a web page's text: a site banner with its own date, a breadcrumb, a field table without colons
    "banner_and_field_table.txt": ("南湖区教育体育局", "南湖区", "", (2024,), "title"),
    # the Party committee (short form 中共X县委) beside the government; 来源 is only who posted it
    "party_county_committee_and_government.txt": ("德清县人民政府", "德清县", "", (2024,), "title"),
    "provincial_department_and_commission.txt": ("江西省教育厅", "江西省", "", (2024,), "title"),
    # no title: the opening's "现将X2024年度…报告如下" names the place whose report it is
    "opening_reports_a_place.txt": ("拱墅区人民政府", "拱墅区", "", (2024,),
                                    "opening (现将…报告如下: a place's report: its government)"),
}


def test_every_fixture_is_expected():
    assert sorted(p.name for p in HEADERS.glob("*.txt")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_identity_from_a_real_header_shape(name):
    info = identified(load_document(HEADERS / name, 2**20)).info
    body, place, region, years, where = EXPECTED[name]
    assert (info.body, info.place, info.region, info.years) == (body, place, region, years)
    assert info.source_of("body") == where and info.source_of("years")


@pytest.mark.parametrize("text", ["在省委省政府、市委市政府的正确领导下", "根据中共西湖区委依法治区办公室《通知》要求",
                                  "在区委、区政府的坚强领导下", "全市教育局系统", "市委市政府高度重视"])
def test_bodies_thanked_or_cited_are_not_bodies(text):
    assert _bodies(text) == []


def test_what_was_not_read_stays_unknown():
    info = identify("2024年法治政府建设情况报告\n\n2024年，在《法治政府建设实施纲要(2021—2025年)》指引下，我局…"
                    "现将有关情况报告如下：", "2024年法治政府建设情况报告")
    assert (info.body, info.place, info.region) == ("", "", "") and info.years == (2024,)
    assert info.describe() == "body: ?  place: ?  region: ?  years: 2024 (title)"


def test_a_correction_by_hand_says_so(tmp_path):
    from rag.reportmeta import write_override

    report = tmp_path / "r.txt"
    report.write_text("2024年法治政府建设情况报告\n\n2024年，我局依法行政。", encoding="utf-8")
    write_override(report, {"body": "杭州市上城区教育局"})
    info = identified(load_document(report, 2**20)).info
    assert (info.body, info.place, info.region) == ("杭州市上城区教育局", "上城区", "杭州市")
    assert info.source_of("body") == "corrected by hand" and info.source_of("years") == "title"


# ---------------------------------------------------------------- the bundled report alone, real models

@pytest.mark.slow
@pytest.mark.parametrize("question, body", [("上城区教育局聘任了多少名法治副校长？", "上城区教育局"),
                                            ("西城区教育局共聘任了多少名法治副校长？", "西城区教育局")])
def test_a_district_bureau_without_a_report_gets_no_city_figure(default_config, question, body):
    """With only Hangzhou's city bureau indexed, a district bureau's question is out of scope: its
    figure (1237, the city's) is never stated as the district's."""
    from rag.pipeline import load_answerer

    answer = load_answerer(default_config).answer(question)
    assert answer.refused and "1237" not in answer.text
    assert answer.decided("scope").figures == (body,) and body in answer.text


def test_a_corrected_body_brings_its_place_and_says_so():
    from rag.reportmeta import apply_override
    from rag.schema import ReportInfo

    read = ReportInfo("杭州市上城区教育局", "上城区", "杭州市", (2024,),
                      origin=(("body", "title"), ("place", "title"), ("region", "title")))
    moved = apply_override(read, {"body": "杭州市西湖区教育局"})
    assert (moved.place, moved.region) == ("西湖区", "杭州市")
    assert moved.source_of("place") == moved.source_of("region") == "corrected by hand"
    # a body naming no place leaves place and region as they were read, and where from
    kept = apply_override(read, {"body": "某某中心"})
    assert (kept.place, kept.region, kept.source_of("place")) == ("上城区", "杭州市", "title")
