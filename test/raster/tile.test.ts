import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import proj4 from 'proj4';
import { GepError } from '../../src/core/errors.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { crsToProj4 } from '../../src/raster/crs.ts';
import { openRaster } from '../../src/raster/open.ts';
import {
  checkTileIndex,
  chooseOverview,
  lonLatToMercator,
  lonLatToTile,
  mercatorResolution,
  mercatorToLonLat,
  ORIGIN_SHIFT,
  renderPreview,
  renderTile,
  tileBounds,
  tileBoundsLonLat,
  tileForLonLat,
  tileRange,
  tileToLonLat,
  tileTransform,
} from '../../src/raster/tile.ts';
import { makeRaster, type RasterReadOptions, type RasterReader } from '../../src/raster/types.ts';

const MERC = proj4('EPSG:4326', '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +no_defs');

describe('tile math', () => {
  test('z=0 covers the Mercator square; known tiles', () => {
    assert.ok(Math.abs(ORIGIN_SHIFT - 20037508.342789244) < 1e-6);
    assert.deepEqual(tileBounds(0, 0, 0).map((v) => Math.round(v * 1000) / 1000), [-20037508.343, -20037508.343, 20037508.343, 20037508.343]);
    assert.ok(Math.abs(mercatorResolution(0) - 156543.03392804097) < 1e-6);
    assert.ok(Math.abs(mercatorResolution(18) - 0.5971642834779395) < 1e-12);
    assert.deepEqual(tileForLonLat(0, 0, 1), [1, 1]);
    assert.deepEqual(tileForLonLat(-180, 85.05112878, 5), [0, 0]);
    assert.deepEqual(tileForLonLat(180, -85.05112878, 5), [31, 31]);
    assert.deepEqual(tileForLonLat(13.405, 52.52, 10), [550, 335]); // Berlin, OSM tile 10/550/335
    assert.deepEqual(tileForLonLat(-0.1276, 51.5072, 18), [130979, 87169]); // London
    assert.deepEqual(tileBounds(18, 131072, 131072).slice(0, 1).concat(tileBounds(18, 131072, 131072)[3]!), [0, 0]);
    const [w, s, e, n] = tileBoundsLonLat(1, 0, 0);
    assert.ok(Math.abs(w + 180) < 1e-12 && Math.abs(e) < 1e-12 && Math.abs(s) < 1e-12 && Math.abs(n - 85.0511287798066) < 1e-9);
  });

  test('lon/lat <-> tile round trips and tile bounds agree with proj4 EPSG:3857 for z = 0..18', () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let z = 0; z <= 18; z++) {
      for (let k = 0; k < 20; k++) {
        const lon = -180 + rnd() * 360;
        const lat = -85 + rnd() * 170;
        const [fx, fy] = lonLatToTile(lon, lat, z);
        const [lon2, lat2] = tileToLonLat(fx, fy, z);
        assert.ok(Math.abs(lon2 - lon) < 1e-9 && Math.abs(lat2 - lat) < 1e-9, `round trip z=${z}`);
        const [x, y] = tileForLonLat(lon, lat, z);
        const b = tileBounds(z, x, y);
        const [mx, my] = MERC.forward([lon, lat]) as [number, number];
        const [ox, oy] = lonLatToMercator(lon, lat);
        assert.ok(Math.abs(mx - ox) < 1e-6 && Math.abs(my - oy) < 1e-6, 'lonLatToMercator = proj4');
        const tol = 1e-7 * ORIGIN_SHIFT;
        assert.ok(mx >= b[0] - tol && mx <= b[2] + tol && my >= b[1] - tol && my <= b[3] + tol, `point inside its tile at z=${z}`);
        const t = tileTransform(z, x, y);
        assert.ok(Math.abs(t[0] + 256 * t[1] - b[2]) < 1e-6 && Math.abs(t[3] + 256 * t[5] - b[1]) < 1e-6);
        const [ll0, ll1] = mercatorToLonLat(ox, oy);
        assert.ok(Math.abs(ll0 - lon) < 1e-9 && Math.abs(ll1 - lat) < 1e-9);
        // Tile corners from the Mercator bounds equal tileToLonLat of the corners.
        const [cw, cn] = tileToLonLat(x, y, z);
        const [px, py] = MERC.forward([cw, cn]) as [number, number];
        assert.ok(Math.abs(px - b[0]) < 1e-6 * Math.max(1, Math.abs(b[0])) + 1e-6 && Math.abs(py - b[3]) < 1e-6 * Math.max(1, Math.abs(b[3])) + 1e-6);
      }
    }
  });

  test('checkTileIndex names the bad parameter', () => {
    const param = (f: () => void): unknown => {
      try {
        f();
      } catch (e) {
        return e instanceof GepError ? e.details?.parameter : 'other';
      }
      return null;
    };
    assert.equal(param(() => checkTileIndex(3, 7, 7)), null);
    assert.equal(param(() => checkTileIndex(31, 0, 0)), 'z');
    assert.equal(param(() => checkTileIndex(-1, 0, 0)), 'z');
    assert.equal(param(() => checkTileIndex(3, 8, 0)), 'x');
    assert.equal(param(() => checkTileIndex(3, 0, 1.5)), 'y');
  });
});

