// @ts-check
// RFC 6238 time-based one-time passwords (RFC 4226 HOTP over a time counter), so the
// browser tests can answer the server's 2FA challenge like an authenticator app would.
import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Decodes RFC 4648 base32 (case-insensitive; padding, spaces and dashes ignored).
 * @param {string} input
 * @returns {Buffer}
 */
export function base32Decode(input) {
  const clean = input.toUpperCase().replace(/[\s=-]/g, '');
  const out = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const index = BASE32.indexOf(ch);
    if (index < 0) throw new Error(`invalid base32 character ${JSON.stringify(ch)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/**
 * RFC 4226 HOTP value for a counter.
 * @param {Buffer} key
 * @param {bigint | number} counter
 * @param {{ digits?: number, algorithm?: 'sha1' | 'sha256' | 'sha512' }} [options]
 */
export function hotp(key, counter, { digits = 6, algorithm = 'sha1' } = {}) {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = /** @type {number} */ (mac[mac.length - 1]) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/**
 * The TOTP time step (counter) for a moment.
 * @param {number} [nowMs]
 * @param {number} [stepSeconds]
 */
export function totpCounter(nowMs = Date.now(), stepSeconds = 30) {
  return Math.floor(nowMs / 1000 / stepSeconds);
}

/**
 * The TOTP code of a base32 secret at a moment (default now).
 * @param {string} secret base32, as an authenticator app is given it
 * @param {{ nowMs?: number, stepSeconds?: number, digits?: number, algorithm?: 'sha1' | 'sha256' | 'sha512' }} [options]
 */
export function totp(secret, { nowMs = Date.now(), stepSeconds = 30, digits = 6, algorithm = 'sha1' } = {}) {
  return hotp(base32Decode(secret), totpCounter(nowMs, stepSeconds), { digits, algorithm });
}

/**
 * Waits until the next TOTP time step begins, so a fresh code differs from one already
 * used (servers refuse a replayed code). Returns the first code of that step.
 * @param {string} secret
 * @param {number} usedCounter the counter of the code already used
 */
export async function nextTotp(secret, usedCounter) {
  for (;;) {
    const counter = totpCounter();
    if (counter > usedCounter) return { code: totp(secret), counter };
    const msLeft = (counter + 1) * 30_000 - Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(50, Math.min(msLeft + 50, 1_000))));
  }
}
