package repo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/Masterminds/semver/v3"
	yaml "go.yaml.in/yaml/v2"
	"helm.sh/helm/v3/pkg/chart"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/bargehq/barge/pkg/repo/getter"
)

// DefaultMaxIndexSize is the size over which ParseIndex refuses an index, the
// same as the getter's default limit for downloading one.
const DefaultMaxIndexSize = getter.DefaultMaxIndexSize

// ErrNoAPIVersion is returned by ParseIndex for an index without
// apiVersion, as Helm refuses it.
var ErrNoAPIVersion = errors.New("no API version specified")

// ErrEmptyIndex is returned by ParseIndex for an empty index.yaml.
var ErrEmptyIndex = errors.New("empty index.yaml file")

// ErrIndexTooLarge is returned by ParseIndex for data over its limit.
var ErrIndexTooLarge = errors.New("index too large")

// Index is a repository's index.yaml: for each chart name, the versions the
// repository serves, newest first. The JSON field names are Helm's, so that
// sigs.k8s.io/yaml writes an index.yaml as Helm does (see (*Index).Marshal).
//
// An Index read from barge's compact cache (Cache.Load) holds only what
// lookups and searches use: each version's name, version, appVersion,
// description, keywords, deprecated, urls, created, removed and digest.
//
// An Index is not modified by Lookup, nor by Search, so several goroutines
// may look up in one Index at once.
type Index struct {
	ServerInfo  map[string]any             `json:"serverInfo,omitempty"`
	APIVersion  string                     `json:"apiVersion"`
	Generated   time.Time                  `json:"generated"`
	Entries     map[string][]*ChartVersion `json:"entries"`
	PublicKeys  []string                   `json:"publicKeys,omitempty"`
	Annotations map[string]string          `json:"annotations,omitempty"`

	// Source names the index in messages about its entries: the
	// repository and the URL or file it came from.
	Source string `json:"-"`
	// Repo names the repository in messages about a chart not found: its
	// name in repositories.yaml, or its URL. Empty, Source is used.
	Repo string `json:"-"`
	// Skipped lists the entries that were left out, and why.
	Skipped []*EntryError `json:"-"`
}

// ChartVersion is one version of a chart in an index: its Chart.yaml
// metadata and where to download it.
type ChartVersion struct {
	*chart.Metadata
	// URLs are where the archive may be downloaded, absolute or relative to
	// the repository URL; the first is used.
	URLs []string `json:"urls"`
	// Created is when the version was added to the index.
	Created time.Time `json:"created"`
	// Removed marks a version withdrawn from the repository.
	Removed bool `json:"removed,omitempty"`
	// Digest is the SHA-256 of the archive, in hex (sometimes prefixed
	// "sha256:").
	Digest string `json:"digest,omitempty"`
}

// EntryError is an entry of an index left out by ParseIndex: the chart it is
// listed under, its version if it has one, and why.
type EntryError struct {
	// Source names the index (see Index.Source).
	Source string
	// Chart is the name the entry is listed under.
	Chart string
	// Version is the entry's version, "" if it has none.
	Version string
	// Position is the entry's position in the chart's list, from 1, or 0
	// when the whole chart was left out.
	Position int
	// Reason says what is wrong.
	Reason string
}

// Error returns the message: the index, the chart, the version or position,
// why, and that the entry was skipped.
func (e *EntryError) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "chart %q", e.Chart)
	switch {
	case e.Version != "":
		fmt.Fprintf(&b, " version %q", e.Version)
	case e.Position > 0:
		fmt.Fprintf(&b, " entry %d", e.Position)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Position > 0 {
		b.WriteString("; entry skipped")
	} else {
		b.WriteString("; chart skipped")
	}
	return b.String()
}

// ParseIndex parses an index.yaml (or its JSON form) and checks each entry
// on its own: an entry without a name, a version that is not SemVer, no
// URLs or an URL that does not parse, or fields of the wrong type is left
// out and recorded in Index.Skipped (named by source, chart and version), and
// the rest of the index stays usable. Each chart's versions are sorted
// newest first (SemVer; equal versions keep their order). Text fields are
// cleaned as Helm cleans them (control characters dropped), so that an index
// cannot write escape sequences to a terminal.
//
// The parse is bounded: data over DefaultMaxIndexSize is refused, and YAML
// nesting and aliases are limited. An index that does not parse at all, or
// has no apiVersion, is an error. source names the index in messages, e.g.
// `repository "stable" (https://charts.example.com/index.yaml)`.
func ParseIndex(data []byte, source string) (*Index, error) {
	return parseIndex(data, source, DefaultMaxIndexSize)
}

