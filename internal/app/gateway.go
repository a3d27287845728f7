package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"go.uber.org/fx"

	"github.com/hokm-project/hokm/account/httpauth"
	"github.com/hokm-project/hokm/gateway"
	"github.com/hokm-project/hokm/internal/clientip"
	"github.com/hokm-project/hokm/internal/config"
	"github.com/hokm-project/hokm/internal/httpedge"
	"github.com/hokm-project/hokm/internal/ratelimit"
	"github.com/hokm-project/hokm/store/pgstore"
	"github.com/hokm-project/hokm/store/redisstore"
	"github.com/hokm-project/hokm/sysconfig"
)

// Route is one handler of the public listener besides the gateway's own
// (/ws, /healthz, /readyz). Modules add theirs to the "routes" group:
//
//	fx.Provide(fx.Annotate(newRoutes, fx.ResultTags(`group:"routes"`)))
type Route = httpauth.Route

type gatewayParams struct {
	fx.In
	Store *redisstore.Store
	Cfg   config.Config
	Log   *slog.Logger
	PG    *pgstore.Store `optional:"true"` // present in roles that use PostgreSQL (behind its breaker)

	Sys *sysconfig.Reader `optional:"true"` // maintenance mode (dashboard.go)
	IP  clientip.Resolver // client IPs for the per-IP limits (infra.go)
}

func newGateway(p gatewayParams) *gateway.Server {
	opts := gateway.Options{AllowedOrigins: p.Cfg.AllowedOrigins, Rate: float64(p.Cfg.ClientRate), Burst: p.Cfg.ClientBurst}
	// Abuse limits: gateway. The config's 0 (off) is the options' -1.
	off := func(n int) int {
		if n == 0 {
			return -1
		}
		return n
	}
	opts.IP = p.IP
	opts.SocketsPerIP, opts.SocketsPerUser, opts.TablesPerUser = off(p.Cfg.WSPerIP), off(p.Cfg.WSPerUser), off(p.Cfg.TablesPerUser)
	opts.TableLimit = ratelimit.Limit{Max: off(p.Cfg.TableCreateLimit), Window: config.TableCreateWindow}
	opts.JoinCodeMisses = ratelimit.Limit{Max: off(p.Cfg.JoinCodeMisses), Window: config.JoinCodeMissWindow}
	opts.GuestLimit = p.Cfg.GuestLimit // guest:ip, shared with POST /api/guest (account.go)
	opts.ShedAfter = p.Cfg.ShedAfter
	if p.Sys != nil {
		opts.Maintenance = p.Sys.Maintenance
	}
	if p.PG != nil {
		// Not required: with PostgreSQL down play goes on (/readyz 200,
		// "degraded"), and players are told by the status notice.
		opts.ReadyChecks = append(opts.ReadyChecks, gateway.ReadyCheck{Name: "postgres", Check: p.PG.Ping})
		opts.Status.Postgres = p.PG.Ping
	}
	return gateway.NewServer(p.Store, p.Log.With("component", "gateway"), opts)
}

type publicParams struct {
	fx.In
	Lc     fx.Lifecycle
	GW     *gateway.Server
	Cfg    config.Config
	Log    *slog.Logger
	Routes []Route `group:"routes"`
}

// runPublic serves the gateway and every added route on HOKM_HTTP_ADDR,
// behind the edge (internal/httpedge: security headers, id validation,
// JSON-only and same-origin state changes, body limit); on stop it first
// tells every client it is going away, then closes.
func runPublic(p publicParams) {
	mux := http.NewServeMux()
	mux.Handle("/ws", p.GW.Handler())
	mux.Handle("/healthz", p.GW.Handler())
	mux.Handle("/readyz", p.GW.Handler())
	for _, r := range p.Routes {
		mux.Handle(r.Pattern, r.Handler)
	}
	edge := httpedge.Wrap(mux, httpedge.Options{
		AllowedOrigins: p.Cfg.AllowedOrigins, MaxBody: int64(p.Cfg.HTTPMaxBody), WebSocket: "/ws",
	})
	serveHTTP(p.Lc, p.Cfg, "http", p.Cfg.HTTPAddr, edge, p.Log, p.GW.Shutdown)
}

// gatewayReadyCheck puts the gateway's draining into the ops /readyz.
func gatewayReadyCheck(gw *gateway.Server) ReadyCheck {
	return ReadyCheck{Name: "gateway", Required: true, Check: func(context.Context) error {
		if gw.Draining() {
			return errDraining
		}
		return nil
	}}
}

var errDraining = errors.New("draining: shutting down")

// Gateway is the public listener: the WebSocket gateway and the routes
// other modules add.
var Gateway = fx.Module("gateway", fx.Provide(newGateway), readyGroup(gatewayReadyCheck), fx.Invoke(runPublic))
