# Two commands are all a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
LOG    := $(VENV)/install.log
# The page's dev tools (ESLint, TypeScript for checkJs) from package-lock.json; the page itself
# has no build step and needs none of them.
NODE_STAMP := node_modules/.installed
NODE_BIN   := node_modules/.bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint bench load clean

# pip's output goes to a log: a newcomer sees one line, and the log's tail if it fails.
pip_install = test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	echo "Installing $(2) into $(VENV) (pip's output goes to $(LOG))"; \
	{ $(BIN)/python -m pip install --upgrade pip && $(BIN)/python -m pip install -e '$(1)'; } \
	  > $(LOG) 2>&1 || { tail -n 25 $(LOG); echo "The install failed; its log is $(LOG)."; exit 1; }; \
	touch $@

install: $(STAMP)

# Everything: the app, the client, the test and lint tools. Reinstalled only when the
# project's metadata changed; otherwise this is instant.
$(STAMP): pyproject.toml
	@$(call pip_install,.[test],the app and its test tools)

# Serving only. An up-to-date full install serves too, so it counts.
$(RUN_STAMP): pyproject.toml
	@if [ $(STAMP) -nt pyproject.toml ]; then touch $@; else $(call pip_install,.,the app); fi

# `backprop-explorer serve`: uvicorn without per-message deflate (on the play stream's
# frames it costs more CPU than it saves, docs/api.md, Stream), one line with the address.
run: $(RUN_STAMP)
	@$(BIN)/python -m app serve --host $(HOST) --port $(PORT)

# Reinstall only when the lockfile changed (npm ci installs exactly what it names).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

test: $(STAMP) $(NODE_STAMP)
	node --test tests/js/
	$(BIN)/python -m pytest

lint: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check app tests scripts setup.py
	$(BIN)/ruff format --check app tests scripts setup.py
	$(BIN)/mypy
	$(NODE_BIN)/eslint .
	$(NODE_BIN)/tsc -p tsconfig.json
	$(NODE_BIN)/tsc -p tsconfig.strict.json

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

# A class of 60 students against a server of its own: the REST class for 20 s, or
# ARGS="--scenario play-default" (or play-full) for 10 s of Play; ARGS="--clients 30 …" to vary.
load: $(STAMP)
	$(BIN)/python scripts/load.py $(ARGS)

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
