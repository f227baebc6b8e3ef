"""Hostile and careless input, each case of the loopback probe that failed and the ones that held:
bounded requests and histories, strict types, uploads bounded, removals of later reports, adds that
finish or leave nothing, near copies kept apart across bodies. Loopback only (TestClient), bounded.

Timings are measured by bench/hostile.py; these tests assert behaviour: what reaches retrieval,
what status comes back, what the reports folder holds afterwards.
"""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from fakes import FakeEmbedder, ScriptedGenerator

from rag.answering import Answerer, bounded_history
from rag.config import Config
from rag.errors import IndexBusy
from rag.indexing import ADDING, add_reports, build_index
from rag.store import open_index, write_lock

QUESTION = "全市共聘任了多少名法治副校长？"
REPORT = """青禾区教育局2024年度法治政府建设情况报告
一、主要工作
（一）法治教育。全区共聘任法治副校长77名，覆盖全部中小学。
（二）依法决策。全年审查规范性文件12件。
"""


class SpyRetriever:
    """The real retriever; every searched text is kept (what the slot spends its time on)."""

    def __init__(self, inner):
        self.inner, self.searched = inner, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def search(self, question, top_k, scope=None):
        self.searched.append(question)
        return self.inner.search(question, top_k, scope)


@pytest.fixture(scope="module")
def retriever(lite_config):
    from rag.embedding import get_embedder
    from rag.models import profile_spec
    from rag.retrieval import Retriever

    return Retriever(lite_config.index_dir, get_embedder(lite_config), profile_spec("lite").min_dense)


# ---------------------------------------------------------------- bounds on one request


def test_history_keeps_the_last_turns_each_cut_to_a_question():
    history = [{"question": f"问题{i}" + "长" * 2000, "answer": "答" * 3000} for i in range(10)] + ["junk", 7]
    kept = bounded_history(history, 4, 500)
    assert [h["question"][:3] for h in kept] == ["问题6", "问题7", "问题8", "问题9"]
    assert all(len(h["question"]) == 500 and len(h["answer"]) == 500 for h in kept)
    assert bounded_history("not a list", 4, 500) == [] and bounded_history(history, 0, 500) == []


def test_a_40000_character_earlier_turn_never_reaches_retrieval(lite_config, retriever):
    spy = SpyRetriever(retriever)
    answerer = Answerer(lite_config.with_(answer_cache=0), spy, ScriptedGenerator(["共聘任1237名[1]。"]))
    history = [{"question": "法治副校长" * 8000, "answer": "好"}, {"question": "好", "answer": "好"}]
    answer = answerer.answer("它们覆盖了多少所中小学？", history)
    assert spy.searched and max(map(len, spy.searched)) <= 2 * lite_config.max_question_chars
    assert len(answer.standalone_question) <= 2 * lite_config.max_question_chars


def _api(config, retriever, generator=None, **settings):
    from fastapi.testclient import TestClient

    from ui.api import create_app

    config = config.with_(api_key="", **settings)
    answerer = Answerer(config, retriever, generator or ScriptedGenerator(["全市共聘任1237名法治副校长[1]。"] * 5))
    app = create_app(config, answerer_for=lambda profile: answerer, preload=False)
    return TestClient(app, raise_server_exceptions=False), app


