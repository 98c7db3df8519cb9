package cli

import "testing"

func TestTableOneLine(t *testing.T) {
	tests := []struct {
		name string
		cell string
		want string
	}{
		{"plain", "Upgrade complete", "Upgrade complete"},
		{"newline", "a\nb", `a\nb`},
		{"crlf and tab", "a\r\n\tb", `a\r\n\tb`},
		{"other control", "a\x1bb", `a\x1bb`},
		{"unicode", "déjà vu", "déjà vu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := &table{}
			tb.row(tt.cell, "x")
			if got, want := tb.String(), tt.want+"\tx\n"; got != want {
				t.Errorf("table = %q, want %q", got, want)
			}
		})
	}
}
