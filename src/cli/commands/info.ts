/** `gep info FILE`: what a raster file or a sensor product holds, without reading its pixels. */
import { stat } from 'node:fs/promises';
import { invalidInput } from '../../core/errors.ts';
import { openRaster } from '../../raster/open.ts';
import type { RasterInfo } from '../../raster/types.ts';
import { openProduct } from '../../sensors/index.ts';
import type { Product } from '../../sensors/types.ts';
import { acquisitionTimeFromName } from '../../sensors/common.ts';
import { parse } from '../args.ts';
import type { Command } from '../main.ts';

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toPrecision(12).replace(/\.?0+$/, ''));

export function describeRaster(path: string, info: RasterInfo): string {
  const t = info.transform;
  const lines = [
    `File:        ${path}`,
    `Size:        ${info.width} x ${info.height} px, ${info.bandCount} band${info.bandCount > 1 ? 's' : ''}, ${info.dataType}`,
    `Layout:      ${info.tiled ? `tiled ${info.blockWidth}x${info.blockHeight}` : `strips of ${info.blockHeight} rows`}, compression ${info.compression}`,
    `CRS:         ${info.crs?.epsg ? `EPSG:${info.crs.epsg}` : info.crs?.wkt ? info.crs.wkt.slice(0, 80) : info.crs?.proj4 ?? 'none'}`,
  ];
  if (t) {
    lines.push(`Transform:   origin (${fmt(t[0])}, ${fmt(t[3])}), pixel ${fmt(t[1])} x ${fmt(t[5])}` +
      (t[2] || t[4] ? `, rotation (${fmt(t[2])}, ${fmt(t[4])})` : ''));
    const x1 = t[0] + info.width * t[1] + info.height * t[2];
    const y1 = t[3] + info.width * t[4] + info.height * t[5];
    lines.push(`Bounds:      x ${fmt(Math.min(t[0], x1))} .. ${fmt(Math.max(t[0], x1))}, y ${fmt(Math.min(t[3], y1))} .. ${fmt(Math.max(t[3], y1))}`);
  } else lines.push('Transform:   none (not georeferenced)');
  lines.push(`Nodata:      ${info.nodata === null ? 'none' : String(info.nodata)}`);
  lines.push(`Bands:       ${info.bandNames.map((n, i) => `${i + 1}${n ? `:${n}` : ''}`).join(', ')}`);
  lines.push(`Overviews:   ${info.overviews.length ? info.overviews.map((o) => `${o.width}x${o.height}`).join(', ') : 'none'}`);
  const r = info.rpc;
  lines.push(`RPC:         ${r ? `yes (lines ${fmt(r.lineOffset)}±${fmt(r.lineScale)}, samples ${fmt(r.sampOffset)}±${fmt(r.sampScale)}, lat ${fmt(r.latOffset)}, lon ${fmt(r.longOffset)}, h ${fmt(r.heightOffset)} m)` : 'no'}`);
  const when = info.acquisitionTime ?? acquisitionTimeFromName(path);
  lines.push(`Acquired:    ${when ?? 'unknown'}${!info.acquisitionTime && when ? ' (from the file name)' : ''}`);
  return lines.join('\n');
}

export function describeProduct(path: string, p: Product): string {
  const m = p.metadata;
  const lines = [
    `Product:     ${m.productId}`,
    `Path:        ${path}`,
    `Sensor:      ${m.sensor}${m.platform ? ` (${m.platform}${m.instrument ? `, ${m.instrument}` : ''})` : ''}`,
    `Acquired:    ${m.datetime}`,
  ];
  if (m.processingLevel) lines.push(`Level:       ${m.processingLevel}${m.processingBaseline ? `, baseline ${m.processingBaseline}` : ''}`);
  if (m.tileId) lines.push(`Tile:        ${m.tileId}${m.relativeOrbit !== undefined ? `, relative orbit ${m.relativeOrbit}` : ''}`);
  if (m.epsg) lines.push(`CRS:         EPSG:${m.epsg}`);
  if (m.cloudCover !== undefined) lines.push(`Cloud cover: ${fmt(m.cloudCover)} %`);
  if (m.sun) lines.push(`Sun:         zenith ${fmt(m.sun.zenith)}°, azimuth ${fmt(m.sun.azimuth)}°`);
  if (m.view) lines.push(`View:        zenith ${fmt(m.view.zenith)}°, azimuth ${fmt(m.view.azimuth)}°`);
  lines.push(`RPC:         ${m.rpc ? 'yes' : 'no'}`);
  lines.push('Bands:');
  for (const b of p.bands)
    lines.push(`  ${b.name.padEnd(6)} ${String(b.width).padStart(6)} x ${String(b.height).padEnd(6)} ${fmt(b.gsd)} m` +
      `${b.commonName ? `  ${b.commonName}` : ''}${b.scale !== undefined ? `  scale ${fmt(b.scale)}${b.offset ? ` offset ${fmt(b.offset)}` : ''}` : ''}`);
  if (p.masks.length) lines.push(`Masks:       ${p.masks.map((k) => k.name).join(', ')}`);
  return lines.join('\n');
}

export const infoCommand: Command = {
  summary: 'Describe a raster file (GeoTIFF/COG, JPEG2000) or a sensor product (SAFE, DIMAP, Landsat MTL)',
  usage: 'gep info FILE [--json]\n\n  FILE     a .tif/.jp2 file, an http(s) URL of a COG, a .SAFE folder or zip, a DIM_*.XML, an *_MTL.txt\n  --json   print JSON instead of text',
  async run(args) {
    const { values, positionals } = parse(args, { json: { type: 'boolean' } });
    if (positionals.length !== 1) throw invalidInput('gep info takes exactly one FILE');
    const path = positionals[0]!;
    const isUrl = /^https?:\/\//i.test(path);
    const isDir = !isUrl && (await stat(path).catch(() => null))?.isDirectory();
    const asProduct = isDir || /\.(zip|xml|txt|json)$/i.test(path);
    if (asProduct) {
      const p = await openProduct(path);
      try {
        process.stdout.write(values.json ? `${JSON.stringify(p.toStacItem(), null, 2)}\n` : `${describeProduct(path, p)}\n`);
      } finally {
        await p.close();
      }
      return 0;
    }
    const r = await openRaster(path);
    try {
      process.stdout.write(values.json ? `${JSON.stringify(r.info, null, 2)}\n` : `${describeRaster(path, r.info)}\n`);
    } finally {
      await r.close();
    }
    return 0;
  },
};
