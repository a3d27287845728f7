package redisstore_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/hokm-project/hokm/game"
	"github.com/hokm-project/hokm/game/table"
	"github.com/hokm-project/hokm/internal/sealbox"
	"github.com/hokm-project/hokm/internal/testenv"
	"github.com/hokm-project/hokm/store/redisstore"
)

// BenchmarkLoadCommit is a move's store work on the real Redis: load the
// table, commit it back with one event and the action's answer. "sealed"
// seals the hands (the server's setting), "plain" does not: the difference
// is the cost per move of keeping hands encrypted at rest.
func BenchmarkLoadCommit(b *testing.B) {
	key, err := sealbox.NewKey("k1")
	if err != nil {
		b.Fatal(err)
	}
	ring, err := sealbox.NewKeyring(key)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		seal redisstore.Sealer
	}{{"plain", nil}, {"sealed", ring}} {
		b.Run(tc.name, func(b *testing.B) {
			rdb, prefix := testenv.Redis(b, 0, false)
			s := redisstore.New(rdb, redisstore.Options{Prefix: prefix, Seal: tc.seal})
			ctx := context.Background()
			tb, err := table.New("bench", game.Rules{Target: 7}, "u0", 1)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.CreateTable(ctx, &tb); err != nil {
				b.Fatal(err)
			}
			for seat := range 4 {
				tb.Seats[seat] = &table.Player{ID: "u" + strconv.Itoa(seat), Name: "p", Ready: seat > 0}
			}
			tb, _, err = table.Apply(tb, "u0", table.Command{Op: table.OpStart}, table.Env{Now: 1, Seed: 42})
			if err != nil {
				b.Fatal(err)
			}
			ev := json.RawMessage(`{"type":"card_played","seat":1,"card":"KH","hand":0}`)
			l := redisstore.Loaded{Table: tb, Epoch: 1}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if i > 0 {
					if l, err = s.LoadTable(ctx, "bench"); err != nil {
						b.Fatal(err)
					}
				}
				res := redisstore.Result{User: "u1", ID: strconv.Itoa(i), Hash: "h"}
				c := redisstore.CommitOf(&l, &l.Table, res, []redisstore.Entry{{Seq: l.Seq + 1, To: -1, E: ev}})
				if _, err := s.Commit(ctx, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
