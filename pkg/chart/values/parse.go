package values

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the --set syntax, the same as Helm's.
const (
	// MaxIndex is the largest list index a --set argument may use.
	MaxIndex = 65536
	// MaxNestedNameLevel is the deepest a dotted --set key may nest.
	MaxNestedNameLevel = 30
)

// errNotList tells the value reader that a value does not start with '{'.
var errNotList = errors.New("not a list")

// Errors of the --set syntax. They do not quote the argument: what looks
// like a key without a value is often the rest of a value that held an
// unescaped comma ("password=ab,cd"), and the caller shows the argument
// with its values masked (see maskArg).
var (
	errNoValue      = errors.New("an item has no value: give key=value, and escape a comma in a value as \\,")
	errNoValueComma = errors.New("an item has no value (cannot end with ,): give key=value, and escape a comma in a value as \\,")
	errIndex        = errors.New("the index is not a whole number")
	errAfterIndex   = errors.New("unexpected data at end of array index: give key[index]=value, key[index].key=value or key[index][index]=value")
)

// valueMode selects how a parser turns the text of a value into a value.
type valueMode int

const (
	modeTyped  valueMode = iota // --set: true/false/null/integers are typed
	modeString                  // --set-string: always a string
	modeFile                    // --set-file: the value names a file whose content is the string
	modeJSON                    // --set-json: the value is JSON
)

// scanner reads runes from a string the way a bytes.Buffer does (invalid
// UTF-8 yields utf8.RuneError, one byte at a time) and can step back one rune.
type scanner struct {
	s    string
	pos  int
	last int // size of the last rune read, 0 if it cannot be unread
}

func (sc *scanner) read() (rune, error) {
	if sc.pos >= len(sc.s) {
		sc.last = 0
		return 0, io.EOF
	}
	r, n := utf8.DecodeRuneInString(sc.s[sc.pos:])
	sc.pos += n
	sc.last = n
	return r, nil
}

func (sc *scanner) unread() {
	sc.pos -= sc.last
	sc.last = 0
}

// until reads up to the first rune in stop and returns what came before it
// and the stop rune. A backslash escapes the rune after it when escapes is
// set. At the end of input it returns io.EOF.
func (sc *scanner) until(stop string, escapes bool) ([]rune, rune, error) {
	var v []rune
	for {
		r, err := sc.read()
		if err != nil {
			return v, 0, err
		}
		if strings.ContainsRune(stop, r) {
			return v, r, nil
		}
		if escapes && r == '\\' {
			next, err := sc.read()
			if err != nil {
				return v, 0, err
			}
			v = append(v, next)
			continue
		}
		v = append(v, r)
	}
}

// parser parses one --set style argument into data.
type parser struct {
	sc       scanner
	mode     valueMode
	literal  bool
	readFile func(path string) ([]byte, error)
}

func (p *parser) parse(data map[string]any) error {
	for {
		switch err := p.assign(data, 0); err {
		case nil:
		case io.EOF:
			return nil
		default:
			return err
		}
	}
}

// assign reads one key and its value into data, at nesting level: the
// --set-literal syntax or the others'.
func (p *parser) assign(data map[string]any, level int) error {
	if p.literal {
		return p.literalKey(data, level)
	}
	return p.key(data, level)
}

// value converts the text of a value according to the parser's mode.
func (p *parser) value(rs []rune) (any, error) {
	switch p.mode {
	case modeString:
		return string(rs), nil
	case modeFile:
		b, err := p.readFile(string(rs))
		if err != nil {
			return nil, err
		}
		return string(b), nil
	default:
		return typedValue(string(rs)), nil
	}
}

// typedValue gives a --set value its type: booleans and null case-insensitively,
// decimal integers (not starting with 0, except 0 itself) as int64, anything
// else as a string.
func typedValue(val string) any {
	switch {
	case strings.EqualFold(val, "true"):
		return true
	case strings.EqualFold(val, "false"):
		return false
	case strings.EqualFold(val, "null"):
		return nil
	case val == "0":
		return int64(0)
	}
	if val != "" && val[0] != '0' {
		if n, err := strconv.ParseInt(val, 10, 64); err == nil {
			return n
		}
	}
	return val
}

