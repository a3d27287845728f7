package redisprod_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/redisconn"
	"github.com/hokm-project/hokm/internal/testenv/procs"
)

// confArgs turns a redis.conf into command-line options ("--name", values…).
func confArgs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		args = append(args, "--"+f[0])
		args = append(args, f[1:]...)
	}
	return args
}

// TestExampleConfig: Redis accepts deploy/redis/redis.conf, and the
// settings check every role runs finds it fit for production.
func TestExampleConfig(t *testing.T) {
	args := confArgs(t, "../../deploy/redis/redis.conf")
	if len(args) < 8 {
		t.Fatalf("deploy/redis/redis.conf: only %v", args)
	}
	r := procs.StartRedis(t, procs.RedisOptions{Args: args})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w := &redisconn.Watcher{RDB: r.Client(0), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	s := w.Check(ctx)
	for _, c := range s.Checks() {
		if c.OK != 1 {
			t.Errorf("%s = %s: not fit for production", c.Setting, c.Value)
		}
	}
	if s.MaxMemory == "0" {
		t.Error("no maxmemory")
	}
}
