package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/auth"
	"github.com/patchmon-go/patchmon/pkg/users"
)

func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	require.NoError(t, err)
	return c
}

// enrol turns 2FA on for the user and returns the secret and backup codes.
func (e *env) enrol(t *testing.T, u users.User) (string, []string) {
	t.Helper()
	st, err := e.svc.SetupTFA(e.ctx, u.ID)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(st.QRCode, "data:image/png;base64,"))
	require.Contains(t, st.URL, "otpauth://totp/PatchMon:"+u.Username)
	_, err = e.svc.ConfirmTFA(e.ctx, u.ID, "000000")
	status, _ := apiCode(err)
	require.Equal(t, 400, status, "a wrong code does not confirm")
	codes, err := e.svc.ConfirmTFA(e.ctx, u.ID, codeAt(t, st.Secret, e.clock.Now()))
	require.NoError(t, err)
	require.Len(t, codes, 10)
	// The enrolment code's step is used up; start the tests on a fresh one.
	e.clock.Advance(30 * time.Second)
	return st.Secret, codes
}

func (e *env) challenge(t *testing.T, name, device string) string {
	t.Helper()
	res, err := e.svc.Login(e.ctx, name, testPassword, device)
	require.NoError(t, err)
	require.Nil(t, res.Tokens)
	require.NotEmpty(t, res.TFAChallenge)
	return res.TFAChallenge
}

func TestTOTPEnrolVerifyAndReplay(t *testing.T) {
	t.Parallel()
	e := setup(t, auth.Config{})
	u := e.user(t, "ivy", users.RoleUser)
	secret, _ := e.enrol(t, u)
	st, err := e.svc.TFAStatus(e.ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, auth.TFAStatus{Enabled: true, Available: true, BackupCodesRemaining: 10}, st)

	code := codeAt(t, secret, e.clock.Now())
	tok, err := e.svc.VerifyTFA(e.ctx, e.challenge(t, "ivy", ""), code, false)
	require.NoError(t, err)
	require.NotEmpty(t, tok.AccessToken)

	// The same code again, even from a new sign-in within its window: refused.
	_, err = e.svc.VerifyTFA(e.ctx, e.challenge(t, "ivy", ""), code, false)
	require.ErrorIs(t, err, auth.ErrTFAReplay)

	// A challenge is single-use after success, and survives a wrong code.
	ch := e.challenge(t, "ivy", "")
	_, err = e.svc.VerifyTFA(e.ctx, ch, "123456", false)
	require.ErrorIs(t, err, auth.ErrTFAInvalid)
	e.clock.Advance(30 * time.Second)
	_, err = e.svc.VerifyTFA(e.ctx, ch, codeAt(t, secret, e.clock.Now()), false)
	require.NoError(t, err)
	_, err = e.svc.VerifyTFA(e.ctx, ch, codeAt(t, secret, e.clock.Now().Add(30*time.Second)), false)
	require.ErrorIs(t, err, auth.ErrTFAChallenge)

	// A code from the previous step is still accepted (clock drift), one from two ago is not.
	e.clock.Advance(60 * time.Second)
	_, err = e.svc.VerifyTFA(e.ctx, e.challenge(t, "ivy", ""), codeAt(t, secret, e.clock.Now().Add(-60*time.Second)), false)
	require.ErrorIs(t, err, auth.ErrTFAInvalid)
	_, err = e.svc.VerifyTFA(e.ctx, e.challenge(t, "ivy", ""), codeAt(t, secret, e.clock.Now().Add(-30*time.Second)), false)
	require.NoError(t, err)

	// Disabling needs the password and removes everything.
	require.ErrorIs(t, e.svc.DisableTFA(e.ctx, u.ID, "wrong"), auth.ErrWrongPassword)
	require.NoError(t, e.svc.DisableTFA(e.ctx, u.ID, testPassword))
	res, err := e.svc.Login(e.ctx, "ivy", testPassword, "")
	require.NoError(t, err)
	assert.NotNil(t, res.Tokens, "no second factor any more")
	assert.Subset(t, e.auditEvents(t, "tfa."), []string{users.EventTFAEnabled, users.EventTFADisabled, users.EventTFAFailure})
}

