package alerts_test

import (
	"context"
	"log/slog"

	"github.com/patchmon-go/patchmon/pkg/alerts"
)

// Subscribe to alert events, as a notification sender does. Hooks run after the change is
// committed and must return quickly.
func ExampleService_OnEvent() {
	var svc *alerts.Service // srv.Alerts() of a started server
	if svc == nil {
		return
	}
	svc.OnEvent(func(ctx context.Context, ev alerts.Event) {
		if ev.Kind == alerts.EventCreated && ev.Alert.Severity == alerts.SeverityCritical {
			slog.InfoContext(ctx, "page the on-call", "alert", ev.Alert.Title)
		}
	})
}
