# Two commands for a new machine (Python 3.11+, Java 17+):
#   make run    set up, generate the default graph locally, validate it, print counts
#   make test   set up with the test extras, run the test suite
#   make golden rewrite the generated review files (sql/golden/, sql/LINEAGE.md) after a SQL change
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out/graph

.PHONY: setup setup-test run test reliability bench golden java clean

java:
	@v=$$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1); \
	if [ -z "$$v" ] || [ "$$v" -lt 17 ]; then \
	  echo "idgraph needs Java 17 or newer for Spark 4 (found: $${v:-none})."; \
	  echo "Install it, e.g. on Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless"; \
	  exit 1; fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

setup: java $(BIN)/python
	$(BIN)/pip install -q -e ".[local]"

setup-test: java $(BIN)/python
	$(BIN)/pip install -q -e ".[local,test]"
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

run: setup
	$(BIN)/idgraph generate --out $(OUT) --overwrite
	$(BIN)/idgraph validate $(OUT)

test: setup-test
	$(BIN)/python -m pytest -q

golden: setup
	$(BIN)/idgraph sql --golden-update

# The reliability suite alone, writing docs/reliability.md from its run.
reliability: setup-test
	$(BIN)/python -m pytest -q tests/test_reliability_output.py tests/test_reliability_corrupt.py tests/test_reliability_fuzz.py tests/test_reliability_faults.py tests/test_reliability_load.py --reliability-report

bench: setup-test
	$(BIN)/idgraph bench

clean:
	rm -rf out spark-warehouse .pytest_cache
