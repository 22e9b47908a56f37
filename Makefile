# stmd — the two commands a newcomer needs are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
SWIFT ?= swift
# Debian packages the build, the tests and the benchmarks need. libdnnl-dev: oneDNN's sgemm, the BLAS
# (see ../shared/notes/blas-choice.md); pkg-config: SwiftPM's system-library lookups; libsqlite3-dev: GRDB (the
# daemon's ledger); rsync: the daemon tests drop files with it; libsystemd-dev: sd_notify and the journal;
# systemd: systemd-analyze (unit checks) and systemd-journald (the journal tests); systemd-journal-remote: journal
# files from export-format fixtures.
APT_PACKAGES := libdnnl-dev pkg-config libsqlite3-dev rsync libsystemd-dev systemd systemd-journal-remote

.PHONY: all deps build release test demo bench bench-daemon bench-memory bench-memory-step bench-logs eval-logs model-logs-hdfs bench-summary model-summary-news model-translate-en-de model-translate-de-en eval-translate-en-de bench-translate clean reference-fixtures torch-check data vectors models fasttext-compare data-check

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
	$(MAKE) --no-print-directory units-check
	$(SWIFT) test --skip-build
	for isa in avx2 generic; do \
	  echo "make test: kernel set $$isa"; \
	  STMD_KERNELS=$$isa $(SWIFT) test --skip-build --filter "$(KERNEL_SUITES)" || exit 1; \
	done

## demo: everything set up, then the program's main job on its embedded default.
## demo: the daemon in the foreground on a copy of demo/inbox (three streams of sample documents, configured by
## demo/stmd.toml): watch the annotations appear beside them, drop more files into demo-inbox/news, reviews or
## photos, Ctrl-C to stop.
demo: release
	mkdir -p demo-inbox && cp -Rn demo/inbox/. demo-inbox/
	.build/release/stmd models
	@echo "make demo: stmd run --inbox demo-inbox --config demo/stmd.toml (Ctrl-C stops it)"
	.build/release/stmd run --inbox demo-inbox --state .stmd --config demo/stmd.toml

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

## Stream context (issue 6): the context head beside topic-news, trained on one half of topic-news's
## validation split (held out from the base model's training: on its own training data the base model is
## 99% right and overconfident) and measured on the other half. See Benchmarks/memory-context/README.md.
.PHONY: context-folds context-model bench-context context-bounds
CONTEXT_DATA := $(DATA_OUT)/topic-news/valid.tsv
CONTEXT_FLAGS := --rounds 10 --hidden 8 --seed 1 --blend 0.7

## context-folds: cross-fitting evidence for the context head's GRU — topic-news's recipe trained on 2/3 of its
## training split, three times, each scoring the third it did not see (about a minute per fold on 2 cores).
CONTEXT_FOLDS := $(DATA_OUT)/context-folds
context-folds: release data
	python3 Benchmarks/memory-context/folds.py --data $(DATA_OUT)/topic-news/train.tsv --folds 3 --out $(CONTEXT_FOLDS)
	for k in 0 1 2; do \
	  $(TRAIN) --data $(CONTEXT_FOLDS)/fold-$$k/train.tsv --valid $(DATA_OUT)/topic-news/valid.tsv \
	    --out $(CONTEXT_FOLDS)/fold-$$k/model --name topic-news-fold-$$k $(FLAGS_topic-news) > /dev/null || exit 1; \
	done

## context-model: retrain the shipped Models/topic-news-context (seconds); its card holds the evaluation table.
context-model: release data
	STMD_THREADS=1 .build/release/stmd train context --base Models/topic-news --data $(CONTEXT_DATA) --subset 0/2 \
	  --out Models/topic-news-context $(CONTEXT_FLAGS) --eval-subset 1/2 --eval-seeds 50 \
	  --data-description "$(DESCRIPTION_topic-news) Context head: the even-numbered half of .build/data/topic-news/valid.tsv (the base model's validation split, not its training data)." \
	  --licence "$(LICENCE_topic-news)"

## bench-context: context-free model vs persistence filter vs context head on label-persistent streams of the
## held-out half (50 stream seeds per persistence), then the same with the halves swapped (a head trained on
## the odd half, measured on the even one).
bench-context: release data
	.build/release/stmd eval streams --context-head Models/topic-news-context --data $(CONTEXT_DATA) --subset 1/2 --seeds 50
	STMD_THREADS=1 .build/release/stmd train context --base Models/topic-news --data $(CONTEXT_DATA) --subset 1/2 \
	  --out .build/bench-context/swapped $(CONTEXT_FLAGS) > /dev/null
	.build/release/stmd eval streams --context-head .build/bench-context/swapped --data $(CONTEXT_DATA) --subset 0/2 --seeds 50

