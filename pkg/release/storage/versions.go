package storage

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// recordVersions remembers the resourceVersion of each record a store read
// or wrote, so that its next update of that record is conditional on the
// record not having changed since: a client that lost its lock, or Helm
// working on the same release, cannot have its write silently overwritten,
// nor overwrite theirs. It is shared by the stores InNamespace returns.
//
// A recordVersions may be used by several goroutines at once.
type recordVersions struct {
	mu sync.Mutex
	m  map[string]string // namespace/name of the Secret -> resourceVersion
}

func newRecordVersions() *recordVersions {
	return &recordVersions{m: map[string]string{}}
}

// seen remembers the version of a record as read or written.
func (v *recordVersions) seen(obj *corev1.Secret) {
	if obj == nil || obj.ResourceVersion == "" {
		return
	}
	v.mu.Lock()
	v.m[obj.Namespace+"/"+obj.Name] = obj.ResourceVersion
	v.mu.Unlock()
}

// of returns the version last seen of a record, or "" when none was.
func (v *recordVersions) of(namespace, name string) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.m[namespace+"/"+name]
}

// forget drops what is remembered of a deleted record.
func (v *recordVersions) forget(namespace, name string) {
	v.mu.Lock()
	delete(v.m, namespace+"/"+name)
	v.mu.Unlock()
}
