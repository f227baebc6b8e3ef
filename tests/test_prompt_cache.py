"""The llama.cpp prompt cache: bounded by what its states really hold, one state per kind of prompt."""
from __future__ import annotations

import numpy as np
from llama_cpp import LlamaRAMCache
from llama_cpp.llama import LlamaState

from rag.generation import _counted_ram_cache


def _state(n_tokens: int, logits_mb: int) -> LlamaState:
    """A saved state as llama-cpp-python makes one: llama.cpp's bytes plus a copy of the logits buffer."""
    return LlamaState(input_ids=np.zeros(n_tokens, np.intc), scores=np.zeros((logits_mb, 2**18), np.single),
                      n_tokens=n_tokens, llama_state=b"x" * 1000, llama_state_size=1000, seed=0)


ANSWER, JUDGE = list(range(100, 130)), list(range(500, 530))  # two system prompts: two kinds


def test_size_counts_the_logits_copy_and_stays_under_capacity():
    cache = _counted_ram_cache(LlamaRAMCache, capacity_bytes=5 << 20)
    for i in range(10):  # ten different kinds of prompt, 1 MB of logits each
        cache[[1000 + 40 * i + j for j in range(40)]] = _state(40, 1)
    assert cache.cache_size <= 5 << 20 and len(cache.cache_state) == 4
    assert LlamaRAMCache(capacity_bytes=5 << 20).cache_size == 0  # the stock cache would count 1000 bytes each


def test_a_new_state_replaces_the_older_one_of_its_kind_only():
    cache = _counted_ram_cache(LlamaRAMCache, capacity_bytes=100 << 20)
    cache[ANSWER + [1, 2, 3]] = _state(33, 1)
    cache[JUDGE + [7]] = _state(31, 1)
    cache[JUDGE + [8, 9]] = _state(32, 1)  # the judge's second call: replaces its first, not the answer's
    keys = list(cache.cache_state)
    assert len(keys) == 2 and tuple(ANSWER + [1, 2, 3]) in keys and tuple(JUDGE + [8, 9]) in keys
    assert cache[ANSWER + [4, 5]].n_tokens == 33  # the next answer still finds its prefix
