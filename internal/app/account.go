package app

import (
	"log/slog"

	"go.uber.org/fx"

	"github.com/hokm-project/hokm/account"
	"github.com/hokm-project/hokm/internal/clientip"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
)

func newAccountService(pg *pgstore.Store, rs *redisstore.Store, cfg config.Config, log *slog.Logger) (*account.Service, error) {
	return account.New(pg, rs, account.Options{
		GuestPerIP:      cfg.GuestLimit,
		AttemptsPerIP:   cfg.LoginAttemptsIP,
		AttemptsPerUser: cfg.LoginAttemptsUser,
		Log:             log.With("component", "account"),
	})
}

// accountRoutes puts the account API on the public listener.
func accountRoutes(svc *account.Service, ips clientip.Resolver) []Route {
	return account.NewHandler(svc, ips).Routes()
}

// Account is the account API (/api/guest, /api/register, /api/login, …;
// docs/http-api.md). It needs PostgreSQL.
var Account = fx.Module("account",
	fx.Provide(
		newAccountService,
		fx.Annotate(accountRoutes, fx.ResultTags(`group:"routes,flatten"`)),
	),
)
