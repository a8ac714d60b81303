import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Seals small secrets kept in the database (authenticator-app keys) with AES-256-GCM. Keys come
 * from configuration, newest first: the first seals, every one opens, so a key is rotated by
 * prepending a new one (and dropped once nothing sealed with it is left). A sealed value names its
 * key by a short fingerprint: `v1.<key id>.<iv>.<ciphertext>.<tag>`, base64url parts.
 */
export interface SecretBox {
  seal(plain: string, context: string): string;
  /** Throws when no configured key opens it, or it was tampered with. */
  open(sealed: string, context: string): string;
}

export function secretBox(secrets: readonly string[]): SecretBox {
  if (secrets.length === 0) throw new Error('a secret box needs at least one key');
  const keys = secrets.map((secret) => ({
    id: createHash('sha256').update(secret).digest('base64url').slice(0, 8),
    key: Buffer.from(hkdfSync('sha256', secret, 'tamkeen-identity', 'secret-box v1', 32)),
  }));
  const b64 = (buffer: Buffer) => buffer.toString('base64url');
  return {
    seal(plain, context) {
      const { id, key } = keys[0]!;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      // The context (whose secret this is) is authenticated: a sealed value moved to another row does not open.
      cipher.setAAD(Buffer.from(context));
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', id, b64(iv), b64(data), b64(cipher.getAuthTag())].join('.');
    },
    open(sealed, context) {
      const [version, id, iv, data, tag] = sealed.split('.');
      const entry = keys.find((k) => k.id === id);
      if (version !== 'v1' || !entry || !iv || data === undefined || !tag) throw new Error('sealed with a key that is not configured, or not a sealed value');
      const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
