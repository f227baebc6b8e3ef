"""Generate answer tokens from chat messages, behind one interface with two local backends.

- `LlamaCppGenerator` (default): GGUF weights through llama-cpp-python, ~6× faster than
  transformers on this CPU. It keeps the KV cache of the previous prompt, so the fixed system
  prompt at the start of every request is not read again.
- `TransformersGenerator`: a GGUF file (dequantised on load) or any HF model directory, on the GPU
  when there is one.
- `OpenAIGenerator`: any OpenAI-compatible server (vLLM, llama.cpp server, Ollama) at `llm_url`;
  no model file is needed here. Server errors become `LLMUnavailable` naming the URL and the fix.
Each model loads once per process (`get_generator`); local calls are serialised by a lock because a
model instance cannot run two generations at once (a remote server takes concurrent requests).
"""
from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Protocol

from .config import Config, use_offline_hub
from .errors import BadInput, LLMUnavailable, ModelMissing
from .models import MODEL_FILES, profile_spec, require


class Generator(Protocol):
    id: str

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        """Yield the answer's text piece by piece (greedy decoding: the same question, the same answer)."""
        ...

    def yes_no(self, messages: list[dict]) -> float:
        """logit('是') − logit('否') for the model's next token: > 0 means it leans to yes."""
        ...


def _threads(config: Config) -> int:
    return config.n_threads or os.cpu_count() or 2


# Saved prompt states: the newest PER_KIND of each kind of prompt (answer, judge, translation),
# ~330 MB each, so at most ~2 GB.
PER_KIND = 2
RAM_CACHE_BYTES = 2 << 30
_SAME_KIND = 16  # tokens of shared prefix: prompts sharing their system prompt are one kind


def _counted_ram_cache(base, capacity_bytes: int, per_kind: int = PER_KIND):
    """A LlamaRAMCache that counts what its states really hold and keeps a few states per kind of prompt.

    llama-cpp-python counts only llama.cpp's own state (~10-30 MB here), but every saved state also
    keeps a copy of the logits buffer (n_batch × vocabulary floats: 311 MB for Qwen2.5), so a
    256 MB "capacity" let a server grow by ~2 GB over 20 questions (bench.load). Counted, few states
    fit; so a new state evicts the oldest of its own kind (same system prompt) beyond `per_kind`:
    the judge's calls cannot evict the answer prefix, and a question asked again (an example
    button) may still find its whole prompt.
    """
    from llama_cpp import Llama

    class CountedRAMCache(base):
        @property
        def cache_size(self):
            return sum(s.llama_state_size + s.scores.nbytes + s.input_ids.nbytes for s in self.cache_state.values())

        def __setitem__(self, key, value):
            key = tuple(key)
            same = [k for k in self.cache_state if k != key and Llama.longest_token_prefix(k, key) >= _SAME_KIND]
            for old in same[:max(0, len(same) - (per_kind - 1))]:  # cache_state is oldest first
                del self.cache_state[old]
            super().__setitem__(key, value)

    return CountedRAMCache(capacity_bytes=capacity_bytes)


def next_token_logits(llm):
    """The logits llama.cpp last computed (the position after the prompt), as a numpy view.

    llama-cpp-python exposes them publicly only with logits_all=True (n_ctx × vocabulary floats
    kept per call), so this reads its private `Llama._ctx.get_logits()`, as in the pinned
    llama-cpp-python 0.3.36: the one place to check when upgrading it.
    """
    import numpy as np

    try:
        pointer = llm._ctx.get_logits()
    except AttributeError:
        import llama_cpp

        raise ModelMissing(f"llama-cpp-python {getattr(llama_cpp, '__version__', '?')} has no Llama._ctx.get_logits(), "
                           "which the judge reads; install the pinned llama-cpp-python==0.3.36 (make install).") from None
    return np.ctypeslib.as_array(pointer, shape=(llm.n_vocab(),))


