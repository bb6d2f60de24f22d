# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall when pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint bench bench-karrio conformance redis-server postgresql chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	rm -f $(VENV)/.installed-*
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/shipgraph dev

# The test session starts its own redis-server on a free port; install the binary if missing.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  echo "redis-server not found: installing Debian's redis-server"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  command -v redis-server >/dev/null 2>&1 || { echo "could not install redis-server" >&2; exit 1; }; \
	}

# The test session also starts its own PostgreSQL (initdb + pg_ctl in a temporary folder,
# tests/support/postgres_server.py); Debian keeps initdb off PATH, in /usr/lib/postgresql/<major>/bin.
PG_BINARIES := { [ -x "$$(pg_config --bindir 2>/dev/null)/initdb" ] && [ -x "$$(pg_config --bindir)/pg_ctl" ]; } \
  || ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 \
  || { command -v initdb && command -v pg_ctl; } >/dev/null 2>&1
postgresql:
	@$(PG_BINARIES) || { \
	  echo "initdb/pg_ctl not found: installing Debian's postgresql"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  $(PG_BINARIES) || { echo "could not install postgresql" >&2; exit 1; }; \
	}

# Browser tests drive Debian's Chromium; install it if missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "chromium not found: installing Debian's chromium"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  command -v chromium >/dev/null 2>&1 || { echo "could not install chromium" >&2; exit 1; }; \
	}

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

test: lint redis-server postgresql
	$(BIN)/pytest

# Real clients against `shipgraph dev`: the GraphQL-over-HTTP audit and graphql-ws
# (Node packages installed into conformance/node_modules), and the /track page in
# headless Chromium.
conformance: $(STAMP) redis-server chromium
	conformance/run
	$(BIN)/pytest tests/browser

bench: $(STAMP)
	$(BIN)/python -m bench

# Optional: Karrio's server (the open-source peer of issue 13) in a venv of its own, then
# its page of 100 shipments against ours (bench/karrio.py). Not part of `make bench`.
# The modules its Docker image installs, minus karrio-server-documents (it fetches a
# stylesheet from a CDN as it is imported, so it cannot start offline); the pins are
# Karrio's requirements.txt at that version where Python 3.11 allows (its Django 6
# needs 3.12; graphql-core 3.3 breaks its error formatting).
KARRIO_VENV := .venv-karrio
KARRIO_VERSION ?= 2026.1.32
KARRIO_PACKAGES := karrio-server==$(KARRIO_VERSION) karrio-server-core==$(KARRIO_VERSION) \
  karrio-server-graph==$(KARRIO_VERSION) karrio-server-manager==$(KARRIO_VERSION) \
  karrio-server-events==$(KARRIO_VERSION) karrio-server-orders==$(KARRIO_VERSION) \
  karrio-server-proxy==$(KARRIO_VERSION) karrio-server-pricing==$(KARRIO_VERSION) \
  karrio-server-data==$(KARRIO_VERSION) karrio-generic==$(KARRIO_VERSION)
KARRIO_PINS := graphql-core==3.2.11 strawberry-graphql==0.319.0 uvicorn==0.49.0 \
  gunicorn==26.0.0 djangorestframework==3.17.1 django-filter==25.2
KARRIO_STAMP := $(KARRIO_VENV)/.installed-$(KARRIO_VERSION)

$(KARRIO_STAMP):
	rm -rf $(KARRIO_VENV)
	$(PYTHON) -m venv $(KARRIO_VENV)
	$(KARRIO_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(KARRIO_VENV)/bin/python -m pip install --quiet $(KARRIO_PACKAGES) $(KARRIO_PINS)
	touch $(KARRIO_STAMP)

bench-karrio: $(STAMP) $(KARRIO_STAMP) postgresql
	KARRIO_VENV=$(KARRIO_VENV) $(BIN)/python -m bench.karrio

clean:
	rm -rf $(VENV) $(KARRIO_VENV) .pytest_cache .mypy_cache .ruff_cache
