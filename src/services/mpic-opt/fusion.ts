/**
 * MPIC-OPT step 6: multi-temporal fusion of the pairs (fusePairs, algorithms/motion/fusion.ts for the
 * definitions), read back from the pairs' COGs in strips of rows so that memory holds one strip of every pair plus
 * the fused outputs being written. When the fused outputs of a large grid would not fit in FUSED_BUDGET bytes, they
 * are produced in several passes over the strips (each pass keeps a subset of the outputs).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fusePairs, type FusionResult, type PairField } from '../../algorithms/motion/index.ts';
import { throwIfAborted } from '../../core/errors.ts';
import type { StacAsset } from '../../core/stac.ts';
import { writeCog } from '../../raster/cog/write.ts';
import { openGeoTiff } from '../../raster/tiff/read.ts';
import type { RasterReader } from '../../raster/types.ts';
import { makeRaster } from '../../raster/types.ts';
import type { ServiceContext } from '../types.ts';
import type { WorkGrid } from './inputs.ts';
import { cogAsset } from './stac.ts';

const FUSED_BUDGET = 1.5e9;
const STRIP_BUDGET = 256e6;

type FusedKey = Exclude<keyof FusionResult, 'count'>;

/** Output asset key, FusionResult field, title, description, unit. */
const OUTPUTS: [string, FusedKey, string, string, string | undefined][] = [
  ['velocity_ew', 'velocityEw', 'Velocity east', 'mean east velocity over the valid pairs (east positive)', 'm/day'],
  ['velocity_ns', 'velocityNs', 'Velocity north', 'mean north velocity over the valid pairs (north positive)', 'm/day'],
  ['displacement_magnitude', 'displacementMagnitude', 'Displacement magnitude', 'mean over the valid pairs of the displacement length', 'm'],
  ['vector_coherence', 'vectorCoherence', 'Vector coherence', '|sum of velocity vectors| / sum of their lengths, 0..1', undefined],
  ['quality', 'quality', 'Quality', 'share of pairs with a valid match (correlation above the threshold), 0..1', undefined],
  ['uncertainty_ew', 'uncertaintyEw', 'Uncertainty of velocity east', 'standard error of the mean east velocity (NaN with fewer than 2 pairs)', 'm/day'],
  ['uncertainty_ns', 'uncertaintyNs', 'Uncertainty of velocity north', 'standard error of the mean north velocity (NaN with fewer than 2 pairs)', 'm/day'],
];

export interface FusionInput {
  fields: { dxM: string; dyM: string; correlation: string };
  days: number;
}

/** Fuses the pairs into <dir>/<key>.tif; returns the assets. */
export async function fuse(
  ctx: ServiceContext,
  grid: WorkGrid,
  pairs: FusionInput[],
  threshold: number,
  dir: string,
  p0: number,
  p1: number,
): Promise<Record<string, StacAsset>> {
  const { width: W, height: H } = grid;
  const n = W * H;
  const perPass = Math.max(1, Math.min(OUTPUTS.length, Math.floor(FUSED_BUDGET / (4 * n))));
  const rows = Math.max(1, Math.min(H, Math.floor(STRIP_BUDGET / (12 * W * pairs.length))));
  const assets: Record<string, StacAsset> = {};
  await mkdir(dir, { recursive: true });
  const passes = Math.ceil(OUTPUTS.length / perPass);
  for (let pass = 0; pass < passes; pass++) {
    const group = OUTPUTS.slice(pass * perPass, (pass + 1) * perPass);
    const out = group.map(() => new Float32Array(n));
    const readers: RasterReader[][] = [];
    try {
      for (const p of pairs)
        readers.push(await Promise.all([openGeoTiff(p.fields.dxM), openGeoTiff(p.fields.dyM), openGeoTiff(p.fields.correlation)]));
      for (let y0 = 0; y0 < H; y0 += rows) {
        throwIfAborted(ctx.signal);
        const h = Math.min(rows, H - y0);
        const window = { x0: 0, y0, width: W, height: h };
        const fields: PairField[] = [];
        for (const [k, rd] of readers.entries()) {
          const [a, b, c] = await Promise.all(rd.map((r) => r.read({ window, signal: ctx.signal })));
          fields.push({ dx: a!.bands[0] as Float32Array, dy: b!.bands[0] as Float32Array, correlation: c!.bands[0] as Float32Array, days: pairs[k]!.days });
        }
        const f = fusePairs(fields, W, h, { threshold });
        group.forEach(([, key], g) => out[g]!.set(f[key], y0 * W));
        ctx.progress(p0 + ((p1 - p0) * (pass + (y0 + h) / H)) / passes, `fusion: rows ${y0 + h}/${H}`);
      }
    } finally {
      for (const rd of readers) for (const r of rd) await r.close();
    }
    for (const [g, [key, , title, description, unit]] of group.entries()) {
      const path = join(dir, `${key}.tif`);
      await writeCog(path, makeRaster([out[g]!], W, H, { transform: grid.transform, crs: grid.crs, nodata: NaN }), { signal: ctx.signal, software: 'gep mpic-opt' });
      out[g] = new Float32Array(0);
      const roles = key.startsWith('uncertainty') ? ['data', 'uncertainty'] : key === 'quality' || key === 'vector_coherence' ? ['data', 'quality'] : ['data'];
      assets[key] = cogAsset({ href: path, title, description, dataType: 'float32', nodata: 'nan', roles, ...(unit ? { unit } : {}) });
    }
  }
  return assets;
}