## context-bounds: how much room the persistence filter leaves (NumPy, from the base model's logits): the filter told
## the true p, a robust likelihood, other temperatures, k-NN evidence from the stream's own document vectors.
context-bounds: release data
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/python -c "import torch, numpy, safetensors" 2>/dev/null || $(VENV)/bin/pip install -q -r Benchmarks/peers/requirements.txt safetensors
	mkdir -p .build/bench-context
	.build/release/stmd eval streams --context-head Models/topic-news-context --data $(CONTEXT_DATA) --subset all --seeds 1 \
	  --export-vectors .build/bench-context/vectors.tsv > /dev/null
	$(VENV)/bin/python Benchmarks/memory-context/filter_bounds.py --vectors .build/bench-context/vectors.tsv \
	  --weights Models/topic-news/weights.safetensors $(BENCH_FLAGS)

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

## bench-logs: log lines/s for template mining + the DeepLog detector step, one thread, against a Python peer
## (drain3 + PyTorch) on the loghub 2k samples; prints the table for BENCHMARKS.md.
LOG_DATA ?= $(or $(STMD_DATA),../shared/data)/logs
bench-logs: deps
	$(SWIFT) build -c release --product stmd-logs-bench
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/python -c "import torch, drain3" 2>/dev/null || $(VENV)/bin/pip install -q -r Benchmarks/logs/requirements.txt
	Benchmarks/logs/run.sh .build/release/stmd-logs-bench $(VENV)/bin/python $(LOG_DATA)/loghub

## eval-logs: the log-anomaly evaluation of BENCHMARKS.md: splits, HDFS and BGL models, their scores, and
## Drain's grouping accuracy on every loghub sample (see Benchmarks/logs/README.md).
eval-logs: release
	Benchmarks/logs/evaluate.sh .build/release/stmd $(LOG_DATA) $(DATA_OUT)/logs

## model-logs-hdfs: the shipped DeepLog HDFS model (Models/logs/hdfs-deeplog), from the split eval-logs uses.
model-logs-hdfs: release
	Benchmarks/logs/split.sh $(LOG_DATA) $(DATA_OUT)/logs/data > /dev/null
	STMD_THREADS=1 .build/release/stmd train logs --keys $(DATA_OUT)/logs/data/hdfs/train-normal --out Models/logs/hdfs-deeplog \
	  --valid-normal $(DATA_OUT)/logs/data/hdfs/valid-normal --valid-abnormal $(DATA_OUT)/logs/data/hdfs/valid-abnormal \
	  --data-description "DeepLog's HDFS log-key sessions (Du et al. 2017; raw logs from Xu et al. 2009), wuyifan18/DeepLog data/hdfs_train as in ../shared/data/logs/deeplog-hdfs: the normal sessions with line number n % 5 > 1 (Benchmarks/logs/split.sh)." \
	  --licence "MIT for the wuyifan18/DeepLog repository as a whole; the data carries no separate licence."

## Extractive summarizer (issue 9): BBC News Summary, split inside `stmd train summarize` (documented there).
SUMMARY_DATA ?= $(or $(STMD_DATA),../shared/data)/summarization/bbc-news-summary

## model-summary-news: retrain Models/summary-news (about 5 minutes on one thread; the command lands in its MODEL.md).
model-summary-news: release
	STMD_THREADS=1 .build/release/stmd train summarize --data $(SUMMARY_DATA) --out Models/summary-news $(FLAGS_summary-news) \
	  --data-description "$(DESCRIPTION_summary-news)" --licence "$(LICENCE_summary-news)"

## bench-summary: the summarizer beside Lead-K, TextRank and the oracle on the validation split (stmd eval summarize),
## then the same articles through rouge-score with sumy's TextRank and LexRank as peers (Benchmarks/summary/README.md).
bench-summary: release
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/python -c "import rouge_score, sumy" 2>/dev/null || $(VENV)/bin/pip install -q -r Benchmarks/summary/requirements.txt
	.build/release/stmd eval summarize --model summary-news --data $(SUMMARY_DATA) --split validation
	$(VENV)/bin/python Benchmarks/summary/peer.py --stmd .build/release/stmd --model summary-news --data $(SUMMARY_DATA)

## Translation (issue 9): Multi30k task 1, train → train.*, validation → val.* (the official test split is withheld).
MT_DATA ?= $(or $(STMD_DATA),../shared/data)/mt/multi30k
TRANSLATE_RUN ?= .build/translate-en-de

## model-translate-en-de: train (or, with RESUME=--resume, continue) the en→de translator on one thread in the
## background-friendly way; checkpoints in $(TRANSLATE_RUN)/checkpoint, the bundle in $(TRANSLATE_RUN)/model.
model-translate-en-de: release
	STMD_THREADS=1 .build/release/stmd train translate --source $(MT_DATA)/train.en --target $(MT_DATA)/train.de \
	  --valid-source $(MT_DATA)/val.en --valid-target $(MT_DATA)/val.de --out $(TRANSLATE_RUN)/model \
	  --checkpoint $(TRANSLATE_RUN)/checkpoint --name translate-en-de --source-language en --target-language de \
	  --checkpoint-every 100 --epochs 30 $(RESUME)

