package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/inventory"
)

// Login signs in to a PatchMon server with a username and password and returns the
// access token for CreateHostsAPI. Accounts with two-factor authentication cannot be
// used.
func Login(ctx context.Context, client *http.Client, baseURL, username, password string) (string, error) {
	c, err := openapi.NewClientWithResponses(strings.TrimRight(baseURL, "/"), openapi.WithHTTPClient(client))
	if err != nil {
		return "", err
	}
	resp, err := c.AuthLoginWithResponse(ctx, openapi.AuthLoginJSONRequestBody{Username: username, Password: password})
	if err != nil {
		return "", err
	}
	if resp.JSON200 == nil {
		return "", fmt.Errorf("loadgen: login: HTTP %d: %s", resp.StatusCode(), strings.TrimSpace(string(resp.Body)))
	}
	if resp.JSON200.RequiresTfa || resp.JSON200.Token == nil {
		return "", errors.New("loadgen: login: the account requires two-factor authentication")
	}
	return *resp.JSON200.Token, nil
}

// CreateHostsAPI creates n hosts named prefix-00001… through the admin API (POST
// /api/v1/hosts) with an access token of a user allowed to manage hosts, parallel
// creations at a time.
func CreateHostsAPI(ctx context.Context, client *http.Client, baseURL, token, prefix string, n, parallel int) ([]Credentials, error) {
	c, err := openapi.NewClientWithResponses(strings.TrimRight(baseURL, "/"), openapi.WithHTTPClient(client),
		openapi.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
	if err != nil {
		return nil, err
	}
	return createHosts(ctx, prefix, n, parallel, func(ctx context.Context, name string) (Credentials, error) {
		resp, err := c.CreateHostWithResponse(ctx, openapi.CreateHostJSONRequestBody{FriendlyName: name})
		if err != nil {
			return Credentials{}, err
		}
		if resp.JSON201 == nil {
			return Credentials{}, fmt.Errorf("HTTP %d: %s", resp.StatusCode(), strings.TrimSpace(string(resp.Body)))
		}
		return Credentials{APIID: resp.JSON201.ApiId, APIKey: resp.JSON201.ApiKey}, nil
	})
}

// CreateHostsEnroll creates n hosts named prefix-00001… through the auto-enrollment API
// (POST /api/v1/auto-enrollment/enroll/bulk, 50 hosts a request) with an enrollment
// token's key and secret, as a Proxmox or cloud-init rollout would. Each host gets a
// distinct machine_id, so re-running with the same prefix against the same token is
// refused as duplicates rather than creating twins. The token's daily quota
// (max_hosts_per_day, at most 1,000) bounds n.
func CreateHostsEnroll(ctx context.Context, client *http.Client, baseURL, key, secret, prefix string, n int) ([]Credentials, error) {
	c, err := openapi.NewClientWithResponses(strings.TrimRight(baseURL, "/"), openapi.WithHTTPClient(client),
		openapi.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("X-Auto-Enrollment-Key", key)
			req.Header.Set("X-Auto-Enrollment-Secret", secret)
			return nil
		}))
	if err != nil {
		return nil, err
	}
	const batch = 50
	out := make([]Credentials, 0, n)
	for start := 0; start < n; start += batch {
		hosts := make([]openapi.EnrollmentHostRequest, 0, batch)
		for i := start; i < n && i < start+batch; i++ {
			name := fmt.Sprintf("%s-%05d", prefix, i+1)
			machine := fmt.Sprintf("loadgen-%s", name)
			hosts = append(hosts, openapi.EnrollmentHostRequest{FriendlyName: &name, MachineId: &machine})
		}
		resp, err := c.EnrollHostsBulkWithResponse(ctx, openapi.EnrollmentBulkRequest{Hosts: &hosts})
		if err != nil {
			return nil, fmt.Errorf("loadgen: enrolling hosts %d-%d: %w", start+1, start+len(hosts), err)
		}
		if resp.JSON201 == nil {
			return nil, fmt.Errorf("loadgen: enrolling hosts %d-%d: HTTP %d: %s", start+1, start+len(hosts),
				resp.StatusCode(), strings.TrimSpace(string(resp.Body)))
		}
		res := resp.JSON201.Results
		if len(res.Failed) > 0 || len(res.Skipped) > 0 {
			return nil, fmt.Errorf("loadgen: enrolling hosts %d-%d: %s", start+1, start+len(hosts), resp.JSON201.Message)
		}
		for _, h := range res.Success {
			out = append(out, Credentials{APIID: h.ApiId, APIKey: h.ApiKey})
		}
	}
	return out, nil
}

// CreateHostsStore creates n hosts directly through an inventory service (for a server
// whose database the load generator can reach).
func CreateHostsStore(ctx context.Context, svc *inventory.Service, prefix string, n, parallel int) ([]Credentials, error) {
	return createHosts(ctx, prefix, n, parallel, func(ctx context.Context, name string) (Credentials, error) {
		h, err := svc.CreateHost(ctx, inventory.NewHost{FriendlyName: name})
		if err != nil {
			return Credentials{}, err
		}
		return Credentials{APIID: h.Credentials.APIID, APIKey: h.Credentials.APIKey}, nil
	})
}

func createHosts(ctx context.Context, prefix string, n, parallel int, create func(context.Context, string) (Credentials, error)) ([]Credentials, error) {
	if parallel <= 0 {
		parallel = 8
	}
	out := make([]Credentials, n)
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				c, err := create(ctx, fmt.Sprintf("%s-%05d", prefix, i+1))
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("loadgen: creating host %d: %w", i+1, err)
					}
					mu.Unlock()
					return
				}
				out[i] = c
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	if first != nil {
		return nil, first
	}
	return out, nil
}

// ReadCredentials reads host credentials saved by WriteCredentials.
func ReadCredentials(path string) ([]Credentials, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c []Credentials
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("loadgen: %s: %w", path, err)
	}
	return c, nil
}

// WriteCredentials saves host credentials (0600), so later runs can reuse the hosts.
func WriteCredentials(path string, c []Credentials) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
