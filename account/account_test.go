package account_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hokm-project/hokm/account"
	"github.com/hokm-project/hokm/internal/ratelimit"
	"github.com/hokm-project/hokm/stats"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
	"github.com/hokm-project/hokm/store/redisstore"
)

func TestRegisterLoginMeLogout(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{})
	reg := e.must(e.call("POST", "/api/register", "", map[string]string{
		"username": "Ali.Reza", "password": "correct horse", "name": "علی رضا"}), 201, "")
	user := reg.str("user")
	if !strings.HasPrefix(user, "u_") || reg.str("name") != "علی رضا" || len(reg.str("token")) != 43 {
		t.Fatalf("register: %s", reg.raw)
	}
	// Usernames are case-insensitive.
	e.must(e.call("POST", "/api/register", "", map[string]string{"username": "ALI.REZA", "password": "whatever one"}), 409, "username_taken")
	in := e.must(e.login("ALI.reza", "correct horse"), 200, "")
	if in.str("user") != user || in.str("token") == reg.str("token") {
		t.Fatalf("login: %s", in.raw)
	}
	tok := in.str("token")
	me := e.must(e.call("GET", "/api/me", tok, nil), 200, "")
	if me.str("id") != user || me.str("username") != "ali.reza" || me.str("name") != "علی رضا" ||
		me.str("kind") != "user" || me.body["guest"] != false {
		t.Fatalf("me: %s", me.raw)
	}
	next := e.kicks()
	e.must(e.call("POST", "/api/logout", tok, nil), 204, "")
	if k := next(); k["user"] != user || k["reason"] != "logged_out" {
		t.Fatalf("kick %v", k)
	}
	e.must(e.call("GET", "/api/me", tok, nil), 401, "bad_token")
	e.must(e.call("POST", "/api/logout", tok, nil), 401, "bad_token")
	// The registration's own token is another session: still valid.
	e.must(e.call("GET", "/api/me", reg.str("token"), nil), 200, "")
	if k := e.auditKinds(); k["register"] != 1 || k["login_ok"] != 1 || k["logout"] != 1 {
		t.Fatalf("audit %v", k)
	}
}

// A wrong password and an unknown username get the very same answer.
func TestBadCredentialsIdentical(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{})
	e.register("sara", "right password")
	wrongPw := e.login("sara", "wrong password")
	noUser := e.login("nobody", "wrong password")
	badName := e.login("x", "")
	for _, r := range []reply{wrongPw, noUser, badName} {
		if r.status != 401 || r.raw != wrongPw.raw || r.str("code") != "bad_credentials" {
			t.Fatalf("answers differ: %d %s vs %d %s", r.status, r.raw, wrongPw.status, wrongPw.raw)
		}
	}
	var withUser, without int
	if err := e.pool.QueryRow(e.ctx, `SELECT count(user_id), count(*) - count(user_id) FROM audit_log WHERE kind = 'login_failed'`).
		Scan(&withUser, &without); err != nil || withUser != 1 || without != 2 {
		t.Fatalf("login_failed rows: %d with a user, %d without (%v)", withUser, without, err)
	}
}

