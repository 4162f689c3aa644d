package collect

import (
	"strings"
)

// The version orderings below decide whether a candidate is newer than what
// is installed and whether an installed kernel is newer than the running one.
// Each follows its package manager's reference implementation (dpkg's
// verrevcmp, rpm's rpmvercmp, pacman's alpm_pkg_vercmp, apk-tools' version
// compare), because "newer" must mean exactly what the package manager means.

// CompareDebian compares two Debian package versions
// ([epoch:]upstream[-revision]) as dpkg does and returns -1, 0 or +1.
func CompareDebian(a, b string) int {
	ae, au, ar := splitDebian(a)
	be, bu, br := splitDebian(b)
	if c := compareNumeric(ae, be); c != 0 {
		return c
	}
	if c := verrevcmp(au, bu); c != 0 {
		return c
	}
	return verrevcmp(ar, br)
}

func splitDebian(v string) (epoch, upstream, revision string) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ':'); i >= 0 && isDigits(v[:i]) {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// compareNumeric compares two digit strings of any length by value; an empty
// string counts as zero.
func compareNumeric(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return sign(strings.Compare(a, b))
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// debOrder is dpkg's character weight: digits and the end of the string weigh
// 0, '~' sorts before everything (even the end), letters before other
// characters.
func debOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := debOrder(a, i), debOrder(b, j)
			if ac != bc {
				return sign(ac - bc)
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		firstDiff := 0
		for i < len(a) && j < len(b) && isDigit(a[i]) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return sign(firstDiff)
		}
	}
	return 0
}

// CompareRPM compares two version (or release) strings as rpm's rpmvercmp
// does and returns -1, 0 or +1. Kernel release strings compare correctly with
// it on every distribution.
func CompareRPM(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		ca, cb := at(a, i), at(b, j)
		if ca == '~' || cb == '~' {
			if ca != '~' {
				return 1
			}
			if cb != '~' {
				return -1
			}
			i++
			j++
			continue
		}
		if ca == '^' || cb == '^' {
			if i >= len(a) {
				return -1
			}
			if j >= len(b) {
				return 1
			}
			if ca != '^' {
				return 1
			}
			if cb != '^' {
				return -1
			}
			i++
			j++
			continue
		}
		if i >= len(a) || j >= len(b) {
			break
		}
		si, sj := i, j
		isNum := isDigit(a[i])
		if isNum {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isAlpha(a[i]) {
				i++
			}
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
		}
		if sj == j {
			// Different segment types: numeric is newer than alpha.
			if isNum {
				return 1
			}
			return -1
		}
		var c int
		if isNum {
			c = compareNumeric(a[si:i], b[sj:j])
		} else {
			c = sign(strings.Compare(a[si:i], b[sj:j]))
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case i >= len(a) && j >= len(b):
		return 0
	case i >= len(a):
		return -1
	}
	return 1
}

func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// ComparePacman compares two pacman versions ([epoch:]version[-release]) as
// alpm_pkg_vercmp does and returns -1, 0 or +1. The release is compared only
// when both versions have one.
func ComparePacman(a, b string) int {
	if a == b {
		return 0
	}
	ae, av, ar := splitPacman(a)
	be, bv, br := splitPacman(b)
	if c := CompareRPM(ae, be); c != 0 {
		return c
	}
	if c := CompareRPM(av, bv); c != 0 {
		return c
	}
	if ar != "" && br != "" {
		return CompareRPM(ar, br)
	}
	return 0
}

func splitPacman(v string) (epoch, version, release string) {
	epoch = "0"
	if i := strings.IndexByte(v, ':'); i >= 0 && isDigits(v[:i]) {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// apkSuffixes in apk-tools' order; the empty suffix sits between _rc and
// _cvs, so pre-releases sort before the release and _p patches after it.
var apkSuffixes = map[string]int{
	"alpha": -4, "beta": -3, "pre": -2, "rc": -1,
	"cvs": 1, "svn": 2, "git": 3, "hg": 4, "p": 5,
}

type apkVersion struct {
	nums     []string // dot-separated numbers
	letter   byte
	suffixes []apkSuffix
	revision string
}

type apkSuffix struct {
	rank int
	num  string
}

func parseAPK(v string) apkVersion {
	var out apkVersion
	if i := strings.LastIndex(v, "-r"); i >= 0 && isDigits(v[i+2:]) {
		out.revision = v[i+2:]
		v = v[:i]
	}
	if i := strings.IndexByte(v, '~'); i >= 0 {
		v = v[:i] // a commit hash carries no order
	}
	main, rest, _ := strings.Cut(v, "_")
	for len(main) > 0 && isAlpha(main[len(main)-1]) {
		out.letter = main[len(main)-1]
		main = main[:len(main)-1]
	}
	out.nums = strings.Split(main, ".")
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, "_")
		k := 0
		for k < len(part) && isAlpha(part[k]) {
			k++
		}
		rank, ok := apkSuffixes[part[:k]]
		if !ok {
			rank = 6 // unknown suffixes sort last, deterministically
		}
		out.suffixes = append(out.suffixes, apkSuffix{rank: rank, num: part[k:]})
	}
	return out
}

// CompareAPK compares two Alpine package versions (e.g. "1.36.1-r29",
// "2.0_rc1-r0") as apk does and returns -1, 0 or +1.
func CompareAPK(a, b string) int {
	if a == b {
		return 0
	}
	va, vb := parseAPK(a), parseAPK(b)
	for k := 0; k < len(va.nums) || k < len(vb.nums); k++ {
		switch {
		case k >= len(va.nums):
			return -1
		case k >= len(vb.nums):
			return 1
		}
		if c := compareNumeric(va.nums[k], vb.nums[k]); c != 0 {
			return c
		}
	}
	if va.letter != vb.letter {
		return sign(int(va.letter) - int(vb.letter))
	}
	for k := 0; k < len(va.suffixes) || k < len(vb.suffixes); k++ {
		var sa, sb apkSuffix
		if k < len(va.suffixes) {
			sa = va.suffixes[k]
		}
		if k < len(vb.suffixes) {
			sb = vb.suffixes[k]
		}
		if sa.rank != sb.rank {
			return sign(sa.rank - sb.rank)
		}
		if c := compareNumeric(sa.num, sb.num); c != 0 {
			return c
		}
	}
	return compareNumeric(va.revision, vb.revision)
}
