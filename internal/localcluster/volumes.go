package localcluster

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// hostPathDir is where kube-controller-manager's host-path provisioner
// makes the directory of each volume it provisions (a path it does not let
// one change).
const hostPathDir = "/tmp/hostpath_pv"

// hostPathVolumes returns the directories of the cluster's persistent
// volumes that the host-path provisioner made, for Stop to remove: the
// volumes of claims still bound when the cluster stops are never deleted
// by the cluster itself.
func (c *Cluster) hostPathVolumes() []string {
	if c.rest == nil {
		return nil
	}
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pvs, err := cs.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var dirs []string
	for _, pv := range pvs.Items {
		hp := pv.Spec.HostPath
		if hp == nil {
			continue
		}
		if p := filepath.Clean(hp.Path); strings.HasPrefix(p, hostPathDir+"/") && !strings.Contains(strings.TrimPrefix(p, hostPathDir+"/"), "/") {
			dirs = append(dirs, p)
		}
	}
	return dirs
}
