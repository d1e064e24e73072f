//go:build unix && !js && !wasip1

package safetensors

import (
	"fmt"
	"math"
	"os"
	"syscall"
)

// Open memory-maps the file at path read-only and parses it. The mapping
// lives until Close; tensor bytes are paged in lazily by the OS, so opening a
// multi-gigabyte checkpoint costs little until its tensors are read. (On
// platforms without syscall.Mmap, such as Windows, js and wasip1, Open reads
// the whole file into memory instead.)
func Open(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, prefixErr("", err) // err already names path
	}
	// The mapping stays valid after the descriptor is closed.
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, prefixErr(path, err)
	}
	size := st.Size()
	if size < 8 {
		// Also avoids mmap of length 0, which fails with EINVAL.
		return nil, prefixErr(path, fmt.Errorf("file is %d bytes, shorter than the 8-byte header length", size))
	}
	if size > math.MaxInt {
		return nil, prefixErr(path, fmt.Errorf("file is %d bytes, too large to map", size))
	}
	data, err := syscall.Mmap(int(fd.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, prefixErr(path, fmt.Errorf("mmap: %w", err))
	}
	f, err := parse(data, path)
	if err != nil {
		_ = syscall.Munmap(data)
		return nil, err
	}
	f.unmap = func() error { return syscall.Munmap(data) }
	return f, nil
}
