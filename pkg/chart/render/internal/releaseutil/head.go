// Package releaseutil holds the type the renderer decodes the head of each
// rendered document into. Its name shows in the errors of documents that do
// not decode ("cannot unmarshal string into Go value of type
// releaseutil.SimpleHead"), so it has the package and type names Helm's has,
// and the same shape, which decides which documents are rejected.
package releaseutil

// SimpleHead is the head of a Kubernetes object: apiVersion, kind, and the
// name and annotations of its metadata.
type SimpleHead struct {
	Version  string `json:"apiVersion"`
	Kind     string `json:"kind,omitempty"`
	Metadata *struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata,omitempty"`
}
