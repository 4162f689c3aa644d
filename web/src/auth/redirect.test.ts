import { describe, expect, it } from 'vitest';
import { loginPath, oidcErrorMessage, parseReason, safeNext } from './redirect';

describe('safeNext', () => {
  it.each([
    ['/users', '/users'],
    ['/audit-log?success=false&page=2', '/audit-log?success=false&page=2'],
    ['/profile/security#tfa', '/profile/security#tfa'],
    ['//evil.example/path', null],
    ['/\\evil.example', null],
    ['https://evil.example/', null],
    ['javascript:alert(1)', null],
    ['users', null],
    ['', null],
    [null, null],
    ['/login', null],
    ['/login?next=/users', null],
    ['/setup', null],
    ['/signup', null],
    ['/logins-report', '/logins-report'],
  ])('%j → %j', (input, expected) => {
    expect(safeNext(input)).toBe(expected);
  });
});

describe('loginPath', () => {
  it('carries the page to return to and the reason', () => {
    expect(loginPath({ next: '/users?role=admin', reason: 'expired' })).toBe('/login?next=%2Fusers%3Frole%3Dadmin&reason=expired');
  });

  it('leaves out the dashboard, where sign-in leads anyway, and unsafe targets', () => {
    expect(loginPath({ next: '/' })).toBe('/login');
    expect(loginPath({ next: '//evil.example' })).toBe('/login');
    expect(loginPath({ reason: 'signed-out' })).toBe('/login?reason=signed-out');
  });
});

describe('parseReason', () => {
  it('accepts only known reasons', () => {
    expect(parseReason('expired')).toBe('expired');
    expect(parseReason('signed-out')).toBe('signed-out');
    expect(parseReason('<script>')).toBeNull();
    expect(parseReason(null)).toBeNull();
  });
});

describe('oidcErrorMessage', () => {
  it('explains the documented callback codes and has a fallback', () => {
    expect(oidcErrorMessage('email_not_verified')).toMatch(/not verified your email/);
    expect(oidcErrorMessage('something_new')).toBe('Single sign-on failed. Please try again.');
    expect(oidcErrorMessage(null)).toBeNull();
  });
});
