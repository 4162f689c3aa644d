package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

func (s *Service) sendEmail(ctx context.Context, d *destRow, m *Message, id uuid.UUID) outcome {
	msg, err := buildEmail(d.Config, m, id, s.now())
	if err != nil {
		return outcome{err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	defer cancel()
	if err := smtpSend(ctx, d.Config, d.Secrets.Password, msg); err != nil {
		return outcome{err: fmt.Errorf("smtp: %w", err)}
	}
	return outcome{}
}

// smtpSend delivers one message with the destination's connection security: implicit TLS,
// STARTTLS (required, not opportunistic) or none.
func smtpSend(ctx context.Context, c DestinationConfig, password string, msg []byte) error {
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	tlsCfg := &tls.Config{ServerName: c.Host, InsecureSkipVerify: c.TLSSkipVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // operator's choice, documented
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if c.Security == SecurityTLS {
		tc := tls.Client(conn, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return err
		}
		conn = tc
	}
	cl, err := smtp.NewClient(conn, c.Host)
	if err != nil {
		conn.Close()
		return err
	}
	defer cl.Close()
	if err := cl.Hello("patchmon"); err != nil {
		return err
	}
	if c.Security == SecuritySTARTTLS {
		if ok, _ := cl.Extension("STARTTLS"); !ok {
			return fmt.Errorf("server %s does not offer STARTTLS", addr)
		}
		if err := cl.StartTLS(tlsCfg); err != nil {
			return err
		}
	}
	if c.Username != "" {
		if ok, _ := cl.Extension("AUTH"); !ok {
			return fmt.Errorf("server %s does not offer AUTH", addr)
		}
		// PlainAuth refuses to send the password over an unencrypted connection to
		// anything but localhost, which is what we want for security "none".
		if err := cl.Auth(smtp.PlainAuth("", c.Username, password, c.Host)); err != nil {
			return err
		}
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return err
	}
	if err := cl.Mail(from.Address); err != nil {
		return err
	}
	for _, to := range c.To {
		a, err := mail.ParseAddress(to)
		if err != nil {
			return err
		}
		if err := cl.Rcpt(a.Address); err != nil {
			return err
		}
	}
	w, err := cl.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return cl.Quit()
}

// buildEmail writes a MIME message: a text part (and an HTML part when the message has
// one) as multipart/alternative, inside multipart/mixed when there are attachments.
func buildEmail(c DestinationConfig, m *Message, id uuid.UUID, now time.Time) ([]byte, error) {
	var buf bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	subject := m.Event.Title
	if m.Event.Type != EventReport && m.Event.Type != EventTest {
		subject = "[PatchMon " + string(m.Event.Severity) + "] " + subject
	}
	hdr("From", c.From)
	hdr("To", strings.Join(c.To, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", oneLine(subject)))
	hdr("Date", now.Format(time.RFC1123Z))
	domain := "patchmon.local"
	if a, err := mail.ParseAddress(c.From); err == nil {
		if i := strings.LastIndex(a.Address, "@"); i >= 0 {
			domain = a.Address[i+1:]
		}
	}
	hdr("Message-ID", "<"+id.String()+"@"+domain+">")
	hdr("MIME-Version", "1.0")
	hdr("X-PatchMon-Event", m.Event.Type)

	alt := func(w *multipart.Writer) error {
		if err := writeQP(w, "text/plain; charset=utf-8", plainText(m)); err != nil {
			return err
		}
		if m.HTML != "" {
			return writeQP(w, "text/html; charset=utf-8", m.HTML)
		}
		return nil
	}
	if len(m.Attachments) == 0 {
		w := multipart.NewWriter(&buf)
		w.SetBoundary(boundary())
		hdr("Content-Type", "multipart/alternative; boundary="+w.Boundary())
		buf.WriteString("\r\n")
		if err := alt(w); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	mixed := multipart.NewWriter(&buf)
	mixed.SetBoundary(boundary())
	hdr("Content-Type", "multipart/mixed; boundary="+mixed.Boundary())
	buf.WriteString("\r\n")
	var inner bytes.Buffer
	aw := multipart.NewWriter(&inner)
	aw.SetBoundary(boundary())
	if err := alt(aw); err != nil {
		return nil, err
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	p, err := mixed.CreatePart(textproto.MIMEHeader{"Content-Type": {"multipart/alternative; boundary=" + aw.Boundary()}})
	if err != nil {
		return nil, err
	}
	if _, err := p.Write(inner.Bytes()); err != nil {
		return nil, err
	}
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		p, err := mixed.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {ct},
			"Content-Transfer-Encoding": {"base64"},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename})},
		})
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(a.Content)
		for len(enc) > 76 {
			_, _ = p.Write([]byte(enc[:76] + "\r\n"))
			enc = enc[76:]
		}
		_, _ = p.Write([]byte(enc + "\r\n"))
	}
	if err := mixed.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeQP(w *multipart.Writer, contentType, body string) error {
	p, err := w.CreatePart(textproto.MIMEHeader{"Content-Type": {contentType}, "Content-Transfer-Encoding": {"quoted-printable"}})
	if err != nil {
		return err
	}
	q := quotedprintable.NewWriter(p)
	if _, err := q.Write([]byte(body)); err != nil {
		return err
	}
	return q.Close()
}

func boundary() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "pm-" + hex.EncodeToString(b)
}
