package ops

import (
	"errors"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
)

// NewAsynqmon is the asynqmon UI and API on the Redis conn reaches (a
// single server or, under Sentinel, the primary; build conn with
// redisconn.ConnOpt), to be mounted at AsynqmonRoot+"/". Close it when
// done: it opens connections of its own.
func NewAsynqmon(conn asynq.RedisConnOpt, readOnly bool) (*asynqmon.HTTPHandler, error) {
	if conn == nil {
		return nil, errors.New("asynqmon: no Redis connection")
	}
	return asynqmon.New(asynqmon.Options{RootPath: AsynqmonRoot, RedisConnOpt: conn, ReadOnly: readOnly}), nil
}
