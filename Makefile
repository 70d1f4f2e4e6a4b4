# The two commands a person needs: `make run` and `make test`.
# Both build .venv on first use (see packaging/bootstrap.py) and install the starter models.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.hearth-bootstrap

.PHONY: run test setup models lint clean

$(STAMP): pyproject.toml packaging/bootstrap.py
	$(PYTHON) packaging/bootstrap.py
	touch $(STAMP)

setup: $(STAMP)

models: setup
	$(BIN)/hearth models install-starter

run: models
	$(BIN)/hearth

lint: setup
	$(BIN)/ruff check desktop tests packaging
	$(BIN)/lint-imports

test: models lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV)
