package cli

import (
	"io"
	"slices"
	"strings"
)

// repoTable lays out the tables of `repo list` and `search repo` exactly as
// Helm's do (gosuri/uitable): each column as wide as its widest cell,
// measured in terminal cells (a CJK character takes two), but no wider than
// maxWidth when maxWidth is not 0; a longer cell is cut and ends with "...";
// every cell is padded to its column's width, the last one included; cells
// are separated by a tab and rows end with a newline.
//
// It differs from printer.go's table, which counts runes and never cuts,
// because these two commands' output is compared with Helm's byte for byte
// (search's --max-col-width cuts the DESCRIPTION column).
type repoTable struct {
	rows     [][]string
	maxWidth int
}

// row appends a row; each cell is kept on one line (see oneLine).
func (t *repoTable) row(cells ...string) {
	r := make([]string, len(cells))
	for i, c := range cells {
		r[i] = oneLine(c)
	}
	t.rows = append(t.rows, r)
}

// String returns the laid-out table.
func (t *repoTable) String() string {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			w := cellWidth(c)
			if t.maxWidth > 0 && w > t.maxWidth {
				w = t.maxWidth
			}
			widths[i] = max(widths[i], w)
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		for i, c := range r {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(fitCell(c, widths[i]))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// write prints the table.
func (t *repoTable) write(w io.Writer) error {
	_, err := io.WriteString(w, t.String())
	return err
}

// fitCell pads s with spaces to width cells, or cuts it to width cells
// ending in "...", as uitable does: it keeps characters until the next one
// would reach width-3 cells, that one included, then adds "..." (so a
// string of wide characters may end up one cell short or long, as in Helm).
// clipCell cuts s to width terminal cells, ending it with "...", when it is
// longer; a width of 0 leaves it whole.
func clipCell(s string, width int) string {
	if width <= 0 || cellWidth(s) <= width {
		return s
	}
	return fitCell(s, width)
}

func fitCell(s string, width int) string {
	w := cellWidth(s)
	switch {
	case w == width:
		return s
	case w < width:
		return s + strings.Repeat(" ", width-w)
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		b.WriteRune(r)
		rw := runeCells(r)
		if n+rw >= width-3 {
			break
		}
		n += rw
	}
	b.WriteString("...")
	return b.String()
}

// cellWidth is the number of terminal cells s takes.
func cellWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeCells(r)
	}
	return n
}

// runeCells is the number of terminal cells r takes, as Helm's table
// library counts them outside East Asian locales: none for control
// characters and the combining diacritical marks, two for the wide and
// full-width characters of East Asian scripts and for emoji, one for the
// rest.
func runeCells(r rune) int {
	if r < 0x20 || r >= 0x7f && r < 0xa0 || r == 0xad {
		return 0
	}
	if r < 0x300 {
		return 1
	}
	if inRanges(r, zeroRanges) {
		return 0
	}
	if inRanges(r, wideRanges) {
		return 2
	}
	return 1
}

// inRanges reports whether r is in one of the sorted ranges rs.
func inRanges(r rune, rs [][2]rune) bool {
	i, ok := slices.BinarySearchFunc(rs, r, func(rg [2]rune, r rune) int {
		switch {
		case rg[1] < r:
			return -1
		case rg[0] > r:
			return 1
		}
		return 0
	})
	_ = i
	return ok
}

// zeroRanges are the blocks of combining diacritical marks and the
// zero-width format characters, which take no cell of their own.
var zeroRanges = [][2]rune{
	{0x0300, 0x036f}, {0x0483, 0x0489}, {0x1ab0, 0x1ac0}, {0x1dc0, 0x1dff},
	{0x200b, 0x200f}, {0x2028, 0x202e}, {0x2060, 0x206f}, {0x20d0, 0x20f0},
	{0x2de0, 0x2dff}, {0x3099, 0x309a}, {0xfe20, 0xfe2f}, {0xfeff, 0xfeff},
}

// wideRanges are the main blocks of Unicode's East Asian Wide (W) and
// Full-width (F) characters, in order. Rare characters outside them may be
// counted one cell narrower than Helm counts them.
var wideRanges = [][2]rune{
	{0x1100, 0x115f}, {0x231a, 0x231b}, {0x2329, 0x232a}, {0x23e9, 0x23ec},
	{0x23f0, 0x23f0}, {0x23f3, 0x23f3}, {0x25fd, 0x25fe}, {0x2614, 0x2615},
	{0x2648, 0x2653}, {0x267f, 0x267f}, {0x2693, 0x2693}, {0x26a1, 0x26a1},
	{0x26aa, 0x26ab}, {0x26bd, 0x26be}, {0x26c4, 0x26c5}, {0x26ce, 0x26ce},
	{0x26d4, 0x26d4}, {0x26ea, 0x26ea}, {0x26f2, 0x26f3}, {0x26f5, 0x26f5},
	{0x26fa, 0x26fa}, {0x26fd, 0x26fd}, {0x2705, 0x2705}, {0x270a, 0x270b},
	{0x2728, 0x2728}, {0x274c, 0x274c}, {0x274e, 0x274e}, {0x2753, 0x2755},
	{0x2757, 0x2757}, {0x2795, 0x2797}, {0x27b0, 0x27b0}, {0x27bf, 0x27bf},
	{0x2b1b, 0x2b1c}, {0x2b50, 0x2b50}, {0x2b55, 0x2b55}, {0x2e80, 0x303e},
	{0x3041, 0x33ff}, {0x3400, 0x4dbf}, {0x4e00, 0x9fff}, {0xa000, 0xa4cf},
	{0xa960, 0xa97f}, {0xac00, 0xd7a3}, {0xf900, 0xfaff}, {0xfe10, 0xfe19},
	{0xfe30, 0xfe6f}, {0xff00, 0xff60}, {0xffe0, 0xffe6}, {0x1f004, 0x1f004},
	{0x1f0cf, 0x1f0cf}, {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a}, {0x1f200, 0x1f251},
	{0x1f260, 0x1f265},
	{0x1f300, 0x1f320}, {0x1f32d, 0x1f335}, {0x1f337, 0x1f37c}, {0x1f37e, 0x1f393},
	{0x1f3a0, 0x1f3ca}, {0x1f3cf, 0x1f3d3}, {0x1f3e0, 0x1f3f0}, {0x1f3f4, 0x1f3f4},
	{0x1f3f8, 0x1f43e}, {0x1f440, 0x1f440}, {0x1f442, 0x1f4fc}, {0x1f4ff, 0x1f53d},
	{0x1f54b, 0x1f54e}, {0x1f550, 0x1f567}, {0x1f57a, 0x1f57a}, {0x1f595, 0x1f596},
	{0x1f5a4, 0x1f5a4}, {0x1f5fb, 0x1f64f}, {0x1f680, 0x1f6c5}, {0x1f6cc, 0x1f6cc},
	{0x1f6d0, 0x1f6d2}, {0x1f6d5, 0x1f6d7}, {0x1f6eb, 0x1f6ec}, {0x1f6f4, 0x1f6fc},
	{0x1f7e0, 0x1f7eb}, {0x1f90c, 0x1f9ff}, {0x1fa70, 0x1faff}, {0x20000, 0x2fffd},
	{0x30000, 0x3fffd},
}
