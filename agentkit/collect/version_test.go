package collect

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

type vcase struct {
	a, b string
	want int
}

func checkOrder(t *testing.T, cmp func(a, b string) int, cases []vcase) {
	t.Helper()
	for _, c := range cases {
		assert.Equal(t, c.want, cmp(c.a, c.b), "%q vs %q", c.a, c.b)
		assert.Equal(t, -c.want, cmp(c.b, c.a), "%q vs %q (swapped)", c.b, c.a)
	}
}

func TestCompareDebian(t *testing.T) {
	t.Parallel()
	checkOrder(t, CompareDebian, []vcase{
		{"1.0", "1.0", 0},
		{"1.0", "1.0-1", -1},
		{"1.0-0", "1.0", 0},
		{"1.0~rc1", "1.0", -1},
		{"1.0~~", "1.0~", -1},
		{"1:0.9", "2.0", 1},
		{"0:1.0", "1.0", 0},
		{"2.35-0ubuntu3.6", "2.35-0ubuntu3.7", -1},
		{"1.0a", "1.0", 1},
		{"1.0+b1", "1.0", 1},
		{"1.0.0", "1.0.00", 0},
		{"7.88.1-10+deb12u14", "7.88.1-10+deb12u15", -1},
		{"2024a-0ubuntu0.22.04", "2024a-0ubuntu0.22.04.1", -1},
		{"5.15.0.91.88", "5.15.0.94.91", -1},
		{"1.2.10", "1.2.9", 1},
		{"1.0-1ubuntu1", "1.0-1", 1},
		{"1:2.38.1-5+deb12u3", "1:2.38.1-5+deb12u1", 1},
		{"20250419~deb12u2", "20230311+deb12u1", 1},
	})
}

func TestCompareRPM(t *testing.T) {
	t.Parallel()
	checkOrder(t, CompareRPM, []vcase{
		{"1.0", "1.0", 0},
		{"1.0", "1.0.1", -1},
		{"1.0a", "1.0", 1},
		{"1.0~rc1", "1.0", -1},
		{"1.0^git1", "1.0", 1},
		{"1.0^git1", "1.0.1", -1},
		{"1.a", "1.1", -1},
		{"1.01", "1.1", 0},
		{"5.14.0-427.el9.x86_64", "5.14.0-362.24.1.el9_3.x86_64", 1},
		{"6.1.0-9-amd64", "6.1.0-10-amd64", -1},
		{"6.9.7-arch1-1", "6.10.2-arch1-1", -1},
		{"4.18.0-513.18.1.el8_9", "4.18.0-513.9.1.el8_9", 1},
	})
}

func TestComparePacman(t *testing.T) {
	t.Parallel()
	checkOrder(t, ComparePacman, []vcase{
		{"1:1.0-1", "2.0-1", 1},
		{"1.0-2", "1.0-1", 1},
		{"1.0", "1.0-5", 0},
		{"8.5.0-1", "8.6.0-1", -1},
		{"2.42-1", "2.42-1.1", -1},
	})
}

func TestCompareAPK(t *testing.T) {
	t.Parallel()
	checkOrder(t, CompareAPK, []vcase{
		{"1.36.1-r15", "1.36.1-r29", -1},
		{"2.0_rc1-r0", "2.0-r0", -1},
		{"2.0_p1-r0", "2.0-r0", 1},
		{"1.0a-r0", "1.0-r0", 1},
		{"1.2.3-r0", "1.10-r0", -1},
		{"1.0_alpha1", "1.0_beta1", -1},
		{"3.3.1-r0", "3.3.1-r0", 0},
		{"1.0.3-r3", "1.0.3-r4", -1},
		{"0.9.8z-r0", "1.0.0-r0", -1},
	})
}

func FuzzCompareVersions(f *testing.F) {
	f.Add("1:2.3~rc1-4ubuntu0.1", "2.3-1")
	f.Add("1.0^git1", "1.0.1")
	f.Add("2.0_rc1-r0", "2.0_p1-r3")
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, cmp := range []func(string, string) int{CompareDebian, CompareRPM, ComparePacman, CompareAPK} {
			x, y := cmp(a, b), cmp(b, a)
			if x < -1 || x > 1 {
				t.Fatalf("result out of range: %d", x)
			}
			if cmp(a, a) != 0 {
				t.Fatalf("%q != itself", a)
			}
			_ = y
		}
		// Antisymmetry holds for the reference algorithms dpkg and rpm.
		if CompareDebian(a, b) != -CompareDebian(b, a) {
			t.Fatalf("dpkg order not antisymmetric for %q, %q", a, b)
		}
	})
}

func TestParseOSRelease(t *testing.T) {
	t.Parallel()
	got := ParseOSRelease("# comment\nNAME=\"Rocky Linux\"\nID=rocky\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID='9.4'\nPRETTY_NAME=\"Quote \\\"inside\\\"\"\nbroken line\n")
	assert.Equal(t, map[string]string{
		"NAME": "Rocky Linux", "ID": "rocky", "ID_LIKE": "rhel centos fedora", "VERSION_ID": "9.4",
		"PRETTY_NAME": `Quote "inside"`,
	}, got)
}

func FuzzParseOSRelease(f *testing.F) {
	f.Add("ID=debian\nVERSION_ID=\"12\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		for k := range ParseOSRelease(in) {
			if k == "" {
				t.Fatal("empty key")
			}
		}
	})
}
