import { createHmac, randomBytes } from 'node:crypto';

/**
 * Signing per the Standard Webhooks specification (https://www.standardwebhooks.com), so receivers can verify with
 * its libraries: the signed content is `<webhook-id>.<webhook-timestamp>.<body>`, the key is the base64-decoded part
 * of the secret after `whsec_`, and the `webhook-signature` header carries `v1,<base64 HMAC-SHA256>`.
 */

export const secretPrefix = 'whsec_';

/** A new signing secret: 32 random bytes (the specification asks for 24 to 64), base64, behind `whsec_`. */
export function generateSecret(): string {
  return `${secretPrefix}${randomBytes(32).toString('base64')}`;
}

/** The `webhook-signature` value for one message; `timestamp` in seconds since the epoch. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith(secretPrefix) ? secret.slice(secretPrefix.length) : secret, 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three headers that carry the message id, its time and its signature. */
export function signatureHeaders(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': sign(secret, id, timestamp, body),
  };
}
