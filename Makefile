# Set-up is part of every target: a fresh machine needs only Python >= 3.11
# and make. The virtual environment is rebuilt when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench clean serve

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/caseload plan data/sample --out out/sample

serve: $(STAMP)
	$(BIN)/caseload serve data/sample

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) out build *.egg-info

bench: $(STAMP)
	$(BIN)/python -m bench.run --repeats 3
