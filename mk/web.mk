# The in-browser demo page (issue 10): web/ (page, Web Worker, Go-wasm entry
# web/wasm) and its browser tests (web/e2e, Debian chromium driven by
# playwright-core).

WEB_WASM     := web/static/wasm/main.wasm
WEB_WASM_JS  := web/static/wasm/wasm_exec.js
# -s -w drops the symbol table and DWARF; -trimpath the build paths.
WEB_LDFLAGS  ?= -s -w
WEB_E2E      := web/e2e

.PHONY: web test-web web-e2e-deps

## web: the Go-wasm engine and wasm_exec.js into web/static/wasm (embedded
## by package web, served by cmd/serve); prints the wasm size raw and gzipped.
web:
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='$(WEB_LDFLAGS)' -o $(WEB_WASM).tmp ./web/wasm
	mv $(WEB_WASM).tmp $(WEB_WASM)
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $(WEB_WASM_JS).tmp && mv $(WEB_WASM_JS).tmp $(WEB_WASM_JS)
	@raw=$$(wc -c < $(WEB_WASM)); gz=$$(gzip -9 -c $(WEB_WASM) | wc -c); \
	echo "web: $(WEB_WASM): $$raw bytes raw, $$gz bytes gzip -9"

## web-e2e-deps: Debian chromium and the pinned playwright-core (npm ci from
## the committed lockfile, only when node_modules is missing or stale).
web-e2e-deps: deps
	@bash .ci/need chromium chromium
	@set -e; d="$(WEB_E2E)"; \
	if [ -f "$$d/node_modules/.package-lock.json" ] && [ ! "$$d/package-lock.json" -nt "$$d/node_modules/.package-lock.json" ]; then \
		echo "web-e2e-deps: $$d/node_modules is up to date"; exit 0; \
	fi; \
	bash .ci/need npm npm; \
	cd "$$d" && npm ci --no-audit --no-fund

## test-web: web/demo (the engine side of the page) under js/wasm, then the
## page's end-to-end tests in headless chromium (CPU and SwiftShader
## WebGPU); screenshots go to web/e2e/out/.
test-web: web web-e2e-deps
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec="$(WASM_EXEC)" ./web/demo
	node $(WEB_E2E)/run.mjs

TEST_EXTRA += test-web
