// Package notifytest provides receivers for testing notification delivery without the
// internet: an SMTP sink (plain, STARTTLS or implicit TLS, with optional AUTH PLAIN) and an
// HTTP receiver that records requests and can be told to fail. PatchMon's own tests use
// them, and so can programs that embed pkg/notify.
//
// Stability: public test kit; kept source-compatible, new helpers may be added.
package notifytest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// SMTP connection modes of the sink.
const (
	ModePlain    = "none"
	ModeSTARTTLS = "starttls"
	ModeTLS      = "tls"
)

// SinkOptions configure an SMTPSink.
type SinkOptions struct {
	// Mode is none, starttls or tls. Default: none.
	Mode string
	// Username and Password, when set, are required (AUTH PLAIN) before MAIL.
	Username, Password string
}

// Mail is one message the sink accepted.
type Mail struct {
	From string
	To   []string
	Data []byte
	// AuthUser is the authenticated user ("" without AUTH); TLS says the session was
	// encrypted when the message was sent.
	AuthUser string
	TLS      bool
}

// Parse parses Data as an RFC 5322 message.
func (m Mail) Parse(t testing.TB) *mail.Message {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("notifytest: parse mail: %v", err)
	}
	return msg
}

// SMTPSink is a minimal SMTP server that keeps every message in memory.
type SMTPSink struct {
	opts SinkOptions
	ln   net.Listener
	tls  *tls.Config

	mu    sync.Mutex
	mails []Mail
	wg    sync.WaitGroup
}

// NewSMTPSink starts a sink on 127.0.0.1 and stops it when the test ends.
func NewSMTPSink(t testing.TB, opts SinkOptions) *SMTPSink {
	t.Helper()
	if opts.Mode == "" {
		opts.Mode = ModePlain
	}
	cert, err := selfSigned()
	if err != nil {
		t.Fatalf("notifytest: certificate: %v", err)
	}
	s := &SMTPSink{opts: opts, tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	if opts.Mode == ModeTLS {
		s.ln, err = tls.Listen("tcp", "127.0.0.1:0", s.tls)
	} else {
		s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatalf("notifytest: listen: %v", err)
	}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() { s.ln.Close(); s.wg.Wait() })
	return s
}

// Host is the sink's host (127.0.0.1).
func (s *SMTPSink) Host() string { h, _, _ := net.SplitHostPort(s.ln.Addr().String()); return h }

// Port is the sink's port.
func (s *SMTPSink) Port() int {
	_, p, _ := net.SplitHostPort(s.ln.Addr().String())
	n, _ := strconv.Atoi(p)
	return n
}

// Mails returns the messages accepted so far.
func (s *SMTPSink) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// WaitMails polls until at least n messages arrived or 10 seconds passed.
func (s *SMTPSink) WaitMails(t testing.TB, n int) []Mail {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := s.Mails(); len(m) >= n {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("notifytest: %d mails arrived, want %d", len(s.Mails()), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *SMTPSink) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			s.session(c)
		}()
	}
}

func (s *SMTPSink) session(c net.Conn) {
	_, isTLS := c.(*tls.Conn)
	r := bufio.NewReader(c)
	w := func(line string) { _, _ = io.WriteString(c, line+"\r\n") }
	w("220 notifytest ESMTP")
	var cur Mail
	authUser := ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		arg := strings.TrimSpace(strings.TrimPrefix(line, strings.SplitN(line, " ", 2)[0]))
		switch verb {
		case "EHLO", "HELO":
			w("250-notifytest")
			if s.opts.Mode == ModeSTARTTLS && !isTLS {
				w("250-STARTTLS")
			}
			if s.opts.Username != "" {
				w("250-AUTH PLAIN")
			}
			w("250 8BITMIME")
		case "STARTTLS":
			if s.opts.Mode != ModeSTARTTLS || isTLS {
				w("502 not supported")
				continue
			}
			w("220 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, r, isTLS = tc, bufio.NewReader(tc), true
			w = func(line string) { _, _ = io.WriteString(tc, line+"\r\n") }
		case "AUTH":
			parts := strings.Fields(arg)
			if len(parts) != 2 || strings.ToUpper(parts[0]) != "PLAIN" {
				w("504 only AUTH PLAIN with initial response")
				continue
			}
			b, _ := base64.StdEncoding.DecodeString(parts[1])
			f := strings.Split(string(b), "\x00")
			if len(f) == 3 && f[1] == s.opts.Username && f[2] == s.opts.Password {
				authUser = f[1]
				w("235 authenticated")
			} else {
				w("535 authentication failed")
			}
		case "MAIL":
			if s.opts.Username != "" && authUser == "" {
				w("530 authentication required")
				continue
			}
			cur = Mail{From: addr(arg), AuthUser: authUser}
			w("250 ok")
		case "RCPT":
			cur.To = append(cur.To, addr(arg))
			w("250 ok")
		case "DATA":
			w("354 end with .")
			var data bytes.Buffer
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.Data, cur.TLS = data.Bytes(), isTLS
			s.mu.Lock()
			s.mails = append(s.mails, cur)
			s.mu.Unlock()
			w("250 queued")
		case "RSET", "NOOP":
			w("250 ok")
		case "QUIT":
			w("221 bye")
			return
		default:
			w("502 unknown command")
		}
	}
}

func addr(arg string) string {
	if i, j := strings.Index(arg, "<"), strings.Index(arg, ">"); i >= 0 && j > i {
		return arg[i+1 : j]
	}
	return arg
}

func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// Request is one request a Receiver got.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// Receiver is an HTTP endpoint that records requests. It answers 200 unless told to fail.
type Receiver struct {
	*httptest.Server
	mu       sync.Mutex
	reqs     []Request
	failNext int
	status   int
}

// NewReceiver starts a Receiver, closed when the test ends.
func NewReceiver(t testing.TB) *Receiver {
	r := &Receiver{status: http.StatusInternalServerError}
	r.Server = httptest.NewServer(http.HandlerFunc(r.handle))
	t.Cleanup(r.Close)
	return r
}

// FailNext makes the next n requests fail with status.
func (r *Receiver) FailNext(n, status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failNext, r.status = n, status
}

func (r *Receiver) handle(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, Request{Method: req.Method, Path: req.URL.RequestURI(), Header: req.Header.Clone(), Body: b})
	fail := r.failNext > 0
	if fail {
		r.failNext--
	}
	status := r.status
	r.mu.Unlock()
	if fail {
		http.Error(w, "receiver told to fail", status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
}

// Requests returns the requests received so far.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}
