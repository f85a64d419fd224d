package boundedfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/fig-injector/fig-injector/injector/boundedfile"
)

// TestRead: regular files within the limit are read (through a symlink
// too, as Kubernetes volumes use); /dev/zero, a FIFO with no writer (which
// would block a plain read for ever), a directory and a file over the limit
// are refused with an error naming the path, without reading them.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(small, link); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("x", 101)), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       error // nil: reads "s3cret\n"
	}{
		{"regular", small, nil},
		{"symlink", link, nil},
		{"/dev/zero", "/dev/zero", boundedfile.ErrNotRegular},
		{"fifo", fifo, boundedfile.ErrNotRegular},
		{"directory", dir, boundedfile.ErrNotRegular},
		{"too large", big, boundedfile.ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := boundedfile.Read(tc.path, 100)
			switch {
			case tc.want == nil && (err != nil || string(data) != "s3cret\n"):
				t.Fatalf("Read = %q, %v", data, err)
			case tc.want != nil && (!errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.path)):
				t.Fatalf("Read = %v, want %v naming %s", err, tc.want, tc.path)
			}
		})
	}
}
