//go:build !(unix && !js && !wasip1)

package safetensors

import "os"

// Open reads the file at path into memory and parses it. (On this platform
// the package does not memory-map: syscall.Mmap is unavailable or differs.)
func Open(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, prefixErr("", err) // err already names path
	}
	return parse(data, path)
}
