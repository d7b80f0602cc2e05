package v3

import (
	"encoding/json"
	"testing"
	"time"
)

func TestScopeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Scope
		wantErr bool
	}{
		{in: `"unscoped"`, want: Scope{Unscoped: true}},
		{in: `{"project":{"name":"demo","domain":{"name":"Default"}}}`, want: Scope{Project: &ScopeProject{Name: "demo", Domain: &DomainRef{Name: "Default"}}}},
		{in: `{"domain":{"id":"default"}}`, want: Scope{Domain: &DomainRef{ID: "default"}}},
		{in: `"everything"`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			var got Scope
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got.Unscoped != tt.want.Unscoped || (got.Project == nil) != (tt.want.Project == nil) || (got.Domain == nil) != (tt.want.Domain == nil) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if got.Project != nil && (got.Project.Name != "demo" || got.Project.Domain.Name != "Default") {
				t.Errorf("project = %+v", got.Project)
			}
			back, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			var again Scope
			if err := json.Unmarshal(back, &again); err != nil || again.Unscoped != got.Unscoped {
				t.Errorf("round trip %s: %+v, %v", back, again, err)
			}
		})
	}
}

func TestTimeJSON(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 3, 1, 12, 30, 45, 123456789, time.FixedZone("X", 3600))
	if b, _ := json.Marshal(Time{at}); string(b) != `"2025-03-01T11:30:45.123456Z"` {
		t.Errorf("Time = %s", b)
	}
	if b, _ := json.Marshal(TimeNoZ{at}); string(b) != `"2025-03-01T11:30:45.123456"` {
		t.Errorf("TimeNoZ = %s", b)
	}
	for _, in := range []string{`"2025-03-01T11:30:45.123456Z"`, `"2025-03-01T11:30:45.123456"`, `"2025-03-01T12:30:45.123456+01:00"`, `"2025-03-01T11:30:45.123456+0000"`} {
		var got Time
		if err := json.Unmarshal([]byte(in), &got); err != nil || !got.Equal(at.Truncate(time.Microsecond)) {
			t.Errorf("Unmarshal(%s) = %v, %v", in, got, err)
		}
	}
	var bad Time
	if err := json.Unmarshal([]byte(`"tomorrow"`), &bad); err == nil {
		t.Error("parsed a non-time")
	}
}
