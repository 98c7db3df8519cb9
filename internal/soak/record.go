package soak

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Revision is what the suite reads of one release record: its status, the
// token the command that wrote it set, and the objects its manifest lists.
// The suite decodes records itself, from Helm's documented format, so that
// its checks do not lean on barge's storage code.
type Revision struct {
	Version     int
	Status      string
	Description string
	// Token is the value of .Values.token the record was made with
	// (its config), "" when none was set.
	Token string
	// Objects are the manifest's objects, with the token each carries.
	Objects []Object
}

// Object is an object of a manifest or of the cluster, named by kind and
// name, with the token the chart wrote into it ("" when it carries none).
type Object struct {
	Kind, Name string
	Token      string
}

// Key names the object as Kind/name.
func (o Object) Key() string { return o.Kind + "/" + o.Name }

// record is the part of Helm's release record (storage driver format:
// base64 of gzip of JSON) that the suite reads.
type record struct {
	Name string `json:"name"`
	Info struct {
		Status      string `json:"status"`
		Description string `json:"description"`
	} `json:"info"`
	Config   map[string]any `json:"config"`
	Manifest string         `json:"manifest"`
	Version  int            `json:"version"`
}

// DecodeRevision decodes a release Secret's "release" data.
func DecodeRevision(data []byte) (Revision, error) {
	raw, err := base64.StdEncoding.DecodeString(string(data))
	if err != nil {
		return Revision{}, fmt.Errorf("record: base64: %w", err)
	}
	if bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return Revision{}, fmt.Errorf("record: gzip: %w", err)
		}
		if raw, err = io.ReadAll(zr); err != nil {
			return Revision{}, fmt.Errorf("record: gzip: %w", err)
		}
	}
	var r record
	if err := json.Unmarshal(raw, &r); err != nil {
		return Revision{}, fmt.Errorf("record: json: %w", err)
	}
	objs, err := ManifestObjects(r.Manifest)
	if err != nil {
		return Revision{}, fmt.Errorf("record of revision %d: %w", r.Version, err)
	}
	tok, _ := r.Config["token"].(string)
	return Revision{Version: r.Version, Status: r.Info.Status, Description: r.Info.Description, Token: tok, Objects: objs}, nil
}

// manifestDoc is what the suite reads of a manifest's object.
type manifestDoc struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Data map[string]string `json:"data"`
	Spec struct {
		Template struct {
			Metadata struct {
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		} `json:"template"`
	} `json:"spec"`
}

// ManifestObjects lists a manifest's objects, sorted by key.
func ManifestObjects(manifest string) ([]Object, error) {
	var out []Object
	for _, doc := range strings.Split(manifest, "\n---") {
		doc = strings.TrimPrefix(strings.TrimSpace(doc), "---")
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var d manifestDoc
		if err := yaml.Unmarshal([]byte(doc), &d); err != nil {
			return nil, fmt.Errorf("manifest: %w", err)
		}
		if d.Kind == "" {
			continue
		}
		out = append(out, Object{Kind: d.Kind, Name: d.Metadata.Name, Token: objectToken(d.Kind, d.Data, d.Spec.Template.Metadata.Annotations)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out, nil
}

// objectToken returns the token the soak chart writes into an object of
// kind: a ConfigMap's data, a workload's pod template annotations.
func objectToken(kind string, data, annotations map[string]string) string {
	if kind == "ConfigMap" {
		return data["token"]
	}
	return annotations["token"]
}
