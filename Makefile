# Two commands matter: `make run` (set up and launch the app) and `make test` (set up and run every test).
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup run test lint bench bundle

setup:
	@bash scripts/setup.sh

run: setup
	$(VENV)/bin/melodygan-desktop

test: setup lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

lint:
	$(PY) -m ruff check melodygan_desktop melodygan_lab tests bench packaging scripts
	$(VENV)/bin/lint-imports

bench: setup
	$(PY) -m pip install -q -e ".[bench]"
	$(PY) bench/run_all.py

bundle: setup
	bash packaging/build.sh cpu