## model-translate-de-en: the de→en translator the same way (7 epochs: the shipped bundle's run).
model-translate-de-en: release
	STMD_THREADS=1 .build/release/stmd train translate --source $(MT_DATA)/train.de --target $(MT_DATA)/train.en \
	  --valid-source $(MT_DATA)/val.de --valid-target $(MT_DATA)/val.en --out .build/translate-de-en/model \
	  --checkpoint .build/translate-de-en/checkpoint --name translate-de-en --source-language de --target-language en \
	  --checkpoint-every 100 --epochs 7 $(RESUME)

## eval-translate-en-de: corpus BLEU (sacrebleu default) of the trained bundle on the validation split, beam 5.
eval-translate-en-de: release
	.build/release/stmd eval translate --model $(TRANSLATE_RUN)/model --source $(MT_DATA)/val.en --target $(MT_DATA)/val.de

## bench-translate: 20-word latency of the en→de bundle at its default beam, reference vs f32 vs bf16 decoding
## (5 interleaved runs each, medians; one thread).
bench-translate: release
	Benchmarks/translate/decoding.sh .build/release/stmd $(TRANSLATE_RUN)/model $(MT_DATA) 5

## bench-memory: stream memory on the real daemon — RSS and database size for 10,000 documents over 1,000
## streams, RSS growth from 50,000 to 100,000 documents, and the time the memory step adds; about 15 minutes.
bench-memory: release data
	python3 Benchmarks/memory/run.py --stmd .build/release/stmd $(BENCH_FLAGS)

## bench-memory-step: the memory step's share of a document's processing time, in one process (memory off and on
## pipelines interleaved batch by batch, so load noise hits both); about 3 minutes.
MEMORY_BENCH_DATA ?= $(or $(STMD_DATA),../shared/data)/topic/ag_news/train.tsv
bench-memory-step: deps
	$(SWIFT) build -c release --product stmd-memory-bench
	.build/release/stmd-memory-bench --models Models --data $(MEMORY_BENCH_DATA) $(BENCH_FLAGS)

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

