"""The hand-written readers on real-shaped input, where the libraries they were weighed against fail
(rag/formats.py's docstring has the measurements): a county site laid out in tables, a city CMS
page built of divs with a data table, a Word file with a content control, tracked changes and a
text box, and encodings whose short or mostly-ASCII text fools a detector."""
from __future__ import annotations

import io

import pytest

from rag.formats import decode, read_docx, read_html
from rag.schema import Document
from rag.structure import split_paragraphs

# An older county site: the whole page is nested layout tables, the report's paragraphs in one cell.
TABLE_LAYOUT = """<html><head><meta charset="utf-8"><title>某县教育局2024年度法治政府建设工作报告</title></head><body>
<table width="1000"><tr><td class="top"><a href="/">某县教育局</a> | <a href="/">首页</a> | <a href="/zwgk">政务公开</a></td></tr>
<tr><td><table><tr><td width="200"><a>栏目导航</a><br><a>通知公告</a><br><a>法治建设</a></td>
<td><table><tr><td align="center"><b>某县教育局2024年度法治政府建设工作报告</b></td></tr>
<tr><td>发布时间：2025-01-20 来源：某县教育局</td></tr>
<tr><td><p>2024年，某县教育局深入贯彻习近平法治思想，扎实推进法治政府建设。</p>
<p>一、主要工作</p><p>（一）全面加强依法行政。全年审查规范性文件9件，合法性审查率100%。</p>
<p>（二）深化法治教育。全县68所中小学配备法治副校长，开展法治讲座212场。</p>
<p>二、存在问题</p><p>执法人员专业化水平有待提高。</p></td></tr></table></td></tr></table></td></tr>
<tr><td class="bottom">版权所有：某县教育局 技术支持：某某网络公司</td></tr></table></body></html>"""

# A city CMS page: no <main>/<article>, the furniture in divs whose classes say little, a data table.
DIV_CMS = """<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>某市教育局关于2024年度法治政府建设报告_某市教育局</title>
<meta name="ArticleTitle" content="某市教育局关于2024年度法治政府建设报告">
<meta name="PubDate" content="2025-02-07 09:34"><meta name="ContentSource" content="某市教育局法规处">
<script>var _hmt = _hmt || [];</script></head><body>
<div class="top-bar"><a>无障碍浏览</a> | <a>长者模式</a> | <a>手机版</a></div>
<div class="menu-list"><ul><li><a>首页</a></li><li><a>机构概况</a></li><li><a>政务公开</a></li></ul></div>
<div class="container"><div class="dqwz">当前位置：<a>首页</a> &gt; <a>政务公开</a></div>
<div class="con_left"><div class="lmmc">法治政府建设</div><ul><li><a>依法行政</a></li><li><a>普法宣传</a></li></ul></div>
<div class="con_right"><div class="article-title">某市教育局关于2024年度法治政府建设报告</div>
<div class="article-info">来源:某市教育局法规处  发布日期:2025-02-07 09:34  浏览次数:<span>1532</span></div>
<div class="article-con" id="zoom">
<p style="text-indent:2em;">一、2024年推进法治政府建设主要情况</p>
<p style="text-indent:2em;">（一）深化学校法治教育。全市955所中小学实现法治副校长全覆盖，详见<a href="/fzfxz">法治副校长名单</a>。</p>
<table border="1"><tr><th>指标</th><th>2023年</th><th>2024年</th></tr>
<tr><td>法治副校长（名）</td><td>1100</td><td>1237</td></tr></table>
<p style="text-indent:2em;">（二）推进依法行政。全年办理行政复议案件58件。</p></div>
<div class="article-tool">【<a>打印</a>】【<a>关闭</a>】</div>
<div class="xgwz"><h3>相关文章</h3><ul><li><a>某市教育局关于2023年度法治政府建设报告</a></li>
<li><a>关于开展2024年“宪法进校园”活动的通知</a></li></ul></div></div></div>
<div class="yqlj">友情链接：<select><option>某省教育厅</option></select></div>
<div class="foot">主办：某市教育局 网站标识码：3301000026 浙ICP备05002520号</div></body></html>"""


