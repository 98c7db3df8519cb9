package localcluster

import (
	"os"
	"testing"
	"time"
)

// TestProcessCPU reads this test process's own CPU time, which must grow
// while it spins.
func TestProcessCPU(t *testing.T) {
	before, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); time.Since(start) < 300*time.Millisecond; {
	}
	after, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after-before < 100*time.Millisecond {
		t.Errorf("CPU time grew by %s while spinning for 300 ms, want at least 100 ms", after-before)
	}
}
