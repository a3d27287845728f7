package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/internal/testenv/procs"
)

// TestStartupErrorsHideSecrets (finding 11): whatever stops the binary at
// start — a bad URL, an unreachable PostgreSQL or Redis, an fx start-up
// error — what it prints (stderr and the log) names the problem but never
// shows a secret: the ops token, the state keys, a URL's password.
func TestStartupErrorsHideSecrets(t *testing.T) {
	bin := procs.BuildHokm(t)
	closed := testenv.ClosedPort(t)
	secrets := map[string]string{
		"HOKM_OPS_TOKEN":  "S3cret-ops-token-0123456789",
		"HOKM_STATE_KEYS": "k1:S3cretS3cretS3cretS3cretS3cretS3cretS3cretA=",
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string // in the output: the problem is still named
	}{
		{"bad database URL", []string{"migrate"},
			map[string]string{"HOKM_DATABASE_URL": "mysql://hokm:S3cret-db-pw@db.example/hokm"}, "HOKM_DATABASE_URL"},
		{"unparsable database URL", []string{"gateway"},
			map[string]string{"HOKM_DATABASE_URL": "postgres://hokm:S3cret db pw@db.example:x/hokm"}, "HOKM_DATABASE_URL"},
		{"bad redis URL", []string{"gateway"},
			map[string]string{"HOKM_REDIS_URL": "redis://:S3cret-redis-pw@127.0.0.1:6379/abc"}, "HOKM_REDIS_URL"},
		{"unreachable database", []string{"migrate"},
			map[string]string{"HOKM_DATABASE_URL": "postgres://hokm:S3cret-db-pw@" + closed + "/hokm?sslmode=disable"}, "refused"},
		{"unreachable database at start", []string{"gateway"},
			map[string]string{"HOKM_DATABASE_URL": "postgres://hokm:S3cret-db-pw@" + closed + "/hokm?sslmode=disable",
				"HOKM_STATE_KEYS": "", "HOKM_REDIS_URL": "redis://:S3cret-redis-pw@" + closed + "/0"}, "start"},
		{"bad token", []string{"gateway"}, map[string]string{"HOKM_OPS_TOKEN": "S3cret token"}, "HOKM_OPS_TOKEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, tc.args...)
			env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
				"HOKM_OPS_ADDR=off", "HOKM_HTTP_ADDR=127.0.0.1:0", "HOKM_LOG_FORMAT=json"}
			for k, v := range secrets {
				if _, set := tc.env[k]; !set {
					env = append(env, k+"="+v)
				}
			}
			for k, v := range tc.env {
				if v != "" {
					env = append(env, k+"="+v)
				}
			}
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("hokm %v started: %s", tc.args, out)
			}
			if strings.Contains(string(out), "S3cret") {
				t.Errorf("a secret is printed:\n%s", out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("the output does not name the problem (%q):\n%s", tc.want, out)
			}
		})
	}
}
