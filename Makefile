# Two commands do everything: `make demo` (the main job on the embedded defaults) and `make test`.
# Both create or refresh .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_OUT ?= reports/demo

.PHONY: install demo test clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt "torch==2.13.0"
	PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(BIN)/pip install -q -c constraints.txt -e ".[test]"
	# The registry's torchvision is a CUDA build that breaks `import transformers` on CPU torch;
	# lmms-eval lists it but never needs it here (see README, "Installation").
	$(BIN)/pip uninstall -q -y torchvision || true
	$(BIN)/python -c "import torch, transformers, lmms_eval, videor2; assert '+cpu' in torch.__version__ or torch.cuda.is_available()"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/diagnose.py --out $(DEMO_OUT) --resume --limit 2 --max-new-tokens 64

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build *.egg-info
