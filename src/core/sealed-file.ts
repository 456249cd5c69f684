import fs from 'node:fs';
import path from 'node:path';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

interface Envelope {
  v: 1;
  /** First bytes of the key's hash: tells a changed key from a damaged file. */
  key: string;
  iv: string;
  tag: string;
  data: string;
}

/** A 32-byte key from any secret text (the same derivation Node-RED uses for credentials). */
export function keyFromSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/**
 * A JSON document kept on disk encrypted (AES-256-GCM), written atomically with owner-only
 * permissions. Nothing in it is ever written in clear text.
 */
export class SealedFile<T> {
  private readonly keyId: string;

  constructor(
    private readonly file: string,
    private readonly key: Buffer,
  ) {
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  /** The stored document; undefined when there is none, or it was sealed with another key. */
  read(): T | undefined {
    let envelope: Envelope | null;
    try {
      envelope = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch {
      return undefined;
    }
    // A damaged file may hold any JSON, "null" included.
    if (envelope?.v !== 1 || envelope.key !== this.keyId) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(envelope.iv, 'base64'));
      decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
      const clear = Buffer.concat([decipher.update(Buffer.from(envelope.data, 'base64')), decipher.final()]);
      return JSON.parse(clear.toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }

  /** Whether a file is there at all (read() also gives undefined for one sealed with another key). */
  exists(): boolean {
    return fs.existsSync(this.file);
  }

  /** Throws when the disk refuses (full, read-only, not a directory); leaves no temporary file behind. */
  write(document: T): void {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(document), 'utf8'), cipher.final()]);
    const envelope: Envelope = {
      v: 1,
      key: this.keyId,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(temporary, JSON.stringify(envelope), { mode: 0o600 });
      fs.renameSync(temporary, this.file);
    } catch (error) {
      fs.rmSync(temporary, { force: true });
      throw error;
    }
  }
}

/** The secret kept in a file of our own, when there is one. */
export function existingFileSecret(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A secret kept in a file of its own (created on first use, owner-only). */
export function fileSecret(file: string): string {
  const existing = existingFileSecret(file);
  if (existing) return existing;
  const secret = randomBytes(32).toString('hex');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
