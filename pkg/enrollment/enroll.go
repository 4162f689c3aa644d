package enrollment

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/patchmon-go/patchmon/pkg/inventory"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// MaxBulkHosts is the most hosts one bulk request may enroll.
const MaxBulkHosts = 50

const maxMachineIDLen = 255

// HostRequest is one host to enroll.
type HostRequest struct {
	FriendlyName string
	MachineID    string
	Metadata     map[string]any
}

// EnrolledHost is the outcome for one host: created (with credentials) or skipped
// because its machine_id was already enrolled through the token.
type EnrolledHost struct {
	ID           uuid.UUID
	FriendlyName string
	MachineID    string
	Status       string
	Group        *GroupRef
	// Credentials are set for created hosts only; the key is never retrievable again.
	Credentials *inventory.Credentials
	Skipped     bool
}

// validateHost checks one host and returns the message of its first problem.
func validateHost(h *HostRequest) (param, msg string) {
	h.FriendlyName = strings.TrimSpace(h.FriendlyName)
	h.MachineID = strings.TrimSpace(h.MachineID)
	switch {
	case h.FriendlyName == "" || len([]rune(h.FriendlyName)) > 255:
		return "friendly_name", "Friendly name is required (max 255 characters)"
	case len([]rune(h.MachineID)) > maxMachineIDLen:
		return "machine_id", "Machine ID must be at most 255 characters"
	}
	return "", ""
}

// Enroll creates one host through token t. A machine_id t already enrolled returns
// the existing host with Skipped set and creates nothing. Errors: *ValidationError,
// *QuotaError.
func (s *Service) Enroll(ctx context.Context, t Token, h HostRequest) (EnrolledHost, error) {
	if param, msg := validateHost(&h); msg != "" {
		v := &ValidationError{}
		v.add(param, msg)
		return EnrolledHost{}, v
	}
	if h.MachineID != "" {
		if e, ok, err := s.existing(ctx, t, h); err != nil || ok {
			return e, err
		}
	}
	if err := s.reserve(ctx, t.ID, 1, false); err != nil {
		return EnrolledHost{}, err
	}
	e, err := s.create(ctx, t, h)
	if err != nil || e.Skipped {
		s.refund(ctx, t.ID, 1)
	}
	return e, err
}

// BulkResult is the outcome of a bulk enrollment.
type BulkResult struct {
	Success []EnrolledHost
	Skipped []EnrolledHost
	Failed  []BulkFailure
}

// BulkFailure is a host that was not enrolled.
type BulkFailure struct {
	FriendlyName, MachineID, Error string
}

// EnrollBulk enrolls 1 to MaxBulkHosts hosts. The hosts it would create must all fit in
// the token's remaining daily quota, or nothing is created (*QuotaError). Invalid hosts
// are reported as failed, already enrolled machine_ids as skipped.
func (s *Service) EnrollBulk(ctx context.Context, t Token, hosts []HostRequest) (BulkResult, error) {
	if len(hosts) == 0 || len(hosts) > MaxBulkHosts {
		v := &ValidationError{}
		v.add("hosts", "Hosts array is required (1-50 hosts)")
		return BulkResult{}, v
	}
	res := BulkResult{Success: []EnrolledHost{}, Skipped: []EnrolledHost{}, Failed: []BulkFailure{}}
	var todo, repeats []HostRequest
	seen := map[string]bool{}
	for _, h := range hosts {
		if _, msg := validateHost(&h); msg != "" {
			res.Failed = append(res.Failed, BulkFailure{FriendlyName: h.FriendlyName, MachineID: h.MachineID, Error: msg})
			continue
		}
		if h.MachineID != "" {
			e, ok, err := s.existing(ctx, t, h)
			if err != nil {
				return BulkResult{}, err
			}
			if ok {
				res.Skipped = append(res.Skipped, e)
				continue
			}
			if seen[h.MachineID] {
				// Created by its first occurrence in this request; reported after it.
				repeats = append(repeats, h)
				continue
			}
			seen[h.MachineID] = true
		}
		todo = append(todo, h)
	}
	if err := s.reserve(ctx, t.ID, len(todo), true); err != nil {
		return BulkResult{}, err
	}
	created := 0
	defer func() { s.refund(ctx, t.ID, len(todo)-created) }()
	for _, h := range todo {
		e, err := s.create(ctx, t, h)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return BulkResult{}, ctx.Err()
			}
			s.log.ErrorContext(ctx, "bulk enrollment of a host failed", "token", t.ID, "friendly_name", h.FriendlyName, "err", err)
			res.Failed = append(res.Failed, BulkFailure{FriendlyName: h.FriendlyName, MachineID: h.MachineID, Error: failureMessage(err)})
		case e.Skipped:
			res.Skipped = append(res.Skipped, e)
		default:
			created++
			res.Success = append(res.Success, e)
		}
	}
	for _, h := range repeats {
		e, err := s.Enroll(ctx, t, h)
		var qe *QuotaError
		switch {
		case errors.As(err, &qe):
			res.Failed = append(res.Failed, BulkFailure{FriendlyName: h.FriendlyName, MachineID: h.MachineID, Error: qe.Message})
		case err != nil:
			if ctx.Err() != nil {
				return BulkResult{}, ctx.Err()
			}
			res.Failed = append(res.Failed, BulkFailure{FriendlyName: h.FriendlyName, MachineID: h.MachineID, Error: failureMessage(err)})
		case e.Skipped:
			res.Skipped = append(res.Skipped, e)
		default:
			res.Success = append(res.Success, e)
		}
	}
	return res, nil
}

