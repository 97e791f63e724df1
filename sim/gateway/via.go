package gateway

import "context"

type proxyHostKey struct{}

// WithProxyHost marks ctx as carrying a request that reached paysim through proxy mode,
// addressed to host (a provider's real name, such as api.huifu.com).
func WithProxyHost(ctx context.Context, host string) context.Context {
	return context.WithValue(ctx, proxyHostKey{}, host)
}

// ProxyHost is the host a request was addressed to when it came through proxy mode, and
// "" when the client spoke to paysim directly. The journal keeps it, so that a test can
// tell an app that was redirected from one that was reconfigured.
func ProxyHost(ctx context.Context) string {
	h, _ := ctx.Value(proxyHostKey{}).(string)
	return h
}
