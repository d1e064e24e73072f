# WebGPU backend (runtime/webgpu, shaders/).
#
# The native tests run the shaders on Mesa's lavapipe (a Vulkan driver on
# the CPU) through wgpu-native (cgo); they fail, not skip, without an
# adapter, so webgpu-deps installs lavapipe first. runtime/webgpu's tests
# need a GPUDevice under js/wasm, which Node lacks: the package is left out
# of the Node wasm tests and only built and vetted for js/wasm here (the
# browser test runs it in Chromium).

WASM_EXCLUDE += ./runtime/webgpu
TEST_DEPS    += webgpu-deps
TEST_EXTRA   += webgpu-wasm-build

.PHONY: webgpu-deps webgpu-wasm-build bench-webgpu

## webgpu-deps: Mesa lavapipe and the Vulkan loader (Debian
## mesa-vulkan-drivers, libvulkan1) when missing.
webgpu-deps:
	@set -e; \
	if ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 && ls /usr/lib/*/libvulkan.so.1 /usr/lib/libvulkan.so.1 2>/dev/null | grep -q .; then \
		echo "webgpu-deps: lavapipe present"; exit 0; \
	fi; \
	echo "webgpu-deps: installing Debian mesa-vulkan-drivers libvulkan1 (lavapipe)"; \
	sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo -n"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mesa-vulkan-drivers libvulkan1

## webgpu-wasm-build: runtime/webgpu and shaders build and vet for js/wasm.
webgpu-wasm-build:
	GOOS=js GOARCH=wasm $(GO) vet ./runtime/webgpu ./shaders

## bench-webgpu: decode and prefill speed on the WebGPU device (lavapipe
## without a GPU).
bench-webgpu: webgpu-deps
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./runtime/webgpu
