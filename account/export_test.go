package account

import (
	"context"

	"github.com/hokm-project/hokm/store/pgstore"
)

// PutProfileForTest writes p to the profile cache as a reader would.
func PutProfileForTest(ctx context.Context, s *Service, p pgstore.Player) error {
	return s.profiles.put(ctx, profileOf(p))
}
