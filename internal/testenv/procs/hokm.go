package procs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// hokmPackage is what BuildHokm builds.
const hokmPackage = "github.com/hokm-project/hokm/cmd/hokm"

var hokmBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// BuildHokm builds the hokm binary once per test process and returns its
// path. It lives in a temporary directory named after the test process:
// Main removes it at the end, and a later build removes those of test
// processes that are gone.
func BuildHokm(t testing.TB) string {
	t.Helper()
	hokmBin.once.Do(func() {
		removeStaleBuilds()
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		hokmBin.dir = filepath.Join(os.TempDir(), fmt.Sprintf("hokm-procs-bin-%d", os.Getpid()))
		if hokmBin.err = os.MkdirAll(hokmBin.dir, 0o755); hokmBin.err != nil {
			return
		}
		hokmBin.path = filepath.Join(hokmBin.dir, "hokm")
		out, err := exec.Command(goTool, "build", "-o", hokmBin.path, hokmPackage).CombinedOutput()
		if err != nil {
			hokmBin.err = fmt.Errorf("go build %s: %v\n%s", hokmPackage, err, out)
		}
	})
	if hokmBin.err != nil {
		t.Fatal(hokmBin.err)
	}
	return hokmBin.path
}

// removeStaleBuilds removes the build directories of test processes that
// no longer run.
func removeStaleBuilds() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "hokm-procs-bin-*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "hokm-procs-bin-"))
		if err == nil && pid != os.Getpid() && !alive(pid) {
			os.RemoveAll(d)
		}
	}
}

// Main runs the tests and removes what this package built for them; use
// it as the package's TestMain:
//
//	func TestMain(m *testing.M) { procs.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if hokmBin.dir != "" {
		os.RemoveAll(hokmBin.dir)
	}
	os.Exit(code)
}

// Hokm starts hokm processes (roles and tools) with a common environment
// and stops every one still running when the test ends, logging all their
// output if the test failed.
type Hokm struct {
	t     testing.TB
	bin   string
	env   []string
	procs []*Proc
}

// NewHokm builds the binary (once per test process) and returns a
// starter whose processes get the caller's environment without its HOKM_*
// variables (HOKM_TEST_* stay), plus env ("NAME=value").
func NewHokm(t testing.TB, env ...string) *Hokm {
	t.Helper()
	h := &Hokm{t: t, bin: BuildHokm(t)}
	for _, kv := range os.Environ() { // no HOKM_* setting of the caller's shell leaks in
		if !strings.HasPrefix(kv, "HOKM_") || strings.HasPrefix(kv, "HOKM_TEST_") {
			h.env = append(h.env, kv)
		}
	}
	h.env = append(h.env, env...)
	t.Cleanup(func() {
		for _, p := range h.procs {
			p.stop()
		}
		if t.Failed() {
			for _, p := range h.procs {
				t.Logf("----- %s (%v):\n%s", p.name, p.err, p.Output())
			}
		}
	})
	return h
}

// Bin is the path of the hokm binary.
func (h *Hokm) Bin() string { return h.bin }

// Env is the environment every process gets (before Start's own).
func (h *Hokm) Env() []string { return append([]string{}, h.env...) }

// Start runs `hokm args...` (a role such as "worker", or a tool) under
// name, with env ("NAME=value") added to the common environment.
func (h *Hokm) Start(name string, env []string, args ...string) *Proc {
	h.t.Helper()
	cmd := exec.Command(h.bin, args...)
	cmd.Env = append(append([]string{}, h.env...), env...)
	p, err := startProc(h.t, name, cmd)
	if err != nil {
		h.t.Fatal(err)
	}
	h.procs = append(h.procs, p)
	return p
}

// Procs are every process started so far.
func (h *Hokm) Procs() []*Proc { return append([]*Proc{}, h.procs...) }
