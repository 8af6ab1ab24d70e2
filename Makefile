# Two set-up commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test bench fuzz clean score

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[bench]"
	touch $@ $(VENV)/.installed

## run: install and extract every sample, printing readable tables; then the samples' HTML report
run: $(VENV)/.installed
	$(BIN)/plancli extract samples/*.txt --format table
	$(BIN)/plancli report samples --title "plancli report: samples" -o build/report.html
	@echo "report: $(CURDIR)/build/report.html"

## test: install with test extras and run the test suite
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

## bench: speed and memory against jieba (bench/run.py; BENCH_ARGS="--big --profile --record")
bench: $(VENV)/.installed-bench
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## fuzz: coverage-guided fuzzing of bytes -> JSON for FUZZ_SECONDS (atheris, else hypothesis);
## crashing inputs land in build/fuzz-crashes/ (replay: fuzz/fuzz_extract.py --replay FILE)
FUZZ_SECONDS ?= 120
FUZZ_CORPUS  ?= build/fuzz-corpus

$(VENV)/.installed-fuzz: pyproject.toml | $(VENV)/.installed-test
	-$(BIN)/pip install -q atheris || echo "atheris did not install: fuzzing with hypothesis instead"
	touch $@

fuzz: $(VENV)/.installed-test $(VENV)/.installed-fuzz
	mkdir -p $(FUZZ_CORPUS) build/fuzz-crashes
	$(BIN)/python fuzz/fuzz_extract.py --make-seeds $(FUZZ_CORPUS)
	$(BIN)/python fuzz/fuzz_extract.py -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=30 \
	  -artifact_prefix=build/fuzz-crashes/ $(FUZZ_CORPUS)

## score: dev-set score against ../shared/gold
score: $(VENV)/.installed
	$(BIN)/python ../shared/eval/score.py --gold ../shared/gold --docs samples \
	  --cmd "$(BIN)/plancli extract {path} --format json" -v

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
