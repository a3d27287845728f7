package ops

import (
	"errors"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"

	"github.com/hokm-project/hokm/internal/zjson"
)

// NewAsynqmon is the asynqmon UI and API on the Redis conn reaches (a
// single server or, under Sentinel, the primary; build conn with
// redisconn.ConnOpt), to be mounted at AsynqmonRoot+"/". Close it when
// done: it opens connections of its own.
func NewAsynqmon(conn asynq.RedisConnOpt, readOnly bool) (*asynqmon.HTTPHandler, error) {
	if conn == nil {
		return nil, errors.New("asynqmon: no Redis connection")
	}
	return asynqmon.New(asynqmon.Options{RootPath: AsynqmonRoot, RedisConnOpt: conn, ReadOnly: readOnly,
		PayloadFormatter: asynqmon.PayloadFormatterFunc(payloadText)}), nil
}

// payloadText shows a compressed payload (a finished match's persist task)
// as its JSON, where asynqmon would show "non-printable bytes".
func payloadText(taskType string, payload []byte) string {
	if zjson.Compressed(payload) {
		if plain, err := zjson.Plain(payload); err == nil {
			payload = plain
		}
	}
	return asynqmon.DefaultPayloadFormatter.FormatPayload(taskType, payload)
}
