package localcluster

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// TestProcessCPU reads this test process's own CPU time while it spins,
// and compares its growth with what the kernel reports to the process
// itself (getrusage), so that a busy machine, which gives the spinning
// less of a core, does not matter.
func TestProcessCPU(t *testing.T) {
	before, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	self := selfCPU(t)
	for deadline := time.Now().Add(20 * time.Second); selfCPU(t)-self < 300*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatal("the process got less than 300 ms of CPU in 20 s of spinning")
		}
	}
	after, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	want := selfCPU(t) - self
	if got := after - before; got < want/2 || got > want+want/2+50*time.Millisecond {
		t.Errorf("CPU time grew by %s while the process used %s by getrusage", got, want)
	}
}

// selfCPU is the process's user and system CPU time, as getrusage says.
func selfCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
