# stmd — the two commands a newcomer needs are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
SWIFT ?= swift
# Debian packages the build, the tests and the benchmarks need. libdnnl-dev: oneDNN's sgemm, the BLAS
# (see ../shared/notes/blas-choice.md); pkg-config: SwiftPM's system-library lookups; libsqlite3-dev: GRDB (the
# daemon's ledger); rsync: the daemon tests drop files with it.
APT_PACKAGES := libdnnl-dev pkg-config libsqlite3-dev rsync

.PHONY: all deps build release test demo bench bench-daemon bench-memory clean reference-fixtures torch-check data vectors models fasttext-compare data-check

all: build

## deps: install the system packages (idempotent, non-interactive; installs only what is missing).
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "make deps: run as root (apt-get install$$missing)" >&2; exit 1; fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "make deps: system packages present"; fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## test: everything set up, then every test (Swift Testing; the PyTorch comparison skips without torch).
# The kernel-dependent suites run once more per narrower kernel set (STMD_KERNELS forces the dispatch), so
# every path is checked on this CPU against the same references.
KERNEL_SUITES := KernelTests|ReferenceTests|GradientCheckTests|TrainingTests

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	for isa in avx2 generic; do \
	  echo "make test: kernel set $$isa"; \
	  STMD_KERNELS=$$isa $(SWIFT) test --skip-build --filter "$(KERNEL_SUITES)" || exit 1; \
	done

## demo: everything set up, then the program's main job on its embedded default.
## demo: the daemon in the foreground on a copy of demo/inbox (two streams of sample documents): watch the
## annotations appear beside them, drop more files into demo-inbox/news or demo-inbox/reviews, Ctrl-C to stop.
demo: release
	mkdir -p demo-inbox && cp -Rn demo/inbox/. demo-inbox/
	.build/release/stmd models
	@echo "make demo: stmd run --inbox demo-inbox (Ctrl-C stops it)"
	.build/release/stmd run --inbox demo-inbox --state .stmd

VENV := $(HOME)/.cache/stmd/venv

## bench: engine vs PyTorch and onnxruntime on the same model, 1 and 2 threads; rewrites BENCHMARKS.md's table.
## The peers go into a cached venv (PyTorch from PyPI pulls ~3 GB of CUDA wheels once).
bench: deps
	$(SWIFT) build -c release --product stmd-bench
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/python -c "import torch, onnxruntime, onnx" 2>/dev/null || $(VENV)/bin/pip install -q -r Benchmarks/peers/requirements.txt
	python3 Benchmarks/run.py --python $(VENV)/bin/python $(BENCH_FLAGS)

## Shipped models: data splits → word vectors → `stmd train classify` per model into Models/<name>.
## The data comes from ../shared/data (or $STMD_DATA); nothing of it is copied into the repository.
DATA_OUT := .build/data
VECTORS := $(DATA_OUT)/vectors/en-100.w2v
TRAIN := STMD_THREADS=2 .build/release/stmd train classify
SHIPPED_MODELS := topic-news topic-bbc question-trec sentiment-en

## data: deterministic train/validation splits per model (Python standard library only; MR is kept out of
## sentiment-en's training because SST-2's test sentences are cut from it — see Scripts/data/README.md).
data:
	python3 Scripts/data/prepare.py --out $(DATA_OUT) --sentiment-train sst2,cr

$(VENV)/.text-tools:
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r Benchmarks/fasttext/requirements.txt
	touch $@

## vectors: word2vec (Gensim skip-gram, one worker: repeatable) on the available English text minus every
## held-out sentence and MR.
vectors: data $(VENV)/.text-tools
	$(VENV)/bin/python Scripts/data/pretrain_vectors.py --out $(DATA_OUT) --algo sg

## models: retrain every shipped model (each ≤ 15 min on 2 cores; the model cards record the commands).
models: release vectors
	for m in $(SHIPPED_MODELS); do $(MAKE) --no-print-directory model-$$m || exit 1; done
	python3 Scripts/models_table.py

model-%:
	$(TRAIN) --data $(DATA_OUT)/$*/train.tsv --valid $(DATA_OUT)/$*/valid.tsv --out Models/$* --name $* \
	  $(FLAGS_$*) --data-description "$(DESCRIPTION_$*)" --licence "$(LICENCE_$*)"

include Models/recipes.mk

## fasttext-compare: fastText (PyPI fasttext-wheel) trained and scored on the same splits, beside the shipped
## models, in one run; prints the Markdown table for BENCHMARKS.md.
fasttext-compare: release data $(VENV)/.text-tools
	$(VENV)/bin/python Benchmarks/fasttext/compare.py --data $(DATA_OUT) --stmd .build/release/stmd --models Models $(FASTTEXT_FLAGS)

## data-check: the Python port of the tokenizer (Scripts/data/stmtext.py) against Sources/STMText.
data-check:
	python3 Scripts/data/check_stmtext.py

## bench-daemon: the whole path (rename into an inbox → output visible) against a Python watchdog +
## onnxruntime daemon running the same model, 10,000 files over 10 streams; about 10 minutes.
bench-daemon: release data
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/python -c "import torch, onnxruntime, onnx, watchdog" 2>/dev/null || $(VENV)/bin/pip install -q -r Benchmarks/daemon/requirements.txt
	python3 Benchmarks/daemon/run.py --stmd .build/release/stmd --python $(VENV)/bin/python $(BENCH_FLAGS)

## bench-memory: stream memory on the real daemon — RSS and database size for 10,000 documents over 1,000
## streams, RSS growth from 50,000 to 100,000 documents, and the time the memory step adds; about 15 minutes.
bench-memory: release data
	python3 Benchmarks/memory/run.py --stmd .build/release/stmd $(BENCH_FLAGS)

## reference-fixtures: regenerate the NumPy reference fixtures (needs python3 with numpy).
reference-fixtures:
	python3 Scripts/reference/rnn_reference.py --out Tests/STMModelsTests/Fixtures/reference

## torch-check: compare the engine with PyTorch's nn.GRU/nn.LSTM/nn.RNN (installs torch into ~/.cache/stmd/venv).
torch-check: deps
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/python -c "import torch" 2>/dev/null || $(VENV)/bin/pip install -q torch numpy safetensors
	$(SWIFT) build --build-tests
	STMD_TORCH_PYTHON=$(VENV)/bin/python $(SWIFT) test --skip-build --filter TorchComparisonTests

clean:
	rm -rf .build
