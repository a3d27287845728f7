package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hokm-project/hokm/internal/metrics"
	"github.com/hokm-project/hokm/store/pgstore"
)

// Profile is a player's public profile.
type Profile struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"` // guest, user or deleted
	CreatedAt time.Time `json:"created_at,omitzero"`
	// Version is players.updated_at in microseconds: a newer row replaces
	// an older cached one, never the reverse.
	Version int64 `json:"-"`
}

// cached is a Profile as stored in Redis (with its version).
type cached struct {
	Profile
	V int64 `json:"v"`
}

func profileOf(p pgstore.Player) Profile {
	return Profile{ID: p.ID, Name: p.Name, Kind: p.Kind, CreatedAt: p.CreatedAt.UTC(), Version: p.UpdatedAt.UnixMicro()}
}

// setNewerScript stores a cached profile unless the one there is newer
// (a reader that loaded the row before a change must not put it back over
// the changed one). KEYS[1] key; ARGV value, version, ttl ms.
var setNewerScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, v = pcall(function() return cjson.decode(cur)['v'] end)
  if ok and type(v) == 'number' and v > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`)

// profileCache is the cache-aside of public profiles in Redis.
type profileCache struct {
	rdb redis.UniversalClient
	key func(id string) string
	ttl time.Duration
}

// get returns the cached profile of id; ok false on a miss.
func (c profileCache) get(ctx context.Context, id string) (Profile, bool, error) {
	v, err := c.rdb.Get(ctx, c.key(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		metrics.CacheMiss("profile")
		return Profile{}, false, nil
	}
	if err != nil {
		return Profile{}, false, fmt.Errorf("profile cache get: %w", err)
	}
	var p cached
	if err := json.Unmarshal(v, &p); err != nil {
		metrics.CacheMiss("profile")
		return Profile{}, false, nil // unreadable: treat as a miss, put() replaces it
	}
	metrics.CacheHit("profile")
	p.Profile.Version = p.V
	return p.Profile, true, nil
}

// put stores p unless a newer version is cached. Called by readers after
// a miss and by every change (so a change replaces the cached profile:
// that is its invalidation).
func (c profileCache) put(ctx context.Context, p Profile) error {
	b, _ := json.Marshal(cached{Profile: p, V: p.Version})
	err := setNewerScript.Run(ctx, c.rdb, []string{c.key(p.ID)}, b, p.Version, c.ttl.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("profile cache put: %w", err)
	}
	return nil
}

// drop removes id's cached profile (the fallback when put fails).
func (c profileCache) drop(ctx context.Context, id string) error {
	if err := c.rdb.Del(ctx, c.key(id)).Err(); err != nil {
		return fmt.Errorf("profile cache drop: %w", err)
	}
	return nil
}
