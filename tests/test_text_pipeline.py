"""Loading, headings, dedup and chunking on the real seed and on files written here."""
from __future__ import annotations


import pytest

from rag.chunking import chunk_groups, passage_id, split_text
from rag.dedup import deduplicate, jaccard, shingles
from rag.errors import BadInput
from rag.loading import load_document
from rag.structure import heading_level, split_paragraphs
from rag.textnorm import normalize, numbers_with_units


def test_normalize_folds_width_and_spaces():
    assert normalize("（一）全市，共 1237名； ＡＢ") == "(一)全市,共1237名;AB"
    assert normalize("full  width\u3000text") == "full width text"


def test_numbers_with_units():
    assert numbers_with_units("新增学位10.09万个,占40.4%,共1237名,设立1,385个") == ["10.09万", "40.4%", "1237", "1385"]
    assert numbers_with_units("１２３７名") == ["1237"]


def test_seed_metadata(seed_path):
    doc = load_document(seed_path)
    assert doc.title == "杭州市教育局关于2024年度法治政府建设报告"
    assert doc.source == "杭州市教育局法规处"
    assert doc.published == "2025-02-07 09:34"


def test_headings_give_paths(seed_path):
    doc = load_document(seed_path)
    paras = split_paragraphs(doc)
    assert all("浏览次数" not in p.text and p.text != doc.title for p in paras)
    meta = next(p for p in paras if "发布日期" in p.text)
    assert meta.text == "来源:杭州市教育局法规处  发布日期:2025-02-07 09:34" and meta.path == (doc.title,)
    fifth = next(p for p in paras if "1237" in p.text)
    assert fifth.path == ("一、2024年推进法治政府建设主要情况", "(五)深化学校法治教育,护航青少年健康成长")
    plan = next(p for p in paras if p.text.startswith("(三)着力提升"))
    assert plan.path[0] == "二、2025年度推进法治政府建设主要安排"
    intro = next(p for p in paras if p.text.startswith("2024年,杭州市教育局"))
    assert intro.path == ()
    for p in paras:
        assert doc.text[p.start:p.end] == p.text
    assert heading_level("（一）标题") == 2 and heading_level("1.标题") == 3 and heading_level("10.09万个") is None


def test_seed_collapses_to_one_copy(seed_path):
    doc = load_document(seed_path)
    paras = split_paragraphs(doc)
    groups, report = deduplicate(paras)
    assert len(paras) == 20 and report.kept == 10 and report.exact == 10
    assert all(len(g.copies) == 1 for g in groups)
    sets = [shingles(g.paragraph.text) for g in groups]
    assert max(jaccard(a, b) for i, a in enumerate(sets) for b in sets[i + 1:]) < 0.5


def test_near_duplicates_merge_across_documents(tmp_path):
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    body = "全市955所中小学实现法治副校长全覆盖,共聘任1237名法治副校长,积极参与学校安全事故、侵权纠纷等调解协商。"
    a.write_text("报告甲\n\n" + body + "\n", encoding="utf-8")
    b.write_text("报告乙\n\n" + body.replace(",", "，").replace("积极参与", "积极地参与") + "\n", encoding="utf-8")
    paras = split_paragraphs(load_document(a)) + split_paragraphs(load_document(b))
    groups, report = deduplicate(paras, threshold=0.85)
    assert report.kept == 1 and report.near == 1
    passages = chunk_groups(groups, {}, 260, 40)
    assert {loc.doc_id for loc in passages[0].sources} == {paras[0].doc_id, paras[1].doc_id}


def test_chunks_split_on_sentences_never_inside_numbers(seed_path):
    doc = load_document(seed_path)
    groups, _ = deduplicate(split_paragraphs(doc))
    passages = chunk_groups(groups, {doc.doc_id: doc.title}, 120, 30)
    source_numbers = {n for g in groups for n in numbers_with_units(g.paragraph.text)}
    for p in passages:
        assert len(p.text) <= 120
        assert doc.text[p.start:p.end] == p.text
        for loc in p.sources:
            assert doc.text[loc.start:loc.end] == p.text
        assert set(numbers_with_units(p.text)) <= source_numbers, p.text
    # every number of the report survives whole in some passage
    joined = {n for p in passages for n in numbers_with_units(p.text)}
    assert source_numbers <= joined


def test_half_width_punctuation_splits():
    text = "第一句话比较长一些;第二句话也很长一些!第三句话是问题吗?第四句话包含10.09万个学位。"
    spans = split_text(text, 20, 0)
    pieces = [text[s:e] for s, e in spans]
    assert "".join(pieces) == text
    assert all(p[-1] in ";!?。" for p in pieces) and len(pieces) >= 3
    assert any("10.09万个" in p for p in pieces)


def test_ids_are_stable_content_hashes(seed_path):
    doc = load_document(seed_path)
    ids = [p.id for p in chunk_groups(deduplicate(split_paragraphs(doc))[0], {}, 260, 40)]
    again = [p.id for p in chunk_groups(deduplicate(split_paragraphs(load_document(seed_path)))[0], {}, 260, 40)]
    assert ids == again and len(set(ids)) == len(ids)
    assert passage_id("共聘任1237名,法治副校长") == passage_id("共聘任1237名，法治副校长")


def test_gbk_and_bom_files_load(tmp_path):
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("某区教育局报告\n\n一、总体情况\n\n全区新建学校12所。\n".encode("gbk"))
    bom = tmp_path / "bom.md"
    bom.write_bytes(b"\xef\xbb\xbf" + "# 标题\n\n## 一、情况\n\n内容一句。\n".encode("utf-8"))
    g = load_document(gbk)
    assert g.title == "某区教育局报告" and "新建学校12所" in g.text
    paras = split_paragraphs(g)
    assert paras[0].path == ("一、总体情况",)
    assert split_paragraphs(load_document(bom))[0].path == ("一、情况",)


@pytest.mark.parametrize("content,name,message", [
    (b"", "empty.txt", "empty"),
    (b"\x00\x01\x02binary", "bin.txt", "binary"),
    (b"hello", "doc.exe", "unsupported"),
])
def test_bad_files_give_clear_errors(tmp_path, content, name, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BadInput, match=message):
        load_document(path)


def test_near_copies_with_different_numbers_are_kept_apart(tmp_path):
    """Two districts' reports from one template, or a corrected figure: each keeps its own numbers."""
    body = "全区{n}所中小学实现法治副校长全覆盖,共聘任1237名法治副校长,积极参与学校安全事故、侵权纠纷等调解协商。"
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("报告甲\n\n" + body.format(n=955) + "\n", encoding="utf-8")
    b.write_text("报告乙\n\n" + body.format(n=956) + "\n", encoding="utf-8")
    paras = split_paragraphs(load_document(a)) + split_paragraphs(load_document(b))
    assert jaccard(shingles(paras[0].text), shingles(paras[1].text)) > 0.85
    groups, report = deduplicate(paras, threshold=0.85)
    assert report.kept == 2 and report.near == 0
