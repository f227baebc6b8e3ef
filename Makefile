# Two commands do all the set-up on a fresh machine:
#   make chat   install packages + models, build the index of seeds/ on first use, start the web chat
#   make test   install packages + models for both profiles, run the whole test suite
# Both are idempotent: a second run installs nothing and rebuilds nothing.

PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PROFILE ?= default
HOST    ?= 127.0.0.1
PORT    ?= 7860
# A llama.cpp build that runs on any AVX2 machine, not only the one that compiled it.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

.PHONY: install models chat test test-fast clean-index

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@echo "Installing packages (the first time compiles llama.cpp: ~13 minutes on 2 cores)…"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

models: install
	$(BIN)/rag models install --profile $(PROFILE)

chat: models
	$(BIN)/rag serve --profile $(PROFILE) --host $(HOST) --port $(PORT)

test: install
	$(BIN)/rag models install --profile all
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

clean-index:
	rm -rf index/default index/lite
