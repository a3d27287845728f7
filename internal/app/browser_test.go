package app_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/config"
)

// browserTools finds node, Debian's chromium-headless-shell and the
// installed playwright-core (scripts/test installs them). The headless
// shell is Chromium without the browser's own UI: the same engine at about
// a third less CPU per script than the full chromium in headless mode
// (which starts WebUI renderers of its own); HOKM_CHROMIUM names another.
// Missing tools fail the test when HOKM_TEST_REQUIRE_SERVICES=1, else skip
// it, as for services.
func browserTools(t *testing.T) (node, chromium, dir string) {
	t.Helper()
	missing := func(what string, err error) {
		t.Helper()
		if os.Getenv("HOKM_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("%s is required (HOKM_TEST_REQUIRE_SERVICES=1): %v", what, err)
		}
		t.Skipf("%s missing (scripts/test installs it): %v", what, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node", err)
	}
	chromium = os.Getenv("HOKM_CHROMIUM")
	if chromium == "" {
		if chromium, err = exec.LookPath("chromium-headless-shell"); err != nil {
			missing("chromium-headless-shell", err)
		}
	}
	dir, err = filepath.Abs("../../tests/browser")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core", "package.json")); err != nil {
		missing("playwright-core (npm ci --prefix tests/browser)", err)
	}
	return node, chromium, dir
}

// screenshotDir is HOKM_SCREENSHOT_DIR, or a new hokm-screenshots-<time>
// folder in the temporary directory; it is kept after the test.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HOKM_SCREENSHOT_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "hokm-screenshots-"+time.Now().UTC().Format("20060102-150405"))
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserJobs are TestBrowser's scripts, longest first; a job of several
// scripts runs them one after another because they share server-wide
// state (quick and lobbylist both queue for the quick match).
// browserWorkers goroutines take the next job as they finish one, so a
// slow script delays no fixed set of others. The order follows the
// scripts' times (go test -v prints each): a new script goes where its
// time puts it, as the longest last would finish alone.
var browserJobs = [][]string{
	{"play.mjs"}, {"tournament.mjs"}, {"motion.mjs"}, {"account.mjs"}, {"replay.mjs"}, {"summary.mjs"}, {"leaders.mjs"},
	{"review.mjs"}, {"keyboard.mjs"}, {"quick.mjs", "lobbylist.mjs"}, {"contrast.mjs"}, {"features.mjs"},
	{"rematch.mjs"}, {"presses.mjs"}, {"chat.mjs"}, {"reload.mjs"}, {"rules.mjs"}, {"status.mjs"},
	{"host.mjs"}, {"lobbyform.mjs"}, {"signup.mjs"}, {"untimed.mjs"}, {"layout.mjs"}, {"address.mjs"},
	{"join.mjs"}, {"leave.mjs"}, {"invite.mjs"},
}

// browserWorkers is how many scripts run at once: the scripts are
// CPU-bound (Chromium's renderer draws every frame in software), and on
// two cores a third worker fills the waits of the other two.
const browserWorkers = 3

// TestBrowser drives the web client in headless Chromium against the
// all-in-one server: a whole match played through the page, a reload and a
// dropped connection mid-match, a phone-sized screen in English and
// Persian, accounts, lobby, spectating, chat, history, replay, quick match,
// joining a private table by its code, the server's status notices and
// unavailable answers retried; that redraws keep what the player is doing
// (chat typed during a match, the lobby's forms while tables come and go,
// presses on cards), a signed-up guest shown as the account, and a whole
// tournament through its page (tests/browser/*.mjs; each prints what it checked). The scripts run as
// browserJobs; one runs alone with -run 'TestBrowser$/presses$'.
// TestBrowserRestore has its own server.
func TestBrowser(t *testing.T) {
	// parallel, as the package's other server tests (main_test.go): their
	// waits fill the gaps between the scripts' busy stretches.
	t.Parallel()
	node, chromium, dir := browserTools(t)
	shots := screenshotDir(t)
	started := time.Now()
	// no limit on tables created per minute: keyboard.mjs starts tables
	// until it is their first Hakem (one in four)
	s := startServeWith(t, func(c *config.Config) { c.TableCreateLimit = 0 })
	base := "http://" + s.cfg.HTTPAddr
	t.Logf("server up at %s in %v; screenshots in %s", base, time.Since(started).Round(time.Millisecond), shots)
	shared := startBrowserd(t, node, chromium, dir, base, shots)
	more := map[string][]string{"tournament.mjs": tournamentControl(t, s)}
	jobs := make(chan []string, len(browserJobs))
	for _, job := range browserJobs {
		jobs <- job
	}
	close(jobs)
	// goroutines calling t.Run, not t.Parallel: go test runs only
	// -parallel (GOMAXPROCS, 2 here) parallel tests at once.
	var wg sync.WaitGroup
	for range browserWorkers {
		wg.Go(func() {
			for job := range jobs {
				for _, script := range job {
					t.Run(strings.TrimSuffix(script, ".mjs"), func(t *testing.T) {
						runBrowserScript(t, node, shared, dir, script, base, shots, more[script]...)
					})
				}
			}
		})
	}
	wg.Wait()
}

// startBrowserd starts the one Chromium TestBrowser's scripts share
// (tests/browser/browserd.mjs) and returns the environment that points a
// script at it; the browser closes when the test ends.
func startBrowserd(t *testing.T, node, chromium, dir, base, shots string) []string {
	t.Helper()
	cmd := exec.Command(node, "browserd.mjs", base, shots)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOKM_CHROMIUM="+chromium)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("browserd.mjs: %v", err)
	}
	t.Cleanup(func() {
		stdin.Close() // browserd closes the browser and exits
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case ws, ok := <-line:
		if !ok || !strings.HasPrefix(ws, "ws://") {
			t.Fatalf("browserd.mjs printed no endpoint (%q)", ws)
		}
		return []string{"HOKM_CHROMIUM=" + chromium, "HOKM_BROWSER_WS=" + ws}
	case <-time.After(30 * time.Second):
		t.Fatal("browserd.mjs: no endpoint in 30 s")
		return nil
	}
}

// runBrowserScript runs one test script (with more arguments after the
// base URL and the screenshot folder, if given) and fails with its output.
// env is the script's browser: HOKM_CHROMIUM=<path> for one of its own,
// or what startBrowserd returned.
func runBrowserScript(t *testing.T, node string, env []string, dir, script, base, shots string, more ...string) {
	t.Helper()
	// the scripts time themselves out (lib.mjs run: 150 s, or a script's own limit); this is the backstop
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script, base, shots}, more...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("%s timed out:\n%s", script, out)
		}
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	t.Logf("%s:\n%s", script, strings.TrimSpace(string(out)))
}

// Every script is in exactly one job, so none is left out of the suite.
func TestBrowserJobsHoldEveryScript(t *testing.T) {
	t.Parallel()
	own := map[string]bool{"lib.mjs": true, "pageslib.mjs": true, "webperf.mjs": true, "restore.mjs": true, "browserd.mjs": true}
	files, err := filepath.Glob("../../tests/browser/*.mjs")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	seen := map[string]int{}
	for _, job := range browserJobs {
		for _, s := range job {
			seen[s]++
		}
	}
	for _, f := range files {
		name := filepath.Base(f)
		if !own[name] && seen[name] != 1 {
			t.Errorf("%s is in %d jobs, want 1", name, seen[name])
		}
		delete(seen, name)
	}
	for s := range seen {
		t.Errorf("job script %s does not exist", s)
	}
}
