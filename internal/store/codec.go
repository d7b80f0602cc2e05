package store

import "encoding/json"

// Encode returns the document the store keeps for obj.
func Encode(obj any) ([]byte, error) { return json.Marshal(obj) }

func unmarshal(doc []byte, obj any) error { return json.Unmarshal(doc, obj) }
