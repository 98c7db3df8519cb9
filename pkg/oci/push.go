package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"helm.sh/helm/v3/pkg/chart"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/bargehq/barge/pkg/chart/archive"
)

// PushOptions adjust a push.
type PushOptions struct {
	// ProvFile is the archive's provenance file. Empty means ARCHIVE.prov
	// when it exists, as Helm does.
	ProvFile string
	// Created is the manifest's org.opencontainers.image.created
	// annotation. Zero means the archive's modification time, as Helm does:
	// barge and Helm then push the same manifest for the same file.
	Created time.Time
}

// Pushed is a chart pushed to a registry.
type Pushed struct {
	// Ref is the chart's reference, REGISTRY/REPOSITORY/CHART:TAG, as Helm
	// prints it after "Pushed:" (Ref.Name()).
	Ref Reference
	// Name and Version are the chart's.
	Name, Version string
	// ManifestDigest is the manifest's digest, as Helm prints it after
	// "Digest:".
	ManifestDigest string
	// ConfigDigest, ChartDigest and ProvDigest are the digests of the
	// config, the chart layer and the provenance layer ("" without one).
	ConfigDigest, ChartDigest, ProvDigest string
}

// Push uploads the chart archive at archivePath to the repository dest
// (oci://HOST/PATH, without tag or digest) as DEST/CHART:TAG, the tag being
// the chart's version with '+' written '_'. The manifest is Helm's, byte for
// byte: config Chart.yaml as JSON (ConfigMediaType), the chart layer and
// the provenance layer if any, sorted by digest, and Helm's annotations
// (title, version, description, url, source, authors and created, then the
// chart's own annotations, which cannot replace title and version). Blobs
// the registry has are not sent again. The archive is checked as any chart
// archive barge reads (package archive), and kept in the cache.
func (c *Client) Push(ctx context.Context, archivePath, dest string, opts PushOptions) (*Pushed, error) {
	d, err := ParseReference(dest)
	if err != nil {
		return nil, err
	}
	if d.Tag != "" || d.Digest != "" {
		return nil, &Error{Ref: dest, Err: fmt.Errorf("%w: a push names a repository, without tag or digest", ErrInvalidReference), Hint: fmt.Sprintf("give %s: the chart is pushed as its name, tagged with its version", d.Repo())}
	}
	data, fi, err := readArchive(archivePath)
	if err != nil {
		return nil, err
	}
	ch, err := archive.Load(bytes.NewReader(data), archivePath, archive.Limits{})
	if err != nil {
		return nil, err
	}
	meta := ch.Metadata
	var prov []byte
	provFile := opts.ProvFile
	if provFile == "" {
		if _, err := os.Stat(archivePath + ".prov"); err == nil {
			provFile = archivePath + ".prov"
		}
	}
	if provFile != "" {
		if prov, err = readBounded(provFile, c.limits.Prov); err != nil {
			return nil, fmt.Errorf("provenance file %s: %w", provFile, err)
		}
	}
	created := opts.Created
	if created.IsZero() {
		created = fi.ModTime()
	}
	config, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("chart archive %s: %w", archivePath, err)
	}
	m := newManifest(meta, config, data, prov, created)
	ref := Reference{Registry: d.Registry, Repository: d.Repository + "/" + meta.Name, Tag: TagOf(meta.Version)}
	label := ref.String()
	if err := ref.oras().ValidateRepository(); err != nil {
		return nil, &Error{Ref: label, Err: fmt.Errorf("%w: chart name %q makes an invalid repository", ErrInvalidReference, meta.Name), Hint: "OCI repositories are lowercase: rename the chart"}
	}
	repo := c.repository(ref)
	ctx = auth.AppendRepositoryScope(ctx, repo.Reference, auth.ActionPull, auth.ActionPush)
	fail := func(err error) error {
		return classify(ctx, label, ref.Registry, c.hasCredential(ctx, ref.Registry), err)
	}
	for _, b := range m.blobs {
		ok, err := repo.Blobs().Exists(ctx, b.desc)
		if err != nil {
			return nil, fail(err)
		}
		if ok {
			c.log.Debug("blob already in the registry", "reference", label, "digest", b.desc.Digest.String())
			continue
		}
		if err := repo.Blobs().Push(ctx, b.desc, bytes.NewReader(b.data)); err != nil {
			return nil, fail(err)
		}
	}
	if err := repo.Manifests().PushReference(ctx, m.desc, bytes.NewReader(m.data), ref.Tag); err != nil {
		return nil, fail(err)
	}
	c.mu.Lock()
	delete(c.tags, ref.Repo().Name()) // the list now lacks the tag
	delete(c.manifests, ref.Repo().Name()+"@"+ref.Tag)
	c.mu.Unlock()
	if c.opts.CacheDir != "" {
		path := filepath.Join(c.opts.CacheDir, "sha256-"+m.chart.Digest.Encoded()+".tgz")
		if !c.cached(path, m.chart.Digest) {
			if err := c.writeVerified(ctx, label, bytes.NewReader(data), m.chart, path, "chart layer", ref.Registry); err != nil {
				c.log.Debug("cannot cache the pushed archive", "file", archivePath, "error", err)
			}
		}
	}
	p := &Pushed{Ref: ref, Name: meta.Name, Version: meta.Version, ManifestDigest: m.desc.Digest.String(), ConfigDigest: m.config.Digest.String(), ChartDigest: m.chart.Digest.String()}
	if prov != nil {
		p.ProvDigest = m.prov.Digest.String()
	}
	return p, nil
}

