package output

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// RemoveTemps deletes temp files that an interrupted Write left next to
// path (".<base>.tmp-*"), and returns how many it removed. A Write cut short
// by a crash or a kill between its steps (2) and (7) leaves one behind, with
// secret contents, on a volume that outlives the agent container. Call it
// once at start-up, before the first Write to path, never concurrently with
// one.
func RemoveTemps(path string) (int, error) {
	dir := filepath.Dir(path)
	prefix := strings.TrimSuffix(tempPattern(filepath.Base(path)), "*")
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, nil
		}
		return 0, fmt.Errorf("remove temp files of %s: %w", path, err)
	}
	removed := 0
	var errs []error
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("remove temp files of %s: %w", path, errors.Join(errs...))
	}
	return removed, nil
}
