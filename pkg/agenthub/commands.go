package agenthub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// Target names the hosts a command goes to: the union of HostIDs, the members of
// GroupIDs and, with All, every host.
type Target struct {
	HostIDs  []uuid.UUID `json:"hostIds,omitempty"`
	GroupIDs []uuid.UUID `json:"groupIds,omitempty"`
	All      bool        `json:"all,omitempty"`
}

// Fleet is the Target of every host.
var Fleet = Target{All: true}

// DeliveryStatus is what became of a command for one host.
type DeliveryStatus string

// Delivery statuses.
const (
	// Delivered: the frame was written to the host's WebSocket.
	Delivered DeliveryStatus = "delivered"
	// Offline: the host has no WebSocket connected to any replica.
	Offline DeliveryStatus = "offline"
	// Failed: the host was connected but the write failed, or the replica
	// holding it did not answer within CommandTimeout.
	Failed DeliveryStatus = "failed"
)

// Delivery is one host's outcome.
type Delivery struct {
	HostID uuid.UUID      `json:"hostId"`
	APIID  string         `json:"apiId"`
	Status DeliveryStatus `json:"status"`
	Error  string         `json:"error,omitempty"`
}

// Result is the outcome of a command, host by host (sorted by host id).
type Result struct {
	ID         string       `json:"id"`
	Command    wsproto.Type `json:"command"`
	Deliveries []Delivery   `json:"deliveries"`
	Delivered  int          `json:"delivered"`
	Offline    int          `json:"offline"`
	Failed     int          `json:"failed"`
}

// Send delivers m to one host. An unknown host is ErrHostNotFound; an offline
// host is not an error but a Delivery with status Offline.
func (h *Hub) Send(ctx context.Context, hostID uuid.UUID, m wsproto.Message) (Delivery, error) {
	res, err := h.SendTo(ctx, Target{HostIDs: []uuid.UUID{hostID}}, m)
	if err != nil {
		return Delivery{}, err
	}
	return res.Deliveries[0], nil
}

// SendTo delivers m to every host of t, wherever it is connected, and announces
// the result on ChannelCommands. It fails only when the command cannot be sent
// at all: an invalid or oversized frame (wsproto errors), a target naming no or
// unknown hosts or groups, a database error, or a hub that is not running.
func (h *Hub) SendTo(ctx context.Context, t Target, m wsproto.Message) (Result, error) {
	if !h.running() {
		return Result{}, ErrNotRunning
	}
	if len(t.HostIDs) == 0 && len(t.GroupIDs) == 0 && !t.All {
		return Result{}, ErrNoTarget
	}
	if m == nil || m.Direction() != wsproto.ServerToAgent {
		return Result{}, fmt.Errorf("%w: not a server-to-agent frame", wsproto.ErrInvalid)
	}
	frame, err := wsproto.Encode(m)
	if err != nil {
		return Result{}, err
	}
	hosts, err := h.store.resolve(ctx, t)
	if err != nil {
		return Result{}, err
	}
	res := Result{ID: newCommandID(), Command: m.Type(), Deliveries: h.deliver(ctx, hosts, frame)}
	for _, d := range res.Deliveries {
		switch d.Status {
		case Delivered:
			res.Delivered++
		case Offline:
			res.Offline++
		default:
			res.Failed++
		}
	}
	h.announce(ctx, t, res)
	h.log.InfoContext(ctx, "command sent", "command", res.Command, "id", res.ID, "hosts", len(hosts),
		"delivered", res.Delivered, "offline", res.Offline, "failed", res.Failed)
	return res, nil
}

