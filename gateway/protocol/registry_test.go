package protocol

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
)

// consts returns the string constants of type typ (as written in the
// declaration, e.g. "game.Code", "Code" or "Op") declared in the non-test
// files of dir: name -> value.
func consts(t *testing.T, dir string, types ...string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, ty := range types {
		want[ty] = true
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				if vs.Type == nil || !want[typeName(vs.Type)] {
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue // an alias of another constant: not a declaration of its own
					}
					v, _ := strconv.Unquote(lit.Value)
					out[dir+"."+n.Name] = v
				}
			}
		}
	}
	return out
}

func typeName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return x.X.(*ast.Ident).Name + "." + x.Sel.Name
	}
	return ""
}

// TestEveryCodeIsRegistered: the error codes are one vocabulary. Each is
// declared once (in the engine, the table or here), has a message in
// messages, and a row in docs/protocol.md's error table; the table names
// no code that does not exist.
func TestEveryCodeIsRegistered(t *testing.T) {
	declared := map[string]string{} // value -> where
	for _, dir := range []string{"../../game", "../../game/table", "."} {
		for where, code := range consts(t, dir, "Code", "game.Code") {
			if prev, dup := declared[code]; dup {
				t.Errorf("code %q declared twice: %s and %s", code, prev, where)
			}
			declared[code] = where
		}
	}
	if len(declared) < 30 {
		t.Fatalf("found only %d codes: is the parsing broken?", len(declared))
	}
	doc, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(doc)
	if i := strings.Index(section, "## Error codes"); i >= 0 {
		section = section[i:]
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(section, -1) {
		documented[m[1]] = true
	}
	for code, where := range declared {
		if _, ok := messages[game.Code(code)]; !ok {
			t.Errorf("%s (%q) has no message in protocol.messages", where, code)
		}
		if !documented[code] {
			t.Errorf("%s (%q) has no row in docs/protocol.md, \"Error codes\"", where, code)
		}
	}
	for code := range documented {
		if _, ok := declared[code]; !ok {
			t.Errorf("docs/protocol.md documents %q, which no package declares", code)
		}
	}
	for code := range messages {
		if _, ok := declared[string(code)]; !ok {
			t.Errorf("messages has %q, which no package declares", code)
		}
	}
}

// TestEveryCommandHasAFrame: each table command a client may send has a
// frame type of the same name with a shape in the decoder (and a row in
// docs/protocol.md), and every frame type the gateway does not answer
// itself is a table command.
func TestEveryCommandHasAFrame(t *testing.T) {
	ops := consts(t, "../../game/table", "Op")
	if len(ops) < 8 {
		t.Fatalf("found only %d ops", len(ops))
	}
	doc, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range ops {
		op := table.Op(v)
		if _, ok := table.ParseCommand(op, 0, "", ""); !ok {
			t.Errorf("%s (%q): ParseCommand does not know it", name, v)
		}
		_, hasSpec := specs[Type(v)]
		got, isCommand := Type(v).Command()
		switch {
		case op.ServerOnly() && (hasSpec || isCommand):
			t.Errorf("%s (%q) is server-only but clients may send it", name, v)
		case !op.ServerOnly() && (!hasSpec || !isCommand || got != op):
			t.Errorf("%s (%q): no client frame of that type (spec %v, Command %q %v)", name, v, hasSpec, got, isCommand)
		case !op.ServerOnly() && !strings.Contains(string(doc), "| `"+v+"` |"):
			t.Errorf("%s (%q): no row in docs/protocol.md, \"Client frames\"", name, v)
		}
	}
	gatewayOwn := map[Type]bool{TypeHello: true, TypeCreateTable: true, TypeSync: true, TypePing: true,
		TypeJoinCode: true, TypeLobby: true, TypeLobbyLeave: true, TypeQuickMatch: true,
		TypeQuickMatchCancel: true, TypeWatch: true, TypeUnwatch: true, TypeChat: true}
	for typ := range specs {
		if _, isCommand := typ.Command(); isCommand == gatewayOwn[typ] {
			t.Errorf("frame type %q: table command %v, answered by the gateway %v", typ, isCommand, gatewayOwn[typ])
		}
	}
}
