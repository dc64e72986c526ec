# Two commands do all the set-up: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist processes: the process-level fault tests mostly wait, so two share the cores well
TEST_WORKERS ?= 2

.PHONY: run test lint bench shell web worker migrate doctor docker clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# `run` migrates, runs doctor's quick local checks (a one-line hint if one fails), then starts.
run: $(STAMP)
	$(BIN)/python -m bot run

test: $(STAMP)
	$(BIN)/ruff check bot tests $(wildcard benchmarks)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check bot tests $(wildcard benchmarks)

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

shell: $(STAMP)
	$(BIN)/python -m bot db upgrade
	$(BIN)/python -m bot shell --demo

web: $(STAMP)
	$(BIN)/python -m bot web

worker: $(STAMP)
	$(BIN)/python -m bot worker

migrate: $(STAMP)
	$(BIN)/python -m bot db upgrade

doctor: $(STAMP)
	$(BIN)/python -m bot doctor

# The container image; skipped, saying why, where no Docker engine answers.
docker:
	@if docker info >/dev/null 2>&1; then docker build -t pm-bot . ; \
	else echo "docker: skipped, no Docker engine reachable here (\`docker info\` failed); on a machine with one: docker build -t pm-bot ."; fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