def test_a_table_laid_out_page_keeps_its_paragraphs_and_headings():
    """trafilatura 2.3 (tables on) turns this page into pipe-separated rows, the whole report one line."""
    page = read_html(TABLE_LAYOUT.encode(), "county.html")
    lines = page.text.split("\n")
    for line in ("一、主要工作", "（二）深化法治教育。全县68所中小学配备法治副校长，开展法治讲座212场。", "二、存在问题"):
        assert line in lines
    assert "|" not in page.text
    doc = Document("d", "county.html", page.title, "", "", page.text, "")
    fact = next(p for p in split_paragraphs(doc) if "212场" in p.text)
    assert fact.path[0] == "一、主要工作"  # the structure step still sees the headings
    for junk in ("栏目导航", "首页", "政务公开", "版权所有"):
        assert junk not in page.text, junk


def test_a_div_cms_page_drops_link_lists_and_keeps_a_table_row_on_one_line():
    page = read_html(DIV_CMS.encode(), "city.html")
    lines = page.text.split("\n")
    assert lines[0] == page.title == "某市教育局关于2024年度法治政府建设报告"
    assert (page.source, page.published) == ("某市教育局法规处", "2025-02-07 09:34")
    assert "法治副校长（名） 1100 1237" in lines  # the figure stays with its label
    assert "（一）深化学校法治教育。全市955所中小学实现法治副校长全覆盖，详见法治副校长名单。" in lines  # a link in a paragraph stays
    assert lines.index("一、2024年推进法治政府建设主要情况") < lines.index("（二）推进依法行政。全年办理行政复议案件58件。")
    for junk in ("无障碍", "机构概况", "当前位置", "依法行政\n", "打印", "相关文章", "2023年度", "友情链接", "网站标识码", "_hmt"):
        assert junk not in page.text, junk


def _docx_with_word_features() -> bytes:
    """What Word writes and python-docx 1.2's paragraph/table walk does not read: a content control
    (w:sdt) around paragraphs, a tracked insertion and deletion, and a text box (stored twice)."""
    docx = pytest.importorskip("docx")
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    d = docx.Document()
    d.add_paragraph("一、2024年主要工作")
    table = d.add_table(rows=2, cols=3)
    for r, row in enumerate((("指标", "2023年", "2024年"), ("法治副校长（名）", "110", "156"))):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    p = d.add_paragraph("（一）全年调解纠纷")
    p._p.append(parse_xml(f'<w:del {w} w:id="1" w:author="a"><w:r><w:delText>30起</w:delText></w:r></w:del>'))
    p._p.append(parse_xml(f'<w:ins {w} w:id="2" w:author="a"><w:r><w:t>33起。</w:t></w:r></w:ins>'))
    box = "<w:txbxContent><w:p><w:r><w:t>图1：法治讲座现场</w:t></w:r></w:p></w:txbxContent>"
    p = d.add_paragraph("（二）开展法治讲座。")
    p._p.append(parse_xml(
        f'<w:r {w}><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
        f'<mc:Choice Requires="wps"><w:drawing>{box}</w:drawing></mc:Choice>'
        f'<mc:Fallback><w:pict>{box}</w:pict></mc:Fallback></mc:AlternateContent></w:r>'))
    d.element.body.insert(len(d.element.body) - 1, parse_xml(
        f'<w:sdt {w}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>二、2025年工作安排</w:t></w:r></w:p>'
        '<w:p><w:r><w:t>（一）计划开展法治讲座80场。</w:t></w:r></w:p></w:sdtContent></w:sdt>'))
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_a_word_file_keeps_content_controls_tracked_insertions_and_text_boxes_once():
    lines = read_docx(_docx_with_word_features(), "report.docx").text.split("\n")
    assert lines == ["一、2024年主要工作", "指标 2023年 2024年", "法治副校长（名） 110 156", "（一）全年调解纠纷33起。",
                     "（二）开展法治讲座。", "图1：法治讲座现场", "二、2025年工作安排", "（一）计划开展法治讲座80场。"]


@pytest.mark.parametrize("text", ["一、2024年推进法治", "一、2024", "| 法治副校长 | 1100 | 1237 |\n| schools | 900 | 955 |"])
def test_short_or_mostly_ascii_gbk_decodes(text):
    """charset-normalizer 3.5 reads these GBK bytes as UTF-16-LE or Korean cp949."""
    assert decode(text.encode("gbk"), "x.txt") == text
