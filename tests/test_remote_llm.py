"""The `openai` generation backend: a remote OpenAI-compatible server instead of an in-process model.

Fast: every way the server can fail gives one clear LLMUnavailable naming the URL (exit code 3).
Slow: a real llama.cpp server (`python -m llama_cpp.server`) with the lite GGUF answers exactly as
the in-process llama.cpp backend does: same weights, same chat template (the GGUF's), greedy.
"""
from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time

import pytest
from servers import free_port, start, stop

from rag.config import Config
from rag.errors import BadInput, LLMUnavailable
from rag.generation import OpenAIGenerator, get_generator
from rag.models import MODEL_FILES, profile_spec

QUESTIONS = ["全市共聘任了多少名法治副校长？",  # two: each is answered by both backends (10–40 s apiece on 2 cores)
             "2024年杭州全市新建成了多少所中小学和幼儿园？新增了多少个学位？"]


# ---------------------------------------------------------------- failures (fast)


def test_down_server_is_a_clear_error():
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(LLMUnavailable) as e:
        OpenAIGenerator(url, timeout=5)
    assert url in str(e.value) and "--llm-url" in str(e.value) and e.value.exit_code == 3


def test_backend_openai_needs_a_url():
    with pytest.raises(BadInput, match="--llm-url"):
        get_generator(Config().with_(llm_backend="openai", llm_url=""))


def test_unknown_backend_is_bad_input():
    with pytest.raises(BadInput, match="llama_cpp, transformers or openai"):
        get_generator(Config().with_(llm_backend="vllm"))


@pytest.fixture()
def fake_server():
    """A local HTTP server answering every request with the status and body the test sets."""
    reply = {"status": 200, "body": b"<html>not json</html>", "delay": 0.0, "fn": None, "requests": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            time.sleep(reply["delay"])
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            reply["requests"].append(request)
            status, body = reply["fn"](request) if reply["fn"] else (reply["status"], reply["body"])
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", reply
    server.shutdown()


def test_garbage_http_errors_and_timeouts_are_clear(fake_server):
    url, reply = fake_server
    with pytest.raises(LLMUnavailable, match="not an OpenAI-compatible response"):
        OpenAIGenerator(url, timeout=5)
    reply.update(body=b'{"object": "list", "data": []}')
    with pytest.raises(LLMUnavailable, match="lists no models"):
        OpenAIGenerator(url, timeout=5)
    gen = OpenAIGenerator(url, model="m", timeout=5)  # a named model: no /v1/models call
    reply.update(status=500, body=b'{"error": {"message": "model crashed"}}')
    with pytest.raises(LLMUnavailable, match="HTTP 500.*model crashed"):
        list(gen.stream([{"role": "user", "content": "hi"}], 8))
    reply.update(status=401, body=b'{"error": {"message": "bad key"}}')
    with pytest.raises(LLMUnavailable, match="RAG_LLM_API_KEY"):
        gen.yes_no([{"role": "user", "content": "hi"}])
    reply.update(status=200, body=b"{}", delay=3)
    with pytest.raises(LLMUnavailable, match="did not answer within 1 s"):
        OpenAIGenerator(url, model="m", timeout=1).yes_no([{"role": "user", "content": "hi"}])


def _completion(content: str, logprobs=None) -> bytes:
    return json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "length",
         "logprobs": logprobs}]}).encode()


def test_strict_servers_without_extra_fields_or_logprobs(fake_server):
    """A server that refuses top_k/repeat_penalty and logprobs (400) still answers and judges."""
    url, reply = fake_server

    def strict(request):
        if {"top_k", "repeat_penalty", "logprobs"} & set(request):
            return 400, b'{"error": {"message": "Unrecognized request argument"}}'
        return 200, _completion("是")

    reply["fn"] = strict
    gen = OpenAIGenerator(url, model="m", timeout=5)
    assert gen.yes_no([{"role": "user", "content": "?"}]) == 5.0
    assert reply["requests"][-1]["temperature"] == 0 and "top_k" not in reply["requests"][-1]


