# Yunquan (云券). The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
STRIPE_PORT ?= 8420

export SHOP_ENV ?= development

.PHONY: run test lint install translations messages screenshots clean help

help:
	@echo "make run    - install, migrate and seed the SQLite database, start the Stripe mock and the site"
	@echo "make test   - install, run ruff, the layers contract and the whole test suite (PostgreSQL too when TEST_DATABASE_URL is set)"
	@echo "make lint   - ruff and the layers contract alone"
	@echo "make messages - extract new strings into each area's zh_CN catalogue"
	@echo "make screenshots - run the browser journeys and refresh docs/screenshots/"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

# Compile every area's .po into the .mo that Flask-Babel reads.
translations: install
	$(BIN)/python -m shop.translations compile

# Extract new strings into each area's zh_CN catalogue, then translate them (a test checks none is missing).
messages: install
	$(BIN)/python -m shop.translations update
	@$(BIN)/python -m shop.translations check || true

run: translations
	@HOST=$(HOST) PORT=$(PORT) STRIPE_PORT=$(STRIPE_PORT) BIN=$(BIN) bin/dev-server

# ruff (rules, import order and formatting, configured in pyproject.toml) and the layers contract (import-linter):
# an area imports only the layers below it.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The browser journeys, keeping their screenshots in docs/screenshots/ (tests otherwise write them to a
# temporary folder and never into the tracked tree).
screenshots: translations
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest tests/browser -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
