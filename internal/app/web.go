package app

import (
	"go.uber.org/fx"

	"github.com/hokm-project/hokm/web"
)

// newWebRoute serves the browser client at "/" (every path no other route
// claims; unknown ones are 404).
func newWebRoute() Route { return Route{Pattern: "/", Handler: web.Handler()} }

// Web is the browser client on the public listener (roles serve and gateway).
var Web = fx.Module("web", fx.Provide(fx.Annotate(newWebRoute, fx.ResultTags(`group:"routes"`))))
