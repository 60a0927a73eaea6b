package bgp

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoGoBGPInAPI keeps GoBGP behind this package: no exported declaration
// may mention a GoBGP type, so callers never import GoBGP.
func TestNoGoBGPInAPI(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		gobgp := map[string]bool{}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(path, "github.com/osrg/gobgp/") {
				continue
			}
			local := filepath.Base(path)
			if imp.Name != nil {
				local = imp.Name.Name
			}
			gobgp[local] = true
		}
		check := func(what string, n ast.Node) {
			ast.Inspect(n, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && gobgp[id.Name] {
						t.Errorf("%s: exported %s mentions GoBGP's %s.%s", fset.Position(sel.Pos()), what, id.Name, sel.Sel.Name)
					}
				}
				return true
			})
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Name.IsExported() && (d.Recv == nil || exportedReceiver(d.Recv)) {
					check("func "+d.Name.Name, d.Type)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							checkExportedFields(s, check)
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() && s.Type != nil {
								check(n.Name, s.Type)
							}
						}
					}
				}
			}
		}
	}
}

func exportedReceiver(recv *ast.FieldList) bool {
	typ := recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}

// checkExportedFields checks a type, or only the exported fields of a
// struct: unexported ones are the package's business.
func checkExportedFields(s *ast.TypeSpec, check func(string, ast.Node)) {
	st, ok := s.Type.(*ast.StructType)
	if !ok {
		check("type "+s.Name.Name, s.Type)
		return
	}
	for _, field := range st.Fields.List {
		for _, n := range field.Names {
			if n.IsExported() {
				check(s.Name.Name+"."+n.Name, field.Type)
			}
		}
		if len(field.Names) == 0 { // embedded: its fields are promoted
			check(s.Name.Name+" embedded field", field.Type)
		}
	}
}
