package values

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type m = map[string]any
type l = []any

func TestParseSet(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		initial m
		want    m
		wantErr string
	}{
		{name: "single", in: "name=value", want: m{"name": "value"}},
		{name: "several pairs", in: "a=1,b=two,c=true", want: m{"a": int64(1), "b": "two", "c": true}},
		{name: "typed values", in: "t=TRUE,f=False,n=NULL,z=0,i=-12,p=+5,big=12345678901234567890,lead=007,f2=1.5",
			want: m{"t": true, "f": false, "n": nil, "z": int64(0), "i": int64(-12), "p": int64(5), "big": "12345678901234567890", "lead": "007", "f2": "1.5"}},
		{name: "empty value", in: "name1=,name2=value2", want: m{"name1": "", "name2": "value2"}},
		{name: "empty value at end", in: "a=", want: m{"a": ""}},
		{name: "trailing comma", in: "a=b,", want: m{"a": "b"}},
		{name: "nested", in: "outer.inner=value,outer.other=1", want: m{"outer": m{"inner": "value", "other": int64(1)}}},
		{name: "nested empty", in: "name1.name2=", want: m{"name1": m{"name2": ""}}},
		{name: "escaped dot", in: `a\.b=c`, want: m{"a.b": "c"}},
		{name: "escaped comma in value", in: `a=b\,c`, want: m{"a": "b,c"}},
		{name: "escaped equals in key", in: `a\=b=c`, want: m{"a=b": "c"}},
		{name: "list value", in: "name={a,b,c}", want: m{"name": l{"a", "b", "c"}}},
		{name: "typed list value", in: "name={1,true,x}", want: m{"name": l{int64(1), true, "x"}}},
		{name: "list then key", in: "a={1,2},b=3", want: m{"a": l{int64(1), int64(2)}, "b": int64(3)}},
		{name: "empty braces", in: "a={}", want: m{"a": l{""}}},
		{name: "index", in: "list[0]=foo,list[1]=bar", want: m{"list": l{"foo", "bar"}}},
		{name: "index gap", in: "list[0]=foo,list[3]=bar", want: m{"list": l{"foo", nil, nil, "bar"}}},
		{name: "index with map", in: "list[0].foo=bar,list[0].hello=world", want: m{"list": l{m{"foo": "bar", "hello": "world"}}}},
		{name: "index out of order", in: "a.b[1].c=x,a.b[0].c=y", want: m{"a": m{"b": l{m{"c": "y"}, m{"c": "x"}}}}},
		{name: "nested index", in: "nested[1][1]=1", want: m{"nested": l{nil, l{nil, int64(1)}}}},
		{name: "index without value", in: "noval[0]", want: m{"noval": l{}}},
		{name: "index empty value", in: "noval[0]=", want: m{"noval": l{""}}},
		{name: "index list value", in: "a[0]={x,y}", want: m{"a": l{l{"x", "y"}}}},
		{name: "merges into existing", in: "a.b=2,c[1]=z", initial: m{"a": m{"x": int64(1)}, "c": l{"y"}}, want: m{"a": m{"x": int64(1), "b": int64(2)}, "c": l{"y", "z"}}},
		{name: "replaces scalar", in: "a=2", initial: m{"a": m{"x": 1}}, want: m{"a": int64(2)}},
		{name: "null value", in: "a=null", initial: m{"a": "x"}, want: m{"a": nil}},
		{name: "empty input", in: "", want: m{}},

		{name: "key without value", in: "name1", want: m{}, wantErr: errNoValue.Error()},
		{name: "key without value before comma", in: "name1,name2=value2", want: m{"name1": ""}, wantErr: errNoValueComma.Error()},
		{name: "double comma", in: "name1=value1,,,,name2=value2,", want: m{"name1": "value1"}, wantErr: errNoValueComma.Error()},
		{name: "map without value", in: "name1.name2", want: m{}, wantErr: errNoValue.Error()},
		{name: "map with empty key", in: "name1.=name2", want: m{}, wantErr: `key map "name1" has no value`},
		{name: "unterminated list", in: "name1={1021,902", want: m{}, wantErr: `list must terminate with '}'`},
		{name: "negative index", in: "list[0].foo=bar,list[-30].hello=world", want: m{"list": l{m{"foo": "bar"}}}, wantErr: "negative -30 index not allowed"},
		{name: "bad index", in: "a[x]=1", want: m{}, wantErr: "error parsing index: the index is not a whole number"},
		{name: "unterminated index", in: "a[0", want: m{}, wantErr: "error parsing index: EOF"},
		{name: "data after index", in: "illegal[0]name.foo=bar", want: m{"illegal": l{}}, wantErr: errAfterIndex.Error()},
		{name: "index too large", in: "a[65537]=1", want: m{"a": l{}}, wantErr: "index of 65537 is greater than maximum supported index of 65536"},
		{name: "list over scalar", in: "a[0]=1", initial: m{"a": "s"}, want: m{"a": "s"}, wantErr: "unable to parse key: interface conversion: interface {} is string, not []interface {}"},
		{name: "map over scalar", in: "a.b=1", initial: m{"a": "s"}, want: m{"a": "s"}, wantErr: "unable to parse key: interface conversion: interface {} is string, not map[string]interface {}"},
		{name: "map over null", in: "a.b=1", initial: m{"a": nil}, want: m{"a": nil}, wantErr: "unable to parse key: interface conversion: interface {} is nil, not map[string]interface {}"},
		{name: "too deep", in: strings.Repeat("a.", 31) + "a=1", want: m{}, wantErr: "value name nested level is greater than maximum supported nested level of 30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.initial
			if got == nil {
				got = m{}
			}
			err := ParseSet(tt.in, got)
			checkErr(t, err, tt.wantErr)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSet(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Errorf("no error, want %q", want)
	case want != "" && err.Error() != want:
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestParseSetString(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    m
		wantErr string
	}{
		{name: "int stays string", in: "long_int_string=1234567890", want: m{"long_int_string": "1234567890"}},
		{name: "bool and null stay strings", in: "b=true,n=null,z=0", want: m{"b": "true", "n": "null", "z": "0"}},
		{name: "list of strings", in: "a={1,2}", want: m{"a": l{"1", "2"}}},
		{name: "index", in: "a[1]=true", want: m{"a": l{nil, "true"}}},
		{name: "no value", in: "a", want: m{}, wantErr: errNoValue.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m{}
			checkErr(t, ParseSetString(tt.in, got), tt.wantErr)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSetString(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseSetJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    m
		wantErr string
	}{
		{name: "object", in: `outer.inner={"a":[1,"x",true,null]}`, want: m{"outer": m{"inner": m{"a": l{float64(1), "x", true, nil}}}}},
		{name: "several", in: `a=[1,2], b = "s",c=3`, want: m{"a": l{float64(1), float64(2)}, " b ": "s", "c": float64(3)}},
		{name: "empty is null", in: "a=,b=1", want: m{"a": nil, "b": float64(1)}},
		{name: "index", in: `list[1]={"k":"v"}`, want: m{"list": l{nil, m{"k": "v"}}}},
		{name: "string", in: `a="x,y"`, want: m{"a": "x,y"}},
		{name: "bad json", in: "a={x}", want: m{}, wantErr: "invalid JSON at byte 2 of the value"},
		{name: "unquoted string", in: "a=hello", want: m{}, wantErr: "invalid JSON at byte 1 of the value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m{}
			checkErr(t, ParseSetJSON(tt.in, got), tt.wantErr)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSetJSON(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseSetLiteral(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    m
		wantErr string
	}{
		{name: "commas and escapes kept", in: `a=b,c=d\e`, want: m{"a": `b,c=d\e`}},
		{name: "nested", in: "a.b=true", want: m{"a": m{"b": "true"}}},
		{name: "index", in: "a[0].b=1,2", want: m{"a": l{m{"b": "1,2"}}}},
		{name: "nested index", in: "a[1][0]=x", want: m{"a": l{nil, l{"x"}}}},
		{name: "empty", in: "a=", want: m{"a": ""}},
		{name: "no value", in: "a", want: m{}, wantErr: errNoValue.Error()},
		{name: "backslash is not an escape", in: `a\.b=c`, want: m{`a\`: m{"b": "c"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m{}
			checkErr(t, ParseSetLiteral(tt.in, got), tt.wantErr)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSetLiteral(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseSetFile(t *testing.T) {
	files := map[string]string{"a.txt": "A\n", "b.txt": "B"}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, errors.New("open " + p + ": no such file or directory")
	}
	tests := []struct {
		name    string
		in      string
		want    m
		wantErr string
	}{
		{name: "file", in: "x.y=a.txt,z=b.txt", want: m{"x": m{"y": "A\n"}, "z": "B"}},
		{name: "list of files", in: "x={a.txt,b.txt}", want: m{"x": l{"A\n", "B"}}},
		{name: "index", in: "x[1]=b.txt", want: m{"x": l{nil, "B"}}},
		{name: "missing", in: "x=nope.txt", want: m{"x": nil}, wantErr: "open nope.txt: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m{}
			checkErr(t, ParseSetFile(tt.in, got, read), tt.wantErr)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSetFile(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
