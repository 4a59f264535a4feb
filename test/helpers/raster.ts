/** Raster helpers for tests that compare outputs pixel for pixel. */
import assert from 'node:assert/strict';
import { openRaster } from '../../src/raster/open.ts';

/** Band `b` (default the first) of a raster (path or URL) as a Float32Array. */
export async function readBandF32(source: string, b = 0): Promise<Float32Array> {
  const r = await openRaster(source);
  try {
    const a = (await r.read({ bands: [b] })).bands[0]!;
    return a instanceof Float32Array ? a : Float32Array.from(a);
  } finally {
    await r.close();
  }
}

/** Asserts equal arrays (NaN equal to NaN); returns the number of finite values. */
export function assertSamePixels(a: Float32Array, b: Float32Array, what: string): number {
  assert.equal(a.length, b.length, `${what}: length`);
  let finite = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x !== y) assert.fail(`${what}: pixel ${i} is ${x}, expected ${y}`);
    if (Number.isFinite(x)) finite++;
  }
  return finite;
}
