# xlstm-go build entry points. `make test` is exactly what CI runs (.ci/run).

GO        ?= go
GOFMT     ?= $(shell $(GO) env GOROOT)/bin/gofmt
# Runs a js/wasm test binary under Node (needs `node` on PATH).
WASM_EXEC ?= $(shell $(GO) env GOROOT)/lib/wasm/go_js_wasm_exec

# Packages tested and built for GOOS=js GOARCH=wasm: every package under
# ./runtime and ./weights, except those named in WASM_EXCLUDE (paths as
# ./runtime/x). A package that cannot build for js/wasm (cgo, CUDA, ...) must be
# listed there explicitly, with a comment saying why; packages whose files are
# all excluded by build tags under js are skipped by `go list` on their own.
WASM_EXCLUDE ?=
WASM_PKGS    ?= $(filter-out $(WASM_EXCLUDE),$(shell GOOS=js GOARCH=wasm $(GO) list -f '.{{slice .ImportPath (len .Module.Path)}}' ./runtime/... ./weights/...))

BENCH      ?= .
BENCHTIME  ?= 1s
BENCH_PKGS ?= ./runtime/... ./weights/...

FUZZTIME  ?= 20s
FUZZ_PKGS ?= ./...

# Each area keeps its targets in mk/<area>.mk. A fragment may append to
#   TEST_DEPS   install steps that must run before the Go tests (e.g. lavapipe),
#   TEST_EXTRA  test targets run after the Go tests (e.g. browser tests),
#   WASM_EXCLUDE packages that cannot build for js/wasm.
TEST_DEPS  :=
TEST_EXTRA :=
include $(sort $(wildcard mk/*.mk))

.PHONY: all test deps tokenizer-deps fmt-check vet test-native test-purego test-wasm bench bench-all fuzz build generate convert bench-convert clean

all: build

## test: everything CI runs (installs node and Go modules if missing).
test: deps tokenizer-deps $(TEST_DEPS) fmt-check vet test-native test-purego test-wasm $(TEST_EXTRA)

## deps: node for the js/wasm tests (Debian nodejs, only if missing), Go modules.
deps:
	@bash .ci/need node nodejs
	@echo "node $$(node --version)"
	$(GO) mod download

## tokenizer-deps: the reference tokenizers that runtime/tokenizer's tests
## compare ids with (npm ci from the committed lockfile), when node_modules is
## missing or older than the lockfile; installs Debian's npm if it is missing.
TOKENIZER_NPM ?= runtime/tokenizer/testdata/npm
tokenizer-deps: deps
	@set -e; d="$(TOKENIZER_NPM)"; \
	if [ -f "$$d/node_modules/.package-lock.json" ] && [ ! "$$d/package-lock.json" -nt "$$d/node_modules/.package-lock.json" ]; then \
		echo "tokenizer-deps: $$d/node_modules is up to date"; exit 0; \
	fi; \
	bash .ci/need npm npm; \
	echo "tokenizer-deps: npm ci in $$d"; \
	cd "$$d" && npm ci --no-audit --no-fund

## fmt-check: fail, listing them, if any Go files are not gofmt-formatted.
fmt-check:
	@files=$$(find . -name '*.go' -not -path '*/testdata/*' -not -path '*/node_modules/*' -not -path './.*' -print0 | xargs -0 -r $(GOFMT) -l); \
	if [ -n "$$files" ]; then \
		echo "gofmt: these files are not formatted (run gofmt -w):"; echo "$$files"; exit 1; \
	fi; \
	echo "gofmt: ok"

vet: deps
	$(GO) vet ./...

test-native: deps $(TEST_DEPS)
	$(GO) test -count=1 ./...

## test-purego: the runtime with the pure-Go kernel twins forced (no assembly).
test-purego: deps
	$(GO) test -count=1 -tags purego ./runtime/...

test-wasm: deps
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" $(WASM_PKGS)

## bench: the speed table of issue 7 (runtime/model benchmarks, native and
## js/wasm, BENCHCOUNT runs each; medians beside the official figures).
BENCHCOUNT ?= 5
BENCH_OUT  ?= results/tmp
bench: deps
	@mkdir -p $(BENCH_OUT)
	GOMAXPROCS=2 $(GO) test -run '^$$' -bench 'BenchSmall$$' -benchtime 2s -count $(BENCHCOUNT) -benchmem ./runtime/model/ | tee $(BENCH_OUT)/native.txt
	GOMAXPROCS=2 $(GO) test -run '^$$' -bench 'BenchLarge(2T)?$$' -benchtime 10x -count $(BENCHCOUNT) -benchmem ./runtime/model/ | tee -a $(BENCH_OUT)/native.txt
	GOMAXPROCS=2 $(GO) test -run '^$$' -bench 'DecodeBenchLargeQ' -benchtime 50x -count $(BENCHCOUNT) -benchmem ./runtime/model/ | tee -a $(BENCH_OUT)/native.txt
	GOOS=js GOARCH=wasm $(GO) test -exec="$(WASM_EXEC)" -run '^$$' -bench 'DecodeBenchSmall$$' -benchtime 2s -count $(BENCHCOUNT) ./runtime/model/ | tee $(BENCH_OUT)/wasm.txt
	@echo; echo "GOMAXPROCS=2; single-goroutine benchmarks unless noted:"; echo
	@$(GO) run ./internal/benchtable -native $(BENCH_OUT)/native.txt -wasm $(BENCH_OUT)/wasm.txt

## bench-all: every benchmark of the module (BENCH=regexp, BENCHTIME=1s or e.g. 100x).
bench-all:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -benchmem $(BENCH_PKGS)

## bench-convert: generate a ~2.4 GB 7B-shaped bf16 checkpoint (random weights, HF names,
## 4 shards + index) in a temp dir, convert it to q4, print MB/s and the converter's peak
## RSS, delete the files (BENCH_CONVERT_SIZE bytes, BENCH_CONVERT_DTYPE). Not part of test.
BENCH_CONVERT_SIZE  ?= 2.4e9
BENCH_CONVERT_DTYPE ?= q4
bench-convert: convert
	$(GO) run ./cmd/convert/benchconvert -convert bin/convert -size $(BENCH_CONVERT_SIZE) -dtype $(BENCH_CONVERT_DTYPE)

## fuzz: every Fuzz target in FUZZ_PKGS, each for FUZZTIME.
fuzz:
	@set -e; \
	for pkg in $$($(GO) list $(FUZZ_PKGS)); do \
		targets=$$($(GO) test -list '^Fuzz' $$pkg); \
		for f in $$(printf '%s\n' "$$targets" | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

## build: everything natively, and the core for js/wasm (no cgo).
build:
	$(GO) build ./...
	GOOS=js GOARCH=wasm $(GO) build $(WASM_PKGS)

## generate: bin/generate (see README: Usage).
generate:
	$(GO) build -o bin/generate ./cmd/generate

## convert: bin/convert (see README: Converting checkpoints).
convert:
	$(GO) build -o bin/convert ./cmd/convert

clean:
	rm -rf bin results/tmp
	rm -f coverage.out coverage.html cover.out *.coverprofile
	find . -name '*.test' -type f -not -path './.git/*' -delete
