// Package layers checks the README's "may import" table against the code:
// every package of the module has a row, and its production code imports
// from the module only what its row allows. The table is the rule; change
// it (and say why) to change the rule.
package layers

import (
	"bufio"
	"os"
	"os/exec"
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/hokm-project/hokm"

// rule is one row of the table.
type rule struct {
	pkg     string   // "game/bot", without the trailing slash
	all     bool     // "everything"
	base    bool     // the base packages
	allowed []string // "game", "store/..." (a subtree)
}

var ticked = regexp.MustCompile("`([^`]+)`")

// readTable parses README.md: the rows of the table headed
// "| package | what it is | may import |", and checks that the line that
// starts "The **base** packages" states the rule isBase applies.
func readTable(t *testing.T) (rules []rule) {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, baseLine := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "The **base** packages"):
			baseLine = strings.Contains(line, "every package under `internal/` except `internal/app`")
		case line == "| package | what it is | may import |":
			in = true
		case in && !strings.HasPrefix(line, "|"):
			in = false
		case in && !strings.HasPrefix(line, "|---"):
			cells := strings.Split(strings.Trim(line, "|"), "|")
			if len(cells) != 3 {
				t.Fatalf("README table row with %d cells: %s", len(cells), line)
			}
			names := ticked.FindAllStringSubmatch(cells[0], -1)
			may := cells[2]
			for _, n := range names {
				if !strings.HasSuffix(n[1], "/") || strings.HasPrefix(n[1], ".") {
					continue // scripts/, .ci/ and the like are no Go packages
				}
				r := rule{pkg: strings.TrimSuffix(n[1], "/"), all: strings.Contains(may, "everything"),
					base: regexp.MustCompile(`\bbase\b`).MatchString(may)}
				for _, m := range ticked.FindAllStringSubmatch(may, -1) {
					r.allowed = append(r.allowed, m[1])
				}
				rules = append(rules, r)
			}
		}
	}
	if len(rules) == 0 || !baseLine {
		t.Fatal("README: no may-import table, or no line saying the base packages are every package under `internal/` except `internal/app`")
	}
	return rules
}

// isBase: the base packages are everything under internal/ but the
// composition root, so internal/app is the only package there that imports
// the domain.
func isBase(pkg string) bool {
	return strings.HasPrefix(pkg, "internal/") && pkg != "internal/app" && !strings.HasPrefix(pkg, "internal/app/")
}

// ruleFor is the row of pkg: its own, or that of the nearest parent.
func ruleFor(rules []rule, pkg string) (rule, bool) {
	for p := pkg; p != "." && p != "/"; p = path.Dir(p) {
		for _, r := range rules {
			if r.pkg == p {
				return r, true
			}
		}
	}
	return rule{}, false
}

func allows(r rule, imp string) bool {
	if r.all || imp == r.pkg || strings.HasPrefix(imp, r.pkg+"/") {
		return true // the row's own package and subpackages
	}
	if r.base && isBase(imp) {
		return true
	}
	for _, p := range r.allowed {
		if sub, ok := strings.CutSuffix(p, "/..."); ok {
			if imp == sub || strings.HasPrefix(imp, sub+"/") {
				return true
			}
		} else if imp == strings.TrimSuffix(p, "/") {
			return true
		}
	}
	return false
}

func TestImportsFollowTheReadme(t *testing.T) {
	rules := readTable(t)
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var bad []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module+"/")
		r, ok := ruleFor(rules, pkg)
		if !ok {
			bad = append(bad, pkg+": no row in the README's package table")
			continue
		}
		for _, imp := range fields[1:] {
			imp, own := strings.CutPrefix(imp, module+"/")
			if !own {
				continue
			}
			// A base package may import only other base packages.
			if isBase(pkg) && !isBase(imp) || !isBase(pkg) && !allows(r, imp) {
				bad = append(bad, pkg+" imports "+imp)
			}
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("%s (README.md, \"Project structure\", may import)", b)
	}
}
