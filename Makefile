# Two commands are all a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The page's dev tools (ESLint, TypeScript for checkJs) from package-lock.json; the page itself
# has no build step and needs none of them.
NODE_STAMP := node_modules/.installed
NODE_BIN   := node_modules/.bin
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

# Reinstall only when the lockfile changed (npm ci installs exactly what it names).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# No per-message deflate: on the play stream's frames it costs more CPU than it saves
# (docs/api.md, Stream).
run: $(STAMP)
	$(BIN)/python -m uvicorn app.main:app --host $(HOST) --port $(PORT) --ws-per-message-deflate false

test: $(STAMP) $(NODE_STAMP)
	node --test tests/js/
	$(BIN)/python -m pytest

lint: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check app tests scripts
	$(BIN)/ruff format --check app tests scripts
	$(BIN)/mypy
	$(NODE_BIN)/eslint .
	$(NODE_BIN)/tsc -p tsconfig.json
	$(NODE_BIN)/tsc -p tsconfig.strict.json

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

# A class of 60 students for 20 s against a server of its own; ARGS="--clients 30 …" to vary.
load: $(STAMP)
	$(BIN)/python scripts/load.py $(ARGS)

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
