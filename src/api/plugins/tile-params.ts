/**
 * Query and path parameters of the tile, preview and TileJSON routes. Every failure is GEP_ERR_INVALID_INPUT
 * naming the parameter (HTTP 400). Band numbers are 1-based in URLs (as GDAL and titiler's `bidx`) and
 * zero-based after parsing.
 */
import { invalidInput } from '../../core/errors.ts';
import { getColormap } from '../../raster/colormap.ts';
import type { Resampling } from '../../raster/warp.ts';

export type Query = Record<string, string | string[] | undefined>;

export interface StyleParams {
  bands?: number[];
  rescale?: [number, number][];
  colormap?: string;
  nodata?: number | null;
  resampling?: Resampling;
}

const bad = (parameter: string, msg: string): Error => invalidInput(`${parameter}: ${msg}`, { parameter });

/** A single-valued parameter (repeating it is an error). */
export function single(q: Query, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) throw bad(name, 'given more than once');
  return v;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function num(parameter: string, s: string): number {
  const t = s.trim();
  if (!NUMBER.test(t)) throw bad(parameter, `expected a number, got '${s.slice(0, 40)}'`);
  return Number(t);
}

/** The asset href to render (as stored, a blob key, or this server's `<base>/assets/<key>`): required, at most 4096 characters, no control characters. */
export function parseUrl(q: Query): string {
  const url = single(q, 'url');
  if (url === undefined || url === '') throw bad('url', 'required (the href of a catalogue asset or a blob key)');
  if (url.length > 4096) throw bad('url', 'longer than 4096 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(url)) throw bad('url', 'contains control characters');
  return url;
}

/** A path segment that must be a non-negative integer (z, x, y). */
export function parseIndex(name: string, s: string): number {
  if (!/^\d{1,10}$/.test(s)) throw bad(name, `expected a non-negative integer, got '${s.slice(0, 40)}'`);
  return Number(s);
}

export function parseStyle(q: Query): StyleParams {
  const out: StyleParams = {};
  const bands = single(q, 'bands');
  if (bands !== undefined) {
    const parts = bands.split(',');
    if (parts.length !== 1 && parts.length !== 3) throw bad('bands', `expected 1 or 3 band numbers (e.g. 1 or 3,2,1), got '${bands.slice(0, 40)}'`);
    out.bands = parts.map((p) => {
      if (!/^\s*\d{1,5}\s*$/.test(p) || Number(p) < 1) throw bad('bands', `band numbers start at 1, got '${p.slice(0, 40)}'`);
      return Number(p) - 1;
    });
  }
  const rs = q.rescale;
  if (rs !== undefined) {
    const list = (Array.isArray(rs) ? rs : [rs]).flatMap((s) => s.split(';'));
    if (list.length !== 1 && list.length !== 3) throw bad('rescale', 'expected one min,max pair or one per band (3)');
    out.rescale = list.map((s) => {
      const p = s.split(',');
      if (p.length !== 2) throw bad('rescale', `expected min,max, got '${s.slice(0, 60)}'`);
      const lo = num('rescale', p[0]!);
      const hi = num('rescale', p[1]!);
      if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo === hi) throw bad('rescale', `min and max must be finite and differ, got '${s.slice(0, 60)}'`);
      return [lo, hi];
    });
  }
  const cm = single(q, 'colormap');
  if (cm !== undefined) {
    getColormap(cm);
    out.colormap = cm;
  }
  const nd = single(q, 'nodata');
  if (nd !== undefined) {
    const l = nd.trim().toLowerCase();
    out.nodata = l === 'nan' ? NaN : l === 'none' ? null : num('nodata', nd);
  }
  const rm = single(q, 'resampling');
  if (rm !== undefined) {
    if (rm !== 'nearest' && rm !== 'bilinear' && rm !== 'cubic') throw bad('resampling', `expected nearest, bilinear or cubic, got '${rm.slice(0, 40)}'`);
    out.resampling = rm;
  }
  if (out.colormap !== undefined && out.bands && out.bands.length !== 1) throw bad('colormap', 'applies to a single band only');
  if (out.rescale && out.bands && out.rescale.length !== 1 && out.rescale.length !== out.bands.length)
    throw bad('rescale', `expected 1 or ${out.bands.length} min,max pairs`);
  return out;
}

/** max_size of /preview.png: an integer in [16, 4096], default 1024. */
export function parseMaxSize(q: Query): number {
  const s = single(q, 'max_size');
  if (s === undefined) return 1024;
  if (!/^\d{1,5}$/.test(s) || Number(s) < 16 || Number(s) > 4096) throw bad('max_size', `expected an integer in [16, 4096], got '${s.slice(0, 40)}'`);
  return Number(s);
}

/** The style parameters of a query, re-encoded for a tile URL template (only those given, in a fixed order). */
export function styleQueryString(q: Query): string {
  const parts: string[] = [];
  for (const k of ['bands', 'rescale', 'colormap', 'nodata', 'resampling']) {
    const v = q[k];
    for (const s of Array.isArray(v) ? v : v === undefined ? [] : [v]) parts.push(`${k}=${encodeURIComponent(s)}`);
  }
  return parts.join('&');
}

/** OpenAPI 3.0 parameters shared by the tile routes. */
export const STYLE_PARAMETERS = {
  url: {
    name: 'url',
    in: 'query',
    required: true,
    description: "The href of a catalogue asset as the STAC API shows it (this server's /assets/<key> URLs included) or as stored, or a blob key.",
    schema: { type: 'string' },
  },
  bands: { name: 'bands', in: 'query', description: 'Band numbers from 1: one (colour-mapped) or three (red,green,blue).', schema: { type: 'string', example: '1' } },
  rescale: {
    name: 'rescale',
    in: 'query',
    description: 'min,max mapped to the ends of the colour map; once, or once per band. Default 0,255 for bytes, else the 2-98 % percentiles.',
    schema: { type: 'string', example: '-2,2' },
  },
  colormap: {
    name: 'colormap',
    in: 'query',
    description: 'Colour map of a single band: gray, viridis, magma, RdBu, terrain; _r reverses it.',
    schema: { type: 'string', default: 'gray' },
  },
  nodata: { name: 'nodata', in: 'query', description: "Overrides the file's nodata value (a number, nan or none).", schema: { type: 'string' } },
  resampling: { name: 'resampling', in: 'query', schema: { type: 'string', enum: ['nearest', 'bilinear', 'cubic'], default: 'nearest' } },
} as const;