func newCommandID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// announce publishes a CommandEvent for res.
func (h *Hub) announce(ctx context.Context, t Target, res Result) {
	ev := CommandEvent{ID: res.ID, Command: res.Command, Target: t, Delivered: res.Delivered, Offline: res.Offline,
		Failed: res.Failed, At: time.Now().UTC()}
	if len(res.Deliveries) <= maxEventDeliveries {
		ev.Deliveries = res.Deliveries
	} else {
		ev.Truncated = true
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	if err := h.cfg.Bus.Publish(ctx, ChannelCommands, b); err != nil {
		h.log.WarnContext(ctx, "publishing command result failed", "id", res.ID, "err", err)
	}
}

// commandRequest asks a replica to write Frame to the listed hosts.
type commandRequest struct {
	ID     string          `json:"id"`
	Origin string          `json:"origin"`
	Hosts  []uuid.UUID     `json:"hosts"`
	Frame  json.RawMessage `json:"frame"`
}

// commandReply is a replica's answer: the hosts it delivered to and those it
// failed on; the others were not connected to it.
type commandReply struct {
	ID        string            `json:"id"`
	Replica   string            `json:"replica"`
	Delivered []uuid.UUID       `json:"delivered"`
	Failed    map[string]string `json:"failed,omitempty"`
}

// deliver writes frame to hosts: directly where this replica holds the
// connection, through the holding replica's command channel otherwise.
func (h *Hub) deliver(ctx context.Context, hosts []HostRef, frame []byte) []Delivery {
	out := make([]Delivery, len(hosts))
	var local []int
	remote := map[string][]int{}
	for i, host := range hosts {
		out[i] = Delivery{HostID: host.ID, APIID: host.APIID, Status: Offline}
		if e, ok := h.fleet.get(host.ID); ok {
			if e.replica == h.replica {
				local = append(local, i)
			} else {
				remote[e.replica] = append(remote[e.replica], i)
			}
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		parallel(len(local), func(k int) {
			i := local[k]
			c := h.localConn(hosts[i].ID)
			if c == nil {
				return // disconnected meanwhile: offline
			}
			if err := c.send(frame); err != nil {
				out[i].Status, out[i].Error = Failed, err.Error()
				return
			}
			out[i].Status = Delivered
		})
	}()
	var wg sync.WaitGroup
	for replica, idx := range remote {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.deliverRemote(ctx, replica, hosts, idx, frame, out)
		}()
	}
	wg.Wait()
	<-done
	return out
}

// deliverRemote sends one request to replica for the hosts at idx and records
// its answer in out.
func (h *Hub) deliverRemote(ctx context.Context, replica string, hosts []HostRef, idx []int, frame []byte, out []Delivery) {
	req := commandRequest{ID: newCommandID(), Origin: h.replica, Frame: frame, Hosts: make([]uuid.UUID, len(idx))}
	for k, i := range idx {
		req.Hosts[k] = hosts[i].ID
	}
	fail := func(msg string) {
		for _, i := range idx {
			out[i].Status, out[i].Error = Failed, msg
		}
	}
	b, err := json.Marshal(req)
	if err != nil {
		fail(err.Error())
		return
	}
	ch := make(chan commandReply, 1)
	h.pendingMu.Lock()
	h.pending[req.ID] = ch
	h.pendingMu.Unlock()
	defer func() {
		h.pendingMu.Lock()
		delete(h.pending, req.ID)
		h.pendingMu.Unlock()
	}()
	if err := h.cfg.Bus.Publish(ctx, commandChannel(replica), b); err != nil {
		fail("could not reach replica " + replica + ": " + err.Error())
		return
	}
	timer := time.NewTimer(h.cfg.CommandTimeout)
	defer timer.Stop()
	var reply commandReply
	var ok bool
	select {
	case reply, ok = <-ch:
		if !ok {
			fail("hub shut down")
			return
		}
	case <-timer.C:
		fail("replica " + replica + " did not answer within " + h.cfg.CommandTimeout.String())
		return
	case <-ctx.Done():
		fail(ctx.Err().Error())
		return
	}
	delivered := make(map[uuid.UUID]bool, len(reply.Delivered))
	for _, id := range reply.Delivered {
		delivered[id] = true
	}
	for _, i := range idx {
		id := hosts[i].ID
		switch {
		case delivered[id]:
			out[i].Status = Delivered
		case reply.Failed[id.String()] != "":
			out[i].Status, out[i].Error = Failed, reply.Failed[id.String()]
		default:
			out[i].Status = Offline // it left that replica meanwhile
		}
	}
}

// onCommandMessage serves another replica's commandRequest.
func (h *Hub) onCommandMessage(b []byte) {
	var req commandRequest
	if err := json.Unmarshal(b, &req); err != nil {
		h.log.Warn("bad command request on the bus", "err", err)
		return
	}
	// The bus hands messages over one at a time; a fleet-wide write must not
	// hold up the next request.
	go func() {
		reply := commandReply{ID: req.ID, Replica: h.replica, Failed: map[string]string{}}
		type outcome struct {
			connected bool
			err       error
		}
		results := make([]outcome, len(req.Hosts))
		parallel(len(req.Hosts), func(i int) {
			if c := h.localConn(req.Hosts[i]); c != nil {
				results[i] = outcome{connected: true, err: c.send(req.Frame)}
			}
		})
		for i, r := range results {
			switch {
			case !r.connected:
			case r.err == nil:
				reply.Delivered = append(reply.Delivered, req.Hosts[i])
			default:
				reply.Failed[req.Hosts[i].String()] = r.err.Error()
			}
		}
		out, err := json.Marshal(reply)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), h.cfg.CommandTimeout)
		defer cancel()
		if err := h.cfg.Bus.Publish(ctx, replyChannel(req.Origin), out); err != nil {
			h.log.WarnContext(ctx, "answering a command request failed", "origin", req.Origin, "err", err)
		}
	}()
}

// onReplyMessage hands a commandReply to the request waiting for it.
func (h *Hub) onReplyMessage(b []byte) {
	var reply commandReply
	if err := json.Unmarshal(b, &reply); err != nil {
		h.log.Warn("bad command reply on the bus", "err", err)
		return
	}
	h.pendingMu.Lock()
	ch := h.pending[reply.ID]
	delete(h.pending, reply.ID)
	h.pendingMu.Unlock()
	if ch != nil {
		ch <- reply
	}
}

// Disconnect closes host's connection on whichever replica holds it, for example
// after its credentials were regenerated or it was deleted. The agent
// reconnects and is then authenticated afresh.
func (h *Hub) Disconnect(ctx context.Context, hostID uuid.UUID) error {
	if !h.running() {
		return ErrNotRunning
	}
	if c := h.localConn(hostID); c != nil {
		c.close(4001, ReasonRevoked)
	}
	b, err := json.Marshal(controlEvent{Op: "disconnect", HostID: hostID, Reason: ReasonRevoked})
	if err != nil {
		return err
	}
	if err := h.cfg.Bus.Publish(ctx, controlChannel, b); err != nil {
		return fmt.Errorf("agenthub: disconnect: %w", err)
	}
	return nil
}

func (h *Hub) onControlMessage(b []byte) {
	var ev controlEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		h.log.Warn("bad control event on the bus", "err", err)
		return
	}
	if ev.Op == "disconnect" {
		if c := h.localConn(ev.HostID); c != nil {
			c.close(4001, ReasonRevoked)
		}
	}
}