func TestLoginRateLimitPerUsername(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{LoginPerUser: ratelimit.Limit{Max: 3, Window: 3 * time.Second}})
	e.register("reza", "right password")
	start := time.Now()
	// Successes do not count: two failures, many successes, a third failure.
	e.must(e.login("reza", "nope nope"), 401, "bad_credentials")
	e.must(e.login("reza", "nope nope"), 401, "bad_credentials")
	for range 4 {
		e.must(e.login("reza", "right password"), 200, "")
	}
	e.must(e.login("reza", "nope nope"), 401, "bad_credentials")
	r := e.must(e.login("REZA", "nope nope"), 429, "rate_limited")
	if r.retry == "" || r.retry == "0" {
		t.Fatalf("Retry-After %q", r.retry)
	}
	e.must(e.login("reza", "right password"), 429, "rate_limited") // even the right one
	// Another username from the same IP is not limited.
	e.register("other", "right password")
	e.must(e.login("other", "right password"), 200, "")
	// The window (3 s from the first failure, just after start) ends.
	time.Sleep(3*time.Second - time.Since(start))
	deadline := time.Now().Add(2 * time.Second)
	for r := e.login("reza", "right password"); r.status != 200; r = e.login("reza", "right password") {
		if r.status != 429 || time.Now().After(deadline) {
			t.Fatalf("after the window: %d %s", r.status, r.raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLoginRateLimitPerIP(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{LoginPerIP: ratelimit.Limit{Max: 2, Window: time.Minute}})
	e.must(e.login("aaa", "pale blue dot1"), 401, "bad_credentials")
	e.must(e.login("bbb", "pale blue dot1"), 401, "bad_credentials")
	e.must(e.login("ccc", "pale blue dot1"), 429, "rate_limited")
	e.must(e.login("!", "x"), 429, "rate_limited") // malformed names count per IP too
}

func TestRegisterRateLimit(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{RegisterPerIP: ratelimit.Limit{Max: 2, Window: time.Minute}})
	e.register("one", "pale blue dot1")
	e.must(e.call("POST", "/api/register", "", map[string]string{"username": "one", "password": "pale blue dot1"}), 409, "username_taken")
	r := e.must(e.call("POST", "/api/register", "", map[string]string{"username": "three", "password": "pale blue dot1"}), 429, "rate_limited")
	if r.retry == "" {
		t.Fatal("no Retry-After")
	}
	var n int
	if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM players`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d players (%v)", n, err)
	}
}

// A guest claims its id by registering with its token: its past matches
// stay its own and the guest token stops working.
func TestGuestClaim(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{})
	g := e.must(e.call("POST", "/api/guest", "", map[string]string{"name": "مهمان"}), 201, "")
	guest, gtok := g.str("user"), g.str("token")
	if !strings.HasPrefix(guest, "g_") || g.str("name") != "مهمان" {
		t.Fatalf("guest: %s", g.raw)
	}
	me := e.must(e.call("GET", "/api/me", gtok, nil), 200, "")
	if me.body["guest"] != true || me.str("kind") != "guest" {
		t.Fatalf("guest me: %s", me.raw)
	}
	m := pgstoretest.Play(pgstoretest.Game{Seed: 11, Guests: [2]string{guest, "g_someone"}})
	if _, err := e.pg.PersistMatch(e.ctx, &m); err != nil {
		t.Fatal(err)
	}
	reg := e.must(e.call("POST", "/api/register", gtok, map[string]string{"username": "guesty", "password": "pale blue dot1"}), 201, "")
	if reg.str("user") != guest {
		t.Fatalf("claimed account %s, want the guest's id %s", reg.str("user"), guest)
	}
	e.must(e.call("GET", "/api/me", gtok, nil), 401, "bad_token")
	me = e.must(e.call("GET", "/api/me", reg.str("token"), nil), 200, "")
	if me.str("id") != guest || me.str("kind") != "user" || me.body["guest"] != false {
		t.Fatalf("claimed me: %s", me.raw)
	}
	var seats int
	if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM match_seats WHERE player_id = $1`, guest).Scan(&seats); err != nil || seats != 1 {
		t.Fatalf("claimed guest's seats: %d %v", seats, err)
	}
	e.must(e.login("guesty", "pale blue dot1"), 200, "")
	// An account's token cannot claim again; a dead token is refused.
	e.must(e.call("POST", "/api/register", reg.str("token"), map[string]string{"username": "again", "password": "pale blue dot1"}), 409, "already_registered")
	e.must(e.call("POST", "/api/register", gtok, map[string]string{"username": "again", "password": "pale blue dot1"}), 401, "bad_token")
	if k := e.auditKinds(); k["guest_claimed"] != 1 || k["register"] != 0 {
		t.Fatalf("audit %v", k)
	}
}

func TestPasswordChange(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{})
	reg := e.register("pari", "old password")
	user, a := reg.str("user"), reg.str("token")
	b := e.must(e.login("pari", "old password"), 200, "").str("token")
	c := e.must(e.login("pari", "old password"), 200, "").str("token")
	e.must(e.call("POST", "/api/password", a, map[string]string{"old": "wrong one", "new": "new password"}), 403, "wrong_password")
	e.must(e.call("POST", "/api/password", a, map[string]string{"old": "old password", "new": "short"}), 400, "bad_password")
	e.must(e.call("GET", "/api/me", b, nil), 200, "") // nothing changed so far
	next := e.kicks()
	e.must(e.call("POST", "/api/password", a, map[string]string{"old": "old password", "new": "new password"}), 204, "")
	if k := next(); k["user"] != user || k["reason"] != "password_changed" {
		t.Fatalf("kick %v", k)
	}
	e.must(e.call("GET", "/api/me", a, nil), 200, "")
	e.must(e.call("GET", "/api/me", b, nil), 401, "bad_token")
	e.must(e.call("GET", "/api/me", c, nil), 401, "bad_token")
	e.must(e.login("pari", "old password"), 401, "bad_credentials")
	e.must(e.login("pari", "new password"), 200, "")
	g := e.must(e.call("POST", "/api/guest", "", map[string]string{}), 201, "")
	e.must(e.call("POST", "/api/password", g.str("token"), map[string]string{"old": "x", "new": "new password"}), 403, "not_registered")
	if k := e.auditKinds(); k["password_changed"] != 1 {
		t.Fatalf("audit %v", k)
	}
}

func TestDeleteAccount(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{})
	reg := e.register("doomed", "my password")
	user, tok := reg.str("user"), reg.str("token")
	other := e.must(e.login("doomed", "my password"), 200, "").str("token")
	m := pgstoretest.Play(pgstoretest.Game{Seed: 5, Guests: [2]string{user, "g_friend"}})
	if _, err := e.pg.PersistMatch(e.ctx, &m); err != nil {
		t.Fatal(err)
	}
	e.must(e.call("GET", "/api/players/"+user, "", nil), 200, "") // cached now
	board := stats.Bucket{Period: stats.AllTime, Name: "all"}
	if err := e.rs.SnapshotLeaderboard(e.ctx, board, []stats.Entry{{Rank: 1, PlayerID: user, Name: "doomed"}}, redisstore.LeaderboardTTL); err != nil {
		t.Fatal(err)
	}
	e.must(e.call("DELETE", "/api/me", tok, map[string]string{"password": "not it at all"}), 403, "wrong_password")
	e.must(e.call("GET", "/api/me", other, nil), 200, "")

	next := e.kicks()
	e.must(e.call("DELETE", "/api/me", tok, map[string]string{"password": "my password"}), 204, "")
	if k := next(); k["user"] != user || k["reason"] != "account_deleted" {
		t.Fatalf("kick %v", k)
	}
	for _, tk := range []string{tok, other} {
		e.must(e.call("GET", "/api/me", tk, nil), 401, "bad_token")
	}
	var name, kind string
	var username, hash *string
	var deletedAt *time.Time
	if err := e.pool.QueryRow(e.ctx, `SELECT name, kind, username, password_hash, deleted_at FROM players WHERE id = $1`, user).
		Scan(&name, &kind, &username, &hash, &deletedAt); err != nil {
		t.Fatal(err)
	}
	if name != pgstore.DeletedName || kind != "deleted" || username != nil || hash != nil || deletedAt == nil {
		t.Fatalf("deleted row: %q %q %v %v %v", name, kind, username, hash, deletedAt)
	}
	var seatName string
	if err := e.pool.QueryRow(e.ctx, `SELECT name FROM match_seats WHERE match_id = $1 AND player_id = $2`, m.MatchID, user).
		Scan(&seatName); err != nil || seatName != pgstore.DeletedName {
		t.Fatalf("seat name %q %v", seatName, err)
	}
	if ok, err := e.pg.MatchExists(e.ctx, m.MatchID); err != nil || !ok {
		t.Fatalf("the match is gone: %v %v", ok, err)
	}
	var ips int
	if err := e.pool.QueryRow(e.ctx, `SELECT count(ip) FROM audit_log WHERE user_id = $1`, user).Scan(&ips); err != nil || ips != 0 {
		t.Fatalf("%d audit rows of the deleted account keep an IP (%v)", ips, err)
	}
	p := e.must(e.call("GET", "/api/players/"+user, "", nil), 200, "")
	if p.str("name") != pgstore.DeletedName || p.str("kind") != "deleted" {
		t.Fatalf("profile after deletion: %s", p.raw)
	}
	e.must(e.login("doomed", "my password"), 401, "bad_credentials")
	if got, ok, err := e.rs.Leaderboard(e.ctx, board); ok || err != nil {
		t.Errorf("the board's snapshot with the account is still there: %+v, %v", got, err)
	}
	if k := e.auditKinds(); k["account_deleted"] != 1 {
		t.Fatalf("audit %v", k)
	}
}

func TestProfileCache(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{})
	reg := e.register("famous", "my password")
	user, tok := reg.str("user"), reg.str("token")
	e.must(e.call("GET", "/api/players/nobody", "", nil), 404, "not_found")
	p := e.must(e.call("GET", "/api/players/"+user, "", nil), 200, "")
	if p.str("id") != user || p.str("name") != "famous" || p.str("kind") != "user" || p.str("created_at") == "" {
		t.Fatalf("profile %s", p.raw)
	}
	if _, ok := p.body["username"]; ok {
		t.Fatalf("the public profile shows the username: %s", p.raw)
	}
	key := e.rs.Keys().Profile(user)
	if d := e.rdb.TTL(e.ctx, key).Val(); d < 14*time.Minute || d > 15*time.Minute {
		t.Fatalf("cached profile TTL %v", d)
	}
	r := e.must(e.call("PATCH", "/api/me", tok, map[string]string{"name": "Famous ⭐"}), 200, "")
	if r.str("name") != "Famous ⭐" {
		t.Fatalf("rename: %s", r.raw)
	}
	e.must(e.call("PATCH", "/api/me", tok, map[string]string{"name": "\u202e "}), 400, "bad_name")
	if p := e.must(e.call("GET", "/api/players/"+user, "", nil), 200, ""); p.str("name") != "Famous ⭐" {
		t.Fatalf("profile after rename: %s", p.raw)
	}
	if s, err := e.rs.Session(e.ctx, tok); err != nil || s.Name != "Famous ⭐" {
		t.Fatalf("session after rename: %+v %v", s, err)
	}
	// Served from Redis alone: PostgreSQL is gone.
	e.pool.Close()
	if p := e.must(e.call("GET", "/api/players/"+user, "", nil), 200, ""); p.str("name") != "Famous ⭐" {
		t.Fatalf("cached profile: %s", p.raw)
	}
	e.must(e.call("GET", "/api/players/u_uncached", "", nil), 503, "unavailable")
}

// A reader that loaded a profile before a change cannot put the old one
// back over the changed one.
func TestProfileCacheNewerWins(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{})
	reg := e.register("racer", "my password")
	user := reg.str("user")
	old, err := e.pg.PlayerByID(e.ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	e.must(e.call("PATCH", "/api/me", reg.str("token"), map[string]string{"name": "new"}), 200, "")
	// Simulate the slow reader: it writes the row it read before the change.
	e.must(e.call("GET", "/api/players/"+user, "", nil), 200, "")
	if err := account.PutProfileForTest(e.ctx, e.svc, old); err != nil {
		t.Fatal(err)
	}
	if p := e.must(e.call("GET", "/api/players/"+user, "", nil), 200, ""); p.str("name") != "new" {
		t.Fatalf("a stale read overwrote the cache: %s", p.raw)
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{})
	for _, body := range []string{
		``, `{`, `[]`, `"x"`, `{"username":"abc","password":"pale blue dot1","admin":true}`,
		`{"username":"abc","password":"pale blue dot1"} {}`, `{"username":1}`,
		`{"username":"abc","password":"` + strings.Repeat("a", 9000) + `"}`,
	} {
		e.must(e.call("POST", "/api/register", "", body), 400, "bad_message")
		e.must(e.call("POST", "/api/login", "", body), 400, "bad_message")
	}
	for _, c := range []struct{ username, password, name, code string }{
		{"ab", "pale blue dot1", "", "bad_username"},
		{strings.Repeat("a", 25), "pale blue dot1", "", "bad_username"},
		{"has space", "pale blue dot1", "", "bad_username"},
		{"_lead", "pale blue dot1", "", "bad_username"},
		{"emoji😀", "pale blue dot1", "", "bad_username"},
		{"abc", "short", "", "bad_password"},
		{"abc", strings.Repeat("p", 129), "", "bad_password"},
		{"abc", "pale blue dot1", "\u200f\u202e", "bad_name"},
	} {
		e.must(e.call("POST", "/api/register", "", map[string]string{"username": c.username, "password": c.password, "name": c.name}), 400, c.code)
	}
	e.must(e.call("GET", "/api/me", "", nil), 401, "bad_token")
	e.must(e.call("GET", "/api/me", "forged", nil), 401, "bad_token")
	var players, audit int
	if err := e.pool.QueryRow(e.ctx, `SELECT (SELECT count(*) FROM players), (SELECT count(*) FROM audit_log)`).Scan(&players, &audit); err != nil ||
		players != 0 || audit != 0 {
		t.Fatalf("rejected requests wrote %d players, %d audit rows (%v)", players, audit, err)
	}
	// Letters of any script, digits, '_' and '.'.
	e.register("مریم_۱۳۷۰", "pale blue dot1")
	e.register("Ünïcødé.名前", "pale blue dot1")
	e.must(e.login("ÜNÏCØDÉ.名前", "pale blue dot1"), 200, "")
}

// Every kind of audit row is written by its operation.
func TestAuditKinds(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{})
	g := e.must(e.call("POST", "/api/guest", "", map[string]string{"name": "g"}), 201, "")
	claimed := e.must(e.call("POST", "/api/register", g.str("token"), map[string]string{"username": "claimer", "password": "pale blue dot1"}), 201, "")
	tok := e.register("plain", "pale blue dot1").str("token")
	e.must(e.login("plain", "wrong password"), 401, "")
	tok2 := e.must(e.login("plain", "pale blue dot1"), 200, "").str("token")
	e.must(e.call("PATCH", "/api/me", tok, map[string]string{"name": "Plain"}), 200, "")
	e.must(e.call("POST", "/api/password", tok, map[string]string{"old": "pale blue dot1", "new": "pale blue dot2"}), 204, "")
	e.must(e.call("GET", "/api/me", tok2, nil), 401, "bad_token") // revoked by the change; tok kept
	e.must(e.call("POST", "/api/logout", tok, nil), 204, "")
	e.must(e.call("POST", "/api/logout", claimed.str("token"), nil), 204, "")
	tok3 := e.must(e.login("plain", "pale blue dot2"), 200, "").str("token")
	e.must(e.call("DELETE", "/api/me", tok3, map[string]string{"password": "pale blue dot2"}), 204, "")
	k := e.auditKinds()
	for _, kind := range []string{"register", "login_ok", "login_failed", "logout", "password_changed", "account_deleted", "guest_claimed", "name_changed"} {
		if k[kind] == 0 {
			t.Errorf("no %s row: %v", kind, k)
		}
	}
}

// N parallel logins of distinct clients never hash more than the bound at
// once.
func TestHashingBound(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{Hash: account.DefaultHashParams, HashSlots: 2, HashWait: 20 * time.Second, ClientWait: 20 * time.Second})
	for i := range 8 {
		e.register(fmt.Sprintf("busy%d", i), "a fine password")
	}
	var wg sync.WaitGroup
	codes := make(chan int, 8)
	for i := range 8 {
		wg.Go(func() {
			codes <- e.loginFrom(fmt.Sprintf("10.0.0.%d", i+1), fmt.Sprintf("busy%d", i), "a fine password").status
		})
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Fatalf("a login got %d", c)
		}
	}
	if p := e.svc.Hasher().Peak(); p != 2 {
		t.Fatalf("peak concurrent hashes %d, bound 2", p)
	}
}

// When hashing stays saturated past the wait, the answer is 503.
func TestHashingSaturated(t *testing.T) {
	t.Parallel()
	e := setup(t, account.Options{Hash: account.DefaultHashParams, HashSlots: 1, HashWait: time.Millisecond})
	if p := e.svc.Hasher().Peak(); p != 0 {
		t.Fatalf("the service hashed %d at once before any request (64 MiB live at start)", p)
	}
	for i := range 6 {
		e.register(fmt.Sprintf("busy%d", i), "a fine password")
	}
	var wg sync.WaitGroup
	replies := make(chan reply, 6)
	for i := range 6 {
		wg.Go(func() {
			replies <- e.loginFrom(fmt.Sprintf("10.0.0.%d", i+1), fmt.Sprintf("busy%d", i), "a fine password")
		})
	}
	wg.Wait()
	close(replies)
	busy := 0
	for r := range replies {
		if r.status == 503 {
			busy++
			if r.str("code") != "unavailable" || r.retry == "" {
				t.Fatalf("saturated answer: %d %s retry %q", r.status, r.raw, r.retry)
			}
		} else if r.status != 200 {
			t.Fatalf("login: %d %s", r.status, r.raw)
		}
	}
	if busy == 0 {
		t.Fatal("six logins at once with one slot and a 1 ms wait: none refused")
	}
	if p := e.svc.Hasher().Peak(); p != 1 {
		t.Fatalf("peak %d with one slot", p)
	}
}