func parseIndex(data []byte, source string, limit int64) (*Index, error) {
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w: %d bytes, over the limit of %d", source, ErrIndexTooLarge, len(data), limit)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: %w", source, ErrEmptyIndex)
	}
	var raw rawIndex
	var err error
	if json.Valid(data) {
		err = json.Unmarshal(data, &raw)
	} else {
		err = yaml.Unmarshal(data, &raw)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %s; the file is not a valid index.yaml", source, sanitize(yamlReason(err)))
	}
	if raw.APIVersion == "" {
		return nil, fmt.Errorf("%s: %w; the file is not a valid index.yaml", source, ErrNoAPIVersion)
	}
	idx := &Index{
		APIVersion:  raw.APIVersion,
		Generated:   parseTime(raw.Generated),
		Entries:     make(map[string][]*ChartVersion, len(raw.Entries)),
		PublicKeys:  raw.PublicKeys,
		Annotations: raw.Annotations,
		ServerInfo:  jsonMap(raw.ServerInfo),
		Source:      source,
	}
	for name, rc := range raw.Entries {
		skip := func(pos int, version, reason string) {
			idx.Skipped = append(idx.Skipped, &EntryError{Source: source, Chart: name, Version: version, Position: pos, Reason: sanitize(reason)})
		}
		if name == "" || sanitize(name) != name {
			skip(0, "", "invalid chart name")
			continue
		}
		if rc == nil {
			continue // "name:" with nothing: no versions
		}
		if rc.err != nil {
			skip(0, "", "not a list of versions: "+yamlReason(rc.err))
			continue
		}
		cvs := make([]*ChartVersion, 0, len(rc.versions))
		for i, slot := range rc.versions {
			cv, err := slot.chartVersion()
			if err != nil {
				skip(i+1, slot.v.Version, err.Error())
				continue
			}
			cvs = append(cvs, cv)
		}
		sortVersions(cvs)
		idx.Entries[name] = cvs
	}
	slices.SortFunc(idx.Skipped, func(a, b *EntryError) int {
		if c := strings.Compare(a.Chart, b.Chart); c != 0 {
			return c
		}
		return a.Position - b.Position
	})
	return idx, nil
}

// sortVersions sorts a chart's versions newest first by SemVer.
func sortVersions(cvs []*ChartVersion) {
	type keyed struct {
		v  *semver.Version
		cv *ChartVersion
	}
	ks := make([]keyed, len(cvs))
	for i, cv := range cvs {
		v, _ := semver.NewVersion(cv.Version)
		ks[i] = keyed{v, cv}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int {
		switch {
		case a.v == nil && b.v == nil:
			return 0
		case a.v == nil:
			return 1
		case b.v == nil:
			return -1
		}
		return b.v.Compare(a.v)
	})
	for i := range ks {
		cvs[i] = ks[i].cv
	}
}

// SortEntries sorts each chart's versions newest first by SemVer.
func (i *Index) SortEntries() {
	for _, cvs := range i.Entries {
		sortVersions(cvs)
	}
}

// rawIndex is index.yaml as written, decoded leniently: each chart and each
// version decodes on its own, so that one bad entry spoils only itself.
type rawIndex struct {
	APIVersion  string               `yaml:"apiVersion" json:"apiVersion"`
	Generated   string               `yaml:"generated" json:"generated"`
	Entries     map[string]*rawChart `yaml:"entries" json:"entries"`
	PublicKeys  []string             `yaml:"publicKeys" json:"publicKeys"`
	Annotations map[string]string    `yaml:"annotations" json:"annotations"`
	ServerInfo  map[string]any       `yaml:"serverInfo" json:"serverInfo"`
}

type rawChart struct {
	versions []rawSlot
	err      error
}

