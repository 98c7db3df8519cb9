package render

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"text/template"

	"github.com/bargehq/barge/pkg/chart/values"
)

// maxIncludeDepth bounds how often a template may include itself, as Helm
// does.
const maxIncludeDepth = 1000

// execution is the state of one render that the template functions share.
type execution struct {
	r        *Renderer
	ctx      context.Context
	lookup   Lookuper
	included map[string]int

	lookupMu sync.Mutex
	lookups  map[[4]string]lookupAnswer

	// lint makes required and fail note their message instead of failing.
	lint         bool
	lintMessages []string
}

// lookupAnswer is what the cluster answered to one lookup.
type lookupAnswer struct {
	obj map[string]any
	err error
}

// bind installs the functions that depend on this render into t.
func (e *execution) bind(t *template.Template) {
	funcs := template.FuncMap{
		"include": e.includeFunc(t),
		"tpl":     e.tplFunc(t),
		"lookup":  e.lookupFunc,
	}
	if e.lint {
		funcs["required"] = func(msg string, val any) (any, error) {
			if _, err := required(msg, val); err != nil {
				e.lintMessages = append(e.lintMessages, "Missing required value: "+msg)
				return "", nil
			}
			return val, nil
		}
		funcs["fail"] = func(msg string) (string, error) {
			e.lintMessages = append(e.lintMessages, "Fail: "+msg)
			return "", nil
		}
	}
	t.Funcs(funcs)
}

func (e *execution) includeFunc(t *template.Template) func(string, any) (string, error) {
	return func(name string, data any) (string, error) {
		if n := e.included[name]; n > maxIncludeDepth {
			return "", fmt.Errorf("rendering template has a nested reference name: %s: unable to execute template", name)
		}
		e.included[name]++
		defer func() { e.included[name]-- }()
		var buf strings.Builder
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
}

// tplFunc returns the tpl function for the template set of t: it renders a
// string as a template that sees every template of the set. Definitions made
// by the string are visible only within it.
func (e *execution) tplFunc(t *template.Template) func(string, any) (string, error) {
	return func(text string, data any) (string, error) {
		p := e.r.parseTpl(text)
		if p.err != nil {
			return "", fmt.Errorf("cannot parse template %q: %w", text, p.err)
		}
		if len(p.trees) == 0 {
			return "", nil
		}
		main, defs := p.trees[0], p.trees[1:]
		run := t
		if len(defs) > 0 {
			c, err := t.Clone()
			if err != nil {
				return "", fmt.Errorf("cannot clone template: %w", err)
			}
			c.Option("missingkey=zero")
			e.bind(c)
			addTrees(c, defs)
			run = c
		}
		// The set's root template carries no text of its own: lend it the
		// string's tree for the time of this call.
		saved := run.Tree
		run.Tree = main.tree
		defer func() { run.Tree = saved }()
		var buf strings.Builder
		if err := run.Execute(&buf, data); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", text, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
}

func (e *execution) lookupFunc(apiVersion, kind, namespace, name string) (map[string]any, error) {
	if e.lookup == nil {
		return map[string]any{}, nil
	}
	// Charts often look the same object up several times in one render
	// (once per key of a Secret): the cluster is asked once, and each call
	// gets its own copy, which the template may change.
	k := [4]string{apiVersion, kind, namespace, name}
	e.lookupMu.Lock()
	defer e.lookupMu.Unlock()
	a, ok := e.lookups[k]
	if !ok {
		a.obj, a.err = e.lookup.Lookup(e.ctx, apiVersion, kind, namespace, name)
		if e.lookups == nil {
			e.lookups = make(map[[4]string]lookupAnswer)
		}
		e.lookups[k] = a
	}
	if a.err != nil {
		return map[string]any{}, a.err
	}
	return values.Copy(a.obj), nil
}

// errMarks finds the message of required or fail in a chain of errors.
var errMarks = regexp.MustCompile(errStart + `((?s).*)` + errEnd)

// parseError words a template parse error as Helm does:
// "parse error at (chart/templates/x.yaml:3): unexpected ...".
func parseError(name string, err error) error {
	tokens := strings.Split(err.Error(), ": ")
	if len(tokens) == 1 {
		return &TemplateError{Template: name, Err: fmt.Errorf("parse error in (%s): %s", name, err)}
	}
	return &TemplateError{Template: name, Err: fmt.Errorf("parse error at (%s): %s", tokens[1], tokens[len(tokens)-1])}
}

// execError words a template execution error as Helm does: the location of
// the outermost template and, for required and fail, only their message.
func execError(name string, err error) error {
	var ee template.ExecError
	if !errors.As(err, &ee) {
		return err
	}
	tokens := strings.SplitN(err.Error(), ": ", 3)
	if len(tokens) != 3 {
		return &TemplateError{Template: name, Err: fmt.Errorf("execution error in (%s): %s", name, err)}
	}
	if m := errMarks.FindStringSubmatch(tokens[2]); len(m) >= 2 {
		return &TemplateError{Template: name, Err: fmt.Errorf("execution error at (%s): %s", tokens[1], m[1])}
	}
	return &TemplateError{Template: name, Err: err}
}

// TemplateError is an error parsing or executing a template. Its message is
// Helm's, naming the template file, line and column.
type TemplateError struct {
	// Template is the template executed, e.g. "mychart/templates/app.yaml";
	// the error may lie in a template it includes.
	Template string
	// Err is the error, worded as Helm words it.
	Err error
}

func (e *TemplateError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *TemplateError) Unwrap() error { return e.Err }
