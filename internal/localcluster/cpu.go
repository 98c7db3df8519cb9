package localcluster

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat on Linux.
const userHZ = 100

// CPU returns the CPU time (user and system) each component has used so
// far, by name ("etcd", "kube-apiserver", ...), read from /proc; benchmarks
// take it before and after a run to say where the time went. A component
// whose figure cannot be read (another OS, an exited process) is left out.
func (c *Cluster) CPU() map[string]time.Duration {
	out := make(map[string]time.Duration, len(c.procs))
	for _, p := range c.procs {
		if p.exited() {
			continue
		}
		if d, err := processCPU(p.cmd.Process.Pid); err == nil {
			out[p.name] = d
		}
	}
	return out
}

// processCPU reads utime + stime of a process from /proc/<pid>/stat.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces:
	// count fields after its closing parenthesis (field 3 onwards).
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	var ticks int64
	for _, field := range f[11:13] { // utime (14) and stime (15)
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}