// UnmarshalYAML keeps the error of the chart's decoding. The error's text is
// taken at once: yaml.v2 reuses the memory of the errors it hands to
// unmarshalers.
func (c *rawChart) UnmarshalYAML(unmarshal func(any) error) error {
	if err := unmarshal(&c.versions); err != nil {
		c.versions, c.err = nil, errors.New(err.Error())
	}
	return nil
}

func (c *rawChart) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &c.versions); err != nil {
		c.versions, c.err = nil, err
	}
	return nil
}

// rawSlot is one version of a chart, with the error of its decoding.
type rawSlot struct {
	v   rawVersion
	set bool
	err error
}

func (s *rawSlot) UnmarshalYAML(unmarshal func(any) error) error {
	s.set = true
	if err := unmarshal(&s.v); err != nil {
		s.err = errors.New(err.Error()) // see rawChart.UnmarshalYAML
	}
	return nil
}

func (s *rawSlot) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s.set = true
	if err := json.Unmarshal(b, &s.v); err != nil {
		s.err = err
	}
	return nil
}

type rawVersion struct {
	Name         string            `yaml:"name" json:"name"`
	Home         string            `yaml:"home" json:"home"`
	Sources      []string          `yaml:"sources" json:"sources"`
	Version      string            `yaml:"version" json:"version"`
	Description  string            `yaml:"description" json:"description"`
	Keywords     []string          `yaml:"keywords" json:"keywords"`
	Maintainers  []*rawMaintainer  `yaml:"maintainers" json:"maintainers"`
	Icon         string            `yaml:"icon" json:"icon"`
	APIVersion   string            `yaml:"apiVersion" json:"apiVersion"`
	Condition    string            `yaml:"condition" json:"condition"`
	Tags         string            `yaml:"tags" json:"tags"`
	AppVersion   string            `yaml:"appVersion" json:"appVersion"`
	Deprecated   bool              `yaml:"deprecated" json:"deprecated"`
	Annotations  map[string]string `yaml:"annotations" json:"annotations"`
	KubeVersion  string            `yaml:"kubeVersion" json:"kubeVersion"`
	Dependencies []*rawDependency  `yaml:"dependencies" json:"dependencies"`
	Type         string            `yaml:"type" json:"type"`
	URLs         []string          `yaml:"urls" json:"urls"`
	Created      string            `yaml:"created" json:"created"`
	Removed      bool              `yaml:"removed" json:"removed"`
	Digest       string            `yaml:"digest" json:"digest"`
}

type rawMaintainer struct {
	Name  string `yaml:"name" json:"name"`
	Email string `yaml:"email" json:"email"`
	URL   string `yaml:"url" json:"url"`
}

type rawDependency struct {
	Name         string   `yaml:"name" json:"name"`
	Version      string   `yaml:"version" json:"version"`
	Repository   string   `yaml:"repository" json:"repository"`
	Condition    string   `yaml:"condition" json:"condition"`
	Tags         []string `yaml:"tags" json:"tags"`
	Enabled      bool     `yaml:"enabled" json:"enabled"`
	ImportValues []any    `yaml:"import-values" json:"import-values"`
	Alias        string   `yaml:"alias" json:"alias"`
}

