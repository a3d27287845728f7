// Package clientip tells who a request comes from, for per-IP quotas and
// the audit log. The peer address is the client unless the peer is one of
// the configured reverse proxies (HOKM_TRUSTED_PROXIES); then the client is
// the right-most X-Forwarded-For entry no trusted proxy wrote, so a client
// cannot pick its own address by sending the header itself.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds a request's client address. The zero value trusts no
// proxy: the peer address is the client.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a resolver trusting X-Forwarded-For from peers in trusted.
func New(trusted []netip.Prefix) Resolver { return Resolver{trusted: trusted} }

// ParsePrefixes reads a comma-separated list of addresses and CIDR
// prefixes ("10.0.0.0/8, 192.0.2.7, ::1").
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q: want an address or CIDR prefix", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q: want an address or CIDR prefix", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (r Resolver) isTrusted(a netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Addr is the client address of req. An unparsable peer address (a
// test's fake one) yields the zero Addr.
func (r Resolver) Addr(req *http.Request) netip.Addr {
	client := peer(req.RemoteAddr)
	if !client.IsValid() || !r.isTrusted(client) {
		return client
	}
	// The peer is our proxy: walk the forwarded chain from the right, past
	// our own proxies, to the first address one of them was told by a
	// client. Everything left of it the client could have written.
	hops := req.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return client // a garbled entry: the last hop we can vouch for
			}
			client = a.Unmap()
			if !r.isTrusted(client) {
				return client
			}
		}
	}
	return client
}

// Key is the budget of req's client for per-IP quotas: the address, or
// for IPv6 its /64 (one subscriber's network: a client has all of it).
func (r Resolver) Key(req *http.Request) string { return Key(r.Addr(req)) }

// Key is a's per-IP budget key (see Resolver.Key); "unknown" for the zero
// Addr.
func Key(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "unknown"
	case a.Is4():
		return a.String()
	default:
		p, _ := a.Prefix(64)
		return p.String()
	}
}

func peer(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}