// failureMessage is what a bulk caller is told about a host that could not be created.
func failureMessage(err error) string {
	var v *ValidationError
	if errors.As(err, &v) {
		return v.Error()
	}
	if errors.Is(err, inventory.ErrHostGroupNotFound) {
		return "Default host group not found"
	}
	return "Failed to create host"
}

// existing returns the live host t enrolled for h.MachineID, if any.
func (s *Service) existing(ctx context.Context, t Token, h HostRequest) (EnrolledHost, bool, error) {
	e := EnrolledHost{MachineID: h.MachineID, Skipped: true}
	err := s.db.Pool.QueryRow(ctx, sqlEnrolledHost, t.ID, h.MachineID).Scan(&e.ID, &e.FriendlyName, &e.Status)
	if errors.Is(err, pgx.ErrNoRows) {
		return EnrolledHost{}, false, nil
	}
	if err != nil {
		return EnrolledHost{}, false, err
	}
	var g GroupRef
	switch err := s.db.Pool.QueryRow(ctx, sqlHostGroupOf, e.ID).Scan(&g.ID, &g.Name, &g.Color); {
	case err == nil:
		e.Group = &g
	case !errors.Is(err, pgx.ErrNoRows):
		return EnrolledHost{}, false, err
	}
	return e, true, nil
}

// create makes the host and records which token enrolled it. When a concurrent request
// recorded the same machine_id first, the new host is removed again and the other one
// is returned as skipped.
func (s *Service) create(ctx context.Context, t Token, h HostRequest) (EnrolledHost, error) {
	now := s.cfg.Now().UTC()
	in := inventory.NewHost{FriendlyName: h.FriendlyName,
		Notes: "Auto-enrolled via " + t.Name + " on " + now.Format(time.RFC3339)}
	if t.DefaultHostGroupID != nil {
		in.HostGroupIDs = []uuid.UUID{*t.DefaultHostGroupID}
	}
	ch, err := s.inv.CreateHost(ctx, in)
	if errors.Is(err, inventory.ErrHostGroupNotFound) && t.DefaultHostGroupID != nil {
		// The group was deleted after the token was read: enroll without it.
		in.HostGroupIDs = nil
		ch, err = s.inv.CreateHost(ctx, in)
	}
	if err != nil {
		return EnrolledHost{}, err
	}
	meta := h.Metadata
	if meta == nil {
		meta = map[string]any{}
	}
	mb, err := json.Marshal(meta)
	if err != nil {
		mb = []byte("{}")
	}
	var mid *string
	if h.MachineID != "" {
		mid = &h.MachineID
	}
	tag, err := s.db.Pool.Exec(ctx, sqlRecordEnrollment, ch.ID, t.ID, t.Name, mid, mb)
	if err == nil && tag.RowsAffected() == 0 {
		// Lost the race for this machine_id.
		if derr := s.inv.DeleteHost(context.WithoutCancel(ctx), ch.ID); derr != nil {
			s.log.ErrorContext(ctx, "removing a duplicate enrolled host failed", "host", ch.ID, "err", derr)
		}
		e, ok, err := s.existing(ctx, t, h)
		if err != nil {
			return EnrolledHost{}, err
		}
		if ok {
			return e, nil
		}
		return EnrolledHost{}, errors.New("enrollment: machine_id conflict without an existing host")
	}
	if err != nil {
		if derr := s.inv.DeleteHost(context.WithoutCancel(ctx), ch.ID); derr != nil {
			s.log.ErrorContext(ctx, "removing a half-enrolled host failed", "host", ch.ID, "err", derr)
		}
		return EnrolledHost{}, err
	}
	creds := ch.Credentials
	e := EnrolledHost{ID: ch.ID, FriendlyName: ch.FriendlyName, MachineID: h.MachineID, Status: "pending", Credentials: &creds}
	if len(ch.Groups) > 0 {
		g := ch.Groups[0]
		e.Group = &GroupRef{ID: g.ID, Name: g.Name, Color: g.Color}
	}
	s.log.InfoContext(ctx, "host enrolled", "host", ch.ID, "friendly_name", ch.FriendlyName, "token", t.Name, "machine_id", h.MachineID)
	s.cfg.Audit(ctx, users.AuditEntry{Event: EventHostEnrolled, Success: true, TargetType: "host",
		TargetID: ch.ID.String(), TargetName: ch.FriendlyName,
		Details: map[string]any{"token_id": t.ID.String(), "token_name": t.Name, "machine_id": h.MachineID}})
	return e, nil
}
