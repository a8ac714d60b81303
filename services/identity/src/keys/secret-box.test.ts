import { describe, expect, it } from '@jest/globals';
import { secretBox } from './secret-box.js';

const OLD = 'old-key-0123456789abcdef0123456789abcdef';
const NEW = 'new-key-0123456789abcdef0123456789abcdef';

describe('secretBox', () => {
  it('seals so that the value is not readable, and opens it again', () => {
    const box = secretBox([OLD]);
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'authenticator:a');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed, 'authenticator:a')).toBe('JBSWY3DPEHPK3PXP');
    expect(box.seal('JBSWY3DPEHPK3PXP', 'authenticator:a')).not.toBe(sealed);
  });

  it('opens what an older key sealed after a new key is prepended, and seals with the new one', () => {
    const sealedBefore = secretBox([OLD]).seal('secret', 'authenticator:a');
    const rotated = secretBox([NEW, OLD]);
    expect(rotated.open(sealedBefore, 'authenticator:a')).toBe('secret');
    expect(() => secretBox([OLD]).open(rotated.seal('secret', 'authenticator:a'), 'authenticator:a')).toThrow(/not configured/);
  });

  it('refuses a value moved to another owner or tampered with', () => {
    const box = secretBox([OLD]);
    const sealed = box.seal('secret', 'authenticator:a');
    expect(() => box.open(sealed, 'authenticator:b')).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('other!').toString('base64url');
    expect(() => box.open(parts.join('.'), 'authenticator:a')).toThrow();
  });
});
