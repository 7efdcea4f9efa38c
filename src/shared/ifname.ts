/** Network interface names as the kernel takes them. */
import { hasNonXmlChar } from './text.js';

const IFNAME_RE = /^[^/:\s\u0000-\u001f\u007f]+$/;
/**
 * The kernel's rule for an interface name (dev_valid_name): 1-15 bytes (IFNAMSIZ 16 with the
 * NUL), not "." or "..", no "/", ":" or whitespace. Bytes, not characters: "é" is two.
 */
export function checkIfname(ifname: string): string | null {
  const bytes = Buffer.byteLength(ifname, 'utf8');
  if (bytes < 1 || bytes > 15) return `must be 1-15 bytes (the kernel's IFNAMSIZ); got ${bytes}`;
  if (ifname === '.' || ifname === '..') return `cannot be "${ifname}"`;
  if (!IFNAME_RE.test(ifname) || hasNonXmlChar(ifname)) return 'must not contain "/", ":", spaces or control characters';
  return null;
}
