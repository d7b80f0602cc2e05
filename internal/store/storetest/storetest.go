package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

// Run runs the conformance suite. open returns a new, empty store for one
// subtest and arranges for it to be closed when that subtest ends; it must
// be safe to call from parallel subtests. The store's secret methods must
// work.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Missing", testMissing},
		{"CreateExisting", testCreateExisting},
		{"ListFilters", testListFilters},
		{"Sort", testSort},
		{"InvalidSortKey", testInvalidSortKey},
		{"Paginate", testPaginate},
		{"PaginateWhileCreating", testPaginateWhileCreating},
		{"UnknownMarker", testUnknownMarker},
		{"Update", testUpdate},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"Delete", testDelete},
		{"DeleteWhere", testDeleteWhere},
		{"InTxCommits", testInTxCommits},
		{"InTxRollsBack", testInTxRollsBack},
		{"InTxRollsBackOnPanic", testInTxRollsBackOnPanic},
		{"Secrets", testSecrets},
		{"DeleteSecrets", testDeleteSecrets},
		{"Ping", testPing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func ptr[T any](v T) *T { return &v }

func create(t *testing.T, w store.Writer, objs ...model.Object) {
	t.Helper()
	for _, obj := range objs {
		if err := w.Create(t.Context(), obj); err != nil {
			t.Fatalf("Create %s: %v", obj.Kind(), err)
		}
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func newCluster(project, name, template string) *model.Cluster {
	return &model.Cluster{
		Name:              name,
		ProjectID:         project,
		UserID:            "user-1",
		ClusterTemplateID: template,
		Labels:            map[string]string{"kube_tag": "v1.33.1"},
		Status:            model.CreateInProgress,
	}
}

func newNodeGroup(project, cluster, name string, nodes int) *model.NodeGroup {
	return &model.NodeGroup{
		Name:          name,
		ClusterID:     cluster,
		ProjectID:     project,
		Labels:        map[string]string{},
		NodeAddresses: []string{},
		NodeCount:     nodes,
		Role:          model.RoleWorker,
		MinNodeCount:  1,
		Status:        model.CreateComplete,
	}
}

func testRoundTrip(t *testing.T, s store.Store) {
	issued := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, tc := range []struct {
		name string
		obj  model.Object
		// fresh returns an empty object of the same type.
		fresh func() model.Object
	}{
		{
			name: "cluster",
			obj: &model.Cluster{
				Name:               "k8s",
				ProjectID:          "p1",
				UserID:             "u1",
				ClusterTemplateID:  uuid.NewString(),
				Keypair:            "default",
				DockerVolumeSize:   ptr(20),
				Labels:             map[string]string{"kube_tag": "v1.33.1", "auto_healing_enabled": "true"},
				CreateTimeout:      60,
				MasterLBEnabled:    true,
				Status:             model.CreateInProgress,
				HealthStatusReason: map[string]string{"api": "ok"},
				NodesToRemove:      []string{"node-1", "node-2"},
				Operation:          model.Operation("create"),
			},
			fresh: func() model.Object { return new(model.Cluster) },
		},
		{
			name: "nodegroup",
			obj: &model.NodeGroup{
				Name:          "default-worker",
				ClusterID:     uuid.NewString(),
				ProjectID:     "p1",
				Labels:        map[string]string{"a": "b"},
				NodeAddresses: []string{"10.0.0.4", "10.0.0.5"},
				NodeCount:     2,
				Role:          model.RoleWorker,
				MinNodeCount:  1,
				MaxNodeCount:  ptr(5),
				IsDefault:     true,
				Status:        model.CreateComplete,
			},
			fresh: func() model.Object { return new(model.NodeGroup) },
		},
		{
			name: "user",
			obj: &model.User{
				Name:         "alice",
				PasswordHash: "$2a$10$abcdefghijklmnopqrstuv",
				Email:        "alice@example.com",
				Enabled:      true,
			},
			fresh: func() model.Object { return new(model.User) },
		},
		{
			name: "token with its own uuid",
			obj: &model.Token{
				Meta:      model.Meta{UUID: "sha256-3a1f0c9e"},
				UserID:    uuid.NewString(),
				ProjectID: "p1",
				Roles:     []string{model.RoleMember, model.RoleReader},
				Methods:   []string{"password"},
				AuditID:   "audit-1",
				IssuedAt:  issued,
				ExpiresAt: issued.Add(time.Hour),
			},
			fresh: func() model.Object { return new(model.Token) },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			presetUUID := tc.obj.GetMeta().UUID
			before := time.Now().UTC().Truncate(time.Second)
			create(t, s, tc.obj)
			after := time.Now().UTC()

			meta := *tc.obj.GetMeta()
			switch {
			case presetUUID != "" && meta.UUID != presetUUID:
				t.Errorf("Create replaced the UUID %q with %q", presetUUID, meta.UUID)
			case presetUUID == "" && uuid.Validate(meta.UUID) != nil:
				t.Errorf("Create set UUID %q, want a generated UUID", meta.UUID)
			}
			if meta.ID <= 0 {
				t.Errorf("Create set ID %d, want a positive row id", meta.ID)
			}
			if meta.Revision != 1 {
				t.Errorf("Create set Revision %d, want 1", meta.Revision)
			}
			if meta.CreatedAt.Before(before) || meta.CreatedAt.After(after) {
				t.Errorf("Create set CreatedAt %v, want between %v and %v", meta.CreatedAt, before, after)
			}
			checkTime(t, "CreatedAt", meta.CreatedAt)
			if meta.UpdatedAt != nil {
				t.Errorf("Create set UpdatedAt %v, want nil", *meta.UpdatedAt)
			}

			got := tc.fresh()
			if err := s.Get(t.Context(), meta.UUID, got); err != nil {
				t.Fatalf("Get: %v", err)
			}
			if !reflect.DeepEqual(got, tc.obj) {
				t.Errorf("Get returned\n%+v\nwant\n%+v", got, tc.obj)
			}
			checkTime(t, "CreatedAt after Get", got.GetMeta().CreatedAt)

			got = tc.fresh()
			if err := s.GetByID(t.Context(), meta.ID, got); err != nil {
				t.Fatalf("GetByID: %v", err)
			}
			if !reflect.DeepEqual(got, tc.obj) {
				t.Errorf("GetByID returned\n%+v\nwant\n%+v", got, tc.obj)
			}

			recs, err := s.List(t.Context(), tc.obj.Kind(), store.Query{})
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if len(recs) != 1 {
				t.Fatalf("List returned %d records, want 1", len(recs))
			}
			got = tc.fresh()
			if err := store.Decode(recs[0], got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.obj) {
				t.Errorf("List returned\n%+v\nwant\n%+v", got, tc.obj)
			}
		})
	}
}

// checkTime fails unless ts is in UTC and whole seconds.
func checkTime(t *testing.T, what string, ts time.Time) {
	t.Helper()
	if ts.Location() != time.UTC {
		t.Errorf("%s %v is in %v, want UTC", what, ts, ts.Location())
	}
	if ts.Nanosecond() != 0 {
		t.Errorf("%s %v has fractional seconds", what, ts)
	}
}

func testMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCluster("p1", "present", "")
	create(t, s, c)

	wantErr(t, "Get of a missing uuid", s.Get(ctx, uuid.NewString(), new(model.Cluster)), store.ErrNotFound)
	wantErr(t, "Get with the wrong kind", s.Get(ctx, c.UUID, new(model.NodeGroup)), store.ErrNotFound)
	wantErr(t, "GetByID of a missing id", s.GetByID(ctx, c.ID+1000, new(model.Cluster)), store.ErrNotFound)
	wantErr(t, "GetByID with the wrong kind", s.GetByID(ctx, c.ID, new(model.User)), store.ErrNotFound)
	wantErr(t, "Delete of a missing uuid", s.Delete(ctx, model.KindCluster, uuid.NewString()), store.ErrNotFound)
	wantErr(t, "Delete with the wrong kind", s.Delete(ctx, model.KindNodeGroup, c.UUID), store.ErrNotFound)
	ghost := newCluster("p1", "ghost", "")
	ghost.Meta = model.Meta{UUID: uuid.NewString(), Revision: 1}
	wantErr(t, "Update of a missing object", s.Update(ctx, ghost), store.ErrNotFound)

	if err := s.Get(ctx, c.UUID, new(model.Cluster)); err != nil {
		t.Fatalf("the present cluster is gone: %v", err)
	}
}

func testCreateExisting(t *testing.T, s store.Store) {
	first := &model.User{Meta: model.Meta{UUID: "fixed-uuid"}, Name: "first"}
	create(t, s, first)
	second := &model.User{Meta: model.Meta{UUID: "fixed-uuid"}, Name: "second"}
	wantErr(t, "Create with a taken uuid", s.Create(t.Context(), second), store.ErrExists)

	got, err := store.Get[model.User](t.Context(), s, "fixed-uuid")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "first" {
		t.Fatalf("after a failed Create the stored user is %q, want %q", got.Name, "first")
	}
}

func clusterNames(objs []*model.Cluster) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Name
	}
	return out
}

