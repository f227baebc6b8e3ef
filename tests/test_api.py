"""The OpenAI-compatible API (ui/api.py): error shapes and auth in-process (no generator), then a
real `rag api` server (lite profile) driven by the official openai client, and `rag serve --api`."""
from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request

import pytest
from servers import free_port, start, stop

API_KEY = "test-key-7"
QUESTION = "全市共聘任了多少名法治副校长？"
STREAMED: dict = {}  # the streamed test's checked answer, compared with the non-streamed one


def _error_shape(body: dict) -> dict:
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"message", "type", "param", "code"}, body
    assert body["error"]["message"]
    return body["error"]


# ---------------------------------------------------------------- in-process, no generator


@pytest.fixture(scope="module")
def client(lite_config):
    from fastapi.testclient import TestClient

    from ui.api import create_app

    return TestClient(create_app(lite_config.with_(api_key=""), preload=False))


BAD_REQUESTS = [
    ("no body", None, 400),
    ("malformed JSON", b'{"messages": [', 400),
    ("not an object", [1, 2], 400),
    ("missing messages", {"model": "lite"}, 400),
    ("messages not a list", {"messages": "hello"}, 400),
    ("empty messages", {"messages": []}, 400),
    ("no user message", {"messages": [{"role": "system", "content": "be brief"}]}, 400),
    ("last message not the user's", {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}, 400),
    ("empty content", {"messages": [{"role": "user", "content": " \n\t "}]}, 400),
    ("content of the wrong type", {"messages": [{"role": "user", "content": 5}]}, 400),
    ("unknown role", {"messages": [{"role": "wizard", "content": "hi"}]}, 400),
    ("image content", {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}, 400),
    ("too long", {"messages": [{"role": "user", "content": "法治" * 400}]}, 400),
    ("stream not a boolean", {"messages": [{"role": "user", "content": "hi"}], "stream": "maybe"}, 400),
    ("n > 1", {"messages": [{"role": "user", "content": "hi"}], "n": 3}, 400),
    ("unknown model", {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}, 404),
]


