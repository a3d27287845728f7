package app_test

import (
	"testing"

	"go.uber.org/fx"

	"github.com/hokm-project/hokm/internal/app"
	"github.com/hokm-project/hokm/internal/config"
)

// Every role's dependency graph is complete (no missing or cyclic
// providers); nothing is started.
func TestRolesValidate(t *testing.T) {
	t.Parallel()
	for _, role := range []string{"serve", "gateway", "worker", "scheduler"} {
		if err := fx.ValidateApp(app.Role(role, config.Defaults())); err != nil {
			t.Errorf("role %s: %v", role, err)
		}
	}
	if err := fx.ValidateApp(app.Role("dancer", config.Defaults())); err == nil {
		t.Error("an unknown role validated")
	}
}
