package procs

import (
	"fmt"
	"os/exec"
	"testing"
)

// Tool is the first of names found (on PATH, or a path; "" is passed
// over): a program scripts/test provides. Missing, the test fails when
// services are required and is skipped otherwise.
func Tool(t testing.TB, names ...string) string {
	t.Helper()
	var err error
	for _, n := range names {
		if n == "" {
			continue
		}
		var p string
		if p, err = exec.LookPath(n); err == nil {
			return p
		}
	}
	missing(t, names[len(names)-1], err)
	return ""
}

// NginxConf is an nginx main configuration for a server of a test's own:
// in the foreground, one process, its pid file, error log and temporary
// files in dir, no access log, the site configuration at site included.
func NginxConf(dir, site string) string {
	return fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[2]s;
}
`, dir, site)
}
