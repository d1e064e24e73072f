# Serving (issue 11): cmd/serve natively and as a Cloudflare Worker, and its
# load test. Targets: serve, serve-build, worker, worker-test, loadtest.

SERVE_ADDR  ?= 127.0.0.1:8080
SERVE_FLAGS ?=
WORKER_DIR  := worker
# syumai/workers' runtime files (we use its wasm_exec.js), from the pinned module.
WORKER_GEN  := github.com/syumai/workers/cmd/workers-assets-gen
LOADTEST_FLAGS ?= -clients 32 -duration 60s -max-tokens 128 -out results/loadtest

.PHONY: serve serve-build worker worker-deps worker-test worker-size loadtest

## serve-build: the page (make web, embedded) and bin/serve.
serve-build: web
	$(GO) build -o bin/serve ./cmd/serve

## serve: serve the demo page and the API on the embedded default model at
## http://$(SERVE_ADDR)/ (SERVE_FLAGS for more, e.g. -model DIR).
serve: serve-build
	bin/serve -addr $(SERVE_ADDR) $(SERVE_FLAGS)

## worker: the Worker's wasm (cmd/serve for js/wasm) and syumai/workers'
## wasm_exec.js into worker/build, and its static assets into
## worker/build/assets: the page (web/static) and the default model bundle
## (models/default/: manifest.json and the files it names); prints the sizes.
worker: deps web
	@mkdir -p $(WORKER_DIR)/build
	rm -rf $(WORKER_DIR)/build/assets && mkdir -p $(WORKER_DIR)/build/assets/models/default
	cp -R web/static/. $(WORKER_DIR)/build/assets/
	cp weights/default/manifest.json $(WORKER_DIR)/build/assets/models/default/
	node -e 'const m=JSON.parse(require("fs").readFileSync("weights/default/manifest.json"));const f=m.shards.map(s=>s.file);if(m.tokenizer&&m.tokenizer.file)f.push(m.tokenizer.file);console.log(f.join("\n"))' \
		| while read -r f; do cp "weights/default/$$f" $(WORKER_DIR)/build/assets/models/default/; done
	$(GO) run $(WORKER_GEN) -mode=go -o $(WORKER_DIR)/build/gen
	mv $(WORKER_DIR)/build/gen/wasm_exec.js $(WORKER_DIR)/build/wasm_exec.js && rm -rf $(WORKER_DIR)/build/gen
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $(WORKER_DIR)/build/app.wasm.tmp ./cmd/serve
	mv $(WORKER_DIR)/build/app.wasm.tmp $(WORKER_DIR)/build/app.wasm
	@raw=$$(wc -c < $(WORKER_DIR)/build/app.wasm); gz=$$(gzip -9 -c $(WORKER_DIR)/build/app.wasm | wc -c); \
	echo "worker: $(WORKER_DIR)/build/app.wasm: $$raw bytes raw, $$gz bytes gzip -9"

## worker-deps: wrangler (npm ci from the committed lockfile) when missing or stale.
worker-deps: deps
	@set -e; d="$(WORKER_DIR)"; \
	if [ -f "$$d/node_modules/.package-lock.json" ] && [ ! "$$d/package-lock.json" -nt "$$d/node_modules/.package-lock.json" ]; then \
		echo "worker-deps: $$d/node_modules is up to date"; exit 0; \
	fi; \
	bash .ci/need npm npm; \
	cd "$$d" && npm ci --no-audit --no-fund

## worker-test: the Worker under `wrangler dev` (local only): a streamed
## completion and the other routes, one Go instance for all requests.
worker-test: worker worker-deps
	WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false node $(WORKER_DIR)/test.mjs

## worker-size: `wrangler deploy --dry-run` (nothing is uploaded): the upload
## size to hold against the Worker size limits.
worker-size: worker worker-deps
	cd $(WORKER_DIR) && WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false \
		node_modules/.bin/wrangler deploy --dry-run --outdir dist

## loadtest: bin/serve under 32 streaming clients for 60 s; writes
## results/loadtest.{md,json} (time to first token, tok/s, 429s, RSS).
loadtest: serve-build
	$(GO) run ./cmd/serve/loadtest -server bin/serve $(LOADTEST_FLAGS)
