package config

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Redacted replaces a secret in a message or log line.
const Redacted = "[redacted]"

// minSecret is the shortest secret value replaced wherever it appears;
// a shorter one (a weak password) is still hidden where it sits in a URL
// or after "password=".
const minSecret = 6

var (
	// scheme://user:PASSWORD@host: everything between the user's colon and
	// the last @ of the URL.
	urlPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^\s:/@"'` + "`" + `]*:)[^\s"'` + "`" + `]*@`)
	// password=… in a key=value DSN or a URL query.
	kvPassword = regexp.MustCompile(`(?i)\b((?:ssl)?pass(?:word)?=)[^\s&"'` + "`" + `]+`)
)

// Redactor hides secrets in messages and log lines: the known secret
// values (EnvSecrets, Config.Secrets), the password of any URL and the
// value of any password= parameter.
type Redactor struct{ secrets []string }

// NewRedactor hides secrets (and their quoted and JSON-escaped forms).
func NewRedactor(secrets ...string) *Redactor {
	seen := map[string]bool{}
	r := &Redactor{}
	add := func(s string) {
		if len(s) >= minSecret && !seen[s] {
			seen[s] = true
			r.secrets = append(r.secrets, s)
		}
	}
	for _, s := range secrets {
		add(s)
		q := strconv.Quote(s)
		add(q[1 : len(q)-1])
		if b, err := json.Marshal(s); err == nil {
			add(string(b[1 : len(b)-1]))
		}
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
	}
	// Longest first, so that a secret containing another is replaced whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	return r
}

// String returns s with every secret replaced by Redacted.
func (r *Redactor) String(s string) string {
	if r != nil {
		for _, sec := range r.secrets {
			if strings.Contains(s, sec) {
				s = strings.ReplaceAll(s, sec, Redacted)
			}
		}
	}
	if strings.Contains(s, "://") {
		s = urlPassword.ReplaceAllString(s, "${1}"+Redacted+"@")
	}
	if strings.Contains(strings.ToLower(s), "pass") {
		s = kvPassword.ReplaceAllString(s, "${1}"+Redacted)
	}
	return s
}

// Writer is w with every Write redacted (log handlers and fmt.Fprint
// write a whole line or message at once).
func (r *Redactor) Writer(w io.Writer) io.Writer { return redactWriter{r, w} }

type redactWriter struct {
	r *Redactor
	w io.Writer
}

func (rw redactWriter) Write(p []byte) (int, error) {
	s := rw.r.String(string(p))
	if _, err := io.WriteString(rw.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}

// RedactURL hides the password of a URL, also of one url.Parse refuses
// (the text between the user's colon and the last @ of the authority).
func RedactURL(v string) string {
	pre, user, _, post, ok := splitUserinfo(v)
	if !ok {
		return NewRedactor(urlSecrets(v)...).String(v)
	}
	return pre + user + ":" + Redacted + "@" + post
}

// splitUserinfo cuts scheme://user:password@rest into its parts; ok is
// false without a password.
func splitUserinfo(v string) (pre, user, password, post string, ok bool) {
	i := strings.Index(v, "://")
	if i < 0 {
		return "", "", "", "", false
	}
	rest := v[i+3:]
	auth := rest
	if j := strings.IndexAny(rest, "/?#"); j >= 0 && strings.LastIndex(rest[:j], "@") >= 0 {
		auth = rest[:j]
	}
	at := strings.LastIndex(auth, "@")
	if at < 0 {
		return "", "", "", "", false
	}
	user, password, ok = strings.Cut(auth[:at], ":")
	return v[:i+3], user, password, rest[at+1:], ok
}

// urlSecrets are the password of a URL as written and decoded.
func urlSecrets(v string) []string {
	var out []string
	if u, err := url.Parse(v); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			out = append(out, p)
		}
	}
	if _, _, raw, _, ok := splitUserinfo(v); ok {
		out = append(out, raw)
		if p, err := url.PathUnescape(raw); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// secretURLs are the variables that hold a URL with a password.
var secretURLs = []string{"HOKM_REDIS_URL", "HOKM_DATABASE_URL", "HOKM_DATABASE_REPLICA_URL"}

// EnvSecrets are the secret values in the environment, read raw (before
// any validation): the secret variables' values (each key of
// HOKM_STATE_KEYS too) and the passwords of the URL variables.
func EnvSecrets(getenv func(string) string) []string {
	var out []string
	for name := range secret {
		v := getenv(name)
		if v == "" {
			continue
		}
		out = append(out, v)
		if name == "HOKM_STATE_KEYS" {
			for _, part := range strings.Split(v, ",") {
				if _, k, ok := strings.Cut(strings.TrimSpace(part), ":"); ok {
					out = append(out, k)
				}
			}
		}
	}
	for _, name := range secretURLs {
		out = append(out, urlSecrets(getenv(name))...)
	}
	return out
}

// Secrets are the secret values of c (see EnvSecrets).
func (c Config) Secrets() []string {
	out := []string{c.OpsToken, c.RedisPassword, c.RedisSentinelPassword}
	for _, k := range c.StateKeys {
		out = append(out, base64.StdEncoding.EncodeToString(k.Key), base64.RawStdEncoding.EncodeToString(k.Key))
	}
	out = append(out, urlSecrets(c.RedisURL)...)
	out = append(out, urlSecrets(c.DatabaseReplicaURL)...)
	return append(out, urlSecrets(c.DatabaseURL)...)
}

// Redactor hides c's secrets.
func (c Config) Redactor() *Redactor { return NewRedactor(c.Secrets()...) }
