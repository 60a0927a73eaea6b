//go:build linux

package cluster

import (
	"context"
	"fmt"
	"path/filepath"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ironlb/ironlb/internal/install"
)

// The components run as the ServiceAccounts that config/ defines, bound
// only by the RBAC and admission policy that config/ defines: the lab proves
// that install's least privilege by use.
const (
	ControllerAccount = "ironlb-controller"
	SpeakerAccount    = "ironlb-speaker"
)

// tokenLifetime outlasts any lab session.
const tokenLifetime = 7 * 24 * 3600

// installIdentities applies the identities, RBAC, admission policy and
// memberlist Secret of config/default (the workloads stay out: the lab runs
// the binaries itself).
func (c *Cluster) installIdentities(ctx context.Context) error {
	out, err := install.Kustomize(ctx, "config/default")
	if err != nil {
		return err
	}
	objs, err := install.Parse(out)
	if err != nil {
		return err
	}
	for _, o := range install.Select(objs, "Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
		"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "Secret") {
		if err := c.Env.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("ironlb-lab"), client.ForceOwnership); err != nil {
			return fmt.Errorf("apply %s from config/default: %w", install.Key(o), err)
		}
	}
	return nil
}

// SpeakerConfig reaches the apiserver as a node's speaker: a token of the
// ServiceAccount ironlb-speaker bound to a Pod of the DaemonSet on that node,
// as the kubelet would mount it. The token names the node, which the
// admission policy checks.
func (c *Cluster) SpeakerConfig(ctx context.Context, node string) (*rest.Config, string, error) {
	return c.PodConfig(ctx, node, SpeakerAccount)
}

// PodConfig reaches the apiserver with a token of a ServiceAccount bound to
// a Pod of that account on the node.
func (c *Cluster) PodConfig(ctx context.Context, node, account string) (*rest.Config, string, error) {
	cs, err := kubernetes.NewForConfig(c.Env.Config)
	if err != nil {
		return nil, "", err
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: account + "-" + node, Labels: map[string]string{
			"app.kubernetes.io/name": "ironlb", "app.kubernetes.io/component": "speaker",
		}},
		Spec: corev1.PodSpec{
			NodeName:           node,
			ServiceAccountName: account,
			HostNetwork:        true,
			Containers:         []corev1.Container{{Name: "speaker", Image: "ghcr.io/ironlb/speaker"}},
		},
	}
	got, err := cs.CoreV1().Pods(Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		if got, err = cs.CoreV1().Pods(Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			return nil, "", fmt.Errorf("create Pod %s: %w", pod.Name, err)
		}
	}
	ref := &authv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: got.Name, UID: got.UID}
	return c.tokenConfig(ctx, cs, account, ref, account+"-"+node)
}

// ControllerConfig reaches the apiserver as the controller's ServiceAccount.
func (c *Cluster) ControllerConfig(ctx context.Context) (*rest.Config, string, error) {
	cs, err := kubernetes.NewForConfig(c.Env.Config)
	if err != nil {
		return nil, "", err
	}
	return c.tokenConfig(ctx, cs, ControllerAccount, nil, "controller")
}

// tokenConfig asks for a token (TokenRequest) and writes a kubeconfig with
// it into the lab directory; it returns both.
func (c *Cluster) tokenConfig(ctx context.Context, cs kubernetes.Interface, account string, bound *authv1.BoundObjectReference, file string) (*rest.Config, string, error) {
	tr, err := cs.CoreV1().ServiceAccounts(Namespace).CreateToken(ctx, account, &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](tokenLifetime), BoundObjectRef: bound},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, "", fmt.Errorf("token for ServiceAccount %s: %w", account, err)
	}
	cfg := rest.AnonymousClientConfig(c.Env.Config)
	cfg.BearerToken = tr.Status.Token
	kc := clientcmdapi.NewConfig()
	kc.Clusters["lab"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos[account] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	kc.Contexts["lab"] = &clientcmdapi.Context{Cluster: "lab", AuthInfo: account, Namespace: Namespace}
	kc.CurrentContext = "lab"
	path := filepath.Join(c.opts.Dir, file+".kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return nil, "", err
	}
	return cfg, path, nil
}
