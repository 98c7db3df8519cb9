package fleet_test

import (
	"fmt"

	"github.com/bargehq/barge/pkg/fleet"
)

// A fleet file stamps one release definition out per tenant.
func ExampleFile_Expand() {
	f, err := fleet.Parse([]byte(`
apiVersion: barge.dev/v1alpha1
kind: Fleet
metadata:
  name: shop
tenants:
  items:
    - {name: acme, host: shop.acme.example}
    - {name: globex, host: globex.example, plan: gold}
releases:
  - name: "shop-{{ .Tenant.name }}"
    namespace: "tenant-{{ .Tenant.name }}"
    chart: ./charts/shop
    perTenant: true
    set:
      ingress.host: "{{ .Tenant.host }}"
    labels:
      plan: "{{ .Tenant.plan | default \"basic\" }}"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	rels, err := f.Expand(fleet.ExpandOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rels {
		fmt.Println(r.Key(), r.Values["ingress"], r.Labels["plan"], r.Labels[fleet.TenantLabel])
	}
	// Output:
	// tenant-acme/shop-acme map[host:shop.acme.example] basic acme
	// tenant-globex/shop-globex map[host:globex.example] gold globex
}
