/**
 * Small TIFF decompressors written from the TIFF 6.0 specification: LZW (§13, MSB-first codes of 9..12 bits
 * with the "early change" used by every TIFF writer since 5.0) and PackBits (§9). Both write into a
 * caller-sized output and stop when it is full, so a hostile stream can never grow memory.
 */

const CLEAR = 256;
const EOI = 257;

/**
 * Decodes a TIFF LZW stream into `out`. Returns the number of bytes produced (may be < out.length when the
 * stream is short), or -1 when the stream is malformed (a code that is not yet in the table).
 */
export function lzwDecode(src: Uint8Array, out: Uint8Array): number {
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const len = new Uint16Array(4096);
  for (let i = 0; i < 256; i++) {
    prefix[i] = -1;
    suffix[i] = i;
    first[i] = i;
    len[i] = 1;
  }
  const nSrc = src.length;
  const totalBits = nSrc * 8;
  const cap = out.length;
  let nextCode = 258;
  let codeLen = 9;
  let bitPos = 0;
  let prev = -1;
  let op = 0;
  while (bitPos + codeLen <= totalBits && op < cap) {
    const bi = bitPos >>> 3;
    const word = (src[bi]! << 16) | ((bi + 1 < nSrc ? src[bi + 1]! : 0) << 8) | (bi + 2 < nSrc ? src[bi + 2]! : 0);
    const code = (word >>> (24 - (bitPos & 7) - codeLen)) & ((1 << codeLen) - 1);
    bitPos += codeLen;
    if (code === EOI) break;
    if (code === CLEAR) {
      nextCode = 258;
      codeLen = 9;
      prev = -1;
      continue;
    }
    if (prev === -1) {
      if (code > 255) return -1;
      out[op++] = code;
      prev = code;
      continue;
    }
    if (code > nextCode) return -1;
    if (nextCode < 4096) {
      // New entry = string(prev) + first char of string(code) (for code === nextCode that is first[prev]).
      prefix[nextCode] = prev;
      suffix[nextCode] = code === nextCode ? first[prev]! : first[code]!;
      first[nextCode] = first[prev]!;
      len[nextCode] = len[prev]! + 1;
    } else if (code === nextCode) return -1;
    // Write string(code) backwards from its last byte.
    const l = len[code]!;
    let c = code;
    for (let i = l - 1; i >= 0; i--) {
      if (op + i < cap) out[op + i] = suffix[c]!;
      c = prefix[c]!;
    }
    op += l;
    if (nextCode < 4096) nextCode++;
    if (nextCode >= (1 << codeLen) - 1 && codeLen < 12) codeLen++;
    prev = code;
  }
  return Math.min(op, cap);
}

/** Decodes PackBits into `out`; returns the number of bytes produced. */
export function packBitsDecode(src: Uint8Array, out: Uint8Array): number {
  const n = src.length;
  const cap = out.length;
  let ip = 0;
  let op = 0;
  while (ip < n && op < cap) {
    const h = src[ip++]!;
    if (h < 128) {
      // literal run of h+1 bytes
      const cnt = Math.min(h + 1, n - ip, cap - op);
      out.set(src.subarray(ip, ip + cnt), op);
      ip += h + 1;
      op += cnt;
    } else if (h > 128) {
      // replicate next byte 257-h times
      if (ip >= n) break;
      const v = src[ip++]!;
      const cnt = Math.min(257 - h, cap - op);
      out.fill(v, op, op + cnt);
      op += cnt;
    }
    // h === 128: no-op
  }
  return op;
}
