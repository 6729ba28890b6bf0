PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench install install-test clean

$(BIN)/radar: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/radar

install: $(BIN)/radar

demo: install
	$(BIN)/radar demo

test: install
	@command -v chromium >/dev/null 2>&1 || apt-get install -y chromium >/dev/null 2>&1 \
	  || (apt-get update >/dev/null 2>&1 && apt-get install -y chromium >/dev/null 2>&1) \
	  || echo "note: could not install Debian's chromium; the browser tests will be skipped"
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || apt-get install -y nginx-light >/dev/null 2>&1 \
	  || echo "note: could not install nginx; the sign-in proxy test will be skipped"
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m tests.benchmarks.run
	$(BIN)/python -m tests.benchmarks.portal_under_refresh
	$(BIN)/python -m tests.benchmarks.alerts_digest
	$(BIN)/python -m tests.benchmarks.feature_speed
	$(BIN)/python -m tests.benchmarks.spark_scale

clean:
	rm -rf data/*.duckdb data/*.duckdb.* data/app.db* data/sample mlruns/mlflow.db mlruns/[0-9]* mlruns/artifacts