// A UTM 33N ramp: each pixel's value is the easting of its centre (metres). 1024 x 1024 pixels of 10 m.
const X0 = 400000;
const Y0 = 5000000;
const RES = 10;
const N = 1024;
const UTM = crsToProj4({ epsg: 32633 });
const merc2utm = proj4(crsToProj4({ epsg: 3857 }), UTM);
const utm2ll = proj4(UTM, 'EPSG:4326');

function recording(reader: RasterReader): { reader: RasterReader; calls: RasterReadOptions[] } {
  const calls: RasterReadOptions[] = [];
  return {
    calls,
    reader: {
      info: reader.info,
      read: (o?: RasterReadOptions) => {
        calls.push(o ?? {});
        return reader.read(o);
      },
      close: () => reader.close(),
    },
  };
}

describe('tile rendering (UTM 33N easting ramp COG)', () => {
  let dir = '';
  let reader: RasterReader;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gep-tile-'));
    const band = new Float32Array(N * N);
    for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) band[r * N + c] = X0 + (c + 0.5) * RES;
    const raster = makeRaster([band], N, N, { transform: [X0, RES, 0, Y0, 0, -RES], crs: { epsg: 32633 }, nodata: NaN });
    await writeCog(join(dir, 'ramp.tif'), raster, { tileSize: 256 });
    reader = await openRaster(join(dir, 'ramp.tif'));
    assert.equal(reader.info.overviews.length, 2);
  });
  after(async () => {
    await reader?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Checks every pixel of a rendered gray tile against the easting of its centre. */
  function checkTile(z: number, x: number, y: number, rgba: Uint8Array, lo: number, hi: number, srcPx: number): { inside: number; outside: number } {
    const t = tileTransform(z, x, y);
    const q = (hi - lo) / 255;
    let inside = 0;
    let outside = 0;
    for (let r = 0; r < 256; r++)
      for (let c = 0; c < 256; c++) {
        const [e, n] = merc2utm.forward([t[0] + (c + 0.5) * t[1], t[3] + (r + 0.5) * t[5]]) as [number, number];
        const i = (r * 256 + c) * 4;
        const margin = srcPx * 1.01;
        const clearlyIn = e > X0 + margin && e < X0 + N * RES - margin && n < Y0 - margin && n > Y0 - N * RES + margin;
        const clearlyOut = e < X0 - margin || e > X0 + N * RES + margin || n > Y0 + margin || n < Y0 - N * RES - margin;
        if (clearlyOut) {
          assert.equal(rgba[i + 3], 0, `pixel ${c},${r} outside the raster must be transparent`);
          outside++;
        }
        if (!clearlyIn) continue;
        assert.equal(rgba[i + 3], 255, `pixel ${c},${r} inside the raster must be opaque`);
        assert.equal(rgba[i], rgba[i + 1]);
        const decoded = lo + rgba[i]! * q;
        const expected = Math.min(hi, Math.max(lo, e));
        assert.ok(Math.abs(decoded - expected) <= q / 2 + srcPx + 1e-6, `pixel ${c},${r}: ${decoded} vs easting ${e}`);
        inside++;
      }
    return { inside, outside };
  }

  test('a full-resolution tile over the west edge decodes to the easting of each pixel centre', async () => {
    const [lon, lat] = utm2ll.forward([X0, Y0 - 5120]) as [number, number];
    const z = 14;
    const [x, y] = tileForLonLat(lon, lat, z);
    const { reader: rec, calls } = recording(reader);
    const lo = X0 - 2000;
    const hi = X0 + 2000;
    const img = await renderTile(rec, z, x, y, { rescale: [[lo, hi]] });
    assert.equal(img.overview, 0);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.overview, 0);
    assert.ok(calls[0]!.window!.width < 300, 'reads only the window under the tile');
    const { inside, outside } = checkTile(z, x, y, img.rgba, lo, hi, RES);
    assert.ok(inside > 10000 && outside > 5000, `inside ${inside}, outside ${outside}`);
  });

  test('at low zoom the coarsest overview is read, and values still match at its resolution', async () => {
    const [lon, lat] = utm2ll.forward([X0 + 5120, Y0 - 5120]) as [number, number];
    for (const [z, level] of [
      [8, 2],
      [12, 1],
      [13, 0],
    ] as const) {
      const [x, y] = tileForLonLat(lon, lat, z);
      const { reader: rec, calls } = recording(reader);
      const img = await renderTile(rec, z, x, y, { rescale: [[X0, X0 + N * RES]] });
      assert.equal(img.overview, level, `zoom ${z}`);
      assert.equal(calls[0]!.overview, level);
      assert.ok(!img.empty);
      const f = level === 0 ? 1 : 2 ** level;
      // Coarser levels average f x f source pixels: their centre easting is within f/2 source pixels.
      checkTile(z, x, y, img.rgba, X0, X0 + N * RES, RES * f);
    }
    const info = reader.info;
    assert.equal(chooseOverview(info, 1.9), 0);
    assert.equal(chooseOverview(info, 2), 1);
    assert.equal(chooseOverview(info, 3.9), 1);
    assert.equal(chooseOverview(info, 100), 2);
  });

  test('a tile away from the raster is transparent and reads nothing', async () => {
    const [lon, lat] = utm2ll.forward([X0 + 5120, Y0 - 5120]) as [number, number];
    const [x, y] = tileForLonLat(lon, lat, 14);
    const { reader: rec, calls } = recording(reader);
    const img = await renderTile(rec, 14, x + 5, y, { rescale: [[0, 1]] });
    assert.ok(img.empty);
    assert.equal(img.overview, -1);
    assert.equal(calls.length, 0);
    assert.ok(img.rgba.every((v) => v === 0));
    // Smaller than one pixel at z=0 (nothing to show, no crash); a few pixels at z=6.
    const world = await renderTile(reader, 0, 0, 0, { rescale: [[X0, X0 + 10240]] });
    assert.equal(world.overview, 2);
    const [x6, y6] = tileForLonLat(lon, lat, 6);
    const z6 = await renderTile(reader, 6, x6, y6, { rescale: [[X0, X0 + 10240]] });
    assert.equal(z6.overview, 2);
    assert.ok(!z6.empty);
  });

  test('bilinear and colour-mapped tiles; bad options are refused', async () => {
    const [lon, lat] = utm2ll.forward([X0 + 5120, Y0 - 5120]) as [number, number];
    const [x, y] = tileForLonLat(lon, lat, 14);
    const img = await renderTile(reader, 14, x, y, { resampling: 'bilinear', colormap: 'viridis' });
    assert.ok(!img.empty);
    await assert.rejects(renderTile(reader, 14, x, y, { bands: [1] }), (e: unknown) => e instanceof GepError && e.details?.parameter === 'bands');
    await assert.rejects(renderTile(reader, 14, x, y, { colormap: 'nope' }), (e: unknown) => e instanceof GepError && e.details?.parameter === 'colormap');
    await assert.rejects(renderTile(reader, 2, 4, 0), (e: unknown) => e instanceof GepError && e.details?.parameter === 'x');
  });

  test('preview reads the smallest sufficient overview; tileRange gives bounds and zooms', async () => {
    const { reader: rec, calls } = recording(reader);
    const img = await renderPreview(rec, { maxSize: 300, rescale: [[X0, X0 + N * RES]] });
    assert.equal(img.width, 300);
    assert.equal(img.height, 300);
    assert.equal(calls.at(-1)!.overview, 1);
    // Left column dark, right column bright (the ramp), everything opaque.
    assert.ok(img.rgba[0]! < 5 && img.rgba[(299) * 4]! > 250 && img.rgba[3] === 255);
    const r = tileRange(reader.info);
    const [w, s] = utm2ll.forward([X0, Y0 - N * RES]) as [number, number];
    const [e, n] = utm2ll.forward([X0 + N * RES, Y0]) as [number, number];
    assert.ok(r.bounds[0] <= w + 1e-9 && r.bounds[2] >= e - 1e-9 && r.bounds[1] <= s + 1e-9 && r.bounds[3] >= n - 1e-9);
    assert.ok(r.bounds[2] - r.bounds[0] < 0.2 && r.bounds[3] - r.bounds[1] < 0.12);
    assert.equal(r.maxzoom, 14); // 10 m at 45 deg N = 14.1 Mercator metres: z=14 is the first finer zoom
    assert.equal(r.minzoom, 11); // coarsest overview 40 m
  });
});

