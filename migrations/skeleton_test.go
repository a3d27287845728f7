package migrations_test

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/migrations"
)

// Migration 12 (username skeletons) applies over accounts whose names
// already collide by look: the oldest of each group keeps the skeleton,
// the others keep working with none; afterwards a look-alike of any
// skeleton holder is refused by the unique index (finding 14).
func TestUsernameSkeletonMigration(t *testing.T) {
	pool, dsn := testenv.Pool(t)
	ctx := ctxT(t)
	if err := migrations.UpTo(ctx, dsn, 11); err != nil {
		t.Fatal(err)
	}
	const hash = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
	for i, u := range []string{"ali", "\u0430li", "a1i", "sara", "\u0639\u0644\u064a"} { // ali, Cyrillic а + li, a1i, sara, علي (Arabic yeh)
		if _, err := pool.Exec(ctx, `INSERT INTO players (id, name, kind, username, password_hash, created_at)
			VALUES ($1, $2, 'user', $2, $3, now() - make_interval(days => 10 - $4::int))`, "u"+string(rune('0'+i)), u, hash, i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO players (id, name, kind) VALUES ('g_1', 'guest', 'guest')`); err != nil {
		t.Fatal(err)
	}
	if err := migrations.Up(ctx, dsn); err != nil {
		t.Fatalf("migrating over look-alike usernames: %v", err)
	}
	got := map[string]string{}
	rows, err := pool.Query(ctx, `SELECT id, coalesce(username_skeleton, '-') FROM players`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, sk string
		if err := rows.Scan(&id, &sk); err != nil {
			t.Fatal(err)
		}
		got[id] = sk
	}
	want := map[string]string{"u0": "ali", "u1": "-", "u2": "-", "u3": "sara", "u4": "\u0639\u0644\u06cc", "g_1": "-"}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: skeleton %q, want %q (all: %q)", id, got[id], w, got)
		}
	}

	insert := func(id, username string) error {
		_, err := pool.Exec(ctx, `INSERT INTO players (id, name, kind, username, password_hash) VALUES ($1, $2, 'user', $2, $3)`, id, username, hash)
		return err
	}
	for _, u := range []string{
		"al\u0131",           // dotless ı
		"\u0430\u04cf\u0456", // Cyrillic а ӏ і
		"\u03b1li",           // Greek α
		"\uff41li",           // fullwidth ａ (NFKC)
		"5ara", "sar\u0430",  // Cyrillic а; (5 is not mapped: 5ara is allowed, see below)
		"\u0639\u0644\u06cc", // علی with Persian yeh
		"\u0639\u0644\u0649", // علی with alef maksura
	} {
		err := insert("n_"+u, u)
		var pe *pgconn.PgError
		if u == "5ara" {
			if err != nil {
				t.Errorf("%q refused: %v", u, err)
			}
			continue
		}
		if !errors.As(err, &pe) || pe.Code != "23505" || pe.ConstraintName != "players_username_skeleton_key" {
			t.Errorf("look-alike %q: %v, want a unique violation of players_username_skeleton_key", u, err)
		}
	}
	if err := insert("n_new", "reza"); err != nil {
		t.Fatal(err)
	}
	// Renaming through the username column (a guest claiming its id) is
	// checked too; deleting an account frees its skeleton.
	if _, err := pool.Exec(ctx, `UPDATE players SET kind = 'user', username = 'rezа', password_hash = $1 WHERE id = 'g_1'`, hash); err == nil {
		t.Error("a guest claimed a look-alike of reza")
	}
	if _, err := pool.Exec(ctx, `UPDATE players SET kind = 'deleted', deleted_at = now(), username = NULL, password_hash = NULL WHERE id = 'n_new'`); err != nil {
		t.Fatal(err)
	}
	if err := insert("n_new2", "rez\u0430"); err != nil {
		t.Fatalf("a deleted account's look-alike: %v", err)
	}
}
