package watch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolve(t *testing.T) {
	// Each case builds a tree under root and resolves root/<path>. In the
	// wants, "@" stands for root.
	tests := []struct {
		name       string
		build      func(t *testing.T, root string)
		path       string
		wantTarget string
		wantDirs   []string
	}{
		{
			name:       "plain file",
			build:      func(t *testing.T, root string) { write(t, filepath.Join(root, "cfg", "a.yaml"), "x") },
			path:       "cfg/a.yaml",
			wantTarget: "@/cfg/a.yaml",
			wantDirs:   []string{"@/cfg"},
		},
		{
			name:       "missing file: its directory",
			build:      func(t *testing.T, root string) { mkdir(t, filepath.Join(root, "cfg")) },
			path:       "cfg/a.yaml",
			wantTarget: "",
			wantDirs:   []string{"@/cfg"},
		},
		{
			name:       "missing directory: the deepest that exists",
			build:      func(t *testing.T, root string) {},
			path:       "cfg/sub/a.yaml",
			wantTarget: "",
			wantDirs:   []string{"@"},
		},
		{
			name: "kubernetes atomic writer layout",
			build: func(t *testing.T, root string) {
				dir := filepath.Join(root, "cfg")
				write(t, filepath.Join(dir, "..2026_01_01_00_00_00.1", "config.yaml"), "x")
				symlink(t, "..2026_01_01_00_00_00.1", filepath.Join(dir, "..data"))
				symlink(t, "..data/config.yaml", filepath.Join(dir, "config.yaml"))
			},
			path:       "cfg/config.yaml",
			wantTarget: "@/cfg/..2026_01_01_00_00_00.1/config.yaml",
			wantDirs:   []string{"@/cfg", "@/cfg/..2026_01_01_00_00_00.1"},
		},
		{
			name: "relative link into another directory",
			build: func(t *testing.T, root string) {
				write(t, filepath.Join(root, "real", "a.yaml"), "x")
				symlink(t, "../real/a.yaml", filepath.Join(root, "cfg", "a.yaml"))
			},
			path:       "cfg/a.yaml",
			wantTarget: "@/real/a.yaml",
			wantDirs:   []string{"@/cfg", "@/real"},
		},
		{
			name: "symlinked directory on the way",
			build: func(t *testing.T, root string) {
				write(t, filepath.Join(root, "real", "a.yaml"), "x")
				symlink(t, filepath.Join(root, "real"), filepath.Join(root, "cfg"))
			},
			path:       "cfg/a.yaml",
			wantTarget: "@/real/a.yaml",
			wantDirs:   []string{"@", "@/real"},
		},
		{
			name: "dangling link: where the target would be",
			build: func(t *testing.T, root string) {
				mkdir(t, filepath.Join(root, "real"))
				symlink(t, "../real/a.yaml", filepath.Join(root, "cfg", "a.yaml"))
			},
			path:       "cfg/a.yaml",
			wantTarget: "",
			wantDirs:   []string{"@/cfg", "@/real"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := realTempDir(t)
			tt.build(t, root)
			got, err := resolve(filepath.Join(root, tt.path))
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			want := resolution{target: strings.ReplaceAll(tt.wantTarget, "@", root)}
			for _, d := range tt.wantDirs {
				want.dirs = append(want.dirs, strings.ReplaceAll(d, "@", root))
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(resolution{})); diff != "" {
				t.Errorf("resolve (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolveLoop(t *testing.T) {
	root := realTempDir(t)
	symlink(t, "b", filepath.Join(root, "a"))
	symlink(t, "a", filepath.Join(root, "b"))
	if _, err := resolve(filepath.Join(root, "a")); err == nil || !strings.Contains(err.Error(), "too many levels") {
		t.Fatalf("resolve of a link loop: err = %v, want too many levels of symbolic links", err)
	}
}

// realTempDir is t.TempDir with its own symlinks resolved, so that expected
// paths compare equal to resolved ones (TMPDIR may itself be a link).
func realTempDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	mkdir(t, filepath.Dir(path))
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, dest, link string) {
	t.Helper()
	mkdir(t, filepath.Dir(link))
	if err := os.Symlink(dest, link); err != nil {
		t.Fatal(err)
	}
}
