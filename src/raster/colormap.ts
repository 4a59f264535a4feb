/**
 * Named colour maps for map tiles and previews, value rescaling, and legend descriptions.
 *
 * A colour map is a 256-entry RGBA lookup table (LUT) built by linear interpolation in sRGB between anchor
 * colours sampled at equal steps. Anchors: `gray` (black to white); `viridis` and `magma` (the perceptually
 * uniform maps of van der Walt & Smith, matplotlib 1.5; 9 samples each); `RdBu` (ColorBrewer 11-class diverging,
 * Brewer 2003, red for low values, white at the middle, blue for high values: for displacement with a rescale
 * symmetric about 0); `terrain` (sea blues, lowland greens, highland browns, white peaks). Any name with `_r`
 * appended is the reversed map.
 *
 * Rescale: a value v maps to LUT index round(255 * (v - min) / (max - min)), clamped to [0, 255]; so a grey
 * level g decodes back to min + g * (max - min) / 255, within half a step of (max - min) / 255.
 */
import { invalidInput } from '../core/errors.ts';
import type { TypedArray } from './types.ts';

const ANCHORS: Record<string, { stops: string[]; kind: 'sequential' | 'diverging' }> = {
  gray: { stops: ['#000000', '#ffffff'], kind: 'sequential' },
  viridis: {
    stops: ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'],
    kind: 'sequential',
  },
  magma: {
    stops: ['#000004', '#1c1044', '#4f127b', '#812581', '#b5367a', '#e55064', '#fb8761', '#fec287', '#fcfdbf'],
    kind: 'sequential',
  },
  RdBu: {
    stops: ['#67001f', '#b2182b', '#d6604d', '#f4a582', '#fddbc7', '#f7f7f7', '#d1e5f0', '#92c5de', '#4393c3', '#2166ac', '#053061'],
    kind: 'diverging',
  },
  terrain: {
    stops: ['#333399', '#1177dd', '#00bbaa', '#33cc66', '#99dd77', '#ffff99', '#ccb27a', '#99745e', '#8c6f66', '#c6b7b3', '#ffffff'],
    kind: 'sequential',
  },
};

/** Names accepted by getColormap (each also with `_r` for the reversed map). */
export const COLORMAP_NAMES: readonly string[] = Object.keys(ANCHORS);

export interface Colormap {
  name: string;
  kind: 'sequential' | 'diverging';
  /** 256 x RGBA, opaque. */
  lut: Uint8Array;
}

const cache = new Map<string, Colormap>();

function hexToRgb(h: string): [number, number, number] {
  return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
}

function buildLut(stops: string[], reverse: boolean): Uint8Array {
  const rgb = (reverse ? [...stops].reverse() : stops).map(hexToRgb);
  const lut = new Uint8Array(256 * 4);
  const segs = rgb.length - 1;
  for (let i = 0; i < 256; i++) {
    const f = (i / 255) * segs;
    const k = Math.min(segs - 1, Math.floor(f));
    const t = f - k;
    const a = rgb[k]!;
    const b = rgb[k + 1]!;
    for (let c = 0; c < 3; c++) lut[i * 4 + c] = Math.round(a[c]! + (b[c]! - a[c]!) * t);
    lut[i * 4 + 3] = 255;
  }
  return lut;
}

/** True when `name` (optionally suffixed `_r`) is a known colour map. */
export function isColormap(name: string): boolean {
  return Object.hasOwn(ANCHORS, name.endsWith('_r') ? name.slice(0, -2) : name);
}

/** The colour map called `name`; throws GEP_ERR_INVALID_INPUT naming the known maps otherwise. */
export function getColormap(name: string): Colormap {
  const hit = cache.get(name);
  if (hit) return hit;
  const reverse = name.endsWith('_r');
  const base = reverse ? name.slice(0, -2) : name;
  const def = Object.hasOwn(ANCHORS, base) ? ANCHORS[base] : undefined;
  if (!def)
    throw invalidInput(`colormap '${name.slice(0, 64)}' is unknown; expected one of ${COLORMAP_NAMES.join(', ')} (optionally with _r)`, {
      parameter: 'colormap',
    });
  const cm: Colormap = { name, kind: def.kind, lut: buildLut(def.stops, reverse) };
  cache.set(name, cm);
  return cm;
}

/** Checks a rescale range: finite numbers with min != max. */
export function checkRescale(range: readonly [number, number], what = 'rescale'): void {
  const [lo, hi] = range;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo === hi)
    throw invalidInput(`${what}: expected two different finite numbers min,max, got ${lo},${hi}`, { parameter: 'rescale' });
}

export interface ColorizeOptions {
  /** One [min, max] per band (1 or 3 bands); values outside are clamped. */
  rescale: readonly (readonly [number, number])[];
  /** Colour map for a single band (default gray); not allowed with 3 bands. */
  colormap?: Colormap;
  /** Value marking invalid samples besides NaN (null: none). */
  nodata?: number | null;
}

