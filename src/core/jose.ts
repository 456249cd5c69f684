type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
let jose: Promise<Jose> | undefined;

/** jose 6 is an ES module; load it once, on first use (as http.ts does for node-fetch). */
export function loadJose(): Promise<Jose> {
  jose ??= import('jose');
  return jose;
}