func setKey(data map[string]any, key string, val any) {
	if key == "" {
		return
	}
	data[key] = val
}

func setIndex(list []any, index int, val any) ([]any, error) {
	if index < 0 {
		return list, fmt.Errorf("negative %d index not allowed", index)
	}
	if index > MaxIndex {
		return list, fmt.Errorf("index of %d is greater than maximum supported index of %d", index, MaxIndex)
	}
	if len(list) <= index {
		grown := make([]any, index+1)
		copy(grown, list)
		list = grown
	}
	list[index] = val
	return list, nil
}

// conversionError is the message Helm reports when an existing value has the
// wrong type for the path of a --set key.
func conversionError(v any, want string) error {
	got := "nil"
	if v != nil {
		got = fmt.Sprintf("%T", v)
	}
	return fmt.Errorf("unable to parse key: interface conversion: interface {} is %s, not %s", got, want)
}

// existingList returns data[key] as a list, or an empty list if absent.
func existingList(data map[string]any, key string) ([]any, error) {
	v, ok := data[key]
	if !ok {
		return []any{}, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, conversionError(v, "[]interface {}")
	}
	return l, nil
}

// existingMap returns data[key] as a map, or a new map if absent.
func existingMap(data map[string]any, key string) (map[string]any, error) {
	v, ok := data[key]
	if !ok {
		return map[string]any{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, conversionError(v, "map[string]interface {}")
	}
	return m, nil
}

func (p *parser) keyIndex() (int, error) {
	v, _, err := p.sc.until("]", !p.literal)
	if err != nil {
		return 0, err
	}
	i, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, errIndex
	}
	return i, nil
}

func (p *parser) key(data map[string]any, level int) error {
	k, last, err := p.sc.until("=[,.", true)
	key := string(k)
	switch {
	case err != nil:
		if len(k) == 0 {
			return err
		}
		return errNoValue
	case last == '[':
		return p.indexed(data, key, level)
	case last == '=':
		if p.mode == modeJSON {
			return p.jsonValue(func(v any) error { setKey(data, key, v); return nil })
		}
		vl, err := p.valList()
		switch err {
		case nil:
			setKey(data, key, vl)
			return nil
		case io.EOF:
			setKey(data, key, "")
			return io.EOF
		case errNotList:
			rs, _, _ := p.sc.until(",", true)
			v, err := p.value(rs)
			setKey(data, key, v)
			return err
		default:
			return err
		}
	case last == ',':
		setKey(data, key, "")
		return errNoValueComma
	default: // '.'
		return p.nested(data, key, level)
	}
}

// indexed handles "key[": the item of the list at key that the index names.
func (p *parser) indexed(data map[string]any, key string, level int) error {
	i, err := p.keyIndex()
	if err != nil {
		return fmt.Errorf("error parsing index: %w", err)
	}
	list, err := existingList(data, key)
	if err != nil {
		return err
	}
	list, err = p.listItem(list, i, level)
	if pe, ok := err.(panicError); ok {
		return pe.error
	}
	setKey(data, key, list)
	return err
}

// nested handles "key." : descend into the map at key.
func (p *parser) nested(data map[string]any, key string, level int) error {
	level++
	if level > MaxNestedNameLevel {
		return fmt.Errorf("value name nested level is greater than maximum supported nested level of %d", MaxNestedNameLevel)
	}
	inner, err := existingMap(data, key)
	if err != nil {
		return err
	}
	err = p.assign(inner, level)
	if err == nil && len(inner) == 0 {
		return fmt.Errorf("key map %q has no value", key)
	}
	if len(inner) != 0 {
		setKey(data, key, inner)
	}
	return err
}

// panicError marks an error that Helm raises as a recovered panic: the
// assignment in progress is abandoned rather than completed.
type panicError struct{ error }

