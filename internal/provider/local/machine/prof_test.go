package machine

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestProfileCreate(t *testing.T) {
	ctx := t.Context()
	cfg := testConfig(t)
	m := newManager(t, cfg)
	for i := 0; i < 5; i++ {
		id := fmt.Sprintf("p%d", i)
		l := m.layout(id)
		t0 := time.Now()
		os.Mkdir(l.dir, 0o700)
		if err := prepareDisk(l, m.userland); err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		os.RemoveAll(l.dir)
		t2 := time.Now()
		_, err := m.Create(ctx, Spec{ID: id, Name: id, Flavor: Flavor{VCPUs: 1, MemoryMiB: 256}})
		t3 := time.Now()
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.Wait(ctx, id)
		t4 := time.Now()
		b, _ := os.ReadFile(filepath.Join(l.disk(), "var/log/slipway/console.log"))
		_ = b
		t5 := time.Now()
		m.Delete(ctx, id)
		t6 := time.Now()
		t.Logf("prepareDisk %v rmall %v create %v wait %v delete %v", t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3), t6.Sub(t5))
	}
}
