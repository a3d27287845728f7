package redisstore_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestKeysOnlyInTheKeyFile: every Redis key and channel name is built in
// keys.go. A key built elsewhere by appending to the prefix
// (`k.Prefix + ":x"`, `prefix + ":x"`) fails this test: add a method to
// Keys instead. Tests and the test harness may build their own.
func TestKeysOnlyInTheKeyFile(t *testing.T) {
	built := regexp.MustCompile(`(?:\.Prefix|\bprefix)\s*\+\s*":`)
	root := filepath.Join("..", "..")
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "node_modules" || strings.HasPrefix(name, ".") && name != ".." {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") ||
			rel == filepath.Join("store", "redisstore", "keys.go") || strings.HasPrefix(rel, filepath.Join("internal", "testenv")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if code, _, _ := strings.Cut(line, "//"); built.MatchString(code) {
				found = append(found, rel+":"+strconv.Itoa(i+1)+": "+strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("a Redis key built outside store/redisstore/keys.go: %s", f)
	}
}