func (p *parser) listItem(list []any, i, level int) ([]any, error) {
	if i < 0 {
		return list, fmt.Errorf("negative %d index not allowed", i)
	}
	k, last, err := p.sc.until("[.=", !p.literal)
	switch {
	case len(k) > 0:
		return list, errAfterIndex
	case err != nil:
		return list, err
	case last == '=':
		if p.literal {
			rest, _, _ := p.sc.until("", false)
			return setIndex(list, i, string(rest))
		}
		if p.mode == modeJSON {
			err := p.jsonValue(func(v any) error {
				var err error
				list, err = setIndex(list, i, v)
				return err
			})
			return list, err
		}
		vl, err := p.valList()
		switch err {
		case nil:
			return setIndex(list, i, vl)
		case io.EOF:
			return setIndex(list, i, "")
		case errNotList:
			rs, _, _ := p.sc.until(",", true)
			v, err := p.value(rs)
			if err != nil {
				return list, err
			}
			return setIndex(list, i, v)
		default:
			return list, err
		}
	case last == '[':
		next, err := p.keyIndex()
		if err != nil {
			return list, fmt.Errorf("error parsing index: %w", err)
		}
		var cur []any
		if len(list) > i && list[i] != nil {
			l, ok := list[i].([]any)
			if !ok {
				return list, panicError{conversionError(list[i], "[]interface {}")}
			}
			cur = l
		}
		inner, err := p.listItem(cur, next, level)
		if err != nil {
			return list, err
		}
		return setIndex(list, i, inner)
	default: // '.'
		inner := map[string]any{}
		if len(list) > i {
			m, ok := list[i].(map[string]any)
			if !ok {
				// Indices out of order: start afresh at this index.
				m = map[string]any{}
				list[i] = m
			}
			inner = m
		}
		if err := p.assign(inner, level); err != nil {
			return list, err
		}
		return setIndex(list, i, inner)
	}
}

// valList reads a {a,b,c} list if the value starts with '{'.
func (p *parser) valList() ([]any, error) {
	r, err := p.sc.read()
	if err != nil {
		return []any{}, err
	}
	if r != '{' {
		p.sc.unread()
		return []any{}, errNotList
	}
	list := []any{}
	for {
		rs, last, err := p.sc.until(",}", true)
		switch {
		case err != nil:
			if err == io.EOF {
				err = errors.New("list must terminate with '}'")
			}
			return list, err
		case last == '}':
			if r, err := p.sc.read(); err == nil && r != ',' {
				p.sc.unread()
			}
			v, err := p.value(rs)
			list = append(list, v)
			return list, err
		default:
			v, err := p.value(rs)
			if err != nil {
				return list, err
			}
			list = append(list, v)
		}
	}
}

// emptyValue skips blanks; it reports true at the end of input or a comma
// (which it consumes) and false before any other rune (which it leaves).
func (p *parser) emptyValue() bool {
	for {
		r, err := p.sc.read()
		if err != nil || r == ',' {
			return true
		}
		if !unicode.IsSpace(r) {
			p.sc.unread()
			return false
		}
	}
}

// jsonValue decodes one JSON value (an empty value is null) and passes it to set.
func (p *parser) jsonValue(set func(any) error) error {
	if p.emptyValue() {
		return set(nil)
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(p.sc.s[p.sc.pos:]))
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// Its message quotes a character of the value.
			return fmt.Errorf("invalid JSON at byte %d of the value", se.Offset)
		}
		return err
	}
	if err := set(v); err != nil {
		return err
	}
	p.sc.pos += int(dec.InputOffset())
	p.sc.last = 0
	p.emptyValue()
	return nil
}

// literalKey is key for --set-literal: no escapes, no commas, and the value
// is the rest of the argument.
func (p *parser) literalKey(data map[string]any, level int) error {
	k, last, err := p.sc.until("=[.", false)
	key := string(k)
	switch {
	case err != nil:
		if len(k) == 0 {
			return err
		}
		return errNoValue
	case last == '=':
		rest, _, _ := p.sc.until("", false)
		setKey(data, key, string(rest))
		return nil
	case last == '.':
		return p.nested(data, key, level)
	default: // '['
		return p.indexed(data, key, level)
	}
}