def test_judge_reads_yes_minus_no_from_top_logprobs(fake_server):
    url, reply = fake_server
    top = [{"token": "是", "logprob": -0.5, "bytes": None}, {"token": "否", "logprob": -1.75, "bytes": None}]
    reply["fn"] = lambda request: (200, _completion("是", {"content": [
        {"token": "是", "logprob": -0.5, "bytes": None, "top_logprobs": top[:1 if request.get("top_logprobs") == 1 else 2]}]}))
    gen = OpenAIGenerator(url, model="m", timeout=5)
    assert gen.yes_no([{"role": "user", "content": "?"}]) == pytest.approx(1.25)
    assert reply["requests"][-1]["logprobs"] is True and reply["requests"][-1]["top_logprobs"] == 20
    reply["fn"] = lambda request: (200, _completion("是", {"content": [
        {"token": "是", "logprob": -0.1, "bytes": None, "top_logprobs": top[:1]}]}))
    assert gen.yes_no([{"role": "user", "content": "?"}]) == pytest.approx(-0.1 - OpenAIGenerator.MISSING_LOGPROB)


def test_cli_reports_a_down_server_with_exit_code_3(lite_config):
    url = f"http://127.0.0.1:{free_port()}/v1"
    out = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "全市共聘任了多少名法治副校长？", "--profile", "lite",
                          "--index", str(lite_config.index_root), "--backend", "openai", "--llm-url", url],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 3 and url in out.stderr and "Traceback" not in out.stderr


# ---------------------------------------------------------------- a real llama.cpp server (slow)


def start_llama_server(model_path, port: int, log_path) -> subprocess.Popen:
    """`python -m llama_cpp.server` with the settings the in-process backend uses (n_ctx, threads, batch)."""
    return start(["-m", "llama_cpp.server", "--model", str(model_path), "--host", "127.0.0.1", "--port", str(port),
                  "--n_ctx", "2048", "--n_threads", "2", "--n_batch", "512"], dict(os.environ), log_path,
                 f"http://127.0.0.1:{port}/v1/models")


@pytest.fixture(scope="module")
def remote_config(lite_config, tmp_path_factory):
    model = MODEL_FILES[profile_spec("lite").llm].path(lite_config.models_dir)
    port = free_port()
    proc = start_llama_server(model, port, tmp_path_factory.mktemp("llama_server") / "server.log")
    yield lite_config.with_(llm_backend="openai", llm_url=f"http://127.0.0.1:{port}/v1", llm_timeout=300.0)
    stop(proc)


@pytest.mark.slow
def test_remote_backend_answers_exactly_like_the_local_one(lite_config, remote_config):
    from rag.answering import Answerer
    from rag.pipeline import load_answerer

    local = load_answerer(lite_config)
    remote = Answerer(remote_config, local.retriever, get_generator(remote_config))
    assert remote.generator.id.startswith("openai:") and local.generator.id.startswith("llama_cpp:")
    for question in QUESTIONS:
        a, b = local.answer(question), remote.answer(question)
        # Same GGUF, same chat template (llama.cpp reads it from the GGUF in both), greedy with
        # repeat_penalty 1.0: token for token the same text.
        assert b.text == a.text, question
        assert b.refused == a.refused and [c.passage.id for c in b.citations] == [c.passage.id for c in a.citations]
        assert b.unsupported_numbers == a.unsupported_numbers


@pytest.mark.slow
def test_remote_judge_matches_the_local_logits(lite_config, remote_config):
    """logprob(是) − logprob(否) is logit(是) − logit(否): the softmax's normaliser cancels."""
    from rag.prompting import judge_messages

    local, remote = get_generator(lite_config), get_generator(remote_config)
    for excerpt in ("全市955所中小学实现法治副校长全覆盖,共聘任1237名法治副校长", "今年全市新建成中小学、幼儿园96所"):
        messages = judge_messages(QUESTIONS[0], excerpt)
        assert remote.yes_no(messages) == pytest.approx(local.yes_no(messages), abs=0.05)


@pytest.mark.slow
def test_api_over_the_remote_backend(remote_config):
    """`rag api --backend openai`: the API's answers come from the remote server; several may run at once."""
    from fastapi.testclient import TestClient

    from ui.api import create_app

    app = create_app(remote_config.with_(api_key=""), preload=False)
    assert app.state.gate.slots == remote_config.api_concurrency > 1
    r = TestClient(app).post("/v1/chat/completions", json={
        "model": "lite", "messages": [{"role": "user", "content": QUESTIONS[0]}]})
    assert r.status_code == 200, r.text
    rag = r.json()["rag"]
    assert "1237" in rag["answer"] and any("1237" in c["text"] for c in rag["citations"])
    assert TestClient(app).get("/healthz").json()["generator"].startswith("openai:")