// readArchive reads the chart archive at path, bounded by the limit on any
// chart archive.
func readArchive(path string) ([]byte, fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("chart archive %s: no such file; check the path", path)
		}
		return nil, nil, fmt.Errorf("chart archive %s: %w", path, err)
	}
	if fi.IsDir() {
		return nil, nil, fmt.Errorf("chart archive %s: is a directory; package it first ('barge package %s') and push the .tgz", path, path)
	}
	data, err := readBounded(path, archive.DefaultLimits().MaxArchive)
	if err != nil {
		return nil, nil, fmt.Errorf("chart archive %s: %w", path, err)
	}
	return data, fi, nil
}

// readBounded reads the file at path, refusing one over limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("%w: over the limit of %d bytes", ErrTooLarge, limit)
	}
	return buf.Bytes(), nil
}

// blobData is a blob to upload.
type blobData struct {
	desc ocispec.Descriptor
	data []byte
}

// manifest is a chart's manifest as Helm packs it, with its blobs.
type manifest struct {
	desc                ocispec.Descriptor
	data                []byte
	config, chart, prov ocispec.Descriptor
	blobs               []blobData
}

// newManifest packs a chart as Helm does: see Push.
func newManifest(meta *chart.Metadata, config, archiveData, prov []byte, created time.Time) *manifest {
	m := &manifest{
		config: descriptor(ConfigMediaType, config),
		chart:  descriptor(ChartLayerMediaType, archiveData),
	}
	m.blobs = []blobData{{m.config, config}, {m.chart, archiveData}}
	layers := []ocispec.Descriptor{m.chart}
	if prov != nil {
		m.prov = descriptor(ProvLayerMediaType, prov)
		m.blobs = append(m.blobs, blobData{m.prov, prov})
		layers = append(layers, m.prov)
	}
	slices.SortFunc(layers, func(a, b ocispec.Descriptor) int { return strings.Compare(string(a.Digest), string(b.Digest)) })
	om := ocispec.Manifest{
		Versioned:   specs.Versioned{SchemaVersion: 2},
		Config:      m.config,
		Layers:      layers,
		Annotations: annotations(meta, created),
	}
	// Marshalling a struct of strings, ints and maps of strings cannot fail.
	m.data, _ = json.Marshal(om)
	m.desc = descriptor(ocispec.MediaTypeImageManifest, m.data)
	return m
}

func descriptor(mediaType string, data []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
}

// annotations returns the manifest annotations Helm writes for meta: the
// OCI ones from Chart.yaml's fields (each only when not blank), then the
// chart's annotations, which replace them except title and version.
func annotations(meta *chart.Metadata, created time.Time) map[string]string {
	a := map[string]string{}
	set := func(k, v string) {
		if strings.TrimSpace(v) != "" {
			a[k] = v
		}
	}
	set(ocispec.AnnotationDescription, meta.Description)
	set(ocispec.AnnotationTitle, meta.Name)
	set(ocispec.AnnotationVersion, meta.Version)
	set(ocispec.AnnotationURL, meta.Home)
	set(ocispec.AnnotationCreated, created.Format(time.RFC3339))
	if len(meta.Sources) > 0 {
		set(ocispec.AnnotationSource, meta.Sources[0])
	}
	if len(meta.Maintainers) > 0 {
		var b strings.Builder
		for i, mt := range meta.Maintainers {
			if mt != nil {
				b.WriteString(mt.Name)
				if mt.Email != "" {
					b.WriteString(" (" + mt.Email + ")")
				}
			}
			if i < len(meta.Maintainers)-1 {
				b.WriteString(", ")
			}
		}
		set(ocispec.AnnotationAuthors, b.String())
	}
	for k, v := range meta.Annotations {
		if k != ocispec.AnnotationTitle && k != ocispec.AnnotationVersion {
			a[k] = v
		}
	}
	return a
}