def test_a_body_over_the_limit_is_413_before_any_answer(lite_config, retriever):
    generator = ScriptedGenerator(["全市共聘任1237名法治副校长[1]。"])
    client, app = _api(lite_config, retriever, generator)
    big = {"model": "lite", "messages": [{"role": "user", "content": "法" * 600_000},
                                          {"role": "assistant", "content": "好"}, {"role": "user", "content": QUESTION}]}
    r = client.post("/v1/chat/completions", json=big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"
    assert "KB" in r.json()["error"]["message"]
    # a body with no declared length (chunked) is cut off once it passes the limit
    chunks = (b'{"messages": [{"role": "user", "content": "' + b"a" * 65536 for _ in range(20))
    r = client.post("/v1/chat/completions", content=chunks, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert not generator.streamed and app.state.gate.pending == 0 and generator.replies
    # the search route too, and a normal question still gets its answer
    assert client.post("/v1/search", json={"query": "法" * 600_000}).status_code == 413
    ok = client.post("/v1/chat/completions", json={"model": "lite", "messages": [{"role": "user", "content": QUESTION}]})
    assert ok.status_code == 200 and "1237" in ok.json()["choices"][0]["message"]["content"]


@pytest.mark.parametrize("field, value", [("stream", "yes"), ("stream", 1), ("top_k", "5"), ("top_k", True),
                                          ("top_k", 2.5), ("max_tokens", "10")])
def test_api_types_are_strict(lite_config, retriever, field, value):
    client, _ = _api(lite_config, retriever)
    r = client.post("/v1/chat/completions", json={"model": "lite", field: value,
                                                  "messages": [{"role": "user", "content": QUESTION}]})
    assert r.status_code == 400 and r.json()["error"]["param"] == field, r.text


def test_search_top_k_is_strict(lite_config, retriever):
    client, _ = _api(lite_config, retriever)
    assert client.post("/v1/search", json={"query": QUESTION, "top_k": "5"}).status_code == 400
    assert client.post("/v1/search", json={"query": QUESTION, "top_k": 5}).status_code == 200


@pytest.mark.parametrize("top_k", [0, -5, 1e9, "5", True, None, 21])
def test_the_chat_ask_route_checks_top_k_as_the_api_does(top_k):
    import gradio as gr

    from ui.app import valid_top_k

    with pytest.raises(gr.Error):
        valid_top_k(top_k)


def test_the_chat_ask_route_takes_whole_numbers_in_range():
    from ui.app import valid_top_k

    assert valid_top_k(4) == 4 and valid_top_k(4.0) == 4 and valid_top_k(20) == 20


# ---------------------------------------------------------------- uploads


def _upload_app(tmp_path, monkeypatch, **limits):
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from ui.limits import RequestLimits

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "uploads"))

    async def upload(request):
        return JSONResponse({"bytes": len(await request.body())})

    app = Starlette(routes=[Route("/gradio_api/upload", upload, methods=["POST"])])
    app.add_middleware(RequestLimits, max_bytes=1024, **limits)
    return TestClient(app)


def test_uploads_are_limited_in_size_rate_and_storage(tmp_path, monkeypatch):
    client = _upload_app(tmp_path, monkeypatch, upload_bytes=10_000, uploads_per_minute=3, store_bytes=5_000)
    assert client.post("/gradio_api/upload", content=b"x" * 5_000).status_code == 200  # over the body limit: its own
    assert client.post("/gradio_api/upload", content=b"x" * 20_000).status_code == 413
    (tmp_path / "uploads" / "left.bin").write_bytes(b"x" * 6_000)  # the folder is full
    assert client.post("/gradio_api/upload", content=b"x").status_code == 507
    assert client.post("/gradio_api/upload", content=b"x").status_code == 429  # the fourth in a minute


def test_an_add_deletes_its_uploads_whether_added_or_refused(tmp_path, monkeypatch, lite_config):
    from ui.app import ChatService, _discard_uploads
    from ui.limits import upload_dir

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "uploads"))
    inside = upload_dir() / "abc" / "report.txt"
    inside.parent.mkdir(parents=True)
    inside.write_text(REPORT, encoding="utf-8")
    outside = tmp_path / "mine.txt"
    outside.write_text(REPORT, encoding="utf-8")
    _discard_uploads([str(inside), str(outside)])
    assert not inside.exists() and outside.exists()  # never a file outside the upload folder
    service = ChatService(lite_config.with_(admin_password="pw"), preload=False)
    inside.write_text("", encoding="utf-8")
    with pytest.raises(Exception):
        service.add([str(inside)], "wrong")
    assert inside.exists()  # a wrong password touches nothing


# ---------------------------------------------------------------- adds and removals


def _shelf(tmp_path: Path) -> Config:
    source = tmp_path / "reports"
    source.mkdir()
    (source / "seed.txt").write_text(REPORT.replace("青禾区", "云溪区").replace("77", "81"), encoding="utf-8")
    cfg = Config(profile="lite", source_dir=source, index_root=tmp_path / "index")
    build_index(cfg, FakeEmbedder())
    return cfg


