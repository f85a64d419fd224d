package secret_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// revealers are the packages the package comment names as Reveal's callers.
var revealers = []string{
	"injector/agent", "injector/dev/figapi", "injector/dev/keyvault", "injector/merge", "injector/output",
	"injector/source/fig", "injector/source/keyvault",
}

// TestRevealCallers: a package that starts revealing secrets must be added
// to the package comment (and this list) on purpose, and one that stops is
// taken off it.
func TestRevealCallers(t *testing.T) {
	root := filepath.Join("..", "..")
	found := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), ".Reveal()") {
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			found[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg := range found {
		if !slices.Contains(revealers, pkg) {
			t.Errorf("%s calls Reveal; say why in the secret package's comment and add it to revealers", pkg)
		}
	}
	for _, pkg := range revealers {
		if !found[pkg] {
			t.Errorf("%s no longer calls Reveal; take it off the package comment and revealers", pkg)
		}
	}
}