// chartVersion checks the entry and turns it into a ChartVersion.
func (s *rawSlot) chartVersion() (*ChartVersion, error) {
	if !s.set {
		return nil, errors.New("empty entry")
	}
	if s.err != nil {
		return nil, fmt.Errorf("wrong field type: %s", yamlReason(s.err))
	}
	r := &s.v
	md := &chart.Metadata{
		Name:        sanitize(r.Name),
		Home:        sanitize(r.Home),
		Version:     r.Version,
		Description: sanitize(r.Description),
		Icon:        sanitize(r.Icon),
		APIVersion:  sanitize(r.APIVersion),
		Condition:   sanitize(r.Condition),
		Tags:        sanitize(r.Tags),
		AppVersion:  sanitize(r.AppVersion),
		Deprecated:  r.Deprecated,
		Annotations: r.Annotations,
		KubeVersion: sanitize(r.KubeVersion),
		Type:        r.Type,
		Sources:     sanitizeAll(r.Sources),
		Keywords:    sanitizeAll(r.Keywords),
	}
	if md.APIVersion == "" {
		md.APIVersion = chart.APIVersionV1
	}
	switch {
	case md.Name == "":
		return nil, errors.New("no name")
	case md.Name == "." || md.Name == ".." || strings.ContainsAny(md.Name, `/\`):
		return nil, fmt.Errorf("invalid name %q", md.Name)
	case r.Version == "":
		return nil, errors.New("no version")
	}
	if _, err := semver.NewVersion(r.Version); err != nil {
		return nil, fmt.Errorf("version %q is not SemVer: %v", sanitize(r.Version), err)
	}
	if md.Type != "" && md.Type != "application" && md.Type != "library" {
		return nil, fmt.Errorf("type %q is neither application nor library", sanitize(md.Type))
	}
	if len(r.URLs) == 0 {
		return nil, errors.New("no URLs: the archive cannot be downloaded")
	}
	for _, u := range r.URLs {
		if u == "" {
			return nil, errors.New("empty URL")
		}
		if _, err := url.Parse(u); err != nil {
			return nil, fmt.Errorf("invalid URL %q: %v", sanitize(u), unwrapURLError(err))
		}
	}
	for _, m := range r.Maintainers {
		if m != nil {
			md.Maintainers = append(md.Maintainers, &chart.Maintainer{Name: sanitize(m.Name), Email: sanitize(m.Email), URL: sanitize(m.URL)})
		}
	}
	for _, d := range r.Dependencies {
		if d == nil {
			continue
		}
		iv := make([]any, len(d.ImportValues))
		for i, v := range d.ImportValues {
			iv[i] = jsonValue(v)
		}
		if len(iv) == 0 {
			iv = nil
		}
		md.Dependencies = append(md.Dependencies, &chart.Dependency{
			Name: d.Name, Version: d.Version, Repository: d.Repository, Condition: d.Condition,
			Tags: d.Tags, Enabled: d.Enabled, ImportValues: iv, Alias: d.Alias,
		})
	}
	return &ChartVersion{
		Metadata: md,
		URLs:     r.URLs,
		Created:  parseTime(r.Created),
		Removed:  r.Removed,
		Digest:   r.Digest,
	}, nil
}

var rawTypes = regexp.MustCompile(`(\[\])?\*?repo\.raw[A-Za-z]+`)

// yamlReason is the text of a decoding error without its prefix and with
// this package's types named for what they stand for.
func yamlReason(err error) string {
	s := strings.TrimPrefix(oneLine(err.Error()), "yaml: unmarshal errors: ")
	s = strings.TrimPrefix(s, "json: ")
	s = strings.ReplaceAll(s, "map[string]*repo.rawChart", "a mapping of charts")
	return rawTypes.ReplaceAllStringFunc(s, func(t string) string {
		if strings.HasPrefix(t, "[]") {
			return "a list"
		}
		return "a mapping"
	})
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// parseTime reads the timestamps Helm and other index writers use; a
// timestamp that does not parse is the zero time.
func parseTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999 -0700", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// sanitize cleans a text field as Helm's chart.Metadata.Validate does:
// white space becomes a space, other characters that do not print are
// dropped.
func sanitize(s string) string {
	clean := true
	for _, r := range s {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
}

func sanitizeAll(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	for i, s := range ss {
		ss[i] = sanitize(s)
	}
	return ss
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// jsonMap turns YAML's maps with any keys into maps with string keys, which
// encoding/json (and so sigs.k8s.io/yaml) can write.
func jsonMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = jsonValue(v)
	}
	return out
}

func jsonValue(v any) any {
	switch v := v.(type) {
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[fmt.Sprint(k)] = jsonValue(e)
		}
		return out
	case map[string]any:
		return jsonMap(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonValue(e)
		}
		return out
	}
	return v
}

// Marshal returns the index as Helm writes index.yaml: sigs.k8s.io/yaml's
// rendering of Helm's JSON field names, keys in alphabetical order.
func (i *Index) Marshal() ([]byte, error) {
	out := *i
	if out.Entries == nil {
		out.Entries = map[string][]*ChartVersion{}
	}
	return sigsyaml.Marshal(&out)
}
