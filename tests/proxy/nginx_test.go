// Package proxy tests the reverse-proxy example the docs recommend
// (deploy/nginx/hokm.conf) in front of a real server: nginx runs that very
// file, with only its addresses and certificate paths replaced.
package proxy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/internal/testenv/procs"
)

func TestMain(m *testing.M) { procs.Main(m) }

const redisDB = testenv.DBProxy

// clientAddr is the loopback address the test's clients connect from: not
// the proxy's (127.0.0.1), so the server must tell them apart.
const clientAddr = "127.0.0.7"

// TestNginxExample: through deploy/nginx/hokm.conf, plain HTTP redirects
// to HTTPS; the web client and the API answer over TLS; a WebSocket opens,
// says hello and plays ping; the server records the client's own address
// (from X-Forwarded-For, believed only from the proxy) and not the one a
// client forges; the API's request rate limit answers 429.
func TestNginxExample(t *testing.T) {
	nginx := procs.Tool(t, os.Getenv("HOKM_TEST_NGINX"), "nginx", "/usr/sbin/nginx") // scripts/test unpacks one
	_, prefix := testenv.Redis(t, redisDB, true)
	dbURL := testenv.Database(t)
	h := procs.NewHokm(t,
		"HOKM_REDIS_URL="+testenv.RedisDBURL(t, redisDB), "HOKM_REDIS_PREFIX="+prefix, "HOKM_DATABASE_URL="+dbURL,
		"HOKM_OPS_ADDR=off", "HOKM_TRUSTED_PROXIES=127.0.0.1/32", "HOKM_LOG_LEVEL=warn")
	if mig := h.Start("migrate", nil, "migrate"); !mig.Wait(60*time.Second) || mig.ExitCode() != 0 {
		t.Fatalf("hokm migrate: exit %d\n%s", mig.ExitCode(), mig.Output())
	}
	gwAddr := procs.FreePort(t)
	srv := h.Start("serve", []string{"HOKM_HTTP_ADDR=" + gwAddr}, "serve")
	srv.WaitReady(gwAddr)

	httpsAddr, httpAddr := procs.FreePort(t), procs.FreePort(t)
	startNginx(t, nginx, gwAddr, httpsAddr, httpAddr)

	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientAddr)}, Timeout: 5 * time.Second}
	tlsConf := &tls.Config{InsecureSkipVerify: true} // the test's own self-signed certificate
	hc := &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{DialContext: dialer.DialContext, TLSClientConfig: tlsConf},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	// Plain HTTP only redirects.
	resp, err := hc.Get("http://" + httpAddr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || !strings.HasPrefix(resp.Header.Get("Location"), "https://") {
		t.Fatalf("plain HTTP: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The web client over TLS, with HSTS.
	resp, err = hc.Get("https://" + httpsAddr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("GET / over TLS: %d, headers %v", resp.StatusCode, resp.Header)
	}

	// A sign-up with a forged X-Forwarded-For: the server records the
	// address the proxy saw.
	body := `{"username":"proxied","password":"a long passphrase of mine 7"}`
	req, _ := http.NewRequest(http.MethodPost, "https://"+httpsAddr+"/api/register", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var reg struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&reg)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || reg.Token == "" {
		t.Fatalf("register through the proxy: %d", resp.StatusCode)
	}
	if ip := auditIP(t, dbURL, "register"); ip != clientAddr {
		t.Fatalf("the server recorded the sign-up from %q, want the client's %s", ip, clientAddr)
	}

	// A WebSocket through the proxy: hello with the token, then a ping.
	wsd := websocket.Dialer{NetDialContext: dialer.DialContext, TLSClientConfig: tlsConf, HandshakeTimeout: 5 * time.Second}
	ws, _, err := wsd.Dial("wss://"+httpsAddr+"/ws?v=1", http.Header{"Origin": {"https://" + httpsAddr}})
	if err != nil {
		t.Fatalf("WebSocket through the proxy: %v", err)
	}
	defer ws.Close()
	for i, frame := range []string{`{"type":"hello","id":"h","token":"` + reg.Token + `"}`, `{"type":"ping","id":"p"}`} {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
			t.Fatal(err)
		}
		id := []string{"h", "p"}[i]
		if !awaitAck(ws, id) {
			t.Fatalf("no ack for %s through the proxy", frame)
		}
	}

	// The proxy's own request rate limit on the API (20/s, burst 40).
	limited := 0
	for range 80 {
		resp, err := hc.Get("https://" + httpsAddr + "/api/me")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("80 API requests at once: none limited by the proxy")
	}
}

// startNginx runs deploy/nginx/hokm.conf with the gateway at gw, TLS on
// httpsAddr and plain HTTP on httpAddr, in a directory of the test's own.
func startNginx(t *testing.T, bin, gw, httpsAddr, httpAddr string) {
	t.Helper()
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	src, err := os.ReadFile("../../deploy/nginx/hokm.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := string(src)
	for _, r := range []struct{ re, with string }{
		{`(?m)^(\s*)server 127\.0\.0\.1:8080;`, "${1}server " + gw + ";"},
		{`(?m)^(\s*)listen 443 ssl http2;`, "${1}listen " + httpsAddr + " ssl http2;"},
		{`(?m)^(\s*)listen 80;`, "${1}listen " + httpAddr + ";"},
		{`(?m)^(\s*)ssl_certificate\s+\S+;`, "${1}ssl_certificate " + cert + ";"},
		{`(?m)^(\s*)ssl_certificate_key\s+\S+;`, "${1}ssl_certificate_key " + key + ";"},
	} {
		re := regexp.MustCompile(r.re)
		if !re.MatchString(conf) {
			t.Fatalf("deploy/nginx/hokm.conf has no line matching %s: the test and the example drifted apart", r.re)
		}
		conf = re.ReplaceAllString(conf, r.with)
	}
	site := filepath.Join(dir, "hokm.conf")
	if err := os.WriteFile(site, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	main := procs.NginxConf(dir, site)
	mainPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(mainPath, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	// -e: the error log from the start (a package's default path may not exist).
	cmd := exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", mainPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output:\n%s\nerror.log:\n%s", out, log)
		}
	})
	if !testenv.Until(10*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", httpsAddr, 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatalf("nginx did not listen on %s", httpsAddr)
	}
}

// selfSigned writes a certificate and key for 127.0.0.1 into dir.
func selfSigned(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hokm test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// awaitAck reads frames until the ack or error of id; true for an ack.
func awaitAck(ws *websocket.Conn, id string) bool {
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			return false
		}
		var f struct{ Type, ID string }
		if json.Unmarshal(b, &f) == nil && f.ID == id {
			return f.Type == "ack"
		}
	}
}

// auditIP is the address of the latest audit row of kind.
func auditIP(t *testing.T, dbURL, kind string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var ip string
	if err := c.QueryRow(ctx, "SELECT coalesce(ip, '') FROM audit_log WHERE kind = $1 ORDER BY id DESC LIMIT 1", kind).Scan(&ip); err != nil {
		t.Fatal(err)
	}
	return ip
}
