package mountinfo

import "testing"

func TestParse(t *testing.T) {
	t.Parallel()
	got := Parse("36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n" +
		"garbage line\n" +
		"40 35 0:4 net:[4026532] /run/netns/a rw shared:5 - nsfs nsfs rw\n")
	if len(got) != 2 {
		t.Fatalf("parsed %d entries, want 2: %+v", len(got), got)
	}
	want := Entry{Root: "/mnt1", Point: "/mnt two", FSType: "ext3", Source: "/dev/root", SuperOptions: "rw,errors=continue"}
	if got[0] != want {
		t.Fatalf("first entry %+v, want %+v", got[0], want)
	}
	if got[1].FSType != "nsfs" || got[1].Point != "/run/netns/a" {
		t.Fatalf("second entry %+v", got[1])
	}
}

func TestUnescape(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{`a\040b`: "a b", `tab\011`: "tab\t", `plain`: "plain", `bad\09x`: `bad\09x`} {
		if got := Unescape(in); got != want {
			t.Errorf("Unescape(%q) = %q, want %q", in, got, want)
		}
	}
}
