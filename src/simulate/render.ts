/**
 * Area-averaged rendering of continuous scenes onto pixel grids, by row blocks.
 *
 * Scene coordinates: x grows east (image columns), y grows south (image rows), in "scene units" (the pixel
 * size of the scene's base grid, e.g. 10 m for a Sentinel-2 scene). A grid pixel (i, j) covers
 * [x0 + i·step, x0 + (i+1)·step) × [y0 + j·step, y0 + (j+1)·step); its value is the mean of ss×ss samples at
 * the centres of its sub-cells (box filter, which keeps aliasing of fine texture low).
 *
 * Displacement (a Warp) is Eulerian and east/north positive: the rendered image at position p shows the
 * scene at (p.x - dE(p), p.y + dN(p)) — north-positive dN moves content up the image (towards row 0).
 */
import { throwIfAborted } from '../core/errors.ts';
import type { ProgressFn } from '../core/progress.ts';
import { hashGaussian } from './random.ts';

/** A continuous scene: band values at any position. */
export interface Scene {
  readonly nBands: number;
  /** Writes band values at n positions: out[b][i] for position (xs[i], ys[i]). */
  sample(xs: Float64Array, ys: Float64Array, n: number, out: Float64Array[]): void;
}

/** Apparent displacement at image positions: east and north components, in scene units. */
export interface Warp {
  displacement(xs: Float64Array, ys: Float64Array, n: number, de: Float64Array, dn: Float64Array): void;
}

/** Applied after sampling, in image (not scene) coordinates: clouds, shadows, atmosphere. */
export interface Overlay {
  apply(xs: Float64Array, ys: Float64Array, n: number, values: Float64Array[]): void;
}

/** An output grid in scene units. */
export interface GridSpec {
  x0: number;
  y0: number;
  step: number;
  width: number;
  height: number;
}

export interface RenderOptions {
  /** Samples per pixel along each axis (default 2: 2×2 box filter). */
  supersample?: number;
  warp?: Warp | null;
  overlay?: Overlay | null;
}

/** Renders a scene onto a grid, a few rows at a time, reusing its buffers (one renderer per thread). */
export class BlockRenderer {
  readonly grid: GridSpec;
  private readonly scene: Scene;
  private readonly ss: number;
  private readonly warp: Warp | null;
  private readonly overlay: Overlay | null;
  private readonly xs: Float64Array;
  private readonly ys: Float64Array;
  private readonly de: Float64Array;
  private readonly dn: Float64Array;
  private readonly sxs: Float64Array;
  private readonly sys: Float64Array;
  private readonly vals: Float64Array[];

  constructor(scene: Scene, grid: GridSpec, opts: RenderOptions = {}) {
    const ss = opts.supersample ?? 2;
    if (!Number.isInteger(ss) || ss < 1 || ss > 8) throw new RangeError(`supersample must be an integer 1..8, got ${ss}`);
    if (!Number.isInteger(grid.width) || !Number.isInteger(grid.height) || grid.width < 1 || grid.height < 1)
      throw new RangeError(`grid size must be positive integers, got ${grid.width}x${grid.height}`);
    this.scene = scene;
    this.grid = grid;
    this.ss = ss;
    this.warp = opts.warp ?? null;
    this.overlay = opts.overlay ?? null;
    const n = grid.width * ss;
    this.xs = new Float64Array(n);
    this.ys = new Float64Array(n);
    this.de = new Float64Array(n);
    this.dn = new Float64Array(n);
    this.sxs = new Float64Array(n);
    this.sys = new Float64Array(n);
    this.vals = Array.from({ length: scene.nBands }, () => new Float64Array(n));
  }

