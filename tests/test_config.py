"""Settings: one Config, read from RAG_<FIELD> env vars with each field's own type."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from rag.config import PROFILES, Config, env_settings
from rag.models import PROFILE_SPECS


@dataclasses.dataclass(frozen=True)
class WithFlag(Config):
    flag: bool = True


@pytest.mark.parametrize("raw,value", [("1", True), ("true", True), ("Yes", True), (" on ", True),
                                       ("0", False), ("false", False), ("NO", False), ("off", False)])
def test_bools_are_parsed_not_cast(raw, value):
    assert WithFlag.from_env({"RAG_FLAG": raw}).flag is value


def test_a_bad_value_names_the_variable():
    with pytest.raises(ValueError, match="RAG_FLAG='maybe'"):
        WithFlag.from_env({"RAG_FLAG": "maybe"})
    with pytest.raises(ValueError, match="RAG_TOP_K='five'.*whole number"):
        Config.from_env({"RAG_TOP_K": "five"})
    with pytest.raises(ValueError, match="RAG_LLM_TIMEOUT='soon'.*number"):
        Config.from_env({"RAG_LLM_TIMEOUT": "soon"})


def test_ints_floats_paths_optional_floats_and_strings():
    cfg = Config.from_env({"RAG_TOP_K": "5", "RAG_MAX_FILE_MB": "2.5", "RAG_INDEX_ROOT": "~/idx",
                           "RAG_JUDGE_MIN": "0.5", "RAG_PROFILE": "lite", "RAG_API_KEY": " k e y ",
                           "RAG_API_MAX_QUEUE": "0", "RAG_API_CONCURRENCY": "8", "RAG_ADMIN_PASSWORD": "pw"})
    assert (cfg.top_k, cfg.max_file_mb, cfg.judge_min, cfg.profile) == (5, 2.5, 0.5, "lite")
    assert cfg.index_root == Path.home() / "idx" and cfg.index_dir == Path.home() / "idx" / "lite"
    assert (cfg.api_key, cfg.api_max_queue, cfg.api_concurrency, cfg.admin_password) == (" k e y ", 0, 8, "pw")
    assert "k e y" not in repr(cfg) and "pw" not in repr(cfg)  # secrets stay out of logs
    assert Config.from_env({"RAG_JUDGE_MIN": "none"}).judge_min is None


def test_unset_and_empty_variables_keep_the_defaults():
    assert Config.from_env({}) == Config() == Config.from_env({"RAG_TOP_K": "", "RAG_API_KEY": ""})
    assert env_settings({"RAG_TOP_K": "3", "OTHER": "x", "RAG_NOT_A_FIELD": "1"}) == {"top_k": 3}


def test_profiles_are_listed_once():
    assert PROFILES == tuple(PROFILE_SPECS) == ("default", "lite")
    with pytest.raises(ValueError, match="unknown profile"):
        Config.from_env({"RAG_PROFILE": "huge"})