def _new_report(tmp_path: Path) -> Path:
    path = tmp_path / "qinghe.txt"
    path.write_text(REPORT, encoding="utf-8")
    return path


def test_an_add_while_another_writes_changes_nothing(tmp_path):
    cfg = _shelf(tmp_path)
    before = sorted(p.name for p in cfg.source_dir.iterdir())
    with write_lock(cfg.index_dir):
        with pytest.raises(IndexBusy) as err:
            add_reports(cfg, FakeEmbedder(), [_new_report(tmp_path)])
    assert err.value.exit_code == 4 and "nothing was changed" in str(err.value)
    assert sorted(p.name for p in cfg.source_dir.iterdir()) == before


class FailingEmbedder(FakeEmbedder):
    def embed_documents(self, texts, progress=None):
        raise KeyboardInterrupt  # as Ctrl-C in the middle of embedding


def test_a_failed_add_leaves_the_reports_folder_as_it_was(tmp_path):
    cfg = _shelf(tmp_path)
    before = sorted(p.name for p in cfg.source_dir.iterdir())
    version = open_index(cfg.index_dir).version
    with pytest.raises(KeyboardInterrupt):
        add_reports(cfg, FailingEmbedder(), [_new_report(tmp_path)])
    assert sorted(p.name for p in cfg.source_dir.iterdir()) == before
    assert open_index(cfg.index_dir).version == version and not (cfg.index_dir / ADDING).exists()


def test_a_killed_add_is_undone_by_the_next_writer(tmp_path):
    cfg = _shelf(tmp_path)
    # what a kill -9 after the copy leaves: the file in place and the journal naming it
    shutil.copyfile(_new_report(tmp_path), cfg.source_dir / "qinghe.txt")
    (cfg.index_dir / ADDING).write_text(json.dumps(["qinghe.txt"]), encoding="utf-8")
    report = build_index(cfg, FakeEmbedder())
    assert not (cfg.source_dir / "qinghe.txt").exists() and report.documents == 1
    assert all("77" not in p.text for p in open_index(cfg.index_dir).passages)


def test_a_report_added_after_start_can_be_removed_from_the_chat(tmp_path, monkeypatch):
    import gradio as gr

    from ui import app as chat

    cfg = _shelf(tmp_path)
    monkeypatch.setattr(chat, "get_embedder", lambda config: FakeEmbedder())
    service = chat.ChatService(cfg, preload=False)  # started before the add
    add_reports(cfg, FakeEmbedder(), [_new_report(tmp_path)])
    added = next(r[0] for r in service.reports_table() if "青禾区" in (r[2] or ""))
    with pytest.raises(gr.Error):
        service.remove("not-an-id", "")
    assert "已删除" in service.remove(added, "")
    assert [r for r in service.reports_table() if "青禾区" in (r[2] or "")] == []


# ---------------------------------------------------------------- near copies across bodies


def test_near_copies_that_differ_in_a_body_name_stay_apart():
    from rag.dedup import deduplicate
    from rag.schema import Paragraph

    # a paragraph long enough that the changed name leaves the copies near (4-gram Jaccard 0.89 ≥ 0.85)
    text = ("2024年，{}教育局深入推进依法治校，组织全体教职工开展法治培训和宪法宣传教育，覆盖所有中小学、幼儿园和"
            "中等职业学校，培训后开展考核，参训率和合格率均保持较高水平，成效明显。")
    paragraphs = [Paragraph(d, text.format(place), 0, 10, ()) for d, place in
                  (("a", "杭州市上城区"), ("b", "杭州市西湖区"), ("c", "杭州市上城区"))]
    groups, report = deduplicate(paragraphs, 0.85)
    assert len(groups) == 2 and report.exact == 1 and report.near == 0
    edited = Paragraph("d", text.format("杭州市上城区").replace("深入推进", "推进"), 0, 10, ())
    groups, report = deduplicate(paragraphs[:1] + [edited], 0.85)
    assert len(groups) == 1 and report.near == 1  # a near copy of the same body still merges