  /** Renders rows [r0, r1) as area means into out[b] (index (row - r0)·width + col). */
  renderRows(r0: number, r1: number, out: (Float32Array | Float64Array)[]): void {
    const { x0, y0, step, width } = this.grid;
    const ss = this.ss;
    const n = width * ss;
    const nb = this.scene.nBands;
    if (out.length < nb) throw new RangeError(`renderRows needs ${nb} output bands, got ${out.length}`);
    const inv = 1 / (ss * ss);
    for (let r = r0; r < r1; r++) {
      const base = (r - r0) * width;
      for (let b = 0; b < nb; b++) out[b]!.fill(0, base, base + width);
      for (let t = 0; t < ss; t++) {
        const y = y0 + (r + (t + 0.5) / ss) * step;
        for (let i = 0; i < width; i++) {
          for (let s = 0; s < ss; s++) {
            const k = i * ss + s;
            this.xs[k] = x0 + (i + (s + 0.5) / ss) * step;
            this.ys[k] = y;
          }
        }
        let sx = this.xs;
        let sy = this.ys;
        if (this.warp) {
          this.warp.displacement(this.xs, this.ys, n, this.de, this.dn);
          for (let k = 0; k < n; k++) {
            this.sxs[k] = this.xs[k]! - this.de[k]!;
            this.sys[k] = this.ys[k]! + this.dn[k]!;
          }
          sx = this.sxs;
          sy = this.sys;
        }
        this.scene.sample(sx, sy, n, this.vals);
        if (this.overlay) this.overlay.apply(this.xs, this.ys, n, this.vals);
        for (let b = 0; b < nb; b++) {
          const v = this.vals[b]!;
          const o = out[b]!;
          for (let i = 0; i < width; i++) {
            let acc = 0;
            for (let s = 0; s < ss; s++) acc += v[i * ss + s]!;
            o[base + i]! += acc * inv;
          }
        }
      }
    }
  }
}

/** Rows per block so that a block holds about `pixels` pixels (at least 1 row). */
export function blockRows(width: number, pixels = 1 << 18): number {
  return Math.max(1, Math.floor(pixels / Math.max(1, width)));
}

/** Renders a whole grid into new Float32Arrays (one per band). For big grids prefer renderRows by blocks. */
export function renderScene(scene: Scene, grid: GridSpec, opts: RenderOptions = {}): Float32Array[] {
  const r = new BlockRenderer(scene, grid, opts);
  const out = Array.from({ length: scene.nBands }, () => new Float32Array(grid.width * grid.height));
  const rows = blockRows(grid.width);
  for (let r0 = 0; r0 < grid.height; r0 += rows) {
    const r1 = Math.min(grid.height, r0 + rows);
    const views = out.map((a) => a.subarray(r0 * grid.width, r1 * grid.width));
    r.renderRows(r0, r1, views);
  }
  return out;
}

export interface DnRenderOptions extends RenderOptions {
  /** Value -> integer DN (the caller rounds and clamps). */
  toDn: (value: number) => number;
  /** Noise standard deviation for band b at value v; omitted or null: no noise. */
  noiseSd?: ((band: number, value: number) => number) | null;
  /** Seed of the counter-based noise; each band b uses stream noiseIds[b] (default b). */
  noiseSeed?: number;
  noiseIds?: readonly number[];
  progress?: ProgressFn;
  signal?: AbortSignal;
}

/**
 * Renders a scene onto a grid by row blocks and converts to uint16 DN with optional Gaussian sensor noise.
 * Noise is counter-based (seed, band id, pixel index), so results do not depend on the block size.
 */
export function renderDn(scene: Scene, grid: GridSpec, opts: DnRenderOptions): Uint16Array[] {
  const ss = opts.supersample ?? 2;
  const r = new BlockRenderer(scene, grid, opts);
  const { width, height } = grid;
  const nb = scene.nBands;
  const out = Array.from({ length: nb }, () => new Uint16Array(width * height));
  const rows = Math.min(height, blockRows(width * ss * ss, 1 << 20));
  const buf = Array.from({ length: nb }, () => new Float64Array(rows * width));
  const seed = opts.noiseSeed ?? 0;
  for (let r0 = 0; r0 < height; r0 += rows) {
    throwIfAborted(opts.signal);
    const r1 = Math.min(height, r0 + rows);
    r.renderRows(r0, r1, buf);
    const m = (r1 - r0) * width;
    for (let b = 0; b < nb; b++) {
      const src = buf[b]!;
      const dst = out[b]!;
      const id = opts.noiseIds?.[b] ?? b;
      for (let i = 0; i < m; i++) {
        let v = src[i]!;
        const p = r0 * width + i;
        if (opts.noiseSd) v += opts.noiseSd(b, v) * hashGaussian(seed, id, p);
        dst[p] = opts.toDn(v);
      }
    }
    opts.progress?.(r1 / height, `rows ${r1}/${height}`);
  }
  return out;
}
