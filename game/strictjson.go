package game

import (
	"encoding/json"
	"fmt"
)

// shape lists the exact keys an object may have (nil keys: any) and the
// shape of array elements.
type shape struct {
	keys map[string]*shape
	elem *shape
}

var (
	rulesShape  = &shape{keys: map[string]*shape{"target": nil, "play_all_tricks": nil, "hide_until_trump": nil, "random_first_hakem": nil}}
	actionShape = &shape{keys: map[string]*shape{"seat": nil, "trump": nil, "card": nil}}
	recordShape = &shape{keys: map[string]*shape{
		"rules": rulesShape, "first_hakem": nil, "draw": nil, "deals": nil,
		"actions": {elem: actionShape},
	}}
)

// maxDepth bounds nesting in strictly checked JSON.
const maxDepth = 16

// checkKeys walks one JSON value and reports keys that are not spelled
// exactly as sh allows, keys repeated within an object, and nesting deeper
// than maxDepth. Value types are left to json.Unmarshal.
func checkKeys(dec *json.Decoder, sh *shape, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nested deeper than %d", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			if seen[key] {
				return fmt.Errorf("duplicate key %q", key)
			}
			seen[key] = true
			var child *shape
			if sh != nil && sh.keys != nil {
				c, ok := sh.keys[key]
				if !ok {
					return fmt.Errorf("unknown field %q", key)
				}
				child = c
			}
			if err := checkKeys(dec, child, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	case json.Delim('['):
		var elem *shape
		if sh != nil {
			elem = sh.elem
		}
		for dec.More() {
			if err := checkKeys(dec, elem, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	}
	return nil
}
