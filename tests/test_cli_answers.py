"""End to end through the `rag` command and the Answerer, with real models."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rag.answering import Answerer
from rag.embedding import get_embedder
from rag.models import profile_spec
from rag.prompting import REFUSAL
from rag.retrieval import Retriever


def rag(*args, env=None):
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=900)


def test_empty_question_exits_2(lite_config):
    out = rag("ask", "   ", "--profile", "lite", "--index", str(lite_config.index_root))
    assert out.returncode == 2 and "empty" in out.stderr and "Traceback" not in out.stderr


def test_missing_index_exits_3_with_the_fix(tmp_path):
    out = rag("ask", "法治副校长有多少", "--profile", "lite", "--index", str(tmp_path))
    assert out.returncode == 3 and "rag index build --profile lite" in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_models_exit_3_with_the_fix(lite_config, tmp_path):
    out = rag("ask", "法治副校长有多少", "--profile", "lite", "--index", str(lite_config.index_root),
              "--models-dir", str(tmp_path))
    assert out.returncode == 3 and "rag models install --profile lite" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_ask_why_prints_the_refusing_check_with_its_value_and_threshold(lite_config):
    out = rag("ask", "如何做红烧肉？", "--why", "--profile", "lite", "--index", str(lite_config.index_root))
    assert out.returncode == 0, out.stderr
    assert "核对记录" in out.stdout and "relevance:refuse  未作答：报告中没有与问题相关的段落" in out.stdout
    assert f"/ {profile_spec('lite').min_dense}]" in out.stdout


def test_off_topic_question_is_refused_without_a_model(lite_config):
    """No generator at all: the refusal must come from retrieval alone."""
    retriever = Retriever(lite_config.index_dir, get_embedder(lite_config), profile_spec("lite").min_dense)
    answer = Answerer(lite_config, retriever, generator=None).answer("如何做红烧肉？")
    assert answer.refused and answer.text == REFUSAL and answer.citations == [] and answer.context == []


@pytest.mark.slow
def test_ask_json_lite_cites_the_passage_with_the_number(lite_config):
    out = rag("ask", "全市共聘任了多少名法治副校长？", "--json", "--profile", "lite",
              "--index", str(lite_config.index_root))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert set(result) >= {"question", "answer", "refused", "citations", "unsupported_numbers", "timings_ms"}
    assert "1237" in result["answer"] and not result["refused"]
    assert any("1237" in c["text"] for c in result["citations"])
    assert result["unsupported_numbers"] == []
    assert set(result["timings_ms"]) >= {"retrieve", "first_token", "total"}


@pytest.mark.slow
def test_ask_json_lite_refuses_off_topic(lite_config):
    out = rag("ask", "今天杭州的天气怎么样？", "--json", "--profile", "lite", "--index", str(lite_config.index_root))
    result = json.loads(out.stdout)
    assert result["refused"] and result["citations"] == [] and result["answer"] == REFUSAL


@pytest.mark.slow
def test_default_profile_answers_with_citation(default_config):
    from rag.pipeline import load_answerer

    answer = load_answerer(default_config).answer("今年全市新建成了多少所中小学和幼儿园？")
    assert "96" in answer.text and not answer.refused
    assert any("96所" in c.passage.text for c in answer.citations)
    assert answer.unsupported_numbers == []


@pytest.mark.slow
def test_transformers_backend_answers_from_the_same_gguf(lite_config):
    """The second generation backend: the 0.5B GGUF dequantised by transformers (~1.5 min on 2 cores)."""
    out = rag("ask", "全市共聘任了多少名法治副校长？", "--json", "--profile", "lite", "--backend", "transformers",
              "--index", str(lite_config.index_root))
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert "1237" in result["answer"] and any("1237" in c["text"] for c in result["citations"])


@pytest.mark.slow
def test_warm_up_evaluates_the_fixed_prompt_prefix(lite_config):
    """Servers warm up while loading: the instructions and worked example are in the KV cache
    before the first visitor asks, so only the passages and the question remain to be read."""
    from rag.pipeline import load_answerer

    Answerer(lite_config, None, None).warm_up()  # retrieval-only: nothing to warm, no error
    answerer = load_answerer(lite_config)
    llm = answerer.generator.llm
    llm.reset()
    assert llm.n_tokens == 0
    answerer.warm_up()
    assert llm.n_tokens > 200  # the fixed prefix (~400 tokens) was evaluated
    assert "1237" in answerer.answer("全市共聘任了多少名法治副校长？").text
