"""The API at its boundary in milliseconds: a scripted generator (canned text, fixed judge score)
behind a real Answerer and Retriever on the lite index, driven through FastAPI's TestClient.
The real-model tests (test_api.py) keep the end-to-end behaviour."""
from __future__ import annotations

import json
import threading

import pytest
from fakes import ScriptedGenerator

from rag.answering import Answerer
from rag.errors import LLMUnavailable
from rag.prompting import REFUSAL

QUESTION = "全市共聘任了多少名法治副校长？"
REPLY = "全市共聘任1237名法治副校长[1]。"
PIECES = ["全市共聘", "任123", "7名法治", "副校长[", "1]。"]  # REPLY as the scripted generator streams it
RAG_KEYS = {"question", "standalone_question", "answer", "refused", "citations", "unsupported_numbers", "evidence",
            "wrong_report_numbers", "wrong_clause_numbers", "decisions", "why", "cached", "scope", "timings_ms", "index_version", "retrieved"}
CITATION_KEYS = {"n", "passage_id", "report", "title", "section", "text", "start", "end", "score"}


class Scripted(ScriptedGenerator):
    """Says REPLY every time; `gate` (an Event) holds it before its first piece, `error` is raised there."""

    def __init__(self, gate: threading.Event | None = None, error: Exception | None = None):
        super().__init__()
        self.gate, self.error, self.started = gate, error, threading.Event()

    def stream(self, messages, max_tokens):
        self.started.set()
        if self.gate is not None:
            self.gate.wait(30)
        if self.error is not None:
            raise self.error
        self.replies = [REPLY]
        yield from super().stream(messages, max_tokens)


@pytest.fixture(scope="module")
def retriever(lite_config):
    from rag.embedding import get_embedder
    from rag.models import profile_spec
    from rag.retrieval import Retriever

    return Retriever(lite_config.index_dir, get_embedder(lite_config), profile_spec("lite").min_dense)


def _client(config, retriever, generator=None, **settings):
    from fastapi.testclient import TestClient

    from ui.api import create_app

    config = config.with_(api_key="", **settings)
    answerer = Answerer(config, retriever, generator or Scripted())
    app = create_app(config, answerer_for=lambda profile: answerer, preload=False)
    return TestClient(app, raise_server_exceptions=False), app


def _ask(client, question=QUESTION, stream=False, **extra):
    return client.post("/v1/chat/completions", json={"model": "lite", "stream": stream, **extra,
                                                     "messages": [{"role": "user", "content": question}]})


def _events(response) -> list:
    """The SSE stream's data lines: JSON objects, then '[DONE]'."""
    assert response.headers["content-type"].startswith("text/event-stream")
    lines = [block[len("data: "):] for block in response.text.split("\n\n") if block.startswith("data: ")]
    return [line if line == "[DONE]" else json.loads(line) for line in lines]


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


def test_stream_sends_role_evidence_tokens_then_one_rag_chunk_then_done(lite_config, retriever):
    client, _ = _client(lite_config, retriever)
    events = _events(_ask(client, stream=True))
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "lite" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    # the report's own sentence comes before the first token, as rag.evidence in an empty delta
    evidence = chunks[1]
    assert evidence["choices"][0]["delta"] == {} and set(evidence["rag"]) == {"evidence"}
    assert "1237" in evidence["rag"]["evidence"]["text"]
    assert [c["choices"][0]["delta"]["content"] for c in chunks[2:-1]] == PIECES
    last = chunks[-1]
    assert last["choices"][0]["delta"] == {} and last["choices"][0]["finish_reason"] == "stop"
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
    assert all("rag" not in c for c in chunks[2:-1])
    assert last["rag"]["evidence"] == evidence["rag"]["evidence"]
    rag = last["rag"]
    assert set(rag) == RAG_KEYS and last["system_fingerprint"] == rag["index_version"]
    assert "".join(PIECES) == REPLY and rag["answer"] == REPLY
    assert not rag["refused"] and rag["unsupported_numbers"] == []
    assert set(rag["citations"][0]) == CITATION_KEYS and "1237" in rag["citations"][0]["text"]
    cited = rag["citations"][0]
    assert cited["report"] and cited["title"] and cited["end"] > cited["start"] >= 0
    assert [h["rank"] for h in rag["retrieved"]] == list(range(1, len(rag["retrieved"]) + 1))


def test_non_streamed_answer_is_the_streamed_rag_field(lite_config, retriever):
    from rag.schema import Answer

    client, _ = _client(lite_config, retriever)
    streamed = _events(_ask(client, stream=True))[-2]["rag"]
    r = _ask(client)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["object"] == "chat.completion" and done["choices"][0]["message"]["content"] == done["rag"]["answer"]
    assert done["rag"].pop("cached") and not streamed.pop("cached")  # the same question again: from the cache
    for rag in (streamed, done["rag"]):
        rag.pop("timings_ms")
    assert done["rag"] == streamed
    assert set(Answer("q", "q", "", True, [], [], [], []).to_json()) == RAG_KEYS  # `rag ask --json`, /ask: the same