/**
 * RGBA pixels (length n*4) from 1 band through a colour map, or from 3 bands as red, green, blue, each rescaled.
 * A pixel is transparent (all four bytes 0) where any band is NaN or equals `nodata`.
 */
export function colorize(bands: readonly TypedArray[], n: number, opts: ColorizeOptions): Uint8Array {
  if (bands.length !== 1 && bands.length !== 3) throw invalidInput(`colorize: needs 1 or 3 bands, got ${bands.length}`, { parameter: 'bands' });
  if (opts.rescale.length !== bands.length)
    throw invalidInput(`colorize: needs one rescale range per band (${bands.length}), got ${opts.rescale.length}`, { parameter: 'rescale' });
  if (bands.length === 3 && opts.colormap) throw invalidInput('colormap applies to a single band, not to 3 bands', { parameter: 'colormap' });
  for (const b of bands) if (b.length < n) throw new RangeError(`colorize: band has ${b.length} samples, expected ${n}`);
  opts.rescale.forEach((r) => checkRescale(r));
  const nodata = opts.nodata ?? null;
  const out = new Uint8Array(n * 4);
  if (bands.length === 1) {
    const a = bands[0]!;
    const lut = (opts.colormap ?? getColormap('gray')).lut;
    const [lo, hi] = opts.rescale[0]!;
    const k = 255 / (hi - lo);
    for (let i = 0; i < n; i++) {
      const v = a[i]!;
      if (v !== v || v === nodata) continue;
      let g = Math.round((v - lo) * k);
      g = g < 0 ? 0 : g > 255 ? 255 : g;
      const o = i * 4;
      const l = g * 4;
      out[o] = lut[l]!;
      out[o + 1] = lut[l + 1]!;
      out[o + 2] = lut[l + 2]!;
      out[o + 3] = 255;
    }
    return out;
  }
  for (let c = 0; c < 3; c++) {
    const a = bands[c]!;
    const [lo, hi] = opts.rescale[c]!;
    const k = 255 / (hi - lo);
    for (let i = 0; i < n; i++) {
      const v = a[i]!;
      let g = Math.round((v - lo) * k);
      g = g < 0 ? 0 : g > 255 ? 255 : g;
      out[i * 4 + c] = g;
    }
  }
  for (let i = 0; i < n; i++) {
    const r = bands[0]![i]!;
    const g = bands[1]![i]!;
    const b = bands[2]![i]!;
    const valid = r === r && g === g && b === b && r !== nodata && g !== nodata && b !== nodata;
    const o = i * 4;
    if (valid) out[o + 3] = 255;
    else out[o] = out[o + 1] = out[o + 2] = 0;
  }
  return out;
}

/**
 * [low, high] percentiles (0..100) of the valid samples (not NaN, not `nodata`) of `a`, from a systematic subset
 * of at most `maxSamples` values; null when no sample is valid. A constant band gives low === high.
 */
export function percentileRange(a: TypedArray, nodata: number | null, low = 2, high = 98, maxSamples = 65536): [number, number] | null {
  const step = Math.max(1, Math.floor(a.length / maxSamples));
  const vals = new Float64Array(Math.ceil(a.length / step));
  let m = 0;
  for (let i = 0; i < a.length; i += step) {
    const v = a[i]!;
    if (v === v && v !== nodata && Number.isFinite(v)) vals[m++] = v;
  }
  if (m === 0) return null;
  const s = vals.subarray(0, m).sort();
  const at = (p: number): number => s[Math.min(m - 1, Math.max(0, Math.round((p / 100) * (m - 1))))]!;
  return [at(low), at(high)];
}

export interface LegendStop {
  value: number;
  /** #rrggbb */
  color: string;
}

/** What a map client needs to draw a continuous legend: the map, its value range, and evenly spaced colour stops. */
export interface Legend {
  colormap: string;
  kind: 'sequential' | 'diverging';
  min: number;
  max: number;
  stops: LegendStop[];
}

/** A legend of `steps` (default 11, at least 2) stops from min to max for the named map. */
export function legend(name: string, min: number, max: number, steps = 11): Legend {
  checkRescale([min, max]);
  if (!Number.isInteger(steps) || steps < 2 || steps > 256) throw invalidInput(`legend steps must be an integer in [2, 256], got ${steps}`);
  const cm = getColormap(name);
  const hex = (x: number): string => x.toString(16).padStart(2, '0');
  const stops: LegendStop[] = [];
  for (let s = 0; s < steps; s++) {
    const f = s / (steps - 1);
    const i = Math.round(f * 255) * 4;
    stops.push({ value: min + f * (max - min), color: `#${hex(cm.lut[i]!)}${hex(cm.lut[i + 1]!)}${hex(cm.lut[i + 2]!)}` });
  }
  return { colormap: name, kind: cm.kind, min, max, stops };
}
