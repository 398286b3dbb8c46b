# Kitabkhana: the two quick-start commands are `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export KITABKHANA_DATA_DIR ?= $(CURDIR)/var

.PHONY: demo test install lint test-sqlite test-postgres serve bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,redis]"
	touch $(STAMP)

install: $(STAMP)

## demo: install, migrate the embedded database, load real sample records, serve on http://127.0.0.1:$(PORT)
demo: install
	$(BIN)/kitabkhana migrate --no-input
	$(BIN)/kitabkhana load-demo
	$(BIN)/kitabkhana serve --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test-sqlite: install
	env -u KITABKHANA_DATABASE_URL $(BIN)/pytest -q -p no:cacheprovider

# Runs only when KITABKHANA_TEST_DATABASE_URL names a PostgreSQL server (CI sets it).
test-postgres: install
	@if [ -n "$$KITABKHANA_TEST_DATABASE_URL" ]; then \
		echo "== test suite on PostgreSQL ($$KITABKHANA_TEST_DATABASE_URL)"; \
		KITABKHANA_DATABASE_URL="$$KITABKHANA_TEST_DATABASE_URL" $(BIN)/pytest -q -p no:cacheprovider; \
	else \
		echo "== KITABKHANA_TEST_DATABASE_URL not set: PostgreSQL pass skipped"; \
	fi

## test: lint, import contracts, the suite on SQLite, and on PostgreSQL when configured
test: lint test-sqlite test-postgres

serve: install
	$(BIN)/kitabkhana serve --port $(PORT)

bench: install
	$(BIN)/python bench/ingest.py --records 100000
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) var