@pytest.mark.parametrize("name,body,status", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_chat_requests_get_openai_style_4xx(client, name, body, status):
    if body is None:
        r = client.post("/v1/chat/completions")
    elif isinstance(body, bytes):
        r = client.post("/v1/chat/completions", content=body, headers={"content-type": "application/json"})
    else:
        r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == status, r.text
    error = _error_shape(r.json())
    assert error["type"] == "invalid_request_error"
    if name == "unknown model":
        assert error["code"] == "model_not_found" and error["param"] == "model" and "lite" in error["message"]
    if name == "too long":
        assert error["code"] == "question_too_long"


def test_no_model_was_loaded_by_bad_requests(client):
    """Validation comes first: none of the requests above loaded an answerer."""
    r = client.get("/healthz")
    assert r.status_code == 503 and r.json()["status"] == "idle" and r.json()["models_loaded"] is False
    assert r.json()["index_version"]


def test_models_unknown_routes_and_methods(client):
    models = client.get("/v1/models").json()
    assert models["object"] == "list" and [m["id"] for m in models["data"]] == ["default", "lite"]
    assert all(m["object"] == "model" for m in models["data"])
    assert client.get("/v1/nothing").status_code == 404 and _error_shape(client.get("/v1/nothing").json())
    r = client.get("/v1/chat/completions")
    assert r.status_code == 405 and _error_shape(r.json())


def test_search_returns_scored_passages_without_a_generator(client):
    r = client.post("/v1/search", json={"query": QUESTION, "top_k": 3, "model": "lite"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["relevant"] and len(body["data"]) == 3 and body["index_version"]
    assert "1237" in body["data"][0]["text"]
    first = body["data"][0]
    assert set(first) >= {"rank", "passage_id", "report", "title", "section", "text", "start", "end", "score",
                          "report_info"}
    assert first["report"] == first["report_info"]["label"] and "杭州" in first["report"]
    assert set(first["report_info"]) >= {"body", "place", "region", "years", "published", "title", "label"}
    assert client.post("/v1/search", json={"query": "", "model": "lite"}).status_code == 400
    assert client.post("/v1/search", json={"query": "x", "top_k": 0}).status_code == 400
    assert client.post("/v1/search", json={"query": "x", "model": "nope"}).status_code == 404


def test_api_key_is_required_when_set(lite_config):
    from fastapi.testclient import TestClient

    from ui.api import create_app

    locked = TestClient(create_app(lite_config.with_(api_key=API_KEY), preload=False))
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}):
        r = locked.post("/v1/chat/completions", headers=headers, content=b"{not json")
        assert r.status_code == 401 and _error_shape(r.json())["code"] == "invalid_api_key"
    assert locked.get("/v1/models").status_code == 401
    assert locked.get("/v1/models", headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 200
    assert locked.get("/healthz").status_code in (200, 503)  # health stays open


def test_full_queue_answers_429(lite_config):
    """One answer runs, none may wait (max_queue=0): a second request is told the server is busy."""
    from fastapi.testclient import TestClient

    from ui.api import create_app

    release, started = threading.Event(), threading.Event()

    class SlowAnswerer:
        config = lite_config

        def answer(self, question, history=None, top_k=None, reports=None):
            started.set()
            release.wait(30)
            raise RuntimeError("not reached in this test")  # any error ends the first request

    app = create_app(lite_config.with_(api_key="", api_max_queue=0), answerer_for=lambda profile: SlowAnswerer(),
                     preload=False)
    client = TestClient(app, raise_server_exceptions=False)
    body = {"model": "lite", "messages": [{"role": "user", "content": QUESTION}]}
    first = {}
    worker = threading.Thread(target=lambda: first.setdefault("r", client.post("/v1/chat/completions", json=body)))
    worker.start()
    assert started.wait(30)
    busy = client.post("/v1/chat/completions", json=body)
    release.set()
    worker.join(30)
    assert busy.status_code == 429 and _error_shape(busy.json())["code"] == "server_busy"
    assert first["r"].status_code == 500 and _error_shape(first["r"].json())["type"] == "server_error"
    assert app.state.gate.pending == 0  # the place in line was given back


# ---------------------------------------------------------------- a real server, the openai client


def _get(url: str, timeout: float = 5.0) -> tuple[int, dict | str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            raw, status = r.read().decode(), r.status
    except urllib.error.HTTPError as e:
        raw, status = e.read().decode(), e.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def _start(args: list[str], env: dict, log_path, wait_s: float = 600):
    """`rag <args>` on a free port, once /healthz says the models are loaded."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    return start(["-m", "ui.cli", *args, "--port", str(port)], env, log_path, f"{base}/healthz", wait_s), base


@pytest.fixture(scope="module")
def api_server(lite_config, tmp_path_factory):
    env = {**os.environ, "RAG_API_KEY": API_KEY, "TQDM_DISABLE": "1"}
    proc, base = _start(["api", "--profile", "lite", "--index", str(lite_config.index_root)], env,
                        tmp_path_factory.mktemp("api") / "server.log")
    yield base
    stop(proc)


@pytest.fixture(scope="module")
def oai(api_server):
    from openai import OpenAI

    return OpenAI(base_url=f"{api_server}/v1", api_key=API_KEY, timeout=300, max_retries=0)


def _extra(obj, name="rag"):
    return (obj.model_extra or {}).get(name)


@pytest.mark.slow
def test_streamed_answer_has_text_and_citations(oai):
    chunks = list(oai.chat.completions.create(model="lite", stream=True,
                                              messages=[{"role": "user", "content": QUESTION}]))
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    last = chunks[-1]
    rag = _extra(last)
    assert last.choices[0].finish_reason == "stop" and rag is not None
    # before the tokens, one chunk carries the report's own sentence (rag.evidence); no other does
    extras = [_extra(c) for c in chunks[:-1]]
    assert [set(e) for e in extras if e is not None] == [{"evidence"}] and "1237" in extras[1]["evidence"]["text"]
    assert "1237" in text and "1237" in rag["answer"] and not rag["refused"]
    assert "[1]" in rag["answer"] or "[2]" in rag["answer"]
    assert any("1237" in c["text"] for c in rag["citations"])
    assert set(rag["citations"][0]) == {"n", "passage_id", "report", "title", "section", "text", "start", "end",
                                        "score"}
    assert rag["unsupported_numbers"] == [] and rag["index_version"]
    assert set(rag["timings_ms"]) >= {"retrieve", "first_token", "total"}
    STREAMED["answer"] = rag["answer"]


@pytest.mark.slow
def test_the_reports_filter_through_the_openai_clients_extra_body(oai):
    import openai

    body = oai.chat.completions.create(model="lite", messages=[{"role": "user", "content": QUESTION}],
                                       extra_body={"reports": {"bodies": ["杭州市教育局"], "years": [2024]}})
    rag = _extra(body)
    assert "1237" in rag["answer"] and rag["scope"] == ["杭州市教育局 · 2024年度"]
    with pytest.raises(openai.BadRequestError) as e:
        oai.chat.completions.create(model="lite", messages=[{"role": "user", "content": QUESTION}],
                                    extra_body={"reports": {"bodies": ["白沙县教育局"]}})
    assert "白沙县教育局" in str(e.value) and e.value.body["param"] == "reports"


def test_non_streamed_answer_matches_the_streamed_one(oai):
    done = oai.chat.completions.create(model="lite", messages=[{"role": "user", "content": QUESTION}])
    rag = _extra(done)
    assert done.object == "chat.completion" and done.model == "lite"
    assert done.choices[0].message.role == "assistant" and done.choices[0].finish_reason == "stop"
    assert done.choices[0].message.content == rag["answer"] and "1237" in rag["answer"]
    assert any("1237" in c["text"] for c in rag["citations"])
    if "answer" not in STREAMED:  # run alone: stream it here
        chunks = list(oai.chat.completions.create(model="lite", stream=True,
                                                  messages=[{"role": "user", "content": QUESTION}]))
        STREAMED["answer"] = _extra(chunks[-1])["answer"]
    assert STREAMED["answer"] == rag["answer"]  # greedy: the same question, the same answer


@pytest.mark.slow
def test_follow_up_is_answered_in_the_context_of_the_previous_question(oai):
    first_q = "2024年杭州新建成了多少所中小学和幼儿园？"
    first = oai.chat.completions.create(model="lite", messages=[{"role": "user", "content": first_q}])
    follow = oai.chat.completions.create(model="lite", messages=[
        {"role": "system", "content": "ignored: the product's prompt is fixed"},
        {"role": "user", "content": first_q},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "那新增了多少学位？"}])
    rag = _extra(follow)
    assert rag["question"] == "那新增了多少学位？"
    # its own subject (学位): the conversation lends only its place and year, not its topic
    assert rag["standalone_question"] == "2024年杭州新增了多少学位？"
    assert not rag["refused"] and any("10.09万" in c["text"] for c in rag["citations"])


@pytest.mark.slow
def test_off_topic_question_is_refused_in_the_stream(oai):
    chunks = list(oai.chat.completions.create(model="lite", stream=True,
                                              messages=[{"role": "user", "content": "如何做红烧肉？"}]))
    rag = _extra(chunks[-1])
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert rag["refused"] and rag["citations"] == [] and text == rag["answer"]


@pytest.mark.slow
def test_bad_requests_and_auth_through_the_openai_client(oai, api_server):
    import openai

    with pytest.raises(openai.NotFoundError) as e:
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    assert e.value.body["code"] == "model_not_found" and e.value.body["param"] == "model"
    with pytest.raises(openai.BadRequestError) as e:
        oai.chat.completions.create(model="lite", messages=[{"role": "user", "content": "  "}])
    assert e.value.status_code == 400 and "empty" in e.value.body["message"]
    with pytest.raises(openai.BadRequestError):
        oai.chat.completions.create(model="lite", messages=[{"role": "assistant", "content": "hello"}])
    with pytest.raises(openai.BadRequestError) as e:
        oai.chat.completions.create(model="lite", stream=True, messages=[{"role": "user", "content": "长" * 501}])
    assert e.value.body["code"] == "question_too_long"
    wrong = openai.OpenAI(base_url=f"{api_server}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as e:
        wrong.models.list()
    assert e.value.body["code"] == "invalid_api_key"
    status, _ = _get(f"{api_server}/v1/models")
    assert status == 401


@pytest.mark.slow
def test_models_search_and_health(oai, api_server):
    assert [m.id for m in oai.models.list()] == ["default", "lite"]
    hits = oai.post("/search", body={"query": QUESTION, "top_k": 2, "model": "lite"}, cast_to=object)
    assert len(hits["data"]) == 2 and "1237" in hits["data"][0]["text"]
    status, health = _get(f"{api_server}/healthz")
    assert status == 200 and health["status"] == "ok" and health["models_loaded"] and health["profile"] == "lite"
    assert health["index_version"] and health["generator"].startswith("llama_cpp:")


@pytest.mark.slow
def test_serve_with_api_mounts_the_chat_and_the_api_on_one_port(lite_config, tmp_path):
    env = {**os.environ, "TQDM_DISABLE": "1"}
    env.pop("RAG_API_KEY", None)
    proc, base = _start(["serve", "--api", "--profile", "lite", "--index", str(lite_config.index_root)], env,
                        tmp_path / "serve.log")
    try:
        status, page = _get(f"{base}/")
        assert status == 200 and "报告问答" in page and "gradio" in page.lower()
        from openai import OpenAI

        oai = OpenAI(base_url=f"{base}/v1", api_key="none", timeout=300, max_retries=0)
        assert [m.id for m in oai.models.list()] == ["default", "lite"]
        done = oai.chat.completions.create(model="lite", messages=[{"role": "user", "content": "如何做红烧肉？"}])
        assert _extra(done)["refused"]
        status, config = _get(f"{base}/config")  # the Gradio app answers beside the API
        assert status == 200 and isinstance(config, dict)
    finally:
        stop(proc)
