package enrollment_test

import (
	"fmt"

	"github.com/patchmon-go/patchmon/pkg/enrollment"
)

// Scopes are explicit: granting "get" does not grant anything else.
func ExampleScopes_Allows() {
	sc := enrollment.Scopes{"host": {"get", "delete"}}
	fmt.Println(sc.Allows("host", "get"), sc.Allows("host", "patch"), sc.Allows("package", "get"))
	// Output: true false false
}
