// Package boundedfile reads the small files a configuration names (a client
// secret, a template, a CA bundle, a declaration, the configuration itself)
// without trusting what the path points at: only a regular file is read, and
// at most a given size. A path that names /dev/zero, a FIFO or a huge file
// is an error naming the path, not memory exhaustion or a hang.
package boundedfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// Size limits of the files the product reads; each is far above what the
// file holds in practice, and well inside the agent's memory limit.
const (
	// SecretLimit bounds a client secret file.
	SecretLimit = 64 << 10
	// ConfigLimit bounds a configuration, template, CA bundle or settings
	// declaration: a ConfigMap holds at most 1 MiB.
	ConfigLimit = 1 << 20
)

// ErrTooLarge and ErrNotRegular are the two refusals of Read.
var (
	ErrTooLarge   = errors.New("is larger than the limit")
	ErrNotRegular = errors.New("is not a regular file")
)

// Read returns the content of the regular file at path (symbolic links
// followed), or an error when it is something else or holds more than limit
// bytes. The file is opened non-blocking, so a FIFO cannot hang the caller,
// and checked on the open descriptor, so it cannot be swapped in between.
func Read(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %w (it is a %s)", path, ErrNotRegular, kind(st.Mode()))
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s %w of %d bytes (%d bytes)", path, ErrTooLarge, limit, st.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit { // it grew after the stat
		return nil, fmt.Errorf("%s %w of %d bytes", path, ErrTooLarge, limit)
	}
	return data, nil
}

func kind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&os.ModeCharDevice != 0:
		return "character device"
	case m&os.ModeDevice != 0:
		return "device"
	case m&os.ModeNamedPipe != 0:
		return "named pipe"
	case m&os.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}
