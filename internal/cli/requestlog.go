package cli

import (
	"log/slog"
	"net/http"
	"time"
)

// requestLog logs every request to the API server at debug level, with its
// answer's status and how long it took, as kubectl's -v=6 does.
type requestLog struct {
	next   http.RoundTripper
	logger *slog.Logger
}

// RoundTrip sends req and logs it.
func (l *requestLog) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := l.next.RoundTrip(req)
	attrs := []any{"method", req.Method, "url", req.URL.String(), "ms", float64(time.Since(start).Microseconds()) / 1000}
	if err != nil {
		l.logger.DebugContext(req.Context(), "request failed", append(attrs, "error", err)...)
		return resp, err
	}
	l.logger.DebugContext(req.Context(), "request", append(attrs, "status", resp.StatusCode)...)
	return resp, nil
}
