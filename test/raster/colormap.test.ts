import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GepError } from '../../src/core/errors.ts';
import { colorize, COLORMAP_NAMES, getColormap, isColormap, legend, percentileRange } from '../../src/raster/colormap.ts';

const rgbAt = (lut: Uint8Array, i: number): string =>
  '#' + [lut[i * 4]!, lut[i * 4 + 1]!, lut[i * 4 + 2]!].map((v) => v.toString(16).padStart(2, '0')).join('');

describe('colour maps', () => {
  test('gray is the identity and every map is opaque with its anchor colours at the ends', () => {
    const g = getColormap('gray').lut;
    for (let i = 0; i < 256; i++) assert.deepEqual([g[i * 4], g[i * 4 + 1], g[i * 4 + 2], g[i * 4 + 3]], [i, i, i, 255]);
    assert.equal(rgbAt(getColormap('viridis').lut, 0), '#440154');
    assert.equal(rgbAt(getColormap('viridis').lut, 255), '#fde725');
    assert.equal(rgbAt(getColormap('magma').lut, 0), '#000004');
    assert.equal(rgbAt(getColormap('RdBu').lut, 0), '#67001f');
    assert.equal(rgbAt(getColormap('RdBu').lut, 255), '#053061');
    // The diverging map is white-ish in the middle (index 127/128 straddle #f7f7f7).
    const mid = getColormap('RdBu').lut;
    assert.ok(Math.abs(mid[128 * 4]! - 0xf7) <= 3 && Math.abs(mid[128 * 4 + 2]! - 0xf7) <= 3);
    for (const name of COLORMAP_NAMES) {
      const lut = getColormap(name).lut;
      assert.equal(lut.length, 1024);
      for (let i = 3; i < 1024; i += 4) assert.equal(lut[i], 255);
    }
  });

  test('_r reverses a map; unknown names are refused naming the parameter', () => {
    const a = getColormap('viridis').lut;
    const r = getColormap('viridis_r').lut;
    for (let i = 0; i < 256; i++) assert.equal(rgbAt(r, i), rgbAt(a, 255 - i));
    assert.ok(isColormap('terrain_r') && !isColormap('jet') && !isColormap('__proto__'));
    assert.throws(
      () => getColormap('jet'),
      (e: unknown) => e instanceof GepError && e.code === 'GEP_ERR_INVALID_INPUT' && e.details?.parameter === 'colormap' && /viridis/.test(e.message),
    );
    assert.throws(() => getColormap('constructor'), GepError);
  });
});

describe('colorize', () => {
  test('one band: rescale to 0..255 with clamping; NaN and nodata transparent', () => {
    const v = Float32Array.of(-10, 0, 40, 100, 200, NaN, -9999);
    const out = colorize([v], v.length, { rescale: [[0, 100]], nodata: -9999 });
    const grey = Array.from({ length: v.length }, (_, i) => out[i * 4]!);
    const alpha = Array.from({ length: v.length }, (_, i) => out[i * 4 + 3]!);
    assert.deepEqual(grey, [0, 0, 102, 255, 255, 0, 0]);
    assert.deepEqual(alpha, [255, 255, 255, 255, 255, 0, 0]);
    // Decoding a grey level returns the value within half a quantisation step.
    const ramp = Float64Array.from({ length: 1000 }, (_, i) => 400000 + i * 10.24);
    const o = colorize([ramp], ramp.length, { rescale: [[400000, 410240]] });
    for (let i = 0; i < ramp.length; i++) {
      const decoded = 400000 + (o[i * 4]! / 255) * 10240;
      assert.ok(Math.abs(decoded - ramp[i]!) <= 10240 / 510 + 1e-6);
    }
  });

  test('reversed rescale (max < min) inverts; a colour map is applied', () => {
    const out = colorize([Float32Array.of(0, 1)], 2, { rescale: [[1, 0]], colormap: getColormap('viridis') });
    assert.equal(rgbAt(out, 0), '#fde725');
    assert.equal(rgbAt(out, 1), '#440154');
  });

  test('three bands as RGB; any invalid band makes the pixel transparent', () => {
    const r = Uint16Array.of(0, 1000, 2000);
    const g = Uint16Array.of(1000, 1000, 0);
    const b = Uint16Array.of(2000, 0, 0);
    const out = colorize([r, g, b], 3, { rescale: [[0, 2000], [0, 2000], [0, 2000]], nodata: 0 });
    assert.deepEqual(Array.from(out), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const out2 = colorize([r, g, b], 3, { rescale: [[0, 2000], [0, 2000], [0, 2000]] });
    assert.deepEqual(Array.from(out2.subarray(0, 4)), [0, 128, 255, 255]);
    assert.throws(() => colorize([r, g], 3, { rescale: [[0, 1], [0, 1]] }), GepError);
    assert.throws(() => colorize([r, g, b], 3, { rescale: [[0, 1], [0, 1], [0, 1]], colormap: getColormap('gray') }), GepError);
    assert.throws(() => colorize([r], 3, { rescale: [[5, 5]] }), GepError);
  });
});

describe('legend and percentiles', () => {
  test('legend stops span min..max with the map colours', () => {
    const l = legend('RdBu', -2, 2, 5);
    assert.equal(l.kind, 'diverging');
    assert.deepEqual(l.stops.map((s) => s.value), [-2, -1, 0, 1, 2]);
    assert.equal(l.stops[0]!.color, '#67001f');
    assert.equal(l.stops[4]!.color, '#053061');
    assert.throws(() => legend('gray', 0, 1, 1), GepError);
  });

  test('percentileRange ignores NaN and nodata', () => {
    const a = new Float32Array(1001);
    for (let i = 0; i < 1001; i++) a[i] = i;
    a[5] = NaN;
    a[6] = -1;
    const [lo, hi] = percentileRange(a, -1, 0, 100)!;
    assert.equal(lo, 0);
    assert.equal(hi, 1000);
    const [p2, p98] = percentileRange(a, -1)!;
    assert.ok(Math.abs(p2 - 22) <= 2 && Math.abs(p98 - 980) <= 2);
    assert.equal(percentileRange(Float32Array.of(NaN, NaN), null), null);
  });
});
