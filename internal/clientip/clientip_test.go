package clientip_test

import (
	"net/http/httptest"
	"testing"

	"github.com/hokm-project/hokm/internal/clientip"
)

func TestResolver(t *testing.T) {
	trusted, err := clientip.ParsePrefixes("10.0.0.0/8, 192.0.2.7, ::1")
	if err != nil {
		t.Fatal(err)
	}
	r := clientip.New(trusted)
	cases := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct client", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"direct client sends its own header", "203.0.113.5:4000", []string{"1.2.3.4"}, "203.0.113.5"},
		{"through our proxy", "10.1.2.3:55000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"client forges the left of the chain", "10.1.2.3:55000", []string{"1.2.3.4, 203.0.113.9"}, "203.0.113.9"},
		{"two of our proxies", "192.0.2.7:80", []string{"203.0.113.9, 10.9.9.9"}, "203.0.113.9"},
		{"chain over several headers", "10.1.2.3:1", []string{"1.2.3.4", "203.0.113.9", "10.0.0.1"}, "203.0.113.9"},
		{"only proxies", "10.1.2.3:1", []string{"10.0.0.2"}, "10.0.0.2"},
		{"garbled entry stops the walk", "10.1.2.3:1", []string{"203.0.113.9, not-an-ip"}, "10.1.2.3"},
		{"proxy without header", "[::1]:9", nil, "::1"},
		{"IPv4-mapped peer", "[::ffff:203.0.113.5]:1", nil, "203.0.113.5"},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = c.remote
		for _, h := range c.xff {
			req.Header.Add("X-Forwarded-For", h)
		}
		if got := r.Addr(req).String(); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	// No trusted proxies: the header is never read.
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.1.2.3:1"
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	if got := (clientip.Resolver{}).Addr(req).String(); got != "10.1.2.3" {
		t.Errorf("zero resolver: %s", got)
	}
}

func TestKey(t *testing.T) {
	req := httptest.NewRequest("GET", "/", nil)
	for remote, want := range map[string]string{
		"203.0.113.5:1":              "203.0.113.5",
		"[2001:db8:1:2:3:4:5:6]:1":   "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"pipe":                       "unknown",
	} {
		req.RemoteAddr = remote
		if got := (clientip.Resolver{}).Key(req); got != want {
			t.Errorf("%s: key %s, want %s", remote, got, want)
		}
	}
}

func TestParsePrefixesRefusesGarbage(t *testing.T) {
	for _, s := range []string{"10.0.0.0/33", "example.org", "1.2.3"} {
		if _, err := clientip.ParsePrefixes(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
