# Quick start: `make app` opens the Streamlit app, `make test` runs every test.
# Both need only python3: they create .venv and install the package into it.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
STAMP  := $(VENV)/.installed
TORCH  := $(VENV)/.torch

.PHONY: install app test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# PyTorch, CPU build, for the one test that runs a generated PyTorch script (the app never needs
# it): a wheel on PIP_FIND_LINKS first, then PyTorch's CPU index (PyPI's own torch pulls ~2 GB of
# CUDA libraries). Where neither answers, that test reports itself skipped.
$(TORCH): | $(STAMP)
	@$(PY) -c "import torch" 2>/dev/null \
	  || ($(PY) -m pip install --quiet --no-index --no-deps torch 2>/dev/null && $(PY) -m pip install --quiet torch) \
	  || $(PY) -m pip install --quiet --timeout 30 --retries 1 torch --index-url https://download.pytorch.org/whl/cpu \
	  || echo "PyTorch (CPU) could not be installed: the PyTorch script test will be skipped (rm $(TORCH) to try again)"
	@touch $(TORCH)

app: $(STAMP)
	$(PY) -m streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) --browser.gatherUsageStats false

test: $(STAMP) $(TORCH)
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q -n auto

bench: $(STAMP)
	$(PY) -m benchmarks --json

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
