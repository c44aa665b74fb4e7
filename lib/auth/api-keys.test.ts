import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apiKeyChecksum, generateApiKey, hashApiKey, looksLikeApiKey } from './api-keys.js';

describe('API key format', () => {
  it('issues keys that check out: cgk_<8 hex>_<43 base64url>_<6 checksum>', () => {
    for (let i = 0; i < 50; i++) {
      const key = generateApiKey();
      expect(key.secret).toMatch(/^cgk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}_[A-Za-z0-9_-]{6}$/);
      expect(key.secret.startsWith(`${key.prefix}_`)).toBe(true);
      expect(key.hash).toBe(hashApiKey(key.secret));
      expect(looksLikeApiKey(key.secret)).toBe(true);
    }
  });

  it('refuses a well-shaped key whose checksum does not match', () => {
    const body = `cgk_${randomBytes(4).toString('hex')}_${randomBytes(32).toString('base64url')}`;
    const good = apiKeyChecksum(body);
    const wrong = good === 'AAAAAA' ? 'AAAAAB' : 'AAAAAA';
    expect(looksLikeApiKey(`${body}_${good}`)).toBe(true);
    expect(looksLikeApiKey(`${body}_${wrong}`)).toBe(false);
  });

  it('refuses a key with one character mistyped', () => {
    const { secret } = generateApiKey();
    const at = 20;
    const typo = secret.slice(0, at) + (secret[at] === 'x' ? 'y' : 'x') + secret.slice(at + 1);
    expect(looksLikeApiKey(typo)).toBe(false);
  });

  it('no longer accepts the earlier shape without a checksum', () => {
    expect(looksLikeApiKey(`cgk_${randomBytes(4).toString('hex')}_${randomBytes(32).toString('base64url')}`)).toBe(false);
  });

  it('refuses other strings', () => {
    for (const value of ['', 'not a key', 'cgk_', `${generateApiKey().secret} `, `Bearer ${generateApiKey().secret}`, 'CGK_00000000_' + 'A'.repeat(50)]) {
      expect(looksLikeApiKey(value)).toBe(false);
    }
  });
});
