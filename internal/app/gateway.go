package app

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/fx"

	"github.com/hokm-project/hokm/gateway"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/store/redisstore"
)

type gatewayParams struct {
	fx.In
	Store *redisstore.Store
	Cfg   config.Config
	Log   *slog.Logger
	Pool  *pgxpool.Pool `optional:"true"` // present in roles that use PostgreSQL
}

func newGateway(p gatewayParams) *gateway.Server {
	opts := gateway.Options{AllowedOrigins: p.Cfg.AllowedOrigins, Rate: float64(p.Cfg.ClientRate), Burst: p.Cfg.ClientBurst}
	if p.Pool != nil {
		opts.ReadyChecks = append(opts.ReadyChecks, gateway.ReadyCheck{Name: "postgres", Check: p.Pool.Ping})
	}
	return gateway.NewServer(p.Store, p.Log.With("component", "gateway"), opts)
}

// runGateway serves the public listener; on stop it first tells every
// client it is going away, then closes the listener.
func runGateway(lc fx.Lifecycle, gw *gateway.Server, cfg config.Config, log *slog.Logger) {
	serveHTTP(lc, "http", cfg.HTTPAddr, gw.Handler(), log, gw.Shutdown)
}

// Gateway is the WebSocket gateway on HOKM_HTTP_ADDR.
var Gateway = fx.Module("gateway", fx.Provide(newGateway), fx.Invoke(runGateway))
