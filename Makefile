# Everything goes through scripts/bootstrap.sh first, so a fresh clone needs only `make test`.
VENV := .venv
BIN := $(VENV)/bin
SQL_QUERY_DIRS := dashin_sdk/local/sql functions_py/sql bench/sql

.PHONY: setup demo test lint bench clean

setup:
	@bash scripts/bootstrap.sh

demo: setup
	$(BIN)/dashin local start
	$(BIN)/dashin demo

test: setup
	$(BIN)/pytest
	$(BIN)/python scripts/run_pgtap.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/sqlfluff lint supabase/
	$(BIN)/sqlfluff lint --config .sqlfluff-queries $(SQL_QUERY_DIRS)

bench: setup
	$(BIN)/python -m bench.upsert_leads
	$(BIN)/python -m bench.sdk_list
	$(BIN)/python -m bench.import_time
	$(BIN)/python -m bench.worker_ingest
	$(BIN)/python -m bench.queue_claims

clean:
	-@[ -x $(BIN)/dashin ] && $(BIN)/dashin local destroy
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +
