package pgstore_test

import (
	"errors"
	"testing"

	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/pgstore/pgstoretest"
)

const fakeHash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"

func TestAccountLifecycle(t *testing.T) {
	t.Parallel()
	s, pool, ctx := setup(t)
	p, err := s.CreateAccount(ctx, pgstore.NewAccount{ID: "u_1", Username: "ali", Name: "Ali", PasswordHash: fakeHash})
	if err != nil || p.Kind != pgstore.KindUser || p.Username != "ali" || p.Name != "Ali" {
		t.Fatalf("CreateAccount: %+v %v", p, err)
	}
	if _, err := s.CreateAccount(ctx, pgstore.NewAccount{ID: "u_2", Username: "ali", Name: "X", PasswordHash: fakeHash}); !errors.Is(err, pgstore.ErrUsernameTaken) {
		t.Fatalf("duplicate username: %v", err)
	}
	a, err := s.AccountByUsername(ctx, "ali")
	if err != nil || a.ID != "u_1" || a.PasswordHash != fakeHash {
		t.Fatalf("AccountByUsername: %+v %v", a, err)
	}
	if _, err := s.AccountByUsername(ctx, "nobody"); !errors.Is(err, pgstore.ErrNoPlayer) {
		t.Fatalf("unknown username: %v", err)
	}
	renamed, err := s.SetName(ctx, "u_1", "علی", false)
	if err != nil || renamed.Name != "علی" || !renamed.UpdatedAt.After(p.UpdatedAt) {
		t.Fatalf("SetName: %+v %v (before %v)", renamed, err, p.UpdatedAt)
	}

	// A persisted match with the account seated: deletion anonymises its seat.
	m := pgstoretest.Play(pgstoretest.Game{Seed: 7, Guests: [2]string{"u_1", "g_other"}})
	persist(t, ctx, s, &m)
	d, err := s.DeleteAccount(ctx, "u_1")
	if err != nil || d.Kind != pgstore.KindDeleted || d.Name != pgstore.DeletedName || d.Username != "" {
		t.Fatalf("DeleteAccount: %+v %v", d, err)
	}
	var seatName string
	var hash *string
	if err := pool.QueryRow(ctx, `SELECT name FROM match_seats WHERE player_id = 'u_1'`).Scan(&seatName); err != nil || seatName != pgstore.DeletedName {
		t.Fatalf("seat name after deletion: %q %v", seatName, err)
	}
	if err := pool.QueryRow(ctx, `SELECT password_hash FROM players WHERE id = 'u_1'`).Scan(&hash); err != nil || hash != nil {
		t.Fatalf("password hash after deletion: %v %v", hash, err)
	}
	if _, err := s.DeleteAccount(ctx, "u_1"); !errors.Is(err, pgstore.ErrNoPlayer) {
		t.Fatalf("deleting twice: %v", err)
	}
	if _, err := s.SetName(ctx, "u_1", "back", false); !errors.Is(err, pgstore.ErrNoPlayer) {
		t.Fatalf("renaming a deleted account: %v", err)
	}
	// The username is free again.
	if _, err := s.CreateAccount(ctx, pgstore.NewAccount{ID: "u_3", Username: "ali", Name: "Ali 2", PasswordHash: fakeHash}); err != nil {
		t.Fatalf("reusing a deleted username: %v", err)
	}
}

func TestClaimGuest(t *testing.T) {
	t.Parallel()
	s, pool, ctx := setup(t)
	m := pgstoretest.Play(pgstoretest.Game{Seed: 3, Guests: [2]string{"g_a", "g_b"}})
	persist(t, ctx, s, &m)
	p, err := s.ClaimGuest(ctx, pgstore.NewAccount{ID: "g_a", Username: "sara", Name: "Sara", PasswordHash: fakeHash})
	if err != nil || p.ID != "g_a" || p.Kind != pgstore.KindUser {
		t.Fatalf("ClaimGuest: %+v %v", p, err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM match_seats WHERE player_id = 'g_a'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("claimed guest's seats: %d %v", n, err)
	}
	if _, err := s.ClaimGuest(ctx, pgstore.NewAccount{ID: "g_a", Username: "other", Name: "O", PasswordHash: fakeHash}); !errors.Is(err, pgstore.ErrNotGuest) {
		t.Fatalf("claiming an account: %v", err)
	}
	if _, err := s.ClaimGuest(ctx, pgstore.NewAccount{ID: "g_b", Username: "sara", Name: "S", PasswordHash: fakeHash}); !errors.Is(err, pgstore.ErrUsernameTaken) {
		t.Fatalf("claiming with a taken username: %v", err)
	}
	// A guest without a row (never played a persisted match) gets one.
	if p, err := s.ClaimGuest(ctx, pgstore.NewAccount{ID: "g_new", Username: "new", Name: "N", PasswordHash: fakeHash}); err != nil || p.Kind != pgstore.KindUser {
		t.Fatalf("claiming a rowless guest: %+v %v", p, err)
	}
	if err := s.Audit(ctx, pgstore.AuditEntry{UserID: "g_a", Kind: "guest_claimed", IP: "10.0.0.1", Detail: map[string]any{"username": "sara"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Audit(ctx, pgstore.AuditEntry{Kind: "no_such_kind"}); err == nil {
		t.Fatal("an unknown audit kind was stored")
	}
}
