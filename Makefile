# The README's two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ASSETS := node_modules/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install assets lint typecheck bench bench-policy bench-match bench-qa openapi policies-docs eval-qa clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade "pip==26.3"
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

# ECharts ships 50 MB of builds; only echarts.min.js is served (collectstatic would compress the rest).
$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p node_modules/.vendor/echarts
	cp node_modules/echarts/dist/echarts.min.js node_modules/.vendor/echarts/
	@touch $@

install: $(STAMP)

assets: $(ASSETS)

run: install assets
	$(BIN)/shuzhuan migrate
	$(BIN)/shuzhuan demo load
	$(BIN)/shuzhuan serve --host $(HOST) --port $(PORT)

test: install assets
	@bash scripts/test.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

openapi: install
	DJANGO_SETTINGS_MODULE=config.django.test $(BIN)/python manage.py export_openapi docs/openapi.json

policies-docs: install
	$(BIN)/shuzhuan policy docs > docs/policies.md

bench: install assets
	$(BIN)/python bench/bench_import.py

bench-policy: install
	$(BIN)/python bench/bench_policy.py

# 政策找人 on 1,000,000 enterprises and 3,000,000 projects (SQLite under a temporary directory;
# about 7 minutes): writes its section of docs/benchmarks.md.
bench-match: install
	$(BIN)/python bench/bench_match.py

# 智能应答 latency over a 10,000-passage corpus (throwaway SQLite; about 20 s), beside a plain
# BM25 baseline, with both retrievers' accuracy on the question set: writes its section of
# docs/benchmarks.md.
bench-qa: install
	$(BIN)/python bench/bench_qa.py

# 智能应答: the question set in shuzhuan/qa/eval/questions.yaml, in a throwaway database after
# ingesting ../shared/seeds/*.txt; prints each question and the accuracy (exit 1 below 90%).
eval-qa: install
	$(BIN)/python -m shuzhuan.qa.eval

clean:
	rm -rf $(VENV) node_modules var/static
