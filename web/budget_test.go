package web

import (
	"encoding/json"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// ClientBudget is the most JavaScript and CSS the client may be made of,
// uncompressed (docs/client.md, "Weight"): a phone parses and compiles all
// of it; there is no build step to shrink it. (165 KB since the tournaments
// page: its 10 KB module loads only when opened.)
const ClientBudget = 165_000

// TestClientWeight: the client's JavaScript and CSS stay within
// ClientBudget bytes.
func TestClientWeight(t *testing.T) {
	total := 0
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (path.Ext(p) != ".js" && path.Ext(p) != ".css") {
			return err
		}
		b, err := files.ReadFile(p)
		total += len(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("JavaScript and CSS: %d bytes (budget %d)", total, ClientBudget)
	if total > ClientBudget {
		t.Errorf("the client's JavaScript and CSS are %d bytes, over the budget of %d", total, ClientBudget)
	}
}

var placeholder = regexp.MustCompile(`\{(\w+)\}`)

// TestLanguagesAgree: every language file has English's keys, none empty,
// each with the same {placeholders}.
func TestLanguagesAgree(t *testing.T) {
	load := func(name string) map[string]string {
		b, err := files.ReadFile("static/lang/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	holes := func(s string) []string {
		var out []string
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return out
	}
	en := load("en.json")
	entries, err := fs.ReadDir(files, "static/lang")
	if err != nil || len(entries) < 2 {
		t.Fatalf("languages: %v %v", entries, err)
	}
	for _, e := range entries {
		other := load(e.Name())
		for k, v := range en {
			w, ok := other[k]
			switch {
			case !ok || strings.TrimSpace(w) == "":
				t.Errorf("%s: %q is missing or empty", e.Name(), k)
			case !slices.Equal(holes(v), holes(w)):
				t.Errorf("%s: %q has placeholders %v, English %v", e.Name(), k, holes(w), holes(v))
			}
		}
		for k := range other {
			if _, ok := en[k]; !ok {
				t.Errorf("%s: %q is not in en.json", e.Name(), k)
			}
		}
	}
}

var staticImport = regexp.MustCompile(`(?m)^import [^;]*? from '\./([\w.]+\.js)'`)

// TestPreloadsMatchImports: index.html asks at once (a script or a
// modulepreload) for exactly the modules that main.js imports, directly or
// through others (not those import()ed when a page opens).
func TestPreloadsMatchImports(t *testing.T) {
	want := map[string]bool{}
	var walk func(string)
	walk = func(mod string) {
		b, err := files.ReadFile("static/js/" + mod)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range staticImport.FindAllStringSubmatch(string(b), -1) {
			if !want[m[1]] {
				want[m[1]] = true
				walk(m[1])
			}
		}
	}
	walk("main.js")
	index, err := files.ReadFile("static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, m := range regexp.MustCompile(`<(?:link rel="modulepreload" href|script type="module" src)="/js/([\w.]+\.js)">`).FindAllStringSubmatch(string(index), -1) {
		if m[1] != "main.js" {
			got[m[1]] = true
		}
	}
	g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))
	if len(w) < 5 || !slices.Equal(g, w) {
		t.Errorf("index.html preloads %v; main.js imports %v", g, w)
	}
}
