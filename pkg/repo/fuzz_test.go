package repo

import (
	"slices"
	"testing"
	"unicode"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-cmp/cmp"
)

// FuzzParseIndex checks that ParseIndex never panics, that what it keeps is
// valid (named, SemVer, URLs, sorted newest first, clean text), that it
// survives Helm's writing and the compact form unchanged, and that lookups
// and searches on it do not fail unexpectedly. Seeds are in
// testdata/fuzz/FuzzParseIndex.
//
//	go test ./pkg/repo -run '^$' -fuzz FuzzParseIndex -fuzztime 60s
func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(smallIndex))
	f.Add([]byte(searchIndexA))
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := parseIndex(data, "fuzz", 1<<20)
		if err != nil {
			return
		}
		for name, cvs := range idx.Entries {
			if name == "" {
				t.Fatal("empty chart name kept")
			}
			var prev *semver.Version
			for _, cv := range cvs {
				if cv.Name == "" || len(cv.URLs) == 0 {
					t.Fatalf("%s: invalid entry kept: %+v", name, cv)
				}
				v, err := semver.NewVersion(cv.Version)
				if err != nil {
					t.Fatalf("%s: invalid version %q kept", name, cv.Version)
				}
				if prev != nil && prev.LessThan(v) {
					t.Fatalf("%s: %s before %s", name, prev, v)
				}
				prev = v
				for _, s := range append([]string{cv.Name, cv.Description, cv.AppVersion}, cv.Keywords...) {
					if i := slices.IndexFunc([]rune(s), func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }); i >= 0 {
						t.Fatalf("%s: unclean text %q", name, s)
					}
				}
			}
			if len(cvs) == 0 {
				continue
			}
			for _, c := range []string{"", "*", ">0.0.0-0", cvs[0].Version} {
				_, _ = idx.Lookup(name, c, true)
			}
		}
		if _, err := SearchIndexes([]NamedIndex{{Name: "r", Index: idx}}, SearchOptions{Keyword: "a", Versions: true}); err != nil {
			t.Fatal(err)
		}

		// Written as Helm writes it and read again: the same entries.
		out, err := idx.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := parseIndex(out, "again", 1<<30)
		if err != nil {
			t.Fatalf("re-reading the written index: %v\n%s", err, out)
		}
		if len(again.Skipped) != 0 {
			t.Fatalf("re-reading the written index skipped %v\n%s", again.Skipped, out)
		}
		if diff := cmp.Diff(fieldsOf(idx), fieldsOf(again)); diff != "" {
			t.Fatalf("written and read again (-want +got)\n%s", diff)
		}

		// The compact form keeps the same fields.
		st := stamp{Size: int64(len(data))}
		got, gotSt, err := decodeCompact(encodeCompact(idx, st))
		if err != nil || gotSt != st {
			t.Fatalf("compact: %v", err)
		}
		if diff := cmp.Diff(fieldsOf(idx), fieldsOf(got)); diff != "" {
			t.Fatalf("compact (-want +got)\n%s", diff)
		}
	})
}

// FuzzDecodeCompact checks that a damaged compact file is refused, never a
// panic nor a huge allocation.
func FuzzDecodeCompact(f *testing.F) {
	idx, err := ParseIndex([]byte(smallIndex), "seed")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encodeCompact(idx, stamp{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = decodeCompact(data)
		if len(data) > len(compactMagic)+4 {
			// With a valid checksum, the decoder itself is exercised.
			fixed := append([]byte(compactMagic), make([]byte, 4)...)
			fixed = append(fixed, data[len(compactMagic)+4:]...)
			putCRC(fixed)
			_, _, _ = decodeCompact(fixed)
		}
	})
}