func nodeGroupNames(objs []*model.NodeGroup) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Name
	}
	return out
}

func testListFilters(t *testing.T, s store.Store) {
	tmplA, tmplB := uuid.NewString(), uuid.NewString()
	a1 := newCluster("p1", "a1", tmplA)
	a2 := newCluster("p1", "a2", tmplB)
	b1 := newCluster("p2", "b1", tmplA)
	dup := newCluster("p2", "a1", tmplB)
	create(t, s, a1, a2, b1, dup)
	create(t, s,
		newNodeGroup("p1", a1.UUID, "a1-master", 1),
		newNodeGroup("p1", a1.UUID, "a1-worker", 3),
		newNodeGroup("p1", a2.UUID, "a2-worker", 2),
		&model.User{Name: "a1"},
	)

	for _, tc := range []struct {
		name string
		kind model.Kind
		q    store.Query
		want []string
	}{
		{"all clusters", model.KindCluster, store.Query{}, []string{"a1", "a2", "b1", "a1"}},
		{"by project", model.KindCluster, store.Query{ProjectID: "p2"}, []string{"b1", "a1"}},
		{"by ref", model.KindCluster, store.Query{Ref: tmplA}, []string{"a1", "b1"}},
		{"by name", model.KindCluster, store.Query{Name: "a1"}, []string{"a1", "a1"}},
		{"by project and name", model.KindCluster, store.Query{ProjectID: "p1", Name: "a1"}, []string{"a1"}},
		{"by project and ref", model.KindCluster, store.Query{ProjectID: "p2", Ref: tmplB}, []string{"a1"}},
		{"nothing matches", model.KindCluster, store.Query{ProjectID: "p3"}, nil},
		{"by parent", model.KindNodeGroup, store.Query{Parent: a1.UUID}, []string{"a1-master", "a1-worker"}},
		{"by parent and name", model.KindNodeGroup, store.Query{Parent: a1.UUID, Name: "a1-worker"}, []string{"a1-worker"}},
		{"other kind", model.KindUser, store.Query{}, []string{"a1"}},
		{"limit", model.KindCluster, store.Query{Limit: 2}, []string{"a1", "a2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := s.List(t.Context(), tc.kind, tc.q)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			var got []string
			for _, rec := range recs {
				var ix struct{ Name string }
				decodeName(t, rec, &ix.Name)
				got = append(got, ix.Name)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("List(%+v) = %q, want %q", tc.q, got, tc.want)
			}

			n, err := s.Count(t.Context(), tc.kind, tc.q)
			if err != nil {
				t.Fatalf("Count: %v", err)
			}
			want := len(tc.want)
			if tc.q.Limit > 0 {
				want = 4 // Count ignores Limit.
			}
			if n != want {
				t.Errorf("Count(%+v) = %d, want %d", tc.q, n, want)
			}
		})
	}
}

