"""Index behaviours around building and checking, in milliseconds: the fake embedder and the
scripted generator (tests/fakes.py) stand in for the models."""
from __future__ import annotations

from fakes import FakeEmbedder, ScriptedGenerator

from rag.cli import load_building_index
from rag.config import Config
from rag.indexing import build_index
from rag.integrity import verify_index
from rag.store import current_version_path

REPORT = "{place}教育局关于2024年度法治政府建设报告\n\n一、主要情况\n\n全区共聘任{n}名法治副校长。\n"


def _config(tmp_path) -> Config:
    cfg = Config().with_(index_root=tmp_path / "index", source_dir=tmp_path / "reports")
    cfg.source_dir.mkdir()
    (cfg.source_dir / "a.txt").write_text(REPORT.format(place="甲溪区", n=156), encoding="utf-8")
    return cfg


def test_the_cli_builds_the_index_on_first_use_and_prints_the_summary_once(tmp_path, monkeypatch, capsys):
    """`rag chat` and `rag eval` go through the pipeline's first-use build (load_answerer(build_missing=True))."""
    monkeypatch.setattr("rag.pipeline.get_embedder", lambda cfg: FakeEmbedder())
    monkeypatch.setattr("rag.pipeline.get_generator", lambda cfg: ScriptedGenerator())
    cfg = _config(tmp_path)
    answerer = load_building_index(cfg)
    out = capsys.readouterr().out
    assert "full rebuild: no previous index" in out and "added 1" in out and "a.txt" in out
    assert answerer.retriever.version.path == current_version_path(cfg.index_dir)
    load_building_index(cfg, generate=False)  # built already: nothing to say
    assert capsys.readouterr().out == ""


def test_a_damaged_live_version_fails_and_names_the_version_that_stands_in(tmp_path):
    cfg = _config(tmp_path)
    build_index(cfg, FakeEmbedder())
    older = current_version_path(cfg.index_dir)
    (cfg.source_dir / "b.txt").write_text(REPORT.format(place="乙溪区", n=131), encoding="utf-8")
    build_index(cfg, FakeEmbedder())
    live = current_version_path(cfg.index_dir)
    assert verify_index(cfg.index_dir).ok
    (live / "faiss.index").write_bytes((live / "faiss.index").read_bytes()[:100])
    result = verify_index(cfg.index_dir)
    assert not result.ok and "damaged" in result.problems[0]
    assert result.notes == [f"version {live.name} is damaged; {older.name} answers until `rag index rebuild`"]
    (older / "faiss.index").write_bytes(b"")  # nothing left to fall back on
    assert "no older version loads" in verify_index(cfg.index_dir).notes[0]


def test_the_catalog_says_what_the_index_holds_without_loading_it(tmp_path):
    """The web page reads the catalog on every open: the same documents and passage counts as the
    loaded index, from the passage store alone (a damaged vector file does not stop it)."""
    from rag.store import open_index, read_catalog

    cfg = _config(tmp_path)
    (cfg.source_dir / "b.txt").write_text(REPORT.format(place="乙溪区", n=131), encoding="utf-8")
    build_index(cfg, FakeEmbedder())
    version, catalog = open_index(cfg.index_dir), read_catalog(cfg.index_dir)
    assert catalog.version == version.version and catalog.reports == version.reports
    assert catalog.passage_counts == {d: version.passage_count(d) for d in version.reports}
    assert all(n > 0 for n in catalog.passage_counts.values())
    live = current_version_path(cfg.index_dir)
    (live / "faiss.index").write_bytes(b"")
    assert read_catalog(cfg.index_dir).reports == version.reports
