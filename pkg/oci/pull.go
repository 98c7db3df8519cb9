package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/bargehq/barge/internal/flight"
)

// Manifest media types a registry may answer with.
const (
	mediaTypeOCIManifest    = ocispec.MediaTypeImageManifest
	mediaTypeOCIIndex       = ocispec.MediaTypeImageIndex
	mediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mediaTypeDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// PullOptions say which version of a chart to pull.
type PullOptions struct {
	// Version is a version or SemVer range (--version). Empty means the
	// reference's tag, or without one the newest stable version. A version
	// (not a range) is taken as the tag without listing the tags, as Helm
	// does.
	Version string
	// Devel admits pre-releases when neither Version nor a tag is given
	// (--devel).
	Devel bool
	// Prov fetches the provenance layer too, when the chart has one
	// (--prov, --verify).
	Prov bool
}

// Pulled is a chart pulled from a registry.
type Pulled struct {
	// Ref is the reference pulled: the one given, with the tag a version
	// was resolved to. Ref.Name() is what Helm prints after "Pulled:".
	Ref Reference
	// Name and Version are the chart's, from its config.
	Name, Version string
	// ManifestDigest is the manifest's digest, "sha256:...", as Helm prints
	// it after "Digest:".
	ManifestDigest string
	// ChartDigest is the chart layer's digest: the archive's SHA-256.
	ChartDigest string
	// Path is the chart archive in the cache. It must not be modified.
	Path string
	// HasProv reports that the chart has a provenance layer.
	HasProv bool
	// ProvDigest and ProvPath are the provenance layer's digest and file in
	// the cache, when PullOptions.Prov asked for it and there is one.
	ProvDigest, ProvPath string
}

// chartRecord is what a chart's manifest and config say.
type chartRecord struct {
	manifest      ocispec.Descriptor
	chart, prov   ocispec.Descriptor
	hasProv       bool
	name, version string
}

// Pull fetches the chart ref names (oci://HOST/PATH/CHART[:TAG][@DIGEST]):
// by digest when it has one, else by its tag, else by the version opts ask
// for (see ResolveVersion). The manifest must be a Helm chart's (else an
// *Error wrapping ErrNotChart); manifest, config and layers are bounded by
// the Client's Limits (ErrTooLarge, before the content is requested) and
// checked against their digests (ErrDigestMismatch). The archive is kept
// in Options.CacheDir by digest: a chart already there is not fetched
// again, and concurrent pulls of one chart fetch it once. Nothing that
// failed a check is kept.
func (c *Client) Pull(ctx context.Context, ref string, opts PullOptions) (*Pulled, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	if c.opts.CacheDir == "" {
		return nil, &Error{Ref: ref, Err: errors.New("no cache directory to pull into"), Hint: "set Options.CacheDir"}
	}
	version := strings.TrimSpace(opts.Version)
	if r.Digest == "" {
		switch {
		case version != "" && r.Tag != "" && r.Tag != TagOf(version):
			return nil, &Error{Ref: ref, Err: fmt.Errorf("the reference's tag %s and --version %s differ", r.Tag, version), Hint: "give one of them"}
		case r.Tag != "":
		case version != "" && isVersion(version):
			r.Tag = TagOf(version)
		default:
			v, err := c.ResolveVersion(ctx, ref, version, opts.Devel)
			if err != nil {
				return nil, err
			}
			r.Tag = v.Tag
		}
	}
	label := ref
	if r.Tag != "" && !strings.Contains(ref, "@") && !strings.HasSuffix(ref, ":"+r.Tag) {
		label = r.String()
	}
	rec, err := c.chartManifest(ctx, label, r)
	if err != nil {
		return nil, err
	}
	if r.Digest != "" && version != "" && isVersion(version) && rec.version != version {
		return nil, &Error{Ref: ref, Err: fmt.Errorf("the digest is version %s of chart %s, not %s", rec.version, rec.name, version), Hint: "drop --version, or give the digest of that version"}
	}
	p := &Pulled{Ref: r, Name: rec.name, Version: rec.version, ManifestDigest: rec.manifest.Digest.String(), ChartDigest: rec.chart.Digest.String(), HasProv: rec.hasProv}
	if p.Path, err = c.blob(ctx, label, r, rec.chart, ".tgz", c.limits.Chart, "chart layer"); err != nil {
		return nil, err
	}
	if opts.Prov && rec.hasProv {
		p.ProvDigest = rec.prov.Digest.String()
		if p.ProvPath, err = c.blob(ctx, label, r, rec.prov, ".prov", c.limits.Prov, "provenance layer"); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// isVersion reports whether s is a version rather than a range.
func isVersion(s string) bool {
	_, err := semver.NewVersion(s)
	return err == nil
}

// chartManifest fetches and checks the manifest and config of r (by digest
// if it has one, else by tag), once per Client.
func (c *Client) chartManifest(ctx context.Context, label string, r Reference) (*chartRecord, error) {
	key := r.Repo().Name() + "@" + r.oras().Reference
	c.mu.Lock()
	rec := c.manifests[key]
	c.mu.Unlock()
	if rec != nil {
		return rec, nil
	}
	v, err := c.shared(ctx, "manifest:"+key, func(ctx context.Context) (any, error) {
		rec, err := c.fetchManifest(ctx, label, r)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.manifests[key] = rec
		c.mu.Unlock()
		return rec, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*chartRecord), nil
}

func (c *Client) fetchManifest(ctx context.Context, label string, r Reference) (*chartRecord, error) {
	repo := c.repository(r)
	fail := func(err error) error { return classify(ctx, label, r.Registry, c.hasCredential(ctx, r.Registry), err) }
	desc, rc, err := repo.Manifests().FetchReference(ctx, r.oras().Reference)
	if err != nil {
		err = fail(err)
		var e *Error
		if errors.Is(err, ErrNotFound) && errors.As(err, &e) {
			if r.Digest != "" {
				e.Hint = "no manifest has this digest in the repository: check the digest"
			} else {
				e.Hint = fmt.Sprintf("no tag %s in the repository: check the version, or list the versions the registry has", r.Tag)
			}
		}
		return nil, err
	}
	defer rc.Close()
	if desc.Size > c.limits.Manifest {
		return nil, &Error{Ref: label, Err: fmt.Errorf("%w: the manifest is %d bytes, over the limit of %d", ErrTooLarge, desc.Size, c.limits.Manifest), Hint: "a chart's manifest is a few KiB: is this a chart?"}
	}
	if r.Digest != "" && desc.Digest.String() != r.Digest {
		return nil, &Error{Ref: label, Err: fmt.Errorf("%w: the registry answered with manifest %s", ErrDigestMismatch, desc.Digest)}
	}
	b, err := content.ReadAll(rc, desc)
	if err != nil {
		if errors.Is(err, content.ErrMismatchedDigest) || errors.Is(err, content.ErrTrailingData) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &Error{Ref: label, Err: fmt.Errorf("%w: the manifest is not the one its digest %s names: %v", ErrDigestMismatch, desc.Digest, err), Hint: "the registry's copy is damaged, or was tampered with"}
		}
		return nil, fail(err)
	}
	switch desc.MediaType {
	case mediaTypeOCIManifest, mediaTypeDockerManifest, "":
	case mediaTypeOCIIndex, mediaTypeDockerList:
		return nil, &Error{Ref: label, Err: fmt.Errorf("%w: the reference is an image index (%s), as multi-platform container images are", ErrNotChart, desc.MediaType), Hint: "name a chart pushed with 'barge push' or 'helm push'"}
	default:
		return nil, &Error{Ref: label, Err: fmt.Errorf("%w: the manifest's media type is %s", ErrNotChart, desc.MediaType), Hint: "name a chart pushed with 'barge push' or 'helm push'"}
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, &Error{Ref: label, Err: fmt.Errorf("%w: the manifest is not valid JSON: %v", ErrNotChart, err)}
	}
	if m.Config.MediaType != ConfigMediaType {
		what := "an artifact of another kind"
		if strings.Contains(m.Config.MediaType, "image.config") || strings.Contains(m.Config.MediaType, "container.image") {
			what = "a container image"
		}
		return nil, &Error{Ref: label, Err: fmt.Errorf("%w: its config is %s (%s), not %s", ErrNotChart, nonEmpty(m.Config.MediaType), what, ConfigMediaType), Hint: "name a chart pushed with 'barge push' or 'helm push'"}
	}
	rec := &chartRecord{manifest: desc}
	var charts int
	for _, l := range m.Layers {
		switch l.MediaType {
		case ChartLayerMediaType, LegacyChartLayerMediaType:
			rec.chart = l
			charts++
		case ProvLayerMediaType:
			rec.prov, rec.hasProv = l, true
		}
	}
	if charts != 1 {
		return nil, &Error{Ref: label, Err: fmt.Errorf("%w: the manifest has %d chart layers (%s), not one", ErrNotChart, charts, ChartLayerMediaType), Hint: "push the chart again with 'barge push' or 'helm push'"}
	}
	if m.Config.Size > c.limits.Config {
		return nil, &Error{Ref: label, Err: fmt.Errorf("%w: the chart's config is %d bytes, over the limit of %d", ErrTooLarge, m.Config.Size, c.limits.Config)}
	}
	if err := m.Config.Digest.Validate(); err != nil {
		return nil, &Error{Ref: label, Err: fmt.Errorf("%w: the config's digest %q is not valid: %v", ErrNotChart, m.Config.Digest, err)}
	}
	crc, err := repo.Blobs().Fetch(ctx, m.Config)
	if err != nil {
		return nil, fail(err)
	}
	defer crc.Close()
	cb, err := content.ReadAll(crc, m.Config)
	if err != nil {
		if errors.Is(err, content.ErrMismatchedDigest) || errors.Is(err, content.ErrTrailingData) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &Error{Ref: label, Err: fmt.Errorf("%w: the chart's config is not the one its digest %s names: %v", ErrDigestMismatch, m.Config.Digest, err), Hint: "the registry's copy is damaged, or was tampered with"}
		}
		return nil, fail(err)
	}
	var meta struct{ Name, Version string }
	if err := json.Unmarshal(cb, &meta); err != nil || meta.Name == "" || meta.Version == "" {
		return nil, &Error{Ref: label, Err: fmt.Errorf("%w: the chart's config does not give its name and version", ErrNotChart)}
	}
	rec.name, rec.version = meta.Name, meta.Version
	return rec, nil
}

func nonEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// blob returns the cached file of the layer desc of r (what names it in
// errors), downloading it if needed: once per Client however many callers
// ask at once, checked against its digest before it is kept.
func (c *Client) blob(ctx context.Context, label string, r Reference, desc ocispec.Descriptor, ext string, limit int64, what string) (string, error) {
	if err := desc.Digest.Validate(); err != nil {
		return "", &Error{Ref: label, Err: fmt.Errorf("%w: the %s's digest %q is not valid: %v", ErrNotChart, what, desc.Digest, err)}
	}
	if desc.Size > limit {
		return "", &Error{Ref: label, Err: fmt.Errorf("%w: the %s is %d bytes, over the limit of %d", ErrTooLarge, what, desc.Size, limit), Hint: "no chart is this large: it was not downloaded"}
	}
	if desc.Size < 0 {
		return "", &Error{Ref: label, Err: fmt.Errorf("%w: the %s's size %d is negative", ErrNotChart, what, desc.Size)}
	}
	path := filepath.Join(c.opts.CacheDir, string(desc.Digest.Algorithm())+"-"+desc.Digest.Encoded()+ext)
	if c.cached(path, desc.Digest) {
		return path, nil
	}
	_, err := c.shared(ctx, "blob:"+path, func(ctx context.Context) (any, error) {
		if c.cached(path, desc.Digest) {
			return nil, nil
		}
		return nil, c.download(ctx, label, r, desc, path, what)
	})
	if err != nil {
		return "", err
	}
	return path, nil
}

// cached reports whether path holds the content of digest d, checked once
// per Client; a damaged file is removed.
func (c *Client) cached(path string, d digest.Digest) bool {
	c.mu.Lock()
	ok := c.verified[path]
	c.mu.Unlock()
	if ok {
		if _, err := os.Stat(path); err == nil {
			return true
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	v := d.Verifier()
	if _, err := io.Copy(v, f); err != nil || !v.Verified() {
		c.log.Warn("cached chart file damaged: downloading it again", "file", path)
		os.Remove(path)
		return false
	}
	c.mu.Lock()
	c.verified[path] = true
	c.mu.Unlock()
	return true
}

// download fetches the blob desc of r into path: written under a temporary
// name, checked, then renamed.
func (c *Client) download(ctx context.Context, label string, r Reference, desc ocispec.Descriptor, path, what string) error {
	if err := os.MkdirAll(c.opts.CacheDir, 0o755); err != nil {
		return fmt.Errorf("chart cache: %w", err)
	}
	repo := c.repository(r)
	c.log.Debug("downloading from the registry", "reference", label, "layer", what, "digest", desc.Digest.String(), "size", desc.Size)
	rc, err := repo.Blobs().Fetch(ctx, desc)
	if err != nil {
		if strings.Contains(err.Error(), "mismatch Content-Length") || strings.Contains(err.Error(), "mismatch digest") {
			return &Error{Ref: label, Err: fmt.Errorf("%w: the registry's answer for the %s is not the size or digest the manifest gives (%d bytes, %s)", ErrDigestMismatch, what, desc.Size, desc.Digest), Hint: "the registry's copy is damaged, or was tampered with: nothing was kept"}
		}
		return classify(ctx, label, r.Registry, c.hasCredential(ctx, r.Registry), err)
	}
	defer rc.Close()
	return c.writeVerified(ctx, label, rc, desc, path, what, r.Registry)
}

// writeVerified copies the content of desc from rd into path, checking its
// size and digest first.
func (c *Client) writeVerified(ctx context.Context, label string, rd io.Reader, desc ocispec.Descriptor, path, what, host string) error {
	f, err := os.CreateTemp(c.opts.CacheDir, ".download-*")
	if err != nil {
		return fmt.Errorf("chart cache: %w", err)
	}
	tmp := f.Name()
	keep := false
	defer func() {
		if !keep {
			os.Remove(tmp)
		}
	}()
	d := desc.Digest.Algorithm().Digester()
	n, err := io.Copy(io.MultiWriter(f, d.Hash()), io.LimitReader(rd, desc.Size+1))
	if cerr := f.Close(); err == nil && cerr != nil {
		return fmt.Errorf("chart cache: %w", cerr)
	}
	if err != nil {
		return classify(ctx, label, host, true, err)
	}
	switch {
	case n > desc.Size:
		return &Error{Ref: label, Err: fmt.Errorf("%w: the registry sent more than the %d bytes of the %s the manifest gives", ErrDigestMismatch, desc.Size, what), Hint: "the registry's copy is damaged, or was tampered with: nothing was kept"}
	case n < desc.Size:
		return &Error{Ref: label, Err: fmt.Errorf("%w: the download of the %s stopped at %d of %d bytes", ErrUnreachable, what, n, desc.Size), Hint: "retry"}
	case d.Digest() != desc.Digest:
		return &Error{Ref: label, Err: fmt.Errorf("%w: the %s's content is %s, not %s as the manifest says", ErrDigestMismatch, what, d.Digest(), desc.Digest), Hint: "the registry's copy is damaged, or was tampered with: nothing was kept"}
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("chart cache: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("chart cache: %w", err)
	}
	keep = true
	c.mu.Lock()
	c.verified[path] = true
	c.mu.Unlock()
	return nil
}

// shared runs fn once for all the callers asking for key at the same time.
// fn runs with the context of the caller that started it; if that caller
// gives up, the others start it again with theirs.
func (c *Client) shared(ctx context.Context, key string, fn func(context.Context) (any, error)) (any, error) {
	return flight.Do(ctx, &c.flights, key, fn)
}