class LlamaCppGenerator:
    def __init__(self, model_path: Path, n_ctx: int, n_threads: int):
        try:
            from llama_cpp import Llama, LlamaRAMCache
        except ImportError:
            raise ModelMissing("The llama-cpp-python package is not installed. Install the project with "
                               "`make install` (it compiles llama.cpp, ~13 minutes on 2 cores).") from None
        self.llm = Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=n_threads, n_batch=512, verbose=False)
        # Keep the KV state of recent prompts: the answer prompt's fixed prefix (instructions and
        # worked examples) survives the judge's and the translation's calls in between.
        self.llm.set_cache(_counted_ram_cache(LlamaRAMCache, RAM_CACHE_BYTES))
        self._yes_no_ids = None
        self.id = f"llama_cpp:{model_path.name}"
        self.lock = threading.Lock()

    def stream(self, messages, max_tokens):
        with self.lock:
            for chunk in self.llm.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0.0,
                                                         top_k=1, repeat_penalty=1.0, stream=True):
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece


    def yes_no(self, messages):
        with self.lock:
            if self._yes_no_ids is None:
                self._yes_no_ids = [self.llm.tokenize(w.encode(), add_bos=False, special=False)[0] for w in ("是", "否")]
            self.llm.create_chat_completion(messages=messages, max_tokens=1, temperature=0.0)
            # With max_tokens=1 the sampled token is not evaluated, so the context still holds the
            # logits of the position after the prompt.
            logits = next_token_logits(self.llm)
            yes, no = self._yes_no_ids
            return float(logits[yes] - logits[no])


class TransformersGenerator:
    def __init__(self, model_dir: Path, gguf_file: str | None, n_threads: int):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.set_num_threads(n_threads)
        kwargs = {"gguf_file": gguf_file} if gguf_file else {}
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        dtype = torch.bfloat16 if self.device == "cuda" else torch.float32
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True, **kwargs)
        self.model = AutoModelForCausalLM.from_pretrained(str(model_dir), local_files_only=True, dtype=dtype, **kwargs)
        self.model.to(self.device).eval()
        self.id = f"transformers:{gguf_file or model_dir.name}"
        self.lock = threading.Lock()

    def stream(self, messages, max_tokens):
        from transformers import TextIteratorStreamer

        inputs = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                    return_dict=True).to(self.device)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        with self.lock:
            worker = threading.Thread(target=self.model.generate, kwargs=dict(
                **inputs, streamer=streamer, max_new_tokens=max_tokens, do_sample=False,
                pad_token_id=self.tokenizer.eos_token_id))
            worker.start()
            try:
                for piece in streamer:
                    if piece:
                        yield piece
            finally:
                worker.join()


    def yes_no(self, messages):
        import torch

        inputs = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                    return_dict=True).to(self.device)
        ids = [self.tokenizer.encode(w, add_special_tokens=False)[0] for w in ("是", "否")]
        with self.lock, torch.no_grad():
            logits = self.model(**inputs).logits[0, -1]
        return float(logits[ids[0]] - logits[ids[1]])


