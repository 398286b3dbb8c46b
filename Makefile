# Kitabkhana: the two quick-start commands are `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
export KITABKHANA_DATA_DIR ?= $(CURDIR)/var

.PHONY: demo test install system-packages lint test-sqlite test-postgres serve bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,redis]"
	touch $(STAMP)

# The page viewer (OpenSeadragon, pinned in package-lock.json) from npm; settings serve
# node_modules/openseadragon/build/openseadragon as static/vendor/openseadragon/. Without npm the record
# page falls back to plain image links.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --no-audit --no-fund --ignore-scripts && touch $(NODE_STAMP); \
	else \
		echo "== npm not found: the record page will offer plain image links instead of the viewer"; \
	fi

# System libraries from Debian's packages: libvips (page images, IIIF), tesseract with the collections'
# languages (OCR), the Noto fonts (CIP block and national bibliography PDFs). Installed when run as root
# (CI), otherwise the command to run is printed and the install stops.
SYSTEM_PACKAGES := libvips42 tesseract-ocr tesseract-ocr-fas tesseract-ocr-ara tesseract-ocr-rus \
	tesseract-ocr-kaz tesseract-ocr-tur tesseract-ocr-uzb tesseract-ocr-tgk tesseract-ocr-hye \
	tesseract-ocr-chi-sim tesseract-ocr-eng fonts-noto-core
system-packages:
	@command -v dpkg-query >/dev/null || { echo "== not a Debian-like system: install libvips, tesseract (and its language data) and the Noto fonts yourself"; exit 0; }; \
	missing=""; for p in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "== missing system packages; run: sudo apt-get install$$missing"; exit 1; fi; \
	fi

install: system-packages $(STAMP) $(NODE_STAMP)

## demo: install, migrate the embedded database, load real sample records, serve on http://127.0.0.1:$(PORT)
demo: install
	$(BIN)/kitabkhana migrate --no-input
	$(BIN)/kitabkhana load-demo
	$(BIN)/kitabkhana digitization demo
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
	rm -rf $(VENV) var node_modules
