# BusanHub. `make run` starts the portal with demo data on the embedded defaults;
# `make test` runs the whole suite. Both install what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install chromium lint bench screenshots clean-dev prod-local

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(BIN)/.installed node_modules/.installed

# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Chromium (Debian: apt-get install chromium) for the browser tests"; exit 1; fi; }

run: install
	mkdir -p var
	@# Without DATABASE_URL: the embedded PostgreSQL under var/pg (left running; see README).
	@if [ -z "$$DATABASE_URL" ]; then $(BIN)/python -m busanhub.devdb start; fi
	$(MANAGE) migrate --noinput
	$(MANAGE) setup_periodic_tasks
	$(MANAGE) seed_demo
	@echo
	@echo "BusanHub runs at http://127.0.0.1:8000/  (admin: /admin/, verify: /verify/, API: /api/docs/)"
	@echo "Stop with Ctrl-C. Chain: anvil on 127.0.0.1:8545, state in var/chain-state.json."
	@echo
	$(BIN)/honcho start -f Procfile.dev

# Production's processes on this machine (gunicorn, a Celery worker per queue, beat, the
# matcher, anvil) under busanhub.settings.prod with LOCAL-ONLY secrets: scripts/prod_local.py.
prod-local: install
	$(BIN)/python scripts/prod_local.py start

test: install chromium
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(MANAGE) makemigrations --check --dry-run

bench: install
	$(BIN)/python bench/anchoring.py --quick

# PNGs of the main pages (phone and desktop, ko and en) and var/screenshots/index.html, from
# the portal at BASE_URL (default http://127.0.0.1:8000) or one the script starts and stops.
screenshots: install chromium
	$(BIN)/python scripts/screenshots.py $(SCREENSHOTS_ARGS)

clean-dev:
	-$(BIN)/python -m busanhub.devdb stop
	rm -rf var/pg var/chain-state.json var/celery
