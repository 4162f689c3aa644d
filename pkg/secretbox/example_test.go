package secretbox_test

import (
	"fmt"

	"github.com/patchmon-go/patchmon/pkg/secretbox"
)

func ExampleBox() {
	box, err := secretbox.New(secretbox.Config{AIEncryptionKey: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"})
	if err != nil {
		panic(err)
	}
	sealed, _ := box.SealString("smtp-password", "notify.destination:42")
	plain, _ := box.OpenString(sealed, "notify.destination:42")
	_, err = box.OpenString(sealed, "notify.destination:43")
	fmt.Println(box.Source(), plain, err)
	// Output: AI_ENCRYPTION_KEY smtp-password secretbox: value cannot be decrypted (altered, or sealed for another record)
}