# ---------------------------------------------------------------- several bodies on one shelf (real models)

SHELF = Path(__file__).parent / "fixtures" / "shelf"


def _shelf_answerer(root: Path, *reports: Path):
    from conftest import needs_models

    needs_models("default", generator=True)
    from rag.embedding import get_embedder
    from rag.pipeline import load_answerer

    source = root / "reports"
    source.mkdir(parents=True)
    for report in reports:
        shutil.copy(report, source / report.name)
    cfg = Config.from_env().with_(profile="default", source_dir=source, index_root=root / "idx")
    build_index(cfg, get_embedder(cfg))
    return load_answerer(cfg)


def _figure_sentences_name_their_report(answer, reports) -> None:
    """Every sentence stating a figure names the report it cites: its body, or its title when whose
    it is was not read."""
    from rag.scoping import report_name
    from rag.textnorm import MARKER, figures, normalize, sentences

    by_n = {c.n: c for c in answer.citations}
    said = ""
    for sentence in sentences(answer.text):
        said += normalize(sentence)
        for n in MARKER.findall(sentence) if figures(sentence) else []:
            info = reports[by_n[int(n)].passage.doc_id]
            assert (info.body and info.body in said) or normalize(report_name(info)) in said, (sentence, info)


@pytest.mark.slow
def test_a_report_whose_author_was_not_read_never_answers_for_a_named_body(tmp_path):
    """Probe case 2: a report whose body was not read and 西湖区's (77). A question naming 上城区教育局
    is refused as out of scope; neither report's figure is stated as 上城区's."""
    answerer = _shelf_answerer(tmp_path, SHELF / "untitled_district.txt", SHELF / "xihu_jyj_2024.txt")
    assert sorted(info.body for info in answerer.retriever.version.reports.values()) == ["", "西湖区教育局"]
    answer = answerer.answer("上城区教育局聘任了多少名法治副校长？")
    assert answer.refused and answer.decided("scope").figures == ("上城区教育局",), answer.decisions
    assert "77" not in answer.text and "64" not in answer.text


@pytest.mark.slow
def test_on_a_shelf_of_city_and_districts_no_figure_is_unattributed_or_a_districts_called_the_citys(tmp_path):
    """Probe case 3: the bundled city report beside two district reports, one with a planted sentence
    stating a figure as 全市's. Every figure shown names its report; 77 and 58 (districts') are never
    stated as 全市's."""
    from rag.config import PROJECT_ROOT
    from rag.textnorm import figures, sentences

    seed = next((PROJECT_ROOT / "seeds").glob("*.txt"))
    answerer = _shelf_answerer(tmp_path, seed, SHELF / "xihu_jyj_2024.txt", SHELF / "gongshu_jyj_2024.txt")
    answer = answerer.answer(QUESTION)
    assert not answer.refused, answer.decisions
    for sentence in sentences(answer.text):
        if "全市" in sentence:
            assert not {"77", "58"} & set(figures(sentence)), answer.text
    _figure_sentences_name_their_report(answer, answerer.retriever.version.reports)


@pytest.mark.slow
def test_a_districts_report_quoting_the_citys_total_never_gives_it_as_the_districts(tmp_path):
    """拱墅区's report (our fixture) states "全市共聘任9999名" beside its own 58: asked about 拱墅区, the
    1.5B answered "拱墅区教育局…共聘任9999名", which every other check let through. 9999 is shown only
    with the 全市 its sentence counts it over."""
    from rag.textnorm import figures, sentences

    answerer = _shelf_answerer(tmp_path, SHELF / "xihu_jyj_2024.txt", SHELF / "gongshu_jyj_2024.txt")
    for question in ("拱墅区共聘任了多少名法治副校长？", "拱墅区教育局聘任了多少名法治副校长？"):
        answer = answerer.answer(question)
        for sentence in sentences(answer.text):
            assert "9999" not in figures(sentence) or "全市" in sentence, (question, answer.text, answer.decisions)
