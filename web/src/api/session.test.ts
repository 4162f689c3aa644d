import { describe, expect, it, vi } from 'vitest';
import { jsonResponse } from '../test/render';
import { onSessionExpired, sessionFetch } from './session';

const unauthorized = () => jsonResponse({ error: 'Access token expired', code: 'token_expired' }, 401);

/** A fake fetch answering by "METHOD path" from queues of responses, recording every call. */
function fakeFetch(answers: Record<string, (() => Response)[]>) {
  const calls: { key: string; body: string }[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const key = `${request.method} ${new URL(request.url).pathname}`;
    calls.push({ key, body: request.body ? await request.text() : '' });
    const next = answers[key]?.shift();
    if (!next) throw new Error(`unexpected ${key}`);
    return next();
  });
  return { fn: fn as unknown as typeof fetch, calls };
}

function listen() {
  const expired = vi.fn();
  const stop = onSessionExpired(expired);
  return { expired, stop };
}

describe('sessionFetch', () => {
  it('refreshes once on a 401 and retries the request with its body', async () => {
    const base = fakeFetch({
      'PUT /api/v1/auth/profile': [unauthorized, () => jsonResponse({ ok: true })],
      'POST /api/v1/auth/refresh': [() => jsonResponse({ token: 't' })],
    });
    const { expired, stop } = listen();
    const wrapped = sessionFetch(base.fn);

    const res = await wrapped(
      new Request('http://localhost/api/v1/auth/profile', { method: 'PUT', body: JSON.stringify({ firstName: 'Ada' }) }),
    );

    expect(res.status).toBe(200);
    expect(base.calls.map((c) => c.key)).toEqual([
      'PUT /api/v1/auth/profile',
      'POST /api/v1/auth/refresh',
      'PUT /api/v1/auth/profile',
    ]);
    expect(base.calls[2]?.body).toBe('{"firstName":"Ada"}');
    expect(expired).not.toHaveBeenCalled();
    stop();
  });

  it('reports an ended session when the refresh fails', async () => {
    const base = fakeFetch({
      'GET /api/v1/auth/admin/users': [unauthorized],
      'POST /api/v1/auth/refresh': [() => jsonResponse({ error: 'Invalid refresh token' }, 401)],
    });
    const { expired, stop } = listen();

    const res = await sessionFetch(base.fn)('http://localhost/api/v1/auth/admin/users');

    expect(res.status).toBe(401);
    expect(expired).toHaveBeenCalledTimes(1);
    stop();
  });

  it('reports an ended session when the retried request is still refused', async () => {
    const base = fakeFetch({
      'GET /api/v1/audit-log': [unauthorized, unauthorized],
      'POST /api/v1/auth/refresh': [() => jsonResponse({ token: 't' })],
    });
    const { expired, stop } = listen();

    const res = await sessionFetch(base.fn)('http://localhost/api/v1/audit-log');

    expect(res.status).toBe(401);
    expect(expired).toHaveBeenCalledTimes(1);
    stop();
  });

  it('leaves the 401 of a wrong password at sign-in alone', async () => {
    const base = fakeFetch({
      'POST /api/v1/auth/login': [() => jsonResponse({ error: 'Invalid username or password' }, 401)],
    });
    const { expired, stop } = listen();

    const res = await sessionFetch(base.fn)('http://localhost/api/v1/auth/login', { method: 'POST', body: '{}' });

    expect(res.status).toBe(401);
    expect(base.calls).toHaveLength(1);
    expect(expired).not.toHaveBeenCalled();
    stop();
  });

  it('does not touch requests outside the API', async () => {
    const base = fakeFetch({ 'GET /health': [() => jsonResponse({ status: 'healthy' }, 401)] });
    const res = await sessionFetch(base.fn)('http://localhost/health');
    expect(res.status).toBe(401);
    expect(base.calls).toHaveLength(1);
  });

  it('shares one refresh between requests that fail together', async () => {
    const base = fakeFetch({
      'GET /api/v1/auth/sessions': [unauthorized, () => jsonResponse({ sessions: [] })],
      'GET /api/v1/tfa/status': [unauthorized, () => jsonResponse({ enabled: false })],
      'POST /api/v1/auth/refresh': [() => jsonResponse({ token: 't' })],
    });
    const wrapped = sessionFetch(base.fn);

    const [a, b] = await Promise.all([
      wrapped('http://localhost/api/v1/auth/sessions'),
      wrapped('http://localhost/api/v1/tfa/status'),
    ]);

    expect([a.status, b.status]).toEqual([200, 200]);
    expect(base.calls.filter((c) => c.key === 'POST /api/v1/auth/refresh')).toHaveLength(1);
  });
});
