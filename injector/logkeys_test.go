package injector_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// errKey finds "err" given as a log attribute key (`"err", err`): the code
// logs errors under "error", the key most call sites used, so that one
// query finds every error in the logs.
var errKey = regexp.MustCompile(`[(,]\s*"err"\s*[,)]|slog\.\w+\(\s*"err"`)

// TestLogErrorKey: no code, examples and tests included, logs an error
// under the key "err".
func TestLogErrorKey(t *testing.T) {
	root := ".."
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if errKey.MatchString(line) {
				t.Errorf("%s:%d logs an error under \"err\"; use \"error\": %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil || files < 100 {
		t.Fatalf("walked %d Go files: %v", files, err)
	}
}
