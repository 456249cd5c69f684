/** The text of a client identifier (X-Plex-Client-Identifier) as the runtime and the editor make it. Pure: no Node.js, no DOM. */

/**
 * A version-4 UUID written from the first 16 of `bytes` (random ones in the editor, a hash of
 * the node id in the runtime), with the version nibble 4 and the variant nibble 8.
 */
export function uuidFromBytes(bytes: Uint8Array): string {
  const b = Array.from(bytes.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x0f) | 0x80;
  const hex = b.map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
