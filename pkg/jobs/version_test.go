package jobs_test

import (
	"context"
	"encoding/binary"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/jobs"
)

// txtServer is a minimal DNS server on a loopback UDP port: it answers TXT questions for
// the names in records and NXDOMAIN for everything else.
type txtServer struct {
	conn    net.PacketConn
	mu      sync.Mutex
	records map[string][]string
}

func newTXTServer(t *testing.T) *txtServer {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &txtServer{conn: conn, records: map[string][]string{}}
	go s.serve()
	t.Cleanup(func() { conn.Close() })
	return s
}

func (s *txtServer) set(name string, txt ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[name] = txt
}

// resolver sends every query to this server.
func (s *txtServer) resolver() *net.Resolver {
	addr := s.conn.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

func (s *txtServer) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp := s.answer(buf[:n]); resp != nil {
			_, _ = s.conn.WriteTo(resp, from)
		}
	}
}

// answer builds the response to one query (header, the question, TXT answers).
func (s *txtServer) answer(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:6]) != 1 {
		return nil
	}
	// The question: length-prefixed labels, a zero byte, then type and class.
	i := 12
	var labels []string
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	end := i + 5
	if end > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i+1 : i+3])
	name := strings.ToLower(strings.Join(labels, "."))
	s.mu.Lock()
	txts, ok := s.records[name]
	s.mu.Unlock()

	resp := make([]byte, 12, 512)
	copy(resp[0:2], q[0:2])
	flags := uint16(0x8180) // response, recursion desired and available
	if !ok {
		flags |= 3 // NXDOMAIN
	}
	binary.BigEndian.PutUint16(resp[2:4], flags)
	binary.BigEndian.PutUint16(resp[4:6], 1)
	answers := 0
	if ok && qtype == 16 {
		answers = 1
	}
	binary.BigEndian.PutUint16(resp[6:8], uint16(answers))
	resp = append(resp, q[12:end]...)
	if answers == 1 {
		var rdata []byte
		for _, t := range txts {
			rdata = append(rdata, byte(len(t)))
			rdata = append(rdata, t...)
		}
		resp = append(resp, 0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60)
		resp = binary.BigEndian.AppendUint16(resp, uint16(len(rdata)))
		resp = append(resp, rdata...)
	}
	return resp
}

func TestVersionCheckOverDNS(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	dns := newTXTServer(t)
	dns.set("server.vcheck.test", "v1.9.0")
	dns.set("agent.vcheck.test", "1.8.2")
	vc, err := jobs.NewVersionChecker(jobs.VersionCheckConfig{Pool: pool, ServerRecord: "server.vcheck.test",
		AgentRecord: "agent.vcheck.test", Resolver: dns.resolver(), CurrentVersion: "v1.2.0"})
	require.NoError(t, err)
	ctx := context.Background()

	st, err := vc.Status(ctx)
	require.NoError(t, err)
	assert.Empty(t, st.LatestServerVersion)
	assert.Nil(t, st.CheckedAt)
	assert.False(t, st.ServerUpdateAvailable())

	require.NoError(t, vc.Check(ctx))
	st, err = vc.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, "1.9.0", st.LatestServerVersion)
	assert.Equal(t, "1.8.2", st.LatestAgentVersion)
	assert.Empty(t, st.Error)
	require.NotNil(t, st.CheckedAt)
	assert.True(t, st.ServerUpdateAvailable())

	// A record that holds no version, and one that is gone: the last known versions stay
	// and the check itself does not fail (an offline installation is normal).
	dns.set("server.vcheck.test", "not a version")
	dns.mu.Lock()
	delete(dns.records, "agent.vcheck.test")
	dns.mu.Unlock()
	require.NoError(t, vc.Check(ctx))
	st, err = vc.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, "1.9.0", st.LatestServerVersion)
	assert.Equal(t, "1.8.2", st.LatestAgentVersion)
	assert.Contains(t, st.Error, "no version in TXT record")
	assert.Contains(t, st.Error, "agent.vcheck.test")

	// The DNS server is unreachable.
	require.NoError(t, dns.conn.Close())
	require.NoError(t, vc.Check(ctx))
	st, err = vc.Status(ctx)
	require.NoError(t, err)
	assert.Equal(t, "1.9.0", st.LatestServerVersion)
	assert.NotEmpty(t, st.Error)

	// Up to date.
	vc2, err := jobs.NewVersionChecker(jobs.VersionCheckConfig{Pool: pool, Resolver: dns.resolver(), CurrentVersion: "1.9.0"})
	require.NoError(t, err)
	st, err = vc2.Status(ctx)
	require.NoError(t, err)
	assert.False(t, st.ServerUpdateAvailable())
}
