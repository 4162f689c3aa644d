package settings_test

import (
	"fmt"

	"github.com/patchmon-go/patchmon/pkg/settings"
)

func ExampleServerURL() {
	fmt.Println(settings.ServerURL("https", "patchmon.example.com", 443))
	fmt.Println(settings.ServerURL("http", "10.0.0.5", 3000))
	// Output:
	// https://patchmon.example.com
	// http://10.0.0.5:3000
}

func ExampleSniffType() {
	ct, err := settings.SniffType(settings.LogoDark, []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`))
	fmt.Println(ct, err)
	_, err = settings.SniffType(settings.LogoDark, []byte(`<svg onload="alert(1)"/>`))
	fmt.Println(err)
	// Output:
	// image/svg+xml <nil>
	// SVG files may not contain scripts, event handlers, javascript: links or embedded HTML
}
