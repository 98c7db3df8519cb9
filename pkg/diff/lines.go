package diff

// maxEditDistance bounds the work of the line diff: two texts that differ
// by more edits than this are shown as one replaced block between their
// common prefix and suffix, rather than searched for a shortest edit script.
const maxEditDistance = 1000

// opKind is one line of an edit script.
type opKind byte

const (
	opEqual  opKind = ' '
	opDelete opKind = '-'
	opInsert opKind = '+'
)

// lineOp is one line of an edit script: kept, deleted from a, or inserted
// from b.
type lineOp struct {
	kind opKind
	text string
	// a and b are the line's index in a and b (the one it lacks is the
	// index it would have there).
	a, b int
}

// editScript returns a shortest edit script turning a into b, by Myers'
// O(ND) algorithm, after trimming the common prefix and suffix.
func editScript(a, b []string) []lineOp {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []lineOp
	for i := range pre {
		ops = append(ops, lineOp{kind: opEqual, text: a[i], a: i, b: i})
	}
	ops = append(ops, myers(a[pre:len(a)-suf], b[pre:len(b)-suf], pre, pre)...)
	for i := range suf {
		ia, ib := len(a)-suf+i, len(b)-suf+i
		ops = append(ops, lineOp{kind: opEqual, text: a[ia], a: ia, b: ib})
	}
	return ops
}

// myers diffs a and b, whose lines start at offsets oa and ob of the whole
// texts.
func myers(a, b []string, oa, ob int) []lineOp {
	n, m := len(a), len(b)
	replace := func() []lineOp {
		ops := make([]lineOp, 0, n+m)
		for i := range a {
			ops = append(ops, lineOp{kind: opDelete, text: a[i], a: oa + i, b: ob})
		}
		for j := range b {
			ops = append(ops, lineOp{kind: opInsert, text: b[j], a: oa + n, b: ob + j})
		}
		return ops
	}
	if n == 0 || m == 0 {
		return replace()
	}
	maxD := min(n+m, maxEditDistance)
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int
	found := -1
	for d := 0; d <= maxD && found < 0; d++ {
		// Keep V for diagonals -d-1..d+1, the ones step d reads.
		snap := make([]int, 2*d+3)
		copy(snap, v[off-d-1:off+d+2])
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				found = d
				break
			}
		}
	}
	if found < 0 {
		return replace()
	}
	// Walk back through the snapshots (trace[d] is V before step d).
	var rev []lineOp
	x, y := n, m
	for d := found; d > 0; d-- {
		vp := trace[d]
		at := func(k int) int { return vp[k+d+1] }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			x--
			y--
			rev = append(rev, lineOp{kind: opEqual, text: a[x], a: oa + x, b: ob + y})
		}
		if x == px {
			y--
			rev = append(rev, lineOp{kind: opInsert, text: b[y], a: oa + x, b: ob + y})
		} else {
			x--
			rev = append(rev, lineOp{kind: opDelete, text: a[x], a: oa + x, b: ob + y})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		rev = append(rev, lineOp{kind: opEqual, text: a[x], a: oa + x, b: ob + y})
	}
	ops := make([]lineOp, len(rev))
	for i, op := range rev {
		ops[len(rev)-1-i] = op
	}
	return ops
}

// hunk is a run of edits with its context, as a unified diff shows it.
type hunk struct {
	aStart, aLen, bStart, bLen int
	ops                        []lineOp
}

// hunks groups an edit script into hunks with context lines of context
// around each change; a negative context gives one hunk of everything.
func hunks(ops []lineOp, context int) []hunk {
	changed := false
	for _, op := range ops {
		if op.kind != opEqual {
			changed = true
			break
		}
	}
	if !changed {
		return nil
	}
	if context < 0 {
		context = len(ops)
	}
	var out []hunk
	i := 0
	for i < len(ops) {
		// Find the next change.
		for i < len(ops) && ops[i].kind == opEqual {
			i++
		}
		if i == len(ops) {
			break
		}
		start := max(i-context, 0)
		end := i
		// Extend while the gap to the next change is at most 2*context.
		for end < len(ops) {
			for end < len(ops) && ops[end].kind != opEqual {
				end++
			}
			gap := end
			for gap < len(ops) && ops[gap].kind == opEqual {
				gap++
			}
			if gap == len(ops) || gap-end > 2*context {
				end = min(end+context, len(ops))
				break
			}
			end = gap
		}
		h := hunk{ops: ops[start:end]}
		h.aStart, h.bStart = ops[start].a, ops[start].b
		for _, op := range h.ops {
			switch op.kind {
			case opEqual:
				h.aLen++
				h.bLen++
			case opDelete:
				h.aLen++
			case opInsert:
				h.bLen++
			}
		}
		out = append(out, h)
		i = end
	}
	return out
}
