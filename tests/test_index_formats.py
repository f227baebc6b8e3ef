"""Every common report format goes in and is answerable; every bad file is named and left out.

The files are real: a DOCX written by python-docx, a PDF with a Chinese text layer written by
reportlab, an HTML page with navigation and scripts, GBK and UTF-16 text files.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import Config
from rag.embedding import get_embedder
from rag.errors import BadInput
from rag.indexing import add_reports, build_index
from rag.integrity import verify_index
from rag.loading import load_document
from rag.models import profile_spec
from rag.retrieval import Retriever
from rag.store import open_index

# One report per format, each with facts found nowhere else.
FACTS = {
    "docx": ("某区教育局2024年度法治政府建设报告（DOCX）", "全区共培训执法人员417人次", "全区共培训了多少执法人员？", "417"),
    "pdf": ("某县教育局2024年度法治政府建设报告（PDF）", "全县共排查校园安全隐患2864处，已全部整改到位",
            "全县排查了多少处校园安全隐患？", "2864"),
    "html": ("某市教育局2024年度法治工作报告（网页）", "全市共办理行政复议案件58件，纠错率为6.9%",
             "全市办理了多少件行政复议案件？", "58件"),
    "gbk": ("某镇中心学校2024年度依法治校报告", "全镇共开展法治讲座96场", "全镇开展了多少场法治讲座？", "96场"),
    "utf16": ("某街道2024年度普法工作报告", "街道共发放普法宣传册7350份", "街道发放了多少份普法宣传册？", "7350"),
}


def write_docx(path: Path, title: str, fact: str) -> None:
    import docx

    d = docx.Document()
    d.core_properties.title = title
    d.add_heading(title, level=0)
    d.add_paragraph("一、2024年主要工作")
    d.add_paragraph(f"（一）强化执法队伍建设。{fact}，覆盖全部执法岗位。")
    d.add_paragraph("（二）完善制度。修订规范性文件3件，清理文件12件。")
    d.save(path)


def write_pdf(path: Path, title: str, fact: str, text_layer: bool = True) -> None:
    """An A4 page wrapped at 30 characters per line, like a real report's PDF."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    if not text_layer:  # a scan: only a picture-like drawing, no text
        c.rect(50, 400, 400, 300, fill=1)
        c.showPage()
        c.save()
        return
    c.setFont("STSong-Light", 11)
    body = (f"（一）校园安全专项整治。2024年，{fact}，整改率100%。同时建立隐患台账，"
            "实行清单化管理，每月通报整改进展，确保责任落实到人到岗。")
    lines = [title, "一、2024年主要工作"] + [body[i:i + 30] for i in range(0, len(body), 30)] + ["- 1 -"]
    y = 800
    for line in lines:
        c.drawString(50, y, line)
        y -= 18
    c.showPage()
    c.save()


