"""A shelf of look-alike reports: each figure from its own report, real models and real files.

Two districts' reports (eval/multi/reports) say "全区…共聘任N名法治副校长" with different numbers; the
worst answer this product can give is one district's figure under the other's name.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT, Config
from rag.textnorm import MARKER, figures, normalize, sentences

SHELF = PROJECT_ROOT / "eval" / "multi" / "reports"
DISTRICTS = ("yunxi_jyj_2024.txt", "qinghe_jyj_2024.txt")  # 云溪区: 103 法治副校长; 青禾区: 89


def _shelf(folder: Path, names=DISTRICTS) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy(SHELF / name, folder / name)
    return folder


def _cli(*args, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_PROFILE": "lite"}
    env.pop("RAG_SOURCE_DIR", None)
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=env,
                          timeout=600, cwd=cwd)


# ---------------------------------------------------------------- the index knows whose reports it holds


def test_status_shows_identities_and_remembers_the_source_folder(tmp_path):
    reports, index = _shelf(tmp_path / "elsewhere"), tmp_path / "idx"
    assert _cli("index", "build", "--source", str(reports), "--index", str(index)).returncode == 0
    out = _cli("index", "status", "--index", str(index))  # no --source: the index remembers it
    assert out.returncode == 0, out.stderr
    assert "pending" not in out.stdout, out.stdout  # the bundled seeds/ folder is not this index's source
    assert f"source:    {reports.resolve()}" in out.stdout
    # each field with where it was read from
    assert ("body: 澄州市云溪区教育局 (title + header)  place: 云溪区 (title + header)  region: 澄州市 (title + header)"
            "  years: 2024 (title)") in out.stdout
    (reports / "chengzhou_jyj_2023.txt").write_bytes((SHELF / "chengzhou_jyj_2023.txt").read_bytes())
    assert "pending: chengzhou_jyj_2023.txt is new" in _cli("index", "status", "--index", str(index)).stdout


def test_a_corrected_identity_is_applied_and_only_that_report_is_embedded_again(tmp_path):
    reports, index = _shelf(tmp_path / "reports"), tmp_path / "idx"
    assert _cli("index", "build", "--source", str(reports), "--index", str(index)).returncode == 0
    out = _cli("index", "meta", "qinghe_jyj_2024.txt", "--years", "2023", "--index", str(index))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout[out.stdout.index("{"):])["years"] == [2023]
    assert (reports / "qinghe_jyj_2024.txt.meta.json").exists()
    assert "updated qinghe_jyj_2024.txt" in out.stdout.replace("  ", " ")
    embedded = int(out.stdout.split("embedded: ")[1].split()[0])
    assert 0 < embedded < 30  # 青禾区's passages carry a new label; 云溪区's vectors are reused
    status = _cli("index", "status", "--index", str(index)).stdout
    assert "place: 青禾区 (title + header)  region: 澄州市 (title + header)  years: 2023 (corrected by hand)" in status


# ---------------------------------------------------------------- answers (default profile: the judge and the 1.5B)


@pytest.fixture(scope="module")
def answerer(tmp_path_factory):
    from conftest import needs_models

    needs_models("default", generator=True)
    from rag.embedding import get_embedder
    from rag.indexing import build_index
    from rag.pipeline import load_answerer

    root = tmp_path_factory.mktemp("shelf")
    cfg = Config.from_env().with_(profile="default", source_dir=_shelf(root / "reports"), index_root=root / "idx")
    build_index(cfg, get_embedder(cfg))
    return load_answerer(cfg)


def _owner_named_in_every_figure_sentence(answer) -> None:
    """Each sentence that states a figure names the body of the report it cites."""
    for sentence in sentences(answer.text):
        if figures(sentence):
            cited = [answer.citations[[c.n for c in answer.citations].index(int(n))] for n in MARKER.findall(sentence)]
            assert cited, f"a figure without a citation: {sentence}"
            for c in cited:
                place = c.passage.scope.split(" · ")[0].replace("澄州市", "").replace("教育局", "")
                assert place in normalize(sentence), (sentence, c.passage.scope)


@pytest.mark.slow
@pytest.mark.parametrize("district, figure, other", [("云溪区", "103", "89"), ("青禾区", "89", "103")])
def test_each_district_is_answered_from_its_own_report(answerer, district, figure, other):
    answer = answerer.answer(f"{district}2024年共聘任了多少名法治副校长？")
    assert not answer.refused, answer.decisions
    assert figure in figures(answer.text) and other not in figures(answer.text), answer.text
    assert answer.citations and all(district in c.passage.scope for c in answer.citations)
    assert all(district in h.passage.scope for h in answer.hits)  # retrieval never offered the other district
    _owner_named_in_every_figure_sentence(answer)


@pytest.mark.slow
def test_a_body_without_a_report_is_refused_with_what_the_index_covers(answerer):
    answer = answerer.answer("白沙县教育局2024年共聘任了多少名法治副校长？")
    assert answer.refused and not answer.citations and answer.decided("scope").figures == ("白沙县教育局",)
    assert "白沙县" in answer.text and "澄州市云溪区教育局（2024年度）" in answer.text
    assert "澄州市青禾区教育局（2024年度）" in answer.text
    assert not figures(answer.text.split("现有")[0])  # no figure offered for 白沙县


@pytest.mark.slow
def test_an_unscoped_question_names_the_report_of_every_figure(answerer):
    answer = answerer.answer("共聘任了多少名法治副校长？")
    assert not answer.refused, answer.decisions
    stated = set(figures(answer.text))
    assert {"103", "89"} <= stated, answer.text  # both districts answer, each named
    assert not stated - {"103", "89", "84", "71", "2024"}, answer.text  # nothing but the two reports' figures
    _owner_named_in_every_figure_sentence(answer)


# ---------------------------------------------------------------- reports picked by hand (lite embedder, no generator)

@pytest.mark.slow
def test_a_filter_to_one_report_never_shows_another_reports_passage(tmp_path):
    """Every question of eval/multi through /v1/search, filtered to each of the six reports in turn:
    each passage shown is in the picked report (a shared paragraph counts for both); when the
    question's own scope is another report, nothing is shown and the scope says why."""
    from fastapi.testclient import TestClient

    from rag.embedding import get_embedder
    from rag.evaluation import load_qa
    from rag.indexing import build_index
    from rag.pipeline import load_answerer
    from ui.api import create_app

    source = tmp_path / "reports"
    shutil.copytree(SHELF, source)
    cfg = Config.from_env().with_(profile="lite", source_dir=source, index_root=tmp_path / "idx", api_key="")
    build_index(cfg, get_embedder(cfg))
    answerer = load_answerer(cfg, generate=False)  # search needs no generator
    client = TestClient(create_app(cfg, answerer_for=lambda profile: answerer, preload=False),
                        raise_server_exceptions=False)
    items, shown, conflicts = load_qa(SHELF.parent / "qa.jsonl"), 0, 0
    reports = answerer.retriever.version.reports
    for doc_id in reports:
        for item in items:
            r = client.post("/v1/search", json={"query": item.question, "top_k": 4, "model": "lite",
                                                "reports": {"doc_ids": [doc_id]}})
            assert r.status_code == 200, r.text
            body = r.json()
            assert all(doc_id in hit["doc_ids"] for hit in body["data"]), (doc_id, item.id)
            shown += len(body["data"])
            if body["scope"]["conflict"]:
                conflicts += 1
                assert body["data"] == [] and body["scope"]["named"], (doc_id, item.id)
    assert shown > len(items) and 0 < conflicts < len(items) * len(reports)
