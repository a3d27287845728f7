package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Chat retention: the last ChatKeep messages of a table, for ChatTTL after
// the last one.
const (
	ChatKeep = 50
	ChatTTL  = time.Hour
)

// TableMessage is what is published on a table's channel: a worker's
// Message, or a chat frame (Chat) from a gateway.
type TableMessage struct {
	Message
	Chat json.RawMessage `json:"chat,omitempty"`
}

// PostChat keeps a chat frame (JSON) in the table's capped chat list and
// publishes it on the table's channel, in one MULTI.
func (s *Store) PostChat(ctx context.Context, tableID string, frame json.RawMessage) error {
	msg, err := json.Marshal(TableMessage{Chat: frame})
	if err != nil {
		return fmt.Errorf("encode chat: %w", err)
	}
	key := s.keys.Chat(tableID)
	_, err = s.rdb.TxPipelined(ctx, func(p redisPipe) error {
		p.RPush(ctx, key, []byte(frame))
		p.LTrim(ctx, key, -ChatKeep, -1)
		p.Expire(ctx, key, ChatTTL)
		p.Publish(ctx, s.keys.Channel(tableID), msg)
		return nil
	})
	if err != nil {
		return fmt.Errorf("post chat: %w", err)
	}
	return nil
}

// ChatHistory returns the table's kept chat frames, oldest first.
func (s *Store) ChatHistory(ctx context.Context, tableID string) ([]json.RawMessage, error) {
	vals, err := s.rdb.LRange(ctx, s.keys.Chat(tableID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("chat history: %w", err)
	}
	out := make([]json.RawMessage, len(vals))
	for i, v := range vals {
		out[i] = json.RawMessage(v)
	}
	return out, nil
}
