// Package deploy checks deploy/'s container image, compose file and
// Kubernetes manifests offline: these machines have no container engine
// and no cluster, so what can be checked without one is checked here —
// the rules each file must keep, the image's own `go build` line run as
// written, Prometheus's and nginx's configs by their own tools
// (deploy/README.md says what is not run).
package deploy

import (
	"bufio"
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/hokm-project/hokm/internal/testenv/procs"
)

const root = "../.."

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct{ op, args string }

func dockerfile(t *testing.T) []instruction {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "deploy/Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		cur.WriteString(line)
		op, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{strings.ToUpper(op), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// goVersion is go.mod's go directive, major.minor.
func goVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}

// TestDockerfile: the image's rules, then its `go build` line run as
// written: the binary must be static, trimmed, carry the time zone
// database, and know every role.
func TestDockerfile(t *testing.T) {
	ins := dockerfile(t)
	var froms []string
	var build, user, entry, health string
	args := map[string]string{}
	for _, in := range ins {
		switch in.op {
		case "ARG":
			if k, v, ok := strings.Cut(in.args, "="); ok {
				args[k] = v
			}
		case "FROM":
			froms = append(froms, in.args)
			user = "" // per stage: only the final stage's counts
		case "RUN":
			if strings.Contains(in.args, "go build") {
				build = in.args
			}
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entry = in.args
		case "HEALTHCHECK":
			health = in.args
		case "ADD":
			t.Errorf("ADD %s: use COPY (ADD fetches URLs and unpacks archives)", in.args)
		}
	}
	if len(froms) < 2 {
		t.Fatalf("%d stages: want a build stage and a minimal final one", len(froms))
	}
	for _, f := range froms {
		image := strings.Fields(f)[0]
		image = strings.ReplaceAll(image, "${GO_VERSION}", args["GO_VERSION"])
		if image == "scratch" {
			continue
		}
		if !strings.Contains(image, ":") || strings.HasSuffix(image, ":latest") {
			t.Errorf("FROM %s: pin the base image's tag", image)
		}
	}
	if final := strings.Fields(froms[len(froms)-1])[0]; final != "scratch" {
		t.Errorf("final stage FROM %s: want scratch (nothing but the binary and CA certificates)", final)
	}
	if !regexp.MustCompile(`^[1-9]\d*(:[1-9]\d*)?$`).MatchString(user) {
		t.Errorf("final stage USER %q: want a numeric non-root user (scratch has no /etc/passwd)", user)
	}
	if args["GO_VERSION"] != goVersion(t) {
		t.Errorf("ARG GO_VERSION=%s, go.mod says go %s", args["GO_VERSION"], goVersion(t))
	}
	if !strings.HasPrefix(entry, `["/hokm"`) {
		t.Errorf("ENTRYPOINT %s: want the exec form of /hokm", entry)
	}
	if !strings.Contains(health, `CMD ["/hokm", "health"]`) {
		t.Errorf("HEALTHCHECK %s: want the exec form of /hokm health", health)
	}
	for _, flag := range []string{"CGO_ENABLED=0 ", "-trimpath", "-tags timetzdata", `-ldflags="-s -w"`, "-o /out/hokm", "./cmd/hokm"} {
		if !strings.Contains(build, flag) {
			t.Errorf("the image's go build line %q lacks %s", build, flag)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(root, ".dockerignore")); !regexp.MustCompile(`(?m)^\.git$`).Match(b) {
		t.Error(".dockerignore must leave .git out of the build context")
	}
	if t.Failed() {
		return
	}

	// The line as written, into a directory of the test's own.
	bin := filepath.Join(t.TempDir(), "hokm")
	cmd := exec.Command("sh", "-c", strings.Replace(build, "-o /out/hokm", "-o "+bin, 1))
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", build, err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has an ELF interpreter: it is not static, and scratch has no libc")
		}
	}
	if f.Section(".symtab") != nil {
		t.Error("the binary keeps its symbol table: -ldflags=-s did not apply")
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" || !slices.Contains(strings.Split(settings["-tags"], ","), "timetzdata") {
		t.Errorf("build settings %v: want CGO_ENABLED=0, -trimpath, -tags timetzdata", settings)
	}
	out, err := exec.Command(bin, "help").Output()
	if err != nil {
		t.Fatalf("hokm help: %v", err)
	}
	for _, role := range []string{"serve", "gateway", "worker", "scheduler", "migrate", "health"} {
		if !regexp.MustCompile(`(?m)^\s+` + role + `\b`).Match(out) {
			t.Errorf("the image's binary does not know %q:\n%s", role, out)
		}
	}
}

