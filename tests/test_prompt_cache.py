"""What we rely on inside llama-cpp-python: the prompt cache, bounded by what its states really hold
(a few states per kind of prompt), and the judge's read of the next token's logits."""
from __future__ import annotations

import ctypes
from types import SimpleNamespace

import numpy as np
import pytest
from llama_cpp import LlamaRAMCache
from llama_cpp.llama import LlamaState

from rag.errors import ModelMissing
from rag.generation import _counted_ram_cache, next_token_logits


def _state(n_tokens: int, logits_mb: int) -> LlamaState:
    """A saved state as llama-cpp-python makes one: llama.cpp's bytes plus a copy of the logits buffer."""
    return LlamaState(input_ids=np.zeros(n_tokens, np.intc), scores=np.zeros((logits_mb, 2**18), np.single),
                      n_tokens=n_tokens, llama_state=b"x" * 1000, llama_state_size=1000, seed=0)


ANSWER, JUDGE = list(range(100, 130)), list(range(500, 530))  # two system prompts: two kinds


def test_size_counts_the_logits_copy_and_stays_under_capacity():
    counted, stock = _counted_ram_cache(LlamaRAMCache, capacity_bytes=5 << 20), LlamaRAMCache(capacity_bytes=5 << 20)
    for i in range(10):  # ten different kinds of prompt, 1 MB of logits each
        for cache in (counted, stock):
            cache[[1000 + 40 * i + j for j in range(40)]] = _state(40, 1)
    assert counted.cache_size <= 5 << 20 and len(counted.cache_state) == 4
    # The stock cache counts only llama.cpp's 1000 bytes per state: it keeps all ten, 10 MB of logits.
    assert stock.cache_size == 10 * 1000 and len(stock.cache_state) == 10


def test_a_new_state_evicts_the_oldest_of_its_own_kind_only():
    cache = _counted_ram_cache(LlamaRAMCache, capacity_bytes=100 << 20, per_kind=2)
    cache[ANSWER + [1, 2, 3]] = _state(33, 1)
    for i in range(5):  # judge calls: only the newest two judge states stay, the answer's is never evicted
        cache[JUDGE + [7, i]] = _state(32, 1)
    keys = list(cache.cache_state)
    assert keys == [tuple(ANSWER + [1, 2, 3]), tuple(JUDGE + [7, 3]), tuple(JUDGE + [7, 4])]
    assert cache[ANSWER + [4, 5]].n_tokens == 33  # the next answer still finds its prefix
    cache[ANSWER + [1, 2, 3]] = _state(33, 1)  # the same prompt again replaces itself
    assert len(cache.cache_state) == 3


def test_next_token_logits_reads_the_context_or_names_the_pinned_version():
    buffer = (ctypes.c_float * 3)(0.5, -1.0, 2.0)
    llm = SimpleNamespace(_ctx=SimpleNamespace(get_logits=lambda: ctypes.cast(buffer, ctypes.POINTER(ctypes.c_float))),
                          n_vocab=lambda: 3)
    assert next_token_logits(llm).tolist() == [0.5, -1.0, 2.0]
    from llama_cpp._internals import LlamaContext  # what Llama._ctx is: the installed version still has it

    assert callable(LlamaContext.get_logits)
    with pytest.raises(ModelMissing, match=r"llama-cpp-python==0\.3\.36"):
        next_token_logits(SimpleNamespace(n_vocab=lambda: 3))  # an upgrade that renamed the private field
