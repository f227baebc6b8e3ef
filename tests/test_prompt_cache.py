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