def test_a_refusal_before_generating_is_the_whole_streamed_text(lite_config, retriever):
    generator = Scripted()
    client, _ = _client(lite_config, retriever, generator)
    chunks = _events(_ask(client, "如何做红烧肉？", stream=True))[:-1]
    assert [c["choices"][0]["delta"].get("content") for c in chunks[1:-1]] == [REFUSAL]
    assert chunks[-1]["rag"]["refused"] and chunks[-1]["rag"]["citations"] == []
    assert not generator.started.is_set() and not generator.streamed


def test_bad_request_unknown_model_and_missing_key(lite_config, retriever):
    client, _ = _client(lite_config, retriever)
    assert _error(client.post("/v1/chat/completions", json={"messages": []}), 400)["type"] == "invalid_request_error"
    error = _error(_ask(client, stream=True, model="gpt-4o"), 404)
    assert error["code"] == "model_not_found" and error["param"] == "model"
    from fastapi.testclient import TestClient

    from ui.api import create_app

    locked = TestClient(create_app(lite_config.with_(api_key="k3y"), preload=False))
    assert _error(locked.get("/v1/models"), 401)["code"] == "invalid_api_key"
    assert locked.get("/v1/models", headers={"Authorization": "Bearer k3y"}).status_code == 200


def test_a_full_queue_answers_429_and_gives_the_place_back(lite_config, retriever):
    gate = threading.Event()
    generator = Scripted(gate=gate)
    client, app = _client(lite_config, retriever, generator, api_max_queue=0)
    first = {}
    worker = threading.Thread(target=lambda: first.setdefault("r", _ask(client)))
    worker.start()
    try:
        assert generator.started.wait(30)
        error = _error(_ask(client, stream=True), 429)
        assert error["type"] == "rate_limit_error" and error["code"] == "server_busy"
    finally:
        gate.set()
        worker.join(30)
    assert first["r"].status_code == 200 and app.state.gate.pending == 0


def test_an_unreachable_generator_is_502_or_an_error_in_the_stream(lite_config, retriever):
    down = Scripted(error=LLMUnavailable("Cannot reach the generation server."))
    client, app = _client(lite_config, retriever, down)
    assert _error(_ask(client), 502)["code"] == "llm_unavailable"
    events = _events(_ask(client, stream=True))
    assert events[-2]["error"]["code"] == "llm_unavailable" and events[-1] == "[DONE]"
    assert app.state.gate.pending == 0


def test_search_results_carry_their_report_identity(lite_config, retriever):
    client, _ = _client(lite_config, retriever)
    r = client.post("/v1/search", json={"query": QUESTION, "top_k": 2, "model": "lite"})
    assert r.status_code == 200, r.text
    hit = r.json()["data"][0]
    info = hit["report_info"]
    assert hit["report"] == info["label"] and info["body"] and info["years"] and info["title"] == hit["title"]
    assert info["origin"]["body"] == "title" and info["described"].startswith(f"body: {info['body']} (title)")


def test_reports_filter_in_search_and_chat_and_unknown_values_are_a_400(lite_config, retriever):
    client, _ = _client(lite_config, retriever)
    doc_id = next(iter(retriever.version.reports))
    r = client.post("/v1/search", json={"query": QUESTION, "top_k": 2, "model": "lite",
                                        "reports": {"bodies": ["杭州市教育局"], "years": [2024]}})
    assert r.status_code == 200, r.text
    assert r.json()["scope"]["chosen"] == [doc_id] and {h["report_info"]["body"] for h in r.json()["data"]} == {"杭州市教育局"}
    # scoped as the answerer scopes it: a year no report covers is out of scope, and said so
    out = client.post("/v1/search", json={"query": "2019年全市共聘任了多少名法治副校长？", "model": "lite"}).json()
    assert out["scope"]["uncovered"] == ["2019年"]
    for bad, named in (({"bodies": ["白沙县教育局"]}, "白沙县教育局"), ({"years": [1999]}, "1999"),
                       ({"doc_ids": ["nope"]}, "nope")):
        for r in (client.post("/v1/search", json={"query": QUESTION, "model": "lite", "reports": bad}),
                  _ask(client, reports=bad), _ask(client, stream=True, reports=bad)):
            assert r.status_code == 400 and named in r.json()["error"]["message"], r.text
            assert r.json()["error"]["param"] == "reports"
    for bad in ({"years": ["2024"]}, {"bodies": "杭州市教育局"}, {"places": ["杭州市"]}):  # strict types, no extras
        assert _ask(client, reports=bad).status_code == 400
    ok = _ask(client, reports={"doc_ids": [doc_id]})
    assert ok.status_code == 200 and ok.json()["rag"]["citations"]
