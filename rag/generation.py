"""Generate answer tokens from chat messages, behind one interface with two local backends.

- `LlamaCppGenerator` (default): GGUF weights through llama-cpp-python, ~6× faster than
  transformers on this CPU. It keeps the KV cache of the previous prompt, so the fixed system
  prompt at the start of every request is not read again.
- `TransformersGenerator`: a GGUF file (dequantised on load) or any HF model directory, on the GPU
  when there is one.
Each model loads once per process (`get_generator`); calls are serialised by a lock because a
model instance cannot run two generations at once.
"""
from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Protocol

from .config import Config
from .errors import ModelMissing
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


class LlamaCppGenerator:
    def __init__(self, model_path: Path, n_ctx: int, n_threads: int):
        try:
            from llama_cpp import Llama, LlamaRAMCache
        except ImportError:
            raise ModelMissing("The llama-cpp-python package is not installed. Install the project with "
                               "`make install` (it compiles llama.cpp, ~13 minutes on 2 cores).") from None
        self.llm = Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=n_threads, n_batch=512, verbose=False)
        # Keep the KV state of recent prompts: the answer prompt's fixed prefix (instructions and
        # worked examples) survives a translation call in between.
        self.llm.set_cache(LlamaRAMCache(capacity_bytes=256 << 20))
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
        import numpy as np

        with self.lock:
            if self._yes_no_ids is None:
                self._yes_no_ids = [self.llm.tokenize(w.encode(), add_bos=False, special=False)[0] for w in ("是", "否")]
            self.llm.create_chat_completion(messages=messages, max_tokens=1, temperature=0.0)
            # With max_tokens=1 the sampled token is not evaluated, so the context still holds the
            # logits of the position after the prompt.
            logits = np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(self.llm.n_vocab(),))
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


@lru_cache(maxsize=None)
def _load(backend: str, model_key: str, models_dir: Path, profile: str, n_ctx: int, n_threads: int) -> Generator:
    path = require(MODEL_FILES[model_key], models_dir, profile)
    if backend == "llama_cpp":
        return LlamaCppGenerator(path, n_ctx, n_threads)
    if backend == "transformers":
        return TransformersGenerator(path.parent, path.name, n_threads)
    raise ValueError(f"unknown generation backend {backend!r}; use llama_cpp or transformers")


def get_generator(config: Config) -> Generator:
    """The profile's generator, loaded once per process."""
    return _load(config.llm_backend, profile_spec(config.profile).llm, config.models_dir, config.profile,
                 config.n_ctx, _threads(config))