## install: the release binary, models, systemd units, sysusers/tmpfiles, the message catalog, the man page, shell
## completions and /etc/stmd/stmd.toml (an existing one is never overwritten). PREFIX=/usr/local, DESTDIR for staging.
## As root with DESTDIR empty it also creates the user (systemd-sysusers), the inbox (systemd-tmpfiles) and updates
## the journal catalog; then `systemctl daemon-reload && systemctl enable --now stmd` starts it.
PREFIX ?= /usr/local
BINDIR := $(PREFIX)/bin
MODELDIR := $(PREFIX)/share/stmd/models
DOCDIR := $(PREFIX)/share/doc/stmd
MANDIR := $(PREFIX)/share/man/man1
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
# journalctl --update-catalog reads only /usr/lib/systemd/catalog, whatever the prefix.
CATALOGDIR ?= /usr/lib/systemd/catalog
SYSCONFDIR ?= /etc
BASHCOMPDIR := $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR := $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR := $(PREFIX)/share/fish/vendor_completions.d
MANPAGE := .build/stmd.1
UNITS := stmd.service stmd@.service
SHIPPED_BUNDLES = $(patsubst Models/%/config.json,%,$(wildcard Models/*/config.json))

.PHONY: install uninstall manual units-check

## manual: the man page, from the command-line definitions (swift-argument-parser's generate-manual plugin).
manual: release
	mkdir -p .build/manual
	$(SWIFT) package --allow-writing-to-directory .build/manual generate-manual --output-directory .build/manual >/dev/null
	cp .build/manual/stmd.1 $(MANPAGE)

install: release manual
	install -Dm755 .build/release/stmd $(DESTDIR)$(BINDIR)/stmd
	for m in $(SHIPPED_BUNDLES); do \
	  install -d $(DESTDIR)$(MODELDIR)/$$m && install -m644 Models/$$m/* $(DESTDIR)$(MODELDIR)/$$m/ || exit 1; \
	done
	for u in $(UNITS); do \
	  sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' systemd/$$u.in > .build/$$u && \
	  install -Dm644 .build/$$u $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -Dm644 systemd/stmd.sysusers $(DESTDIR)$(SYSUSERSDIR)/stmd.conf
	install -Dm644 systemd/stmd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/stmd.conf
	install -Dm644 systemd/stmd.catalog $(DESTDIR)$(CATALOGDIR)/stmd.catalog
	install -Dm644 $(MANPAGE) $(DESTDIR)$(MANDIR)/stmd.1
	install -Dm644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -Dm644 docs/ANNOTATION.md $(DESTDIR)$(DOCDIR)/ANNOTATION.md
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	.build/release/stmd --generate-completion-script bash > $(DESTDIR)$(BASHCOMPDIR)/stmd
	.build/release/stmd --generate-completion-script zsh > $(DESTDIR)$(ZSHCOMPDIR)/_stmd
	.build/release/stmd --generate-completion-script fish > $(DESTDIR)$(FISHCOMPDIR)/stmd.fish
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/stmd/stmd.toml ]; then \
	  echo "make install: keeping the existing $(DESTDIR)$(SYSCONFDIR)/stmd/stmd.toml (the shipped one is etc/stmd/stmd.toml)"; \
	else install -Dm644 etc/stmd/stmd.toml $(DESTDIR)$(SYSCONFDIR)/stmd/stmd.toml; fi
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ]; then \
	  systemd-sysusers $(SYSUSERSDIR)/stmd.conf && \
	  systemd-tmpfiles --create $(TMPFILESDIR)/stmd.conf && \
	  journalctl --update-catalog && \
	  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	fi
	@echo "make install: done; start it with: systemctl enable --now stmd"

## uninstall: removes what install put in place; keeps the state (/var/lib/stmd), the inbox, the stmd user, and an
## edited /etc/stmd/stmd.toml.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/stmd $(DESTDIR)$(MANDIR)/stmd.1
	rm -rf $(DESTDIR)$(MODELDIR) $(DESTDIR)$(DOCDIR)
	rmdir $(DESTDIR)$(PREFIX)/share/stmd 2>/dev/null || true
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done
	rm -f $(DESTDIR)$(SYSUSERSDIR)/stmd.conf $(DESTDIR)$(TMPFILESDIR)/stmd.conf $(DESTDIR)$(CATALOGDIR)/stmd.catalog
	rm -f $(DESTDIR)$(BASHCOMPDIR)/stmd $(DESTDIR)$(ZSHCOMPDIR)/_stmd $(DESTDIR)$(FISHCOMPDIR)/stmd.fish
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/stmd/stmd.toml ] && cmp -s etc/stmd/stmd.toml $(DESTDIR)$(SYSCONFDIR)/stmd/stmd.toml; then \
	  rm -f $(DESTDIR)$(SYSCONFDIR)/stmd/stmd.toml; rmdir $(DESTDIR)$(SYSCONFDIR)/stmd 2>/dev/null || true; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/stmd/stmd.toml ]; then \
	  echo "make uninstall: keeping the edited $(DESTDIR)$(SYSCONFDIR)/stmd/stmd.toml"; fi
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ]; then journalctl --update-catalog; \
	  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; fi

## units-check: the units exactly as `make install` renders them (the binary path aside: the debug build stands in
## for the installed one, since verify needs an executable there) through systemd-analyze: `verify` must print
## nothing (it exits 0 even on typos) and `security --offline` must rate the exposure ≤ 2.0.
units-check:
	@mkdir -p .build/units
	@for u in $(UNITS); do \
	  sed -e 's|@BINDIR@|$(CURDIR)/.build/debug|g' -e 's|@DOCDIR@|$(DOCDIR)|g' systemd/$$u.in > .build/units/$$u || exit 1; \
	done
	@cp .build/units/stmd@.service .build/units/stmd@srv-stmd-inbox.service
	@for u in stmd.service stmd@srv-stmd-inbox.service; do \
	  out=$$(cd .build/units && systemd-analyze verify --man=no ./$$u 2>&1); \
	  if [ -n "$$out" ]; then echo "units-check: systemd-analyze verify $$u printed:"; echo "$$out"; exit 1; fi; \
	  score=$$(cd .build/units && systemd-analyze security --offline=true ./$$u 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'); \
	  awk -v s="$$score" 'BEGIN { exit !(s != "" && s + 0 <= 2.0) }' || { echo "units-check: $$u exposure '$$score' > 2.0"; exit 1; }; \
	  echo "units-check: $$u: verify printed nothing; exposure $$score"; \
	done
	@rm -rf .build/catalog-root && mkdir -p .build/catalog-root/usr/lib/systemd/catalog
	@cp systemd/stmd.catalog .build/catalog-root/usr/lib/systemd/catalog/
	@journalctl --root=.build/catalog-root --update-catalog
	@entries=$$(journalctl --root=.build/catalog-root --list-catalog | grep -c ' stmd: '); \
	  expected=$$(grep -c '^-- ' systemd/stmd.catalog); \
	  [ "$$entries" -eq "$$expected" ] || { echo "units-check: journalctl parsed $$entries of $$expected catalog entries"; exit 1; }; \
	  echo "units-check: systemd/stmd.catalog: journalctl reads all $$entries entries"