HTML_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_某市人民政府门户网站</title>
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="2025-03-01 10:00">
<meta name="ContentSource" content="某市教育局">
<style>.nav {{ color: red }}</style><script>var tracking = "导航脚本不应被索引";</script></head>
<body><header><div class="logo">某市人民政府门户网站</div></header>
<nav class="nav"><a href="/">首页</a> <a href="/zwgk">政务公开菜单项</a></nav>
<div class="breadcrumb">当前位置：首页 &gt; 政务公开</div>
<main><article><h1>{title}</h1>
<p>一、2024年主要工作</p><p>（一）规范行政复议。{fact}，均在法定期限内办结。</p>
<p>（二）推进普法。开展“宪法进校园”活动<b>120</b>场。</p></article></main>
<aside class="sidebar">相关链接侧栏</aside><footer>版权所有 某市人民政府 网站地图</footer>
<script>document.write("页脚脚本")</script></body></html>"""


def write_reports(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {k: folder / name for k, name in (("docx", "区报告.docx"), ("pdf", "县报告.pdf"), ("html", "市报告.html"),
                                               ("gbk", "镇报告.txt"), ("utf16", "街道报告.md"))}
    write_docx(paths["docx"], *FACTS["docx"][:2])
    write_pdf(paths["pdf"], *FACTS["pdf"][:2])
    title, fact = FACTS["html"][:2]
    paths["html"].write_text(HTML_PAGE.format(title=title, fact=fact), encoding="utf-8")
    title, fact = FACTS["gbk"][:2]
    paths["gbk"].write_bytes(f"{title}\n\n一、主要工作\n\n（一）法治教育。{fact}，参与师生2100人次。\n".encode("gbk"))
    title, fact = FACTS["utf16"][:2]
    paths["utf16"].write_bytes(f"# {title}\n\n## 一、普法宣传\n\n{fact}。\n".encode("utf-16"))
    return paths


def test_each_format_reads_to_clean_text(tmp_path):
    paths = write_reports(tmp_path)
    for kind, path in paths.items():
        doc = load_document(path)
        title, fact = FACTS[kind][:2]
        assert doc.title == title, kind
        assert fact in doc.text, (kind, doc.text)
    pdf = load_document(paths["pdf"]).text
    assert "- 1 -" not in pdf  # page number dropped
    assert "确保责任落实到人到岗" in pdf.split("\n")[2]  # wrapped lines joined back into one paragraph
    html = load_document(paths["html"])
    for junk in ("导航脚本", "政务公开菜单项", "当前位置", "相关链接侧栏", "版权所有", "页脚脚本", "tracking"):
        assert junk not in html.text, junk
    assert html.published == "2025-03-01 10:00" and html.source == "某市教育局"


def test_every_format_is_indexed_and_answerable(tmp_path):
    cfg = Config.from_env().with_(profile="lite", index_root=tmp_path / "index", source_dir=tmp_path / "reports")
    write_reports(cfg.source_dir)
    report = build_index(cfg, get_embedder(cfg))
    assert report.failed == [] and report.documents == 5
    assert verify_index(cfg.index_dir).ok
    retriever = Retriever(cfg.index_dir, get_embedder(cfg), profile_spec("lite").min_dense)
    for kind, (title, fact, question, number) in FACTS.items():
        top = retriever.search(question, 3)
        assert top.relevant, kind
        assert number in top.hits[0].passage.text and top.hits[0].passage.title == title, (kind, top.hits[0])


def test_bad_files_are_named_and_left_out(tmp_path):
    """Through the real command: exit code 2, one message per bad file, the good one still goes in."""
    cfg = Config.from_env().with_(profile="lite", index_root=tmp_path / "index", source_dir=tmp_path / "reports")
    bad = tmp_path / "incoming"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "blank.md").write_bytes(b"  \n\n ")
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (bad / "garbled.txt").write_bytes(b"\x81\x20\xfe\xff" * 50)  # invalid in UTF-8 and in GB18030
    write_pdf(bad / "scan.pdf", "", "", text_layer=False)
    (bad / "broken.pdf").write_bytes(b"%PDF-1.4\n this is not really a pdf")
    (bad / "broken.docx").write_bytes(b"PK\x03\x04 not a zip")
    (bad / "big.txt").write_text("某区报告\n" + "全区新建学校12所。" * 400, encoding="utf-8")  # ~10 KB
    (bad / "slides.pptx").write_bytes(b"PK")
    odd = bad / "报告;rm -rf ~ $(echo x)\n(2024)'\"...txt"
    odd.write_text("某乡2024年度报告\n\n一、主要工作\n\n全乡共调解纠纷33起。\n", encoding="utf-8")
    env = {**os.environ, "RAG_SOURCE_DIR": str(cfg.source_dir), "RAG_INDEX_ROOT": str(cfg.index_root),
           "RAG_MAX_FILE_MB": "0.005", "TQDM_DISABLE": "1"}
    out = subprocess.run([sys.executable, "-m", "rag.cli", "index", "add", str(bad), "--profile", "lite"],
                         capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    expected = {"empty.txt": "empty", "blank.md": "empty", "binary.txt": "binary", "garbled.txt": "decode",
                "scan.pdf": "no text layer", "broken.pdf": "not a readable PDF", "broken.docx": "not a readable .docx",
                "big.txt": "MB limit", "slides.pptx": "unsupported"}
    for name, reason in expected.items():
        line = next((ln for ln in out.stderr.splitlines() if name in ln), "")
        assert reason in line, (name, out.stderr)
    # The one good file went in under a plain name inside the reports folder; nothing else did.
    stored = sorted(p.name for p in cfg.source_dir.iterdir())
    assert len(stored) == 1 and "/" not in stored[0] and "\n" not in stored[0] and "$" not in stored[0]
    assert stored[0].endswith(".txt") and not stored[0].startswith(".")
    version = open_index(cfg.index_dir)
    assert [d["title"] for d in version.documents] == ["某乡2024年度报告"]
    assert verify_index(cfg.index_dir).ok
    # Adding only bad files leaves the index exactly as it was.
    before = version.version
    with pytest.raises(BadInput):
        load_document(bad / "garbled.txt")
    report = add_reports(cfg, get_embedder(cfg), [bad / "empty.txt", bad / "scan.pdf"])
    assert len(report.failed) == 2 and report.embedded == 0
    assert open_index(cfg.index_dir).version == before == report.version  # nothing changed, nothing written
    assert verify_index(cfg.index_dir).ok


@pytest.mark.parametrize("given,stored", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\windows\\report.TXT", "report.txt"),
    ("/abs/path/报告（2024）.pdf", "报告（2024）.pdf"),
    (".hidden.md", "hidden.md"),
    ("a b;$(rm -rf x)|`y`.docx", "a_b_(rm_-rf_x)_y.docx"),
    ("....html", "report.html"),
])
def test_uploaded_names_cannot_escape_the_reports_folder(given, stored):
    from rag.indexing import safe_filename

    assert safe_filename(given) == stored