// decodeName decodes the name field of a record's document.
func decodeName(t *testing.T, rec store.Record, name *string) {
	t.Helper()
	var obj model.Role // any type whose document has a name decodes it
	if err := store.Decode(rec, &obj); err != nil {
		t.Fatal(err)
	}
	*name = obj.Name
}

// sortFixture creates nodegroups with ties and gaps in their fields and
// returns them in creation order.
func sortFixture(t *testing.T, s store.Store, n int) []*model.NodeGroup {
	t.Helper()
	cluster := uuid.NewString()
	var out []*model.NodeGroup
	for i := range n {
		// Names are created out of order; node counts have ties and need
		// numeric order (2 before 10); every third group has no maximum.
		ng := newNodeGroup(fmt.Sprintf("p%d", i%2), cluster, fmt.Sprintf("ng-%02d", (i*7)%n), []int{10, 2, 2, 33, 5}[i%5])
		if i%3 != 0 {
			ng.MaxNodeCount = ptr(i % 4)
		}
		if i%4 == 0 {
			ng.Role = model.RoleMaster
		}
		create(t, s, ng)
		out = append(out, ng)
	}
	return out
}

// sortKeys are the orders the sort and pagination tests check, each with a
// comparison of two nodegroups by that key alone.
var sortKeys = []struct {
	key     string
	compare func(a, b *model.NodeGroup) int
}{
	{"", func(a, b *model.NodeGroup) int { return 0 }},
	{"id", func(a, b *model.NodeGroup) int { return 0 }},
	{"name", func(a, b *model.NodeGroup) int { return cmp.Compare(a.Name, b.Name) }},
	{"uuid", func(a, b *model.NodeGroup) int { return cmp.Compare(a.UUID, b.UUID) }},
	{"project_id", func(a, b *model.NodeGroup) int { return cmp.Compare(a.ProjectID, b.ProjectID) }},
	{"created_at", func(a, b *model.NodeGroup) int { return a.CreatedAt.Compare(b.CreatedAt) }},
	{"node_count", func(a, b *model.NodeGroup) int { return cmp.Compare(a.NodeCount, b.NodeCount) }},
	{"role", func(a, b *model.NodeGroup) int { return cmp.Compare(a.Role, b.Role) }},
	{"max_node_count", func(a, b *model.NodeGroup) int {
		// A missing field sorts first.
		switch {
		case a.MaxNodeCount == nil && b.MaxNodeCount == nil:
			return 0
		case a.MaxNodeCount == nil:
			return -1
		case b.MaxNodeCount == nil:
			return 1
		}
		return cmp.Compare(*a.MaxNodeCount, *b.MaxNodeCount)
	}},
	{"no_such_field", func(a, b *model.NodeGroup) int { return 0 }},
}

