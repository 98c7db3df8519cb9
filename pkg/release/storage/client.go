package storage

import (
	"context"

	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
)

// The content types of requests to the API server: records travel as
// protobuf, which is smaller and faster to decode than JSON; JSON is
// accepted from servers (or proxies) that answer in it.
const (
	contentProtobuf = "application/vnd.kubernetes.protobuf"
	acceptProtobuf  = contentProtobuf + ",application/json"
)

// apiClients are the REST clients of the two API groups the store uses:
// core/v1 for Secrets and coordination.k8s.io/v1 for Leases. They know
// only those kinds and the option types of requests, so that the store
// does not link client-go's clientset, whose scheme registers every API
// group when a process starts.
//
// apiClients may be used by several goroutines at once.
type apiClients struct {
	core, coordination *rest.RESTClient
	params             runtime.ParameterCodec
}

// newAPIClients returns the clients for cfg, which is copied. As
// client-go's typed clients do, each client has its own HTTP client and,
// unless cfg sets a RateLimiter, its own limiter of cfg.QPS and cfg.Burst.
func newAPIClients(cfg *rest.Config) (*apiClients, error) {
	sch := runtime.NewScheme()
	sch.AddKnownTypes(corev1.SchemeGroupVersion, &corev1.Secret{}, &corev1.SecretList{})
	metav1.AddToGroupVersion(sch, corev1.SchemeGroupVersion)
	sch.AddKnownTypes(coordv1.SchemeGroupVersion, &coordv1.Lease{}, &coordv1.LeaseList{})
	metav1.AddToGroupVersion(sch, coordv1.SchemeGroupVersion)
	codecs := rest.CodecFactoryForGeneratedClient(sch, serializer.NewCodecFactory(sch)).WithoutConversion()

	client := func(gv schema.GroupVersion, apiPath string) (*rest.RESTClient, error) {
		c := rest.CopyConfig(cfg)
		c.GroupVersion = &gv
		c.APIPath = apiPath
		c.NegotiatedSerializer = codecs
		c.ContentType = contentProtobuf
		c.AcceptContentTypes = acceptProtobuf
		if c.UserAgent == "" {
			c.UserAgent = rest.DefaultKubernetesUserAgent()
		}
		return rest.RESTClientFor(c)
	}
	core, err := client(corev1.SchemeGroupVersion, "/api")
	if err != nil {
		return nil, err
	}
	coordination, err := client(coordv1.SchemeGroupVersion, "/apis")
	if err != nil {
		return nil, err
	}
	return &apiClients{core: core, coordination: coordination, params: runtime.NewParameterCodec(sch)}, nil
}

// secrets returns a client of the Secrets of namespace ("" for all
// namespaces, to list).
func (c *apiClients) secrets(namespace string) secretClient {
	return secretClient{objectClient[corev1.Secret, *corev1.Secret]{resourceClient{rc: c.core, params: c.params, resource: "secrets", namespace: namespace}}}
}

// leases returns a client of the Leases of namespace.
func (c *apiClients) leases(namespace string) leaseAPI {
	return leaseAPI{resourceClient{rc: c.coordination, params: c.params, resource: "leases", namespace: namespace}}
}

// resourceClient makes the requests of one resource in one namespace ("" for
// all namespaces). Errors the API server returns are *apierrors.StatusError,
// for apierrors.IsNotFound and the like.
type resourceClient struct {
	rc        *rest.RESTClient
	params    runtime.ParameterCodec
	resource  string
	namespace string
}

func (c resourceClient) get(ctx context.Context, name string, opts metav1.GetOptions, into runtime.Object) error {
	return c.rc.Get().
		NamespaceIfScoped(c.namespace, c.namespace != "").
		Resource(c.resource).
		Name(name).
		VersionedParams(&opts, c.params).
		Do(ctx).
		Into(into)
}

func (c resourceClient) list(ctx context.Context, opts metav1.ListOptions, into runtime.Object) error {
	return c.rc.Get().
		NamespaceIfScoped(c.namespace, c.namespace != "").
		Resource(c.resource).
		VersionedParams(&opts, c.params).
		Do(ctx).
		Into(into)
}

func (c resourceClient) create(ctx context.Context, obj runtime.Object, opts metav1.CreateOptions, into runtime.Object) error {
	return c.rc.Post().
		NamespaceIfScoped(c.namespace, c.namespace != "").
		Resource(c.resource).
		VersionedParams(&opts, c.params).
		Body(obj).
		Do(ctx).
		Into(into)
}

func (c resourceClient) update(ctx context.Context, name string, obj runtime.Object, opts metav1.UpdateOptions, into runtime.Object) error {
	return c.rc.Put().
		NamespaceIfScoped(c.namespace, c.namespace != "").
		Resource(c.resource).
		Name(name).
		VersionedParams(&opts, c.params).
		Body(obj).
		Do(ctx).
		Into(into)
}

// Delete deletes the named object; opts travel in the request's body.
func (c resourceClient) Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error {
	return c.rc.Delete().
		NamespaceIfScoped(c.namespace, c.namespace != "").
		Resource(c.resource).
		Name(name).
		Body(&opts).
		Do(ctx).
		Error()
}

// object is a pointer to a kind the store reads and writes.
type object[T any] interface {
	*T
	runtime.Object
	GetName() string
}

// objectClient reads and writes objects of one kind, T, in a namespace.
type objectClient[T any, P object[T]] struct{ resourceClient }

// Get returns the named object.
func (c objectClient[T, P]) Get(ctx context.Context, name string, opts metav1.GetOptions) (P, error) {
	out := P(new(T))
	if err := c.get(ctx, name, opts, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Create creates obj and returns it as stored.
func (c objectClient[T, P]) Create(ctx context.Context, obj P, opts metav1.CreateOptions) (P, error) {
	out := P(new(T))
	if err := c.create(ctx, obj, opts, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Update replaces the object named as obj and returns it as stored.
func (c objectClient[T, P]) Update(ctx context.Context, obj P, opts metav1.UpdateOptions) (P, error) {
	out := P(new(T))
	if err := c.update(ctx, obj.GetName(), obj, opts, out); err != nil {
		return nil, err
	}
	return out, nil
}

// secretClient reads and writes the Secrets of a namespace.
type secretClient struct {
	objectClient[corev1.Secret, *corev1.Secret]
}

// List returns the Secrets that opts select.
func (c secretClient) List(ctx context.Context, opts metav1.ListOptions) (*corev1.SecretList, error) {
	out := &corev1.SecretList{}
	if err := c.list(ctx, opts, out); err != nil {
		return nil, err
	}
	return out, nil
}

// leaseAPI reads and writes the Leases of a namespace.
type leaseAPI = objectClient[coordv1.Lease, *coordv1.Lease]
