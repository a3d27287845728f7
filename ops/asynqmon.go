package ops

import (
	"fmt"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
)

// NewAsynqmon is the asynqmon UI and API on the Redis at redisURL, to be
// mounted at AsynqmonRoot+"/". Close it when done (it has its own Redis
// connection).
func NewAsynqmon(redisURL string, readOnly bool) (*asynqmon.HTTPHandler, error) {
	conn, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return nil, fmt.Errorf("HOKM_REDIS_URL: %w", err)
	}
	return asynqmon.New(asynqmon.Options{RootPath: AsynqmonRoot, RedisConnOpt: conn, ReadOnly: readOnly}), nil
}
