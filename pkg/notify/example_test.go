package notify_test

import (
	"fmt"
	"time"

	"github.com/patchmon-go/patchmon/pkg/notify"
)

// A receiver checks a webhook with the destination's signing secret, the
// X-PatchMon-Timestamp and X-PatchMon-Signature headers and the raw body.
func ExampleVerifySignature() {
	body := []byte(`{"event":"host_down","title":"web-01 is down"}`)
	ts := "1780300800"
	sig := notify.Sign("s3cret", ts, body) // what PatchMon sends

	now := time.Unix(1780300830, 0)
	fmt.Println(notify.VerifySignature("s3cret", ts, sig, body, 5*time.Minute, now))
	fmt.Println(notify.VerifySignature("wrong", ts, sig, body, 5*time.Minute, now))
	fmt.Println(notify.VerifySignature("s3cret", ts, sig, body, 5*time.Minute, now.Add(time.Hour)))
	// Output:
	// <nil>
	// notify: webhook signature does not match
	// notify: webhook timestamp outside the allowed window
}
