package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/skip2/go-qrcode"

	"github.com/patchmon-go/patchmon/pkg/users"
)

const (
	totpPeriod      = 30
	backupCodeCount = 10
	// backupAlphabet leaves out characters that are easy to misread (0/O, 1/I/L).
	backupAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// matchTOTP finds the time step (now, one before or one after, for clock drift) whose
// code equals code. ok is false when none does.
func matchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	cur := now.Unix() / totpPeriod
	for _, d := range []int64{0, -1, 1} {
		st := cur + d
		want, err := totp.GenerateCodeCustom(secret, time.Unix(st*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return st, true
		}
	}
	return 0, false
}

// normalizeCode strips spaces and dashes and upper-cases, so "abcd-efgh" and "ABCDEFGH"
// are the same backup code.
func normalizeCode(c string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(c)))
}

func isTOTPCode(c string) bool {
	if len(c) != 6 {
		return false
	}
	for _, r := range c {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// newBackupCodes returns codes for display (XXXX-XXXX) and their keyed hashes.
func (s *Service) newBackupCodes() (codes, hashes []string) {
	for range backupCodeCount {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		var sb strings.Builder
		for i, x := range b {
			if i == 4 {
				sb.WriteByte('-')
			}
			sb.WriteByte(backupAlphabet[int(x)%len(backupAlphabet)])
		}
		code := sb.String()
		codes = append(codes, code)
		hashes = append(hashes, s.keyedHash("backup-code", normalizeCode(code)))
	}
	return codes, hashes
}

// checkSecondFactor accepts a TOTP code (once: a code's time step can be used only once)
// or an unused backup code.
func (s *Service) checkSecondFactor(ctx context.Context, cred credentials, code string, now time.Time) (usedBackup bool, err error) {
	code = normalizeCode(code)
	if isTOTPCode(code) {
		secret, err := s.sealer.open(cred.TFASecret)
		if err != nil {
			return false, err
		}
		step, ok := matchTOTP(secret, code, now)
		if !ok {
			return false, ErrTFAInvalid
		}
		fresh, err := s.store.acceptStep(ctx, cred.ID, step)
		if err != nil {
			return false, err
		}
		if !fresh {
			return false, ErrTFAReplay
		}
		return false, nil
	}
	ok, err := s.store.useBackupCode(ctx, cred.ID, s.keyedHash("backup-code", code), now)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, ErrTFAInvalid
	}
	return true, nil
}

// VerifyTFA completes a sign-in that Login answered with a challenge. MaxTFAAttempts
// wrong codes lock the account's 2FA for TFALockoutDuration; reaching
// TFASuspiciousThreshold is recorded in the audit log. With remember the device is trusted
// for TFARememberTTL (keeping only the newest TFAMaxRemember devices).
func (s *Service) VerifyTFA(ctx context.Context, challengeToken, code string, remember bool) (*Tokens, error) {
	now := s.now()
	ch, putBack, err := s.takeChallenge(ctx, challengeToken, now)
	if err != nil {
		return nil, err
	}
	cred, err := s.store.credByID(ctx, ch.UserID)
	if errors.Is(err, errNoRows) {
		return nil, ErrTFAChallenge
	}
	if err != nil {
		return nil, err
	}
	target := users.AuditEntry{ActorID: cred.ID, ActorUsername: cred.Username, TargetType: "user", TargetID: cred.ID.String(), TargetName: cred.Username}
	if !cred.IsActive {
		return nil, ErrAccountDisabled
	}
	if !cred.TFAEnabled {
		return nil, ErrTFAChallenge
	}
	if cred.TFALockedUntil != nil && cred.TFALockedUntil.After(now) {
		return nil, tfaLockedError(*cred.TFALockedUntil, now)
	}
	usedBackup, err := s.checkSecondFactor(ctx, cred, code, now)
	if errors.Is(err, ErrTFAInvalid) || errors.Is(err, ErrTFAReplay) {
		attempts, until, ferr := s.store.recordTFAFailure(ctx, cred.ID, now, s.cfg.MaxTFAAttempts, s.cfg.TFALockoutDuration)
		if ferr != nil {
			return nil, ferr
		}
		e := target
		e.Event, e.Details = users.EventTFAFailure, map[string]any{"attempts": attempts, "replay": errors.Is(err, ErrTFAReplay)}
		s.audit(ctx, e)
		if attempts == s.cfg.TFASuspiciousThreshold {
			e.Event, e.Details = users.EventTFASuspicious, map[string]any{"attempts": attempts, "threshold": s.cfg.TFASuspiciousThreshold}
			s.audit(ctx, e)
			s.log.WarnContext(ctx, "suspicious two-factor activity", "user", cred.Username, "attempts", attempts,
				"ip", users.ClientFrom(ctx).IP)
		}
		if until != nil {
			e.Event, e.Details = users.EventTFALocked, map[string]any{"attempts": attempts, "lockedUntil": until.UTC()}
			s.audit(ctx, e)
			return nil, tfaLockedError(*until, now)
		}
		putBack()
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if err := s.store.clearTFAFailures(ctx, cred.ID); err != nil {
		return nil, err
	}
	if usedBackup {
		e := target
		e.Event, e.Success = users.EventTFABackupUsed, true
		s.audit(ctx, e)
	}
	t, err := s.startSession(ctx, cred.ID, "password")
	if err != nil {
		return nil, err
	}
	if remember {
		c := users.ClientFrom(ctx)
		t.DeviceToken, t.DeviceExpires = randomToken(32), now.Add(s.cfg.TFARememberTTL)
		if _, err := s.store.addDevice(ctx, cred.ID, hashToken(t.DeviceToken), c.IP, truncate(c.UserAgent, 500), now,
			t.DeviceExpires, s.cfg.TFAMaxRemember); err != nil {
			return nil, err
		}
		e := target
		e.Event, e.Success = users.EventTFADeviceTrusted, true
		s.audit(ctx, e)
	}
	e := target
	e.Event, e.Success, e.Details = users.EventLoginSuccess, true, map[string]any{"method": "password", "tfa": true, "backupCode": usedBackup}
	s.audit(ctx, e)
	return t, nil
}

// TFAStatus is a user's two-factor state.
type TFAStatus struct {
	Enabled, Available                   bool
	BackupCodesRemaining, TrustedDevices int
}

// TFAStatus returns the user's two-factor state.
func (s *Service) TFAStatus(ctx context.Context, userID uuid.UUID) (TFAStatus, error) {
	cred, err := s.store.credByID(ctx, userID)
	if err != nil {
		return TFAStatus{}, err
	}
	st := TFAStatus{Enabled: cred.TFAEnabled, Available: cred.PasswordHash != ""}
	if st.BackupCodesRemaining, err = s.store.countBackupCodes(ctx, userID); err != nil {
		return TFAStatus{}, err
	}
	st.TrustedDevices, err = s.store.countDevices(ctx, userID, s.now())
	return st, err
}

// TFASetup is a pending enrolment.
type TFASetup struct {
	Secret, URL string
	// QRCode is the URL as a PNG data URL.
	QRCode string
}

// SetupTFA starts enrolment: a new secret that becomes active once confirmed with
// ConfirmTFA.
func (s *Service) SetupTFA(ctx context.Context, userID uuid.UUID) (TFASetup, error) {
	cred, err := s.store.credByID(ctx, userID)
	if err != nil {
		return TFASetup{}, err
	}
	if cred.PasswordHash == "" {
		return TFASetup{}, ErrTFANoPassword
	}
	if cred.TFAEnabled {
		return TFASetup{}, ErrTFAAlreadyOn
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.cfg.TOTPIssuer, AccountName: cred.Username, Period: totpPeriod,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TFASetup{}, err
	}
	png, err := qrcode.Encode(key.URL(), qrcode.Medium, 256)
	if err != nil {
		return TFASetup{}, err
	}
	if err := s.store.setPendingTFA(ctx, userID, s.sealer.seal(key.Secret()), s.now()); err != nil {
		return TFASetup{}, err
	}
	return TFASetup{Secret: key.Secret(), URL: key.URL(), QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)}, nil
}

// ConfirmTFA checks a code from the pending secret, turns 2FA on and returns the backup
// codes (the only time they are shown).
func (s *Service) ConfirmTFA(ctx context.Context, userID uuid.UUID, code string) ([]string, error) {
	cred, err := s.store.credByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if cred.TFAEnabled {
		return nil, ErrTFAAlreadyOn
	}
	if cred.TFAPendingSecret == "" {
		return nil, ErrTFANoSetup
	}
	secret, err := s.sealer.open(cred.TFAPendingSecret)
	if err != nil {
		return nil, err
	}
	now := s.now()
	step, ok := matchTOTP(secret, normalizeCode(code), now)
	if !ok {
		return nil, ErrTFASetupInvalid
	}
	codes, hashes := s.newBackupCodes()
	enabled, err := s.store.enableTFA(ctx, userID, step, hashes, now)
	if err != nil {
		return nil, err
	}
	if !enabled {
		return nil, ErrTFANoSetup
	}
	s.audit(ctx, users.AuditEntry{Event: users.EventTFAEnabled, Success: true, TargetType: "user", TargetID: userID.String(), TargetName: cred.Username})
	return codes, nil
}

func (s *Service) checkPassword(ctx context.Context, userID uuid.UUID, password string) (credentials, error) {
	cred, err := s.store.credByID(ctx, userID)
	if err != nil {
		return credentials{}, err
	}
	if !s.users.Hasher().Compare(cred.PasswordHash, password) {
		return credentials{}, ErrWrongPassword
	}
	return cred, nil
}

// DisableTFA turns 2FA off after checking the password; backup codes and trusted
// devices go with it.
func (s *Service) DisableTFA(ctx context.Context, userID uuid.UUID, password string) error {
	cred, err := s.checkPassword(ctx, userID, password)
	if err != nil {
		return err
	}
	if !cred.TFAEnabled {
		return ErrTFANotOn
	}
	if err := s.store.disableTFA(ctx, userID, s.now()); err != nil {
		return err
	}
	s.audit(ctx, users.AuditEntry{Event: users.EventTFADisabled, Success: true, TargetType: "user", TargetID: userID.String(), TargetName: cred.Username})
	return nil
}

// ResetTFA turns a user's 2FA off for an administrator (a user who lost both the
// authenticator and the backup codes).
func (s *Service) ResetTFA(ctx context.Context, userID uuid.UUID) error {
	u, err := s.users.CheckTarget(ctx, userID)
	if err != nil {
		return err
	}
	if err := s.store.disableTFA(ctx, userID, s.now()); err != nil {
		return err
	}
	s.audit(ctx, users.AuditEntry{Event: users.EventTFADisabled, Success: true, TargetType: "user", TargetID: userID.String(),
		TargetName: u.Username, Details: map[string]any{"byAdministrator": true}})
	return nil
}

// RegenerateBackupCodes replaces the backup codes after checking the password.
func (s *Service) RegenerateBackupCodes(ctx context.Context, userID uuid.UUID, password string) ([]string, error) {
	cred, err := s.checkPassword(ctx, userID, password)
	if err != nil {
		return nil, err
	}
	if !cred.TFAEnabled {
		return nil, ErrTFANotOn
	}
	codes, hashes := s.newBackupCodes()
	if err := s.store.replaceBackupCodes(ctx, userID, hashes, s.now()); err != nil {
		return nil, err
	}
	s.audit(ctx, users.AuditEntry{Event: users.EventTFABackupRegen, Success: true, TargetType: "user", TargetID: userID.String(), TargetName: cred.Username})
	return codes, nil
}

// TrustedDevice is a device that skips the 2FA step.
type TrustedDevice struct {
	ID                               uuid.UUID
	IP, UserAgent                    string
	CreatedAt, LastUsedAt, ExpiresAt time.Time
}

// ListTrustedDevices returns the user's trusted devices, newest first.
func (s *Service) ListTrustedDevices(ctx context.Context, userID uuid.UUID) ([]TrustedDevice, error) {
	list, err := s.store.listDevices(ctx, userID, s.now())
	if err != nil {
		return nil, err
	}
	out := make([]TrustedDevice, 0, len(list))
	for _, d := range list {
		out = append(out, TrustedDevice(d))
	}
	return out, nil
}

// DeviceID returns the id of the trusted device a device token belongs to.
func (s *Service) DeviceID(ctx context.Context, deviceToken string) (uuid.UUID, bool) {
	if deviceToken == "" {
		return uuid.Nil, false
	}
	id, err := s.store.deviceByHash(ctx, hashToken(deviceToken))
	return id, err == nil
}

// RevokeTrustedDevice forgets one of the user's trusted devices.
func (s *Service) RevokeTrustedDevice(ctx context.Context, userID, deviceID uuid.UUID) error {
	ok, err := s.store.deleteDevice(ctx, userID, deviceID)
	if err != nil {
		return err
	}
	if !ok {
		return ErrDeviceNotFound
	}
	s.audit(ctx, users.AuditEntry{Event: users.EventTFADeviceRevoked, Success: true, TargetType: "user", TargetID: userID.String(),
		Details: map[string]any{"deviceId": deviceID}})
	return nil
}

// RevokeAllTrustedDevices forgets every trusted device of the user.
func (s *Service) RevokeAllTrustedDevices(ctx context.Context, userID uuid.UUID) error {
	if err := s.store.deleteDevices(ctx, userID); err != nil {
		return err
	}
	s.audit(ctx, users.AuditEntry{Event: users.EventTFADeviceRevoked, Success: true, TargetType: "user", TargetID: userID.String(),
		Details: map[string]any{"all": true}})
	return nil
}
