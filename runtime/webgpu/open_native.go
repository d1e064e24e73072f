//go:build !js

package webgpu

import (
	"context"
	"fmt"

	"github.com/cogentcore/webgpu/wgpu"
)

// Open requests a WebGPU adapter and device (wgpu-native: Vulkan, Metal or
// DX12, whatever the machine has; on a machine without a GPU Mesa's lavapipe
// serves). Without an adapter it is an error saying so: callers must not
// fall back to the CPU silently.
func Open(ctx context.Context) (*Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// wgpu-native warns about windowing on headless machines; compute needs none.
	wgpu.SetLogLevel(wgpu.LogLevelError)
	inst := wgpu.CreateInstance(nil)
	if inst == nil {
		return nil, fmt.Errorf("webgpu: cannot create an instance")
	}
	ad, err := inst.RequestAdapter(&wgpu.RequestAdapterOptions{PowerPreference: wgpu.PowerPreferenceHighPerformance})
	if err != nil || ad == nil {
		inst.Release()
		return nil, fmt.Errorf("webgpu: no adapter found (install a Vulkan driver, e.g. Debian mesa-vulkan-drivers for lavapipe): %v", err)
	}
	ai := ad.GetInfo()
	// RequiredLimits is left out: with v0.23.0 it fails at random.
	dev, err := ad.RequestDevice(nil)
	if err != nil || dev == nil {
		ad.Release()
		inst.Release()
		return nil, fmt.Errorf("webgpu: adapter %q gives no device: %v", ai.Name, err)
	}
	info := fmt.Sprintf("%s (%s, %s)", ai.Name, ai.BackendType, ai.AdapterType)
	d := newDevice(dev, info, func() {
		dev.Release()
		ad.Release()
		inst.Release()
	})
	d.cpu = ai.AdapterType == wgpu.AdapterTypeCPU
	return d, nil
}
