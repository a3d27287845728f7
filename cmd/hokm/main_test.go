package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenDir holds the golden records of the game package.
var goldenDir = filepath.Join("..", "..", "game", "testdata", "replay")

// recordOf writes the record of a golden file to a temporary file and
// returns its path, its raw JSON and the expected exit status.
func recordOf(t *testing.T, name string) (string, []byte, int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Record     json.RawMessage `json:"record"`
		ExitStatus int             `json:"exit_status"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return writeTemp(t, g.Record), g.Record, g.ExitStatus
}

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "record.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runHokm runs the command and returns its exit status, stdout and stderr.
func runHokm(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// oneJSONLine requires exactly one line holding one JSON object and returns it.
func oneJSONLine(t *testing.T, out string) map[string]any {
	t.Helper()
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "{") {
		t.Fatalf("output is not one line: %q", out)
	}
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&m); err != nil || dec.More() {
		t.Fatalf("output is not one JSON object: %q (%v)", out, err)
	}
	return m
}

// invalidRecord requires exactly {"ok":false,"error":{"code":"invalid_record","message":...}}.
func invalidRecord(t *testing.T, out string) {
	t.Helper()
	m := oneJSONLine(t, out)
	e, _ := m["error"].(map[string]any)
	msg, _ := e["message"].(string)
	if len(m) != 2 || m["ok"] != false || len(e) != 2 || e["code"] != "invalid_record" || msg == "" ||
		!strings.HasPrefix(out, `{"ok":false,"error":{"code":"invalid_record","message":"`) {
		t.Fatalf("exit-2 output %q", out)
	}
}

func TestReplayExitCodes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file   string
		status int
	}{
		{"own-kot-by-partner.json", 0},
		{"own-overshoot.json", 0},
		{"case-0-ok.json", 0},
		{"own-game-over.json", 1},
		{"own-illegal-card-10H.json", 1},
		{"case-19-not_your_turn.json", 1},
		{"own-invalid-missing-deals.json", 2},
		{"own-invalid-action-after-last-deal.json", 2},
	} {
		path, _, want := recordOf(t, tc.file)
		if want != tc.status {
			t.Fatalf("%s: golden exit %d, table says %d", tc.file, want, tc.status)
		}
		code, out, errOut := runHokm(t, "", "replay", path)
		if code != tc.status || errOut != "" {
			t.Errorf("%s: exit %d stderr %q, want %d", tc.file, code, errOut, tc.status)
		}
		m := oneJSONLine(t, out)
		switch tc.status {
		case 0:
			if m["ok"] != true || m["error"] != nil {
				t.Errorf("%s: %s", tc.file, out)
			}
		case 1:
			e, _ := m["error"].(map[string]any)
			if m["ok"] != false || e["index"] == nil || e["code"] == nil {
				t.Errorf("%s: %s", tc.file, out)
			}
		case 2:
			invalidRecord(t, out)
		}
	}
}

// TestReplayGoldenFiles runs every golden record through the command.
func TestReplayGoldenFiles(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil || len(files) < 33 {
		t.Fatalf("golden records: %d (%v)", len(files), err)
	}
	for _, f := range files {
		path, _, want := recordOf(t, filepath.Base(f))
		code, out, _ := runHokm(t, "", "replay", path)
		if code != want {
			t.Errorf("%s: exit %d, want %d", filepath.Base(f), code, want)
		}
		if oneJSONLine(t, out); code == 2 {
			invalidRecord(t, out)
		}
	}
}

func TestReplayStdin(t *testing.T) {
	t.Parallel()
	path, raw, _ := recordOf(t, "own-rotation-3-to-0.json")
	code, out, _ := runHokm(t, string(raw), "replay", "-")
	fileCode, fileOut, _ := runHokm(t, "", "replay", path)
	if code != 0 || out != fileOut || fileCode != 0 {
		t.Errorf("stdin: exit %d %q; file: exit %d %q", code, out, fileCode, fileOut)
	}
	m := oneJSONLine(t, out)
	if m["score"].([]any)[0] != 3.0 {
		t.Errorf("stdin replay: %s", out)
	}
	for _, in := range []string{"", "not json", `{"deals":[]`, `{"draw":["AS"],"deals":[],"actions":[]} {}`} {
		code, out, _ := runHokm(t, in, "replay", "-")
		if code != 2 {
			t.Errorf("stdin %q: exit %d", in, code)
		}
		invalidRecord(t, out)
	}
	_, raw, _ = recordOf(t, "own-illegal-must-follow.json")
	code, out, _ = runHokm(t, string(raw), "replay", "-")
	if m := oneJSONLine(t, out); code != 1 || m["error"].(map[string]any)["code"] != "must_follow_suit" {
		t.Errorf("stdin illegal: exit %d %s", code, out)
	}
}

func TestReplayMissingFile(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "no-such-record.json")
	code, out, _ := runHokm(t, "", "replay", missing)
	if code != 2 {
		t.Errorf("missing file: exit %d", code)
	}
	invalidRecord(t, out)
	code, out, _ = runHokm(t, "", "replay", t.TempDir()) // a directory
	if code != 2 {
		t.Errorf("directory: exit %d", code)
	}
	invalidRecord(t, out)
	code, out, _ = runHokm(t, "", "replay", writeTemp(t, []byte("\x00\x01garbage")))
	if code != 2 {
		t.Errorf("binary file: exit %d", code)
	}
	invalidRecord(t, out)
}

func TestUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"replya"}, {"serve-everything"}, {""}, {"replay"}, {"replay", "a", "b"}} {
		code, out, errOut := runHokm(t, "", args...)
		if code != 2 || errOut == "" || out != "" {
			t.Errorf("%q: exit %d stdout %q stderr %q, want 2 with usage on stderr", args, code, out, errOut)
		}
	}
	code, out, _ := runHokm(t, "", "help")
	if code != 0 || !strings.Contains(out, "replay") {
		t.Errorf("help: exit %d %q", code, out)
	}
	// Every ops tool is in the usage text.
	for _, tool := range []string{"ops dlq", "ops actions dlq", "ops reconcile", "ops config", "ops maintenance"} {
		if !strings.Contains(out, "  "+tool+" ") {
			t.Errorf("help does not list %q", tool)
		}
	}
	code, _, errOut := runHokm(t, "", "bogus")
	if code != 2 || !strings.Contains(errOut, `unknown command "bogus"`) {
		t.Errorf("unknown command: exit %d %q", code, errOut)
	}
}