describe('tile rendering of byte rasters', () => {
  test('EPSG:3857 uint8 source with nodata: same-CRS path, nodata transparent, default rescale 0..255', async () => {
    const z = 10;
    const [x, y] = [550, 335];
    const t = tileTransform(z, x, y);
    // A raster exactly on the tile grid, two tiles wide: values = column mod 256, column 0..9 nodata (0).
    const W = 512;
    const H = 256;
    const band = new Uint8Array(W * H);
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) band[r * W + c] = c < 10 ? 0 : c % 256;
    const raster = makeRaster([band], W, H, { transform: [t[0], t[1], 0, t[3], 0, t[5]], crs: { epsg: 3857 }, nodata: 0 });
    const dir = await mkdtemp(join(tmpdir(), 'gep-tile-'));
    try {
      await writeCog(join(dir, 'b.tif'), raster, { tileSize: 256, overviews: false });
      const rd = await openRaster(join(dir, 'b.tif'));
      const img = await renderTile(rd, z, x, y);
      for (let r = 0; r < 256; r += 17)
        for (let c = 0; c < 256; c++) {
          const i = (r * 256 + c) * 4;
          if (c < 10) assert.equal(img.rgba[i + 3], 0);
          else {
            assert.equal(img.rgba[i + 3], 255);
            assert.equal(img.rgba[i], c);
          }
        }
      await rd.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
