package hugeheap

import (
	"os"
	"runtime"
	"strings"
	"syscall"
	"unsafe"
)

const (
	// reserve is how much of the heap is advised: enough for the whole
	// heap of most commands, and no more address space than a small
	// fleet uses anyway.
	reserve = 64 << 20
	// hugePage is the size of an x86-64 or arm64 transparent huge page.
	hugePage = 2 << 20
)

// init advises the heap's first reserve bytes before other packages
// initialise; see the package documentation.
func init() {
	if disabled(os.Getenv("GODEBUG")) {
		return
	}
	_, _, _ = advise(reserve)
	// Free the block now, so that the allocations that follow reuse its
	// pages instead of mapping new ones without the advice.
	runtime.GC()
}

// disabled reports whether GODEBUG turns huge pages for the heap off.
func disabled(godebug string) bool {
	for _, kv := range strings.Split(godebug, ",") {
		if strings.TrimSpace(kv) == "disablethp=1" {
			return true
		}
	}
	return false
}

// advise makes the runtime map size bytes of heap by allocating them (the
// memory is not touched, so it costs no page), and asks the kernel for huge
// pages over the whole huge pages inside them, returning the range advised.
// The block is garbage as soon as advise returns.
func advise(size int) (start, end uintptr, err error) {
	b := make([]byte, size)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start = (p + hugePage - 1) &^ (hugePage - 1)
	end = (p + uintptr(size)) &^ (hugePage - 1)
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, start, end-start, syscall.MADV_HUGEPAGE); errno != 0 {
		err = errno
	}
	runtime.KeepAlive(b)
	return start, end, err
}