// expectedOrder returns the UUIDs of objs sorted by byKey, then by row id,
// both in the given direction.
func expectedOrder(objs []*model.NodeGroup, byKey func(a, b *model.NodeGroup) int, desc bool) []string {
	sorted := slices.Clone(objs)
	slices.SortFunc(sorted, func(a, b *model.NodeGroup) int {
		c := byKey(a, b)
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if desc {
			c = -c
		}
		return c
	})
	return uuids(sorted)
}

// sortCase names the subtest for one order.
func sortCase(key string, desc bool) string {
	if key == "" {
		key = "default"
	}
	if desc {
		return key + " desc"
	}
	return key + " asc"
}

func uuids(objs []*model.NodeGroup) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.UUID
	}
	return out
}

func testSort(t *testing.T, s store.Store) {
	objs := sortFixture(t, s, 10)
	for _, sk := range sortKeys {
		for _, desc := range []bool{false, true} {
			t.Run(sortCase(sk.key, desc), func(t *testing.T) {
				got, err := store.List[model.NodeGroup](t.Context(), s, store.Query{SortKey: sk.key, SortDesc: desc})
				if err != nil {
					t.Fatalf("List: %v", err)
				}
				want := expectedOrder(objs, sk.compare, desc)
				if !reflect.DeepEqual(uuids(got), want) {
					t.Errorf("List sorted by %q desc=%v gave names %q, want %q",
						sk.key, desc, nodeGroupNames(got), namesOf(objs, want))
				}
			})
		}
	}

	t.Run("updated_at", func(t *testing.T) {
		// Objects never updated sort first; then by update time, then id.
		ctx := t.Context()
		for _, i := range []int{7, 2} {
			ng := objs[i]
			ng.NodeCount++
			if err := s.Update(ctx, ng); err != nil {
				t.Fatal(err)
			}
		}
		got, err := store.List[model.NodeGroup](ctx, s, store.Query{SortKey: "updated_at"})
		if err != nil {
			t.Fatal(err)
		}
		ids := uuids(got)
		if len(ids) != len(objs) {
			t.Fatalf("List returned %d objects, want %d", len(ids), len(objs))
		}
		last := ids[len(ids)-2:]
		if objs[2].UpdatedAt.Equal(*objs[7].UpdatedAt) {
			if !reflect.DeepEqual(last, []string{objs[2].UUID, objs[7].UUID}) {
				t.Errorf("updated objects sort as %q, want the two updated ones last, by id", nodeGroupNames(got))
			}
		} else if !reflect.DeepEqual(last, []string{objs[7].UUID, objs[2].UUID}) {
			t.Errorf("updated objects sort as %q, want the two updated ones last, by update time", nodeGroupNames(got))
		}
		got, err = store.List[model.NodeGroup](ctx, s, store.Query{SortKey: "updated_at", SortDesc: true, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].UpdatedAt == nil || got[1].UpdatedAt == nil {
			t.Errorf("descending by updated_at, the first two are %q, want the updated ones", nodeGroupNames(got))
		}
	})
}

func namesOf(objs []*model.NodeGroup, ids []string) []string {
	byID := map[string]string{}
	for _, o := range objs {
		byID[o.UUID] = o.Name
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out
}

func testInvalidSortKey(t *testing.T, s store.Store) {
	create(t, s, newCluster("p1", "survivor", ""))
	for _, key := range []string{
		"name; DROP TABLE objects",
		"name DESC",
		"labels.kube_tag",
		"doc->>'name'",
		"1",
		"na'me",
	} {
		_, err := s.List(t.Context(), model.KindCluster, store.Query{SortKey: key})
		if !errors.Is(err, model.ErrInvalid) {
			t.Errorf("List with sort key %q: got error %v, want model.ErrInvalid", key, err)
		}
	}
	n, err := s.Count(t.Context(), model.KindCluster, store.Query{})
	if err != nil || n != 1 {
		t.Fatalf("after bad sort keys Count = %d, %v; want 1, nil", n, err)
	}
}

// page lists every page of q by markers and returns the pages.
func page(t *testing.T, s store.Reader, q store.Query) [][]*model.NodeGroup {
	t.Helper()
	var pages [][]*model.NodeGroup
	for range 100 {
		got, err := store.List[model.NodeGroup](t.Context(), s, q)
		if err != nil {
			t.Fatalf("List(%+v): %v", q, err)
		}
		if len(got) == 0 {
			return pages
		}
		pages = append(pages, got)
		q.Marker = got[len(got)-1].UUID
	}
	t.Fatal("pagination does not end")
	return nil
}

func testPaginate(t *testing.T, s store.Store) {
	objs := sortFixture(t, s, 25)
	for _, sk := range sortKeys {
		for _, desc := range []bool{false, true} {
			t.Run(sortCase(sk.key, desc), func(t *testing.T) {
				pages := page(t, s, store.Query{SortKey: sk.key, SortDesc: desc, Limit: 10})
				var sizes []int
				var all []string
				for _, p := range pages {
					sizes = append(sizes, len(p))
					all = append(all, uuids(p)...)
				}
				if !reflect.DeepEqual(sizes, []int{10, 10, 5}) {
					t.Errorf("page sizes = %v, want [10 10 5]", sizes)
				}
				want := expectedOrder(objs, sk.compare, desc)
				if !reflect.DeepEqual(all, want) {
					t.Errorf("pages by %q desc=%v hold names\n%q\nwant\n%q",
						sk.key, desc, namesOf(objs, all), namesOf(objs, want))
				}
			})
		}
	}

	t.Run("with filter", func(t *testing.T) {
		pages := page(t, s, store.Query{ProjectID: "p1", SortKey: "node_count", Limit: 5})
		var all []string
		for _, p := range pages {
			for _, ng := range p {
				if ng.ProjectID != "p1" {
					t.Fatalf("page holds %s of project %s, want only p1", ng.Name, ng.ProjectID)
				}
				all = append(all, ng.UUID)
			}
		}
		if len(all) != 12 {
			t.Errorf("pages hold %d nodegroups of p1, want 12", len(all))
		}
	})
}

func testPaginateWhileCreating(t *testing.T, s store.Store) {
	ctx := t.Context()
	objs := sortFixture(t, s, 10)
	q := store.Query{SortKey: "name", Limit: 4}
	first, err := store.List[model.NodeGroup](ctx, s, q)
	if err != nil {
		t.Fatal(err)
	}
	// A new object that sorts before the marker must not shift the next
	// page.
	create(t, s, newNodeGroup("p0", uuid.NewString(), "aaa", 1))
	q.Marker = first[len(first)-1].UUID
	q.Limit = 0
	rest, err := store.List[model.NodeGroup](ctx, s, q)
	if err != nil {
		t.Fatal(err)
	}
	got := append(nodeGroupNames(first), nodeGroupNames(rest)...)
	want := namesOf(objs, expectedOrder(objs, sortKeys[2].compare, false))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pages after a concurrent create hold %q, want %q", got, want)
	}
}

func testUnknownMarker(t *testing.T, s store.Store) {
	c := newCluster("p1", "c", "")
	create(t, s, c)
	_, err := s.List(t.Context(), model.KindCluster, store.Query{Marker: uuid.NewString()})
	wantErr(t, "List with an unknown marker", err, store.ErrNotFound)
	_, err = s.List(t.Context(), model.KindNodeGroup, store.Query{Marker: c.UUID})
	wantErr(t, "List with a marker of another kind", err, store.ErrNotFound)
}

func testUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCluster("p1", "before", uuid.NewString())
	create(t, s, c)
	stale := *c

	got, err := store.Get[model.Cluster](ctx, s, c.UUID)
	if err != nil {
		t.Fatal(err)
	}
	got.Name = "after"
	got.Status = model.CreateComplete
	got.Labels["new"] = "label"
	got.ClusterTemplateID = uuid.NewString()
	before := time.Now().UTC().Truncate(time.Second)
	if err := s.Update(ctx, got); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got.Revision != 2 {
		t.Errorf("Update set Revision %d, want 2", got.Revision)
	}
	if got.UpdatedAt == nil || got.UpdatedAt.Before(before) {
		t.Errorf("Update set UpdatedAt %v, want a time from now", got.UpdatedAt)
	} else {
		checkTime(t, "UpdatedAt", *got.UpdatedAt)
	}
	if !got.CreatedAt.Equal(c.CreatedAt) || got.ID != c.ID {
		t.Errorf("Update changed the identity: ID %d→%d, CreatedAt %v→%v", c.ID, got.ID, c.CreatedAt, got.CreatedAt)
	}

	reread, err := store.Get[model.Cluster](ctx, s, c.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(reread, got) {
		t.Errorf("Get after Update returned\n%+v\nwant\n%+v", reread, got)
	}

	// The index columns follow the document.
	for _, tc := range []struct {
		q    store.Query
		want int
	}{
		{store.Query{Name: "after"}, 1},
		{store.Query{Name: "before"}, 0},
		{store.Query{Ref: got.ClusterTemplateID}, 1},
		{store.Query{Ref: c.ClusterTemplateID}, 0},
	} {
		n, err := s.Count(ctx, model.KindCluster, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if n != tc.want {
			t.Errorf("after Update, Count(%+v) = %d, want %d", tc.q, n, tc.want)
		}
	}

	stale.Name = "lost update"
	wantErr(t, "Update with a stale revision", s.Update(ctx, &stale), store.ErrRevisionMismatch)
	reread, err = store.Get[model.Cluster](ctx, s, c.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if reread.Name != "after" || reread.Revision != 2 {
		t.Errorf("a stale Update changed the object: name %q revision %d", reread.Name, reread.Revision)
	}
}

func testConcurrentUpdates(t *testing.T, s store.Store) {
	ctx := t.Context()
	const writers, rounds = 8, 5
	ng := newNodeGroup("p1", uuid.NewString(), "raced", 0)
	create(t, s, ng)

	for round := range rounds {
		copies := make([]*model.NodeGroup, writers)
		for i := range copies {
			var err error
			if copies[i], err = store.Get[model.NodeGroup](ctx, s, ng.UUID); err != nil {
				t.Fatal(err)
			}
			copies[i].NodeCount = i
		}
		errs := make([]error, writers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range copies {
			wg.Go(func() {
				<-start
				errs[i] = s.Update(ctx, copies[i])
			})
		}
		close(start)
		wg.Wait()

		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: writers %d and %d both won revision %d", round, winner, i, copies[i].Revision-1)
			case err == nil:
				winner = i
			case !errors.Is(err, store.ErrRevisionMismatch):
				t.Fatalf("round %d: writer %d: %v, want ErrRevisionMismatch", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no writer won", round)
		}
		got, err := store.Get[model.NodeGroup](ctx, s, ng.UUID)
		if err != nil {
			t.Fatal(err)
		}
		if got.NodeCount != winner || got.Revision != int64(round+2) {
			t.Fatalf("round %d: stored node_count %d revision %d, want the winner's %d at revision %d",
				round, got.NodeCount, got.Revision, winner, round+2)
		}
	}
}

func testDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	keep, gone := newCluster("p1", "keep", ""), newCluster("p1", "gone", "")
	create(t, s, keep, gone)
	if err := s.Delete(ctx, model.KindCluster, gone.UUID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantErr(t, "Get after Delete", s.Get(ctx, gone.UUID, new(model.Cluster)), store.ErrNotFound)
	wantErr(t, "second Delete", s.Delete(ctx, model.KindCluster, gone.UUID), store.ErrNotFound)
	gone.Name = "resurrected"
	wantErr(t, "Update after Delete", s.Update(ctx, gone), store.ErrNotFound)
	got, err := store.List[model.Cluster](ctx, s, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(clusterNames(got), []string{"keep"}) {
		t.Errorf("after Delete List = %q, want [keep]", clusterNames(got))
	}
	// The UUID is free again.
	again := newCluster("p1", "again", "")
	again.UUID = gone.UUID
	create(t, s, again)
}

func testDeleteWhere(t *testing.T, s store.Store) {
	ctx := t.Context()
	c1, c2 := uuid.NewString(), uuid.NewString()
	create(t, s,
		newNodeGroup("p1", c1, "c1-a", 1),
		newNodeGroup("p1", c1, "c1-b", 1),
		newNodeGroup("p1", c2, "c2-a", 1),
		&model.Quota{ProjectID: "p1", Resource: model.QuotaResourceCluster, HardLimit: 3},
	)
	n, err := s.DeleteWhere(ctx, model.KindNodeGroup, store.Query{Parent: c1, Limit: 1, SortKey: "name"})
	if err != nil {
		t.Fatalf("DeleteWhere: %v", err)
	}
	if n != 2 {
		t.Errorf("DeleteWhere by parent removed %d, want 2 (limit does not apply)", n)
	}
	got, err := store.List[model.NodeGroup](ctx, s, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(nodeGroupNames(got), []string{"c2-a"}) {
		t.Errorf("after DeleteWhere nodegroups = %q, want [c2-a]", nodeGroupNames(got))
	}

	n, err = s.DeleteWhere(ctx, model.KindNodeGroup, store.Query{ProjectID: "p1"})
	if err != nil || n != 1 {
		t.Errorf("DeleteWhere by project = %d, %v; want 1, nil", n, err)
	}
	if n, err := s.Count(ctx, model.KindQuota, store.Query{ProjectID: "p1"}); err != nil || n != 1 {
		t.Errorf("DeleteWhere of nodegroups touched quotas: Count = %d, %v", n, err)
	}
	n, err = s.DeleteWhere(ctx, model.KindNodeGroup, store.Query{ProjectID: "p1"})
	if err != nil || n != 0 {
		t.Errorf("DeleteWhere with nothing to delete = %d, %v; want 0, nil", n, err)
	}
}

func testInTxCommits(t *testing.T, s store.Store) {
	ctx := t.Context()
	existing := newCluster("p1", "existing", "")
	create(t, s, existing)
	var created *model.Cluster
	err := s.InTx(ctx, func(tx store.Writer) error {
		created = newCluster("p1", "in-tx", "")
		if err := tx.Create(ctx, created); err != nil {
			return err
		}
		// The transaction reads its own writes.
		if _, err := store.Get[model.Cluster](ctx, tx, created.UUID); err != nil {
			return fmt.Errorf("read own write: %w", err)
		}
		c, err := store.Get[model.Cluster](ctx, tx, existing.UUID)
		if err != nil {
			return err
		}
		c.Status = model.CreateComplete
		if err := tx.Update(ctx, c); err != nil {
			return err
		}
		return tx.PutSecret(ctx, "cluster/"+created.UUID+"/ca.key", []byte("key"))
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if _, err := store.Get[model.Cluster](ctx, s, created.UUID); err != nil {
		t.Errorf("object created in a committed transaction: %v", err)
	}
	if c, err := store.Get[model.Cluster](ctx, s, existing.UUID); err != nil || c.Status != model.CreateComplete {
		t.Errorf("object updated in a committed transaction: status %v, %v", c.Status, err)
	}
	if _, err := s.GetSecret(ctx, "cluster/"+created.UUID+"/ca.key"); err != nil {
		t.Errorf("secret put in a committed transaction: %v", err)
	}
}

var errAbort = errors.New("abort")

// txWrites makes one of each write in tx, for the rollback tests.
func txWrites(ctx context.Context, tx store.Writer, existing, victim *model.Cluster) error {
	if err := tx.Create(ctx, newCluster("p1", "phantom", "")); err != nil {
		return err
	}
	c, err := store.Get[model.Cluster](ctx, tx, existing.UUID)
	if err != nil {
		return err
	}
	c.Name = "renamed"
	if err := tx.Update(ctx, c); err != nil {
		return err
	}
	if err := tx.Delete(ctx, model.KindCluster, victim.UUID); err != nil {
		return err
	}
	if err := tx.PutSecret(ctx, "phantom/key", []byte("x")); err != nil {
		return err
	}
	return tx.DeleteSecrets(ctx, "kept/")
}

func checkRolledBack(t *testing.T, s store.Store, existing, victim *model.Cluster) {
	t.Helper()
	ctx := t.Context()
	got, err := store.List[model.Cluster](ctx, s, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(clusterNames(got), []string{"existing", "victim"}) {
		t.Errorf("after rollback clusters = %q, want [existing victim]", clusterNames(got))
	}
	if len(got) > 0 && got[0].Revision != existing.Revision {
		t.Errorf("after rollback the updated object has revision %d, want %d", got[0].Revision, existing.Revision)
	}
	_, err = s.GetSecret(ctx, "phantom/key")
	wantErr(t, "secret put in a rolled-back transaction", err, store.ErrNotFound)
	if _, err := s.GetSecret(ctx, "kept/key"); err != nil {
		t.Errorf("secret deleted in a rolled-back transaction: %v", err)
	}
}

func rollbackFixture(t *testing.T, s store.Store) (existing, victim *model.Cluster) {
	existing, victim = newCluster("p1", "existing", ""), newCluster("p1", "victim", "")
	create(t, s, existing, victim)
	if err := s.PutSecret(t.Context(), "kept/key", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	return existing, victim
}

func testInTxRollsBack(t *testing.T, s store.Store) {
	ctx := t.Context()
	existing, victim := rollbackFixture(t, s)
	err := s.InTx(ctx, func(tx store.Writer) error {
		if err := txWrites(ctx, tx, existing, victim); err != nil {
			return fmt.Errorf("unexpected: %w", err)
		}
		return errAbort
	})
	wantErr(t, "InTx whose fn fails", err, errAbort)
	checkRolledBack(t, s, existing, victim)
}

func testInTxRollsBackOnPanic(t *testing.T, s store.Store) {
	ctx := t.Context()
	existing, victim := rollbackFixture(t, s)
	func() {
		defer func() {
			if p := recover(); p != any(errAbort) {
				t.Errorf("InTx recovered %v, want the panic to propagate", p)
			}
		}()
		_ = s.InTx(ctx, func(tx store.Writer) error {
			if err := txWrites(ctx, tx, existing, victim); err != nil {
				t.Errorf("writes in tx: %v", err)
			}
			panic(errAbort)
		})
	}()
	checkRolledBack(t, s, existing, victim)
}

func testSecrets(t *testing.T, s store.Store) {
	ctx := t.Context()
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"cluster/a/ca.key", []byte("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n")},
		{"cluster/a/binary", binary},
		{"empty", []byte{}},
	} {
		if err := s.PutSecret(ctx, tc.name, tc.data); err != nil {
			t.Fatalf("PutSecret %s: %v", tc.name, err)
		}
		got, err := s.GetSecret(ctx, tc.name)
		if err != nil {
			t.Fatalf("GetSecret %s: %v", tc.name, err)
		}
		if string(got) != string(tc.data) {
			t.Errorf("GetSecret %s = %q, want %q", tc.name, got, tc.data)
		}
	}

	if err := s.PutSecret(ctx, "cluster/a/ca.key", []byte("replaced")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetSecret(ctx, "cluster/a/ca.key"); err != nil || string(got) != "replaced" {
		t.Errorf("GetSecret after replacing = %q, %v; want %q", got, err, "replaced")
	}
	_, err := s.GetSecret(ctx, "cluster/a/missing")
	wantErr(t, "GetSecret of a missing name", err, store.ErrNotFound)
}

func testDeleteSecrets(t *testing.T, s store.Store) {
	ctx := t.Context()
	all := []string{
		"cluster/a/ca.key", "cluster/a/sa.key", "cluster/ab/ca.key", "cluster/b/ca.key",
		"Cluster/a/ca.key", "x_1", "xa1", "x%1",
	}
	for _, name := range all {
		if err := s.PutSecret(ctx, name, []byte(name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		prefix  string
		deleted []string
	}{
		{"cluster/a/", []string{"cluster/a/ca.key", "cluster/a/sa.key"}},
		{"cluster/zzz/", nil},
		{"x_", []string{"x_1"}},
		{"x%", []string{"x%1"}},
	} {
		if err := s.DeleteSecrets(ctx, tc.prefix); err != nil {
			t.Fatalf("DeleteSecrets(%q): %v", tc.prefix, err)
		}
		for _, name := range tc.deleted {
			_, err := s.GetSecret(ctx, name)
			wantErr(t, fmt.Sprintf("GetSecret(%q) after DeleteSecrets(%q)", name, tc.prefix), err, store.ErrNotFound)
		}
	}
	for _, name := range []string{"cluster/ab/ca.key", "cluster/b/ca.key", "Cluster/a/ca.key", "xa1"} {
		if got, err := s.GetSecret(ctx, name); err != nil || string(got) != name {
			t.Errorf("secret %q that no prefix matched: %q, %v", name, got, err)
		}
	}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
