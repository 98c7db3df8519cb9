package hugeheap

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestAdviseMarksHeap checks with the kernel's own account of the process's
// mappings (/proc/self/smaps) that the heap range advise returns is flagged
// for huge pages ("hg" in VmFlags).
func TestAdviseMarksHeap(t *testing.T) {
	start, end, err := advise(reserve)
	if err != nil {
		t.Fatalf("madvise: %v", err)
	}
	if end-start < reserve-2*hugePage {
		t.Fatalf("advised %d bytes, want at least %d", end-start, reserve-2*hugePage)
	}
	flags, err := vmFlags(start)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Errorf("mapping of %#x has VmFlags %q, want hg (huge pages advised)", start, flags)
	}
}

// vmFlags returns the VmFlags line of the mapping holding addr.
func vmFlags(addr uintptr) (string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &lo, &hi); n == 2 {
			in = lo <= addr && addr < hi
			continue
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmFlags:")), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no mapping holds %#x in /proc/self/smaps", addr)
}

func TestDisabled(t *testing.T) {
	tests := []struct {
		godebug string
		want    bool
	}{
		{"", false},
		{"disablethp=1", true},
		{"gctrace=1,disablethp=1", true},
		{"disablethp=0", false},
		{"madvdontneed=1", false},
	}
	for _, tt := range tests {
		t.Run(tt.godebug, func(t *testing.T) {
			if got := disabled(tt.godebug); got != tt.want {
				t.Errorf("disabled(%q) = %v, want %v", tt.godebug, got, tt.want)
			}
		})
	}
}