// knownVariables are the HOKM_* variables docs/configuration.md documents.
func knownVariables(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "docs/configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(HOKM_[A-Z0-9_]+)`").FindAllSubmatch(b, -1) {
		known[string(m[1])] = true
	}
	if len(known) < 20 {
		t.Fatalf("found only %d variables in docs/configuration.md", len(known))
	}
	return known
}

// compose is the part of compose.yaml the checks read.
type compose struct {
	Services map[string]struct {
		Image       string         `yaml:"image"`
		Build       any            `yaml:"build"`
		Command     []string       `yaml:"command"`
		Environment map[string]any `yaml:"environment"`
		DependsOn   any            `yaml:"depends_on"`
		Volumes     []string       `yaml:"volumes"`
		Secrets     []string       `yaml:"secrets"`
	} `yaml:"services"`
	Secrets map[string]any `yaml:"secrets"`
	Volumes map[string]any `yaml:"volumes"`
}

func readCompose(t *testing.T) compose {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "deploy/compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

var varRef = regexp.MustCompile(`\$\{(\w+)(:\?[^}]*)?\}`)

// TestCompose: compose.yaml runs the roles apart with everything they
// need, as docs/operations.md describes them.
func TestCompose(t *testing.T) {
	c := readCompose(t)
	known := knownVariables(t)
	roles := map[string][]string{}
	workerIDs := map[string]bool{}
	for name, s := range c.Services {
		if s.Image == "" {
			t.Errorf("service %s has no image", name)
		}
		if s.Build == nil && (!strings.Contains(s.Image, ":") || strings.HasSuffix(s.Image, ":latest")) {
			t.Errorf("service %s: pin the image's tag (%s)", name, s.Image)
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(filepath.Join(root, "deploy", src)); err != nil {
					t.Errorf("service %s mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok && !strings.HasPrefix(src, "/") {
				t.Errorf("service %s mounts volume %s, which is not declared", name, src)
			}
		}
		for _, sec := range s.Secrets {
			if _, ok := c.Secrets[sec]; !ok {
				t.Errorf("service %s uses secret %s, which is not declared", name, sec)
			}
		}
		for _, dep := range dependsOn(s.DependsOn) {
			if _, ok := c.Services[dep]; !ok || dep == name {
				t.Errorf("service %s depends on %q", name, dep)
			}
		}
		if s.Image != "hokm:dev" {
			continue
		}
		if len(s.Command) == 0 {
			t.Errorf("hokm service %s has no command", name)
			continue
		}
		roles[s.Command[0]] = append(roles[s.Command[0]], name)
		env := map[string]string{}
		for k, v := range s.Environment {
			if !known[k] {
				t.Errorf("service %s sets %s, which docs/configuration.md does not document", name, k)
			}
			env[k] = fmt.Sprint(v)
		}
		if id := env["HOKM_WORKER_ID"]; s.Command[0] == "worker" {
			if id == "" || workerIDs[id] {
				t.Errorf("worker %s: HOKM_WORKER_ID %q missing or not unique", name, id)
			}
			workerIDs[id] = true
		}
		if ops := env["HOKM_OPS_ADDR"]; ops != "" && !strings.HasPrefix(ops, "127.") && env["HOKM_OPS_TOKEN"] == "" {
			t.Errorf("service %s: HOKM_OPS_ADDR %s off loopback needs HOKM_OPS_TOKEN", name, ops)
		}
		db := env["HOKM_DATABASE_URL"]
		if strings.Contains(db, "@pgbouncer:") && !strings.Contains(db, "default_query_exec_mode=cache_describe") {
			t.Errorf("service %s reaches PostgreSQL through pgbouncer without default_query_exec_mode=cache_describe", name)
		}
		for _, ref := range varRef.FindAllStringSubmatch(db+env["HOKM_OPS_TOKEN"], -1) {
			if ref[2] == "" {
				t.Errorf("service %s: ${%s} has no :? message: a missing .env would start it with an empty value", name, ref[1])
			}
		}
	}
	for role, want := range map[string]int{"gateway": 2, "worker": 2, "scheduler": 1, "migrate": 1} {
		if len(roles[role]) != want {
			t.Errorf("%d %s services (%v), want %d", len(roles[role]), role, roles[role], want)
		}
	}
	for role := range roles {
		if !slices.Contains([]string{"gateway", "worker", "scheduler", "migrate", "serve"}, role) {
			t.Errorf("hokm services run %q, which is no role", role)
		}
	}
	if pg := c.Services["pgbouncer"].Environment; fmt.Sprint(pg["POOL_MODE"]) != "transaction" {
		t.Errorf("pgbouncer POOL_MODE %v, want transaction (what the exec mode is chosen for)", pg["POOL_MODE"])
	}
	redis := strings.Join(c.Services["redis"].Command, " ")
	for _, want := range []string{"--appendonly yes", "--appendfsync everysec", "--maxmemory-policy noeviction"} {
		if !strings.Contains(redis, want) {
			t.Errorf("redis command %q lacks %s (docs/operations.md, \"Redis in production\")", redis, want)
		}
	}

	// Prometheus scrapes every hokm process but the one-shot migration.
	b, err := os.ReadFile(filepath.Join(root, "deploy/compose/prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var prom struct {
		ScrapeConfigs []struct {
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &prom); err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, sc := range prom.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}
	for role, names := range roles {
		for _, n := range names {
			if role != "migrate" && !slices.Contains(targets, n+":8081") {
				t.Errorf("Prometheus does not scrape %s:8081 (targets %v)", n, targets)
			}
		}
	}
}

func dependsOn(v any) []string {
	switch d := v.(type) {
	case []any:
		var out []string
		for _, x := range d {
			out = append(out, fmt.Sprint(x))
		}
		return out
	case map[string]any:
		var out []string
		for k := range d {
			out = append(out, k)
		}
		return out
	}
	return nil
}

// TestComposeConfigsByTheirTools: compose's Prometheus configuration
// through `promtool check config` (its rule file and token file pointed at
// local copies) and its nginx site through `nginx -t` (the gateways'
// names pointed at loopback).
func TestComposeConfigsByTheirTools(t *testing.T) {
	promtool := procs.Tool(t, "promtool")
	nginx := procs.Tool(t, os.Getenv("HOKM_TEST_NGINX"), "nginx")
	dir := t.TempDir()

	b, err := os.ReadFile(filepath.Join(root, "deploy/compose/prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := filepath.Abs(filepath.Join(root, "deploy/prometheus/alerts.yml"))
	token := filepath.Join(dir, "ops_token")
	if err := os.WriteFile(token, []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := strings.NewReplacer("/etc/prometheus/alerts.yml", rules, "/run/secrets/ops_token", token).Replace(string(b))
	if conf == string(b) {
		t.Fatal("compose/prometheus.yml no longer names /etc/prometheus/alerts.yml or /run/secrets/ops_token: update this test")
	}
	promConf := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(promConf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "config", promConf).CombinedOutput(); err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}

	site, err := os.ReadFile(filepath.Join(root, "deploy/compose/nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	local := regexp.MustCompile(`server gateway-\d+:8080;`).ReplaceAllString(string(site), "server 127.0.0.1:8080;")
	local = strings.Replace(local, "listen 80;", "listen 127.0.0.1:18080;", 1)
	sitePath := filepath.Join(dir, "site.conf")
	if err := os.WriteFile(sitePath, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	main := procs.NginxConf(dir, sitePath)
	mainPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(mainPath, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(nginx, "-t", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", mainPath).CombinedOutput(); err != nil {
		t.Errorf("nginx -t of compose/nginx.conf: %v\n%s", err, out)
	}
}

// manifest is the part of a Kubernetes object the checks read.
type manifest struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Replicas     *int `yaml:"replicas"`
		MinAvailable *int `yaml:"minAvailable"`
		Selector     struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		ServiceSelector map[string]string `yaml:"-"`
		Ports           []struct {
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
		Template podTemplate `yaml:"template"`
	} `yaml:"spec"`
}

type podTemplate struct {
	Metadata struct {
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		SecurityContext struct {
			RunAsNonRoot bool `yaml:"runAsNonRoot"`
			RunAsUser    int  `yaml:"runAsUser"`
		} `yaml:"securityContext"`
		TerminationGracePeriodSeconds int         `yaml:"terminationGracePeriodSeconds"`
		Containers                    []container `yaml:"containers"`
	} `yaml:"spec"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name string `yaml:"name"`
	} `yaml:"env"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
	Exec *struct {
		Command []string `yaml:"command"`
	} `yaml:"exec"`
}

func readManifests(t *testing.T) []manifest {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, "deploy/k8s/*.yaml"))
	if len(files) == 0 {
		t.Fatal("no manifests in deploy/k8s")
	}
	var out []manifest
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var raw map[string]any
			if err := dec.Decode(&raw); err != nil {
				if err.Error() == "EOF" {
					break
				}
				t.Fatalf("%s: %v", f, err)
			}
			if raw == nil {
				continue
			}
			again, _ := yaml.Marshal(raw)
			var m manifest
			if err := yaml.Unmarshal(again, &m); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			spec, _ := raw["spec"].(map[string]any)
			if sel, ok := spec["selector"].(map[string]any); ok && m.Kind == "Service" {
				m.Spec.ServiceSelector = map[string]string{}
				for k, v := range sel {
					m.Spec.ServiceSelector[k] = fmt.Sprint(v)
				}
			}
			if m.Kind == "" || m.Metadata.Name == "" {
				t.Errorf("%s: an object without kind or name", f)
			}
			out = append(out, m)
		}
	}
	return out
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestKubernetes: the manifests hold together — selectors that match their
// pods, probes where the roles answer, requests, a locked-down security
// context, the scheduler alone — and set only documented variables.
func TestKubernetes(t *testing.T) {
	ms := readManifests(t)
	known := knownVariables(t)
	pods := map[string]manifest{} // by component
	for _, m := range ms {
		switch m.Kind {
		case "ConfigMap", "Secret":
			for k := range m.Data {
				if !known[k] {
					t.Errorf("%s %s sets %s, which docs/configuration.md does not document", m.Kind, m.Metadata.Name, k)
				}
			}
			for k := range m.StringData {
				if !known[k] {
					t.Errorf("%s %s sets %s, which docs/configuration.md does not document", m.Kind, m.Metadata.Name, k)
				}
			}
			if db := m.StringData["HOKM_DATABASE_URL"]; strings.Contains(db, "@pgbouncer:") && !strings.Contains(db, "default_query_exec_mode=cache_describe") {
				t.Errorf("Secret's HOKM_DATABASE_URL goes through pgbouncer without default_query_exec_mode=cache_describe")
			}
		case "Deployment", "Job":
			tpl := m.Spec.Template
			if m.Kind == "Deployment" && !subset(m.Spec.Selector.MatchLabels, tpl.Metadata.Labels) {
				t.Errorf("%s: selector %v does not match its pods' labels %v", m.Metadata.Name, m.Spec.Selector.MatchLabels, tpl.Metadata.Labels)
			}
			if !tpl.Spec.SecurityContext.RunAsNonRoot || tpl.Spec.SecurityContext.RunAsUser == 0 {
				t.Errorf("%s: pods must run as a non-root user", m.Metadata.Name)
			}
			for _, c := range tpl.Spec.Containers {
				checkContainer(t, m, c, known)
			}
			pods[tpl.Metadata.Labels["app.kubernetes.io/component"]] = m
		}
	}
	for _, comp := range []string{"gateway", "worker", "scheduler", "migrate"} {
		if _, ok := pods[comp]; !ok {
			t.Errorf("no Deployment or Job for the %s", comp)
		}
	}
	if r := pods["scheduler"].Spec.Replicas; r == nil || *r != 1 {
		t.Errorf("scheduler replicas %v, want 1 (the leader lease makes more harmless, not useful)", r)
	}
	for _, comp := range []string{"gateway", "worker"} {
		if r := pods[comp].Spec.Replicas; r == nil || *r < 2 {
			t.Errorf("%s replicas %v, want at least 2", comp, r)
		}
		if grace := pods[comp].Spec.Template.Spec.TerminationGracePeriodSeconds; grace <= 10 {
			t.Errorf("%s terminationGracePeriodSeconds %d: must exceed HOKM_SHUTDOWN_TIMEOUT (10s) to drain", comp, grace)
		}
	}
	var pdbs, services int
	for _, m := range ms {
		switch m.Kind {
		case "PodDisruptionBudget":
			pdbs++
			matched := false
			for _, d := range pods {
				matched = matched || subset(m.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)
			}
			if !matched || m.Spec.MinAvailable == nil {
				t.Errorf("PodDisruptionBudget %s: selects no pods, or no minAvailable", m.Metadata.Name)
			}
		case "Service":
			services++
			gw := pods["gateway"]
			if !subset(m.Spec.ServiceSelector, gw.Spec.Template.Metadata.Labels) {
				t.Errorf("Service %s selects %v, not the gateways", m.Metadata.Name, m.Spec.ServiceSelector)
			}
			for _, p := range m.Spec.Ports {
				if !slices.ContainsFunc(gw.Spec.Template.Spec.Containers[0].Ports, func(cp struct {
					Name          string `yaml:"name"`
					ContainerPort int    `yaml:"containerPort"`
				}) bool {
					return cp.Name == p.TargetPort
				}) {
					t.Errorf("Service %s targets port %q, which the gateway does not name", m.Metadata.Name, p.TargetPort)
				}
			}
		}
	}
	if pdbs < 2 || services < 1 {
		t.Errorf("%d PodDisruptionBudgets and %d Services: want one PDB each for gateways and workers, a Service for the gateways", pdbs, services)
	}
}

func checkContainer(t *testing.T, m manifest, c container, known map[string]bool) {
	t.Helper()
	name := m.Metadata.Name + "/" + c.Name
	if c.Image == "" || len(c.Args) == 0 {
		t.Errorf("%s: no image or args", name)
		return
	}
	role := c.Args[0]
	if !slices.Contains([]string{"gateway", "worker", "scheduler", "migrate"}, role) {
		t.Errorf("%s runs %q, which is no role", name, role)
	}
	for _, e := range c.Env {
		if !known[e.Name] {
			t.Errorf("%s sets %s, which docs/configuration.md does not document", name, e.Name)
		}
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("%s: want cpu and memory requests and a memory limit", name)
	}
	sc := c.SecurityContext
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || !sc.ReadOnlyRootFilesystem || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("%s: want allowPrivilegeEscalation false, a read-only root file system, all capabilities dropped", name)
	}
	if m.Kind == "Job" {
		return
	}
	if c.LivenessProbe == nil {
		t.Errorf("%s: no liveness probe", name)
	}
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	for kind, p := range map[string]*probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		switch {
		case p == nil:
			if role != "scheduler" || kind == "liveness" {
				t.Errorf("%s: no %s probe", name, kind)
			}
		case p.HTTPGet != nil:
			// Only the gateway's public listener serves probes without the
			// ops token: /healthz and /readyz on 8080.
			if role != "gateway" || ports[p.HTTPGet.Port] != 8080 || !slices.Contains([]string{"/healthz", "/readyz"}, p.HTTPGet.Path) {
				t.Errorf("%s: %s probe GET %s on %s, which this role does not answer without a token", name, kind, p.HTTPGet.Path, p.HTTPGet.Port)
			}
		case p.Exec != nil:
			cmd := strings.Join(p.Exec.Command, " ")
			if cmd != "/hokm health" && cmd != "/hokm health --ready" {
				t.Errorf("%s: %s probe runs %q, want /hokm health [--ready]", name, kind, cmd)
			}
		default:
			t.Errorf("%s: %s probe is neither httpGet nor exec", name, kind)
		}
	}
}
