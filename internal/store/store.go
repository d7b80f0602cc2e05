package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/slipway/slipway/internal/model"
)

// Errors returned by every Store implementation.
var (
	// ErrNotFound means no object has the requested identity.
	ErrNotFound = errors.New("object not found")
	// ErrRevisionMismatch means the object changed since it was read.
	ErrRevisionMismatch = errors.New("object changed since it was read")
	// ErrExists means an object with the same UUID already exists.
	ErrExists = errors.New("object already exists")
)

// Generations is a store that numbers its writes by kind: the number grows
// with every committed write of an object of one of kinds, from any
// process sharing the store. storesql.Store is one. A reader that cached an
// answer knows it is still current while the number has not moved.
type Generations interface {
	Generation(ctx context.Context, kinds ...model.Kind) (int64, error)
}

// Query selects, orders and pages objects of one kind. Zero fields do not
// filter.
type Query struct {
	ProjectID string
	Parent    string
	Ref       string
	Name      string
	// SortKey is a column (id, uuid, name, project_id, created_at,
	// updated_at) or a top-level field of the object's document. Empty
	// means id, which is creation order. The secondary order is always id.
	SortKey string
	// SortDesc orders descending.
	SortDesc bool
	// Marker is the UUID of the last object of the previous page.
	Marker string
	// Limit caps the number of objects; 0 means no cap.
	Limit int
}

// Record is one stored object, undecoded.
type Record struct {
	Meta model.Meta
	Doc  []byte
}

// Reader reads objects.
type Reader interface {
	// Get loads the object whose UUID is uuid into obj.
	Get(ctx context.Context, uuid string, obj model.Object) error
	// GetByID loads the object whose row id is id into obj.
	GetByID(ctx context.Context, id int64, obj model.Object) error
	// List returns the records of kind that match q. A Marker that names
	// no object gives ErrNotFound.
	List(ctx context.Context, kind model.Kind, q Query) ([]Record, error)
	// Count returns how many objects of kind match q's filters.
	Count(ctx context.Context, kind model.Kind, q Query) (int, error)
}

// Writer changes objects.
type Writer interface {
	Reader
	// Create stores a new object. It fills in the object's Meta: a UUID when
	// empty, the row id, revision 1 and the creation time.
	Create(ctx context.Context, obj model.Object) error
	// Update stores obj if its revision is the stored one, else it returns
	// ErrRevisionMismatch. It bumps the revision and sets UpdatedAt.
	Update(ctx context.Context, obj model.Object) error
	// Delete removes the object of kind with uuid. A missing object gives
	// ErrNotFound.
	Delete(ctx context.Context, kind model.Kind, uuid string) error
	// DeleteWhere removes every object of kind matching q's filters and
	// returns how many it removed.
	DeleteWhere(ctx context.Context, kind model.Kind, q Query) (int, error)
	// PutSecret stores data encrypted under name, replacing any previous value.
	PutSecret(ctx context.Context, name string, data []byte) error
	// GetSecret decrypts and returns the secret stored under name.
	GetSecret(ctx context.Context, name string) ([]byte, error)
	// DeleteSecrets removes every secret whose name starts with prefix.
	DeleteSecrets(ctx context.Context, prefix string) error
}

// Store is a transactional object store. Implementations live in child
// packages; cmd/ chooses one.
type Store interface {
	Writer
	// InTx runs fn in one transaction: all of its writes land, or none.
	InTx(ctx context.Context, fn func(tx Writer) error) error
	// Ping reports whether the backend answers.
	Ping(ctx context.Context) error
	// Close releases the backend.
	Close() error
}

// ptrObject constrains a pointer to a model type that is an Object.
type ptrObject[T any] interface {
	*T
	model.Object
}

// Get loads the object of type T with the given UUID.
func Get[T any, P ptrObject[T]](ctx context.Context, r Reader, uuid string) (P, error) {
	obj := P(new(T))
	if err := r.Get(ctx, uuid, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// List loads the objects of type T matching q.
func List[T any, P ptrObject[T]](ctx context.Context, r Reader, q Query) ([]P, error) {
	kind := P(new(T)).Kind()
	recs, err := r.List(ctx, kind, q)
	if err != nil {
		return nil, err
	}
	out := make([]P, 0, len(recs))
	for _, rec := range recs {
		obj := P(new(T))
		if err := Decode(rec, obj); err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
	return out, nil
}

// Decode fills obj from a record.
func Decode(rec Record, obj model.Object) error {
	if err := unmarshal(rec.Doc, obj); err != nil {
		return fmt.Errorf("decode %s %s: %w", obj.Kind(), rec.Meta.UUID, err)
	}
	*obj.GetMeta() = rec.Meta
	return nil
}