class OpenAIGenerator:
    """A remote OpenAI-compatible chat server. Greedy like the local backends: temperature 0, and
    top_k 1 / repeat_penalty 1.0 as extra body fields (llama.cpp server and vLLM read them; others
    ignore them). The judge asks for one token with its top log-probabilities."""

    MISSING_LOGPROB = -20.0  # 是 or 否 not among the top log-probabilities: treat as very unlikely

    def __init__(self, url: str, model: str = "", api_key: str = "", timeout: float = 120.0):
        try:
            import openai
        except ImportError:
            raise ModelMissing("The openai package is not installed: pip install 'openai>=1.40,<4'.") from None
        if not url:
            raise BadInput("--backend openai needs the server's URL: --llm-url http://HOST:PORT/v1 (or RAG_LLM_URL).")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._openai = openai
        self.client = openai.OpenAI(base_url=self.url, api_key=api_key or "none",
                                    timeout=timeout, max_retries=0)
        self._extra = {"top_k": 1, "repeat_penalty": 1.0}  # dropped if the server rejects unknown fields
        self.model = model or self._first_model()
        self.id = f"openai:{self.model}@{self.url}"

    def _error(self, e: Exception) -> LLMUnavailable:
        o = self._openai
        fix = "start it, or point --llm-url / RAG_LLM_URL at a running OpenAI-compatible server (…/v1)"
        if isinstance(e, o.APITimeoutError):
            return LLMUnavailable(f"The generation server at {self.url} did not answer within {self.timeout:g} s; "
                                  f"raise RAG_LLM_TIMEOUT or check the server.")
        if isinstance(e, o.APIConnectionError):
            return LLMUnavailable(f"Cannot reach the generation server at {self.url}: {fix}.")
        if isinstance(e, o.AuthenticationError):
            return LLMUnavailable(f"The generation server at {self.url} refused the API key (HTTP 401): "
                                  f"set RAG_LLM_API_KEY to its key.")
        if isinstance(e, o.NotFoundError):
            return LLMUnavailable(f"The generation server at {self.url} answered 404 for model {getattr(self, 'model', '')!r}: "
                                  f"check --llm-model and that the URL ends in /v1.")
        if isinstance(e, o.APIStatusError):
            return LLMUnavailable(f"The generation server at {self.url} answered HTTP {e.status_code}: "
                                  f"{str(e.message)[:300]}")
        return LLMUnavailable(f"The generation server at {self.url} sent an answer that is not an OpenAI-compatible "
                              f"response ({type(e).__name__}: {str(e)[:200]}); {fix}.")

    def _first_model(self) -> str:
        try:
            models = [m.id for m in self.client.models.list()]
        except Exception as e:  # noqa: BLE001 - any failure is the server's, reported with its URL
            raise self._error(e) from None
        if not models:
            raise LLMUnavailable(f"The generation server at {self.url} lists no models; pass --llm-model NAME.")
        return models[0]

    def _create(self, messages, **kwargs):
        try:
            return self.client.chat.completions.create(model=self.model, messages=messages, temperature=0.0,
                                                       extra_body=self._extra or None, **kwargs)
        except self._openai.BadRequestError as e:
            if not self._extra:
                raise self._error(e) from None
            self._extra = {}  # a strict server (api.openai.com) refuses top_k/repeat_penalty: plain greedy then
            return self._create(messages, **kwargs)
        except Exception as e:  # noqa: BLE001
            raise self._error(e) from None

    def stream(self, messages, max_tokens):
        chunks = self._create(messages, max_tokens=max_tokens, stream=True)
        try:
            for chunk in chunks:
                piece = chunk.choices[0].delta.content if chunk.choices else None
                if piece:
                    yield piece
        except Exception as e:  # noqa: BLE001 - the connection broke or the server sent garbage mid-stream
            raise self._error(e) from None
        finally:
            chunks.close()

    def yes_no(self, messages):
        try:
            response = self._create(messages, max_tokens=1, logprobs=True, top_logprobs=20)
        except LLMUnavailable as e:
            if "HTTP 400" not in str(e):
                raise
            response = self._create(messages, max_tokens=1)  # a server that refuses logprobs: the token itself
        try:
            choice = response.choices[0]
            content = choice.logprobs.content if choice.logprobs else None
        except (AttributeError, IndexError, TypeError) as e:
            raise self._error(e) from None
        if content:
            best = {"是": self.MISSING_LOGPROB, "否": self.MISSING_LOGPROB}
            for top in [content[0], *(content[0].top_logprobs or [])]:
                word = top.token.strip()
                if word in best:
                    best[word] = max(best[word], top.logprob)
            return float(best["是"] - best["否"])
        # No log-probabilities from this server: a clear yes or no from the generated token.
        text = (choice.message.content or "").strip()
        return 5.0 if text.startswith("是") else -5.0


@lru_cache(maxsize=None)
def _remote(url: str, model: str, api_key: str, timeout: float) -> OpenAIGenerator:
    return OpenAIGenerator(url, model, api_key, timeout)


@lru_cache(maxsize=None)
def _load(backend: str, model_key: str, models_dir: Path, profile: str, n_ctx: int, n_threads: int) -> Generator:
    use_offline_hub()  # before transformers imports huggingface_hub
    path = require(MODEL_FILES[model_key], models_dir, profile)
    if backend == "llama_cpp":
        return LlamaCppGenerator(path, n_ctx, n_threads)
    return TransformersGenerator(path.parent, path.name, n_threads)  # get_generator checked the name


def get_generator(config: Config) -> Generator:
    """The profile's generator, loaded once per process (or the remote server, connected once)."""
    if config.llm_backend == "openai":
        return _remote(config.llm_url, config.llm_model, config.llm_api_key, config.llm_timeout)
    if config.llm_backend not in ("llama_cpp", "transformers"):  # before `require`: no model file is needed to say so
        raise BadInput(f"unknown generation backend {config.llm_backend!r}; use llama_cpp, transformers or openai")
    return _load(config.llm_backend, profile_spec(config.profile).llm, config.models_dir, config.profile,
                 config.n_ctx, _threads(config))
