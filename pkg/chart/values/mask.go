package values

import (
	"regexp"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Masked is what a value is shown as in the errors of this package: values
// are often passwords and tokens, and errors end up in terminals, CI logs and
// issue reports. Keys, paths and file names are shown.
const Masked = "***"

// maskArg returns a --set style argument with every value replaced by
// Masked, so that an error can show which item is at fault without echoing
// what may be a secret. Keys stay. An item with no '=' (a stray piece of a
// value that held an unescaped comma, as in "password=ab,cd") is masked
// whole. A value ends at the first comma outside braces, brackets and
// double-quoted strings: wherever the parser would end it, or later, so
// that nothing of a value is ever shown as a key. With literal (the
// --set-literal syntax) everything after the first '=' is the value.
func maskArg(s string, literal bool) string {
	var b strings.Builder
	for len(s) > 0 {
		end, eq := keyEnd(s, literal)
		if eq < 0 {
			// No '=' before the end of the item: not a key.
			b.WriteString(Masked)
			s = s[end:]
		} else {
			b.WriteString(s[:eq+1])
			b.WriteString(Masked)
			if literal {
				return b.String()
			}
			s = s[eq+1+valueEnd(s[eq+1:]):]
		}
		if len(s) > 0 { // at a comma
			b.WriteByte(',')
			s = s[1:]
		}
	}
	return b.String()
}

// keyEnd returns where the item at the start of s ends (a comma or the end
// of s) and the index of its '=', or -1 if the item ends first. Backslashes
// escape the byte after them, except with literal.
func keyEnd(s string, literal bool) (end, eq int) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if !literal {
				i++
			}
		case '=':
			return i, i
		case ',':
			if !literal {
				return i, -1
			}
		}
	}
	return len(s), -1
}

// valueEnd returns the index in s of the comma that ends the value at its
// start, or len(s): the first comma outside braces, brackets and
// double-quoted strings, not escaped by a backslash.
func valueEnd(s string) int {
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
		case quoted:
			if c == '"' {
				quoted = false
			}
		case c == '"':
			quoted = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth > 0 {
				depth--
			}
		case c == ',' && depth == 0:
			return i
		}
	}
	return len(s)
}

// yamlContent matches the parts of the YAML parser's messages that quote the
// document: Go syntax of an invalid map key, `backquoted` scalars, and
// quoted text longer than one character (one-character quotes are the
// parser's own punctuation: "did not find expected ',' or ']'").
var yamlContent = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`invalid map key: .*`), "invalid map key: a map or a list used as a key"},
	{regexp.MustCompile("`[^`]*`"), Masked},
	{regexp.MustCompile(`'[^'\n]{2,}'`), "'" + Masked + "'"},
	{regexp.MustCompile(`"[^"\n]{2,}"`), `"` + Masked + `"`},
}

// maskYAMLError returns the message of a YAML parse error without the pieces
// of the document it quotes; line numbers and the parser's words stay.
func maskYAMLError(msg string) string {
	for _, r := range yamlContent {
		msg = r.re.ReplaceAllString(msg, r.with)
	}
	return msg
}

// maskValidation replaces, in a schema validation error, the values that
// the messages would quote (a string that does not match a pattern or a
// format) with Masked. Messages about types, lengths, enums and constants
// name what the schema wants, not what was given, and stay.
func maskValidation(ve *jsonschema.ValidationError) {
	switch k := ve.ErrorKind.(type) {
	case *kind.Pattern:
		k.Got = Masked
	case *kind.Format:
		k.Got = Masked
	}
	for _, c := range ve.Causes {
		maskValidation(c)
	}
}