func TestBackupCodesAreSingleUse(t *testing.T) {
	t.Parallel()
	e := setup(t, auth.Config{})
	u := e.user(t, "jon", users.RoleUser)
	_, codes := e.enrol(t, u)

	// Accepted in the code field, in any case and with or without the dash.
	_, err := e.svc.VerifyTFA(e.ctx, e.challenge(t, "jon", ""), strings.ToLower(strings.ReplaceAll(codes[0], "-", "")), false)
	require.NoError(t, err)
	_, err = e.svc.VerifyTFA(e.ctx, e.challenge(t, "jon", ""), codes[0], false)
	require.ErrorIs(t, err, auth.ErrTFAInvalid, "a backup code works once")
	st, err := e.svc.TFAStatus(e.ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, 9, st.BackupCodesRemaining)

	fresh, err := e.svc.RegenerateBackupCodes(e.ctx, u.ID, testPassword)
	require.NoError(t, err)
	require.Len(t, fresh, 10)
	_, err = e.svc.VerifyTFA(e.ctx, e.challenge(t, "jon", ""), codes[1], false)
	require.ErrorIs(t, err, auth.ErrTFAInvalid, "old codes die when regenerated")
	_, err = e.svc.VerifyTFA(e.ctx, e.challenge(t, "jon", ""), fresh[5], false)
	require.NoError(t, err)
	assert.Contains(t, e.auditEvents(t, "tfa."), users.EventTFABackupUsed)
}

func TestTFALockoutAndSuspiciousActivity(t *testing.T) {
	t.Parallel()
	e := setup(t, auth.Config{MaxTFAAttempts: 4, TFASuspiciousThreshold: 2, TFALockoutDuration: 30 * time.Minute})
	u := e.user(t, "kim", users.RoleUser)
	secret, _ := e.enrol(t, u)
	ch := e.challenge(t, "kim", "")
	for i := 1; i <= 3; i++ {
		_, err := e.svc.VerifyTFA(e.ctx, ch, "111111", false)
		require.ErrorIs(t, err, auth.ErrTFAInvalid, "attempt %d", i)
	}
	assert.Contains(t, e.auditEvents(t, "tfa."), users.EventTFASuspicious)
	_, err := e.svc.VerifyTFA(e.ctx, ch, "111111", false)
	status, code := apiCode(err)
	require.Equal(t, 423, status)
	assert.Equal(t, users.CodeTFALocked, code)
	assert.Contains(t, err.Error(), "30 minutes")

	// While locked even a right code is refused.
	e.clock.Advance(29 * time.Minute)
	_, err = e.svc.VerifyTFA(e.ctx, e.challenge(t, "kim", ""), codeAt(t, secret, e.clock.Now()), false)
	status, _ = apiCode(err)
	require.Equal(t, 423, status)
	e.clock.Advance(90 * time.Second)
	_, err = e.svc.VerifyTFA(e.ctx, e.challenge(t, "kim", ""), codeAt(t, secret, e.clock.Now()), false)
	require.NoError(t, err)
	assert.Contains(t, e.auditEvents(t, "tfa."), users.EventTFALocked)
}

func TestRememberDeviceLimits(t *testing.T) {
	t.Parallel()
	e := setup(t, auth.Config{TFAMaxRemember: 2, TFARememberTTL: 7 * 24 * time.Hour})
	u := e.user(t, "lea", users.RoleUser)
	secret, _ := e.enrol(t, u)

	var devices []string
	for i := range 3 {
		tok, err := e.svc.VerifyTFA(e.ctx, e.challenge(t, "lea", ""), codeAt(t, secret, e.clock.Now()), true)
		require.NoError(t, err, "device %d", i)
		require.NotEmpty(t, tok.DeviceToken)
		devices = append(devices, tok.DeviceToken)
		e.clock.Advance(30 * time.Second)
	}
	list, err := e.svc.ListTrustedDevices(e.ctx, u.ID)
	require.NoError(t, err)
	require.Len(t, list, 2, "only TFA_MAX_REMEMBER_SESSIONS devices are kept")

	// The oldest was dropped; the newer ones skip the second factor.
	_ = e.challenge(t, "lea", devices[0])
	for _, d := range devices[1:] {
		res, err := e.svc.Login(e.ctx, "lea", testPassword, d)
		require.NoError(t, err)
		require.NotNil(t, res.Tokens, "trusted device skips 2FA")
	}
	// A device token is no substitute for the password, and is the user's only.
	_, err = e.svc.Login(e.ctx, "lea", "wrong", devices[2])
	require.ErrorIs(t, err, auth.ErrInvalidCredentials)
	e.user(t, "max", users.RoleUser)
	other := e.user(t, "nia", users.RoleUser)
	_, _ = e.enrol(t, other)
	_ = e.challenge(t, "nia", devices[2])

	// Revoked devices, and expired ones, ask again.
	id, ok := e.svc.DeviceID(e.ctx, devices[2])
	require.True(t, ok)
	require.NoError(t, e.svc.RevokeTrustedDevice(e.ctx, u.ID, id))
	_ = e.challenge(t, "lea", devices[2])
	e.clock.Advance(7*24*time.Hour + time.Minute)
	_ = e.challenge(t, "lea", devices[1])
}

// codeAtNow is the current TOTP code, offset by some seconds.
func codeAtNow(t *testing.T, secret string, offsetSeconds int) string {
	return codeAt(t, secret, time.Now().Add(time.Duration(offsetSeconds)*time.Second))
}
