# Two commands are all a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint bench load clean

install: $(STAMP)

# Reinstall only when the project's metadata changed; otherwise this is instant.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# No per-message deflate: on the play stream's frames it costs more CPU than it saves
# (docs/api.md, Stream).
run: $(STAMP)
	$(BIN)/python -m uvicorn app.main:app --host $(HOST) --port $(PORT) --ws-per-message-deflate false

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check app tests scripts
	$(BIN)/ruff format --check app tests scripts
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

# A class of 60 students against a server of its own: the REST class for 20 s, or
# ARGS="--scenario play-default" (or play-full) for 10 s of Play; ARGS="--clients 30 …" to vary.
load: $(STAMP)
	$(BIN)/python scripts/load.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
