package docs_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestArchitectureNamesExist keeps architecture.md accurate to the code:
// every file, package and Go name it shows in code font exists. A name is
// looked up in the agent package, or, after a package name
// (keyvault.Request.Equal), in that package; methods and fields count as
// Type.Name and as Name.
func TestArchitectureNamesExist(t *testing.T) {
	d := readDoc(t, "architecture.md")
	decls := map[string]map[string]bool{} // package name → declared names
	for _, dir := range []string{"../injector", "../internal"} {
		err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			pkg := strings.TrimSuffix(f.Name.Name, "_test") // tests are named too
			if decls[pkg] == nil {
				decls[pkg] = map[string]bool{}
			}
			declare(f, decls[pkg])
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ident := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
	for _, name := range ticks(unfenced(d.text)) {
		switch {
		case strings.HasSuffix(name, ".go"):
			if _, err := os.Stat("../injector/agent/" + name); err != nil {
				t.Errorf("architecture.md: no file injector/agent/%s", name)
			}
		case strings.HasPrefix(name, "injector/") || strings.HasPrefix(name, "internal/"):
			dir, rest, _ := strings.Cut(name, ".")
			if _, err := os.Stat("../" + dir); err != nil {
				t.Errorf("architecture.md: no package %s", dir)
			} else if rest != "" && !decls[filepath.Base(dir)][rest] {
				t.Errorf("architecture.md: %s declares no %s", dir, rest)
			}
		case ident.MatchString(name):
			pkg, rest, dotted := strings.Cut(name, ".")
			if dotted && decls[pkg] != nil && pkg != "agent" {
				if !decls[pkg][rest] {
					t.Errorf("architecture.md: package %s declares no %s", pkg, rest)
				}
			} else if !decls["agent"][name] {
				t.Errorf("architecture.md: the agent package declares no %s", name)
			}
		}
	}
}

// unfenced drops the fenced code blocks of a Markdown text.
func unfenced(text string) string {
	var out []string
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// declare adds the names f declares: functions, types, values, and
// methods and struct fields both as Type.Name and as Name.
func declare(f *ast.File, names map[string]bool) {
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			names[d.Name.Name] = true
			if d.Recv != nil && len(d.Recv.List) == 1 {
				names[receiverType(d.Recv.List[0].Type)+"."+d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					names[s.Name.Name] = true
					if st, ok := s.Type.(*ast.StructType); ok {
						for _, field := range st.Fields.List {
							for _, n := range field.Names {
								names[n.Name] = true
								names[s.Name.Name+"."+n.Name] = true
							}
						}
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						names[n.Name] = true
					}
				}
			}
		}
	}
}

func receiverType(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return receiverType(t.X)
	case *ast.IndexExpr:
		return receiverType(t.X)
	case *ast.Ident:
		return t.Name
	}
	return ""
}
