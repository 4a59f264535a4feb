/**
 * GDAL's private TIFF tags and the small text/number tags of the COG writer.
 *
 * - GDAL_METADATA (42112): `<GDALMetadata><Item name="K">v</Item>...</GDALMetadata>`; band items carry
 *   `sample="i"` (zero-based band) and band descriptions `role="description"` (GDAL GTiff driver docs).
 * - GDAL_NODATA (42113): the nodata value as ASCII; "nan", "inf", "-inf" for non-finite values.
 * - RPCCoefficientTag (50844): 92 doubles, http://geotiff.maptools.org/rpc_prop.html (ERR_BIAS, ERR_RAND,
 *   LINE_OFF, SAMP_OFF, LAT_OFF, LONG_OFF, HEIGHT_OFF, LINE_SCALE, SAMP_SCALE, LAT_SCALE, LONG_SCALE,
 *   HEIGHT_SCALE, then 20 coefficients each of LINE_NUM, LINE_DEN, SAMP_NUM, SAMP_DEN).
 * - DateTime (306): "YYYY:MM:DD HH:MM:SS" (TIFF 6.0), written in UTC.
 */
import { invalidInput } from '../../core/errors.ts';
import type { RpcModel } from '../types.ts';

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** GDAL_METADATA XML, or null when there is nothing to write. Dataset items first, then band descriptions. */
export function gdalMetadataXml(metadata: Record<string, string>, bandNames: string[]): string | null {
  const items: string[] = [];
  for (const [k, v] of Object.entries(metadata)) items.push(`  <Item name="${escapeXml(k)}">${escapeXml(v)}</Item>`);
  bandNames.forEach((name, i) => {
    if (name) items.push(`  <Item name="DESCRIPTION" sample="${i}" role="description">${escapeXml(name)}</Item>`);
  });
  if (items.length === 0) return null;
  return `<GDALMetadata>\n${items.join('\n')}\n</GDALMetadata>`;
}

/** GDAL_NODATA text: integers as integers, floats in the shortest round-trip form, non-finite as GDAL spells them. */
export function nodataText(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

/** The 92 doubles of tag 50844; unknown ERR_BIAS / ERR_RAND are written as -1 (unknown, as in RPC00B). */
export function rpcTagValues(rpc: RpcModel, what = 'rpc'): number[] {
  const coeffs = [rpc.lineNumCoeff, rpc.lineDenCoeff, rpc.sampNumCoeff, rpc.sampDenCoeff];
  coeffs.forEach((c, i) => {
    if (c.length !== 20 || c.some((x) => !Number.isFinite(x)))
      throw invalidInput(`${what}: coefficient array ${i} must hold 20 finite numbers, got ${c.length}`);
  });
  const head = [
    rpc.errBias ?? -1,
    rpc.errRand ?? -1,
    rpc.lineOffset,
    rpc.sampOffset,
    rpc.latOffset,
    rpc.longOffset,
    rpc.heightOffset,
    rpc.lineScale,
    rpc.sampScale,
    rpc.latScale,
    rpc.longScale,
    rpc.heightScale,
  ];
  if (head.some((x) => !Number.isFinite(x))) throw invalidInput(`${what}: offsets and scales must be finite numbers`);
  return [...head, ...coeffs.flat()];
}

/** ISO 8601 -> TIFF DateTime "YYYY:MM:DD HH:MM:SS" (UTC). Throws GEP_ERR_INVALID_INPUT for unparsable input. */
export function tiffDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw invalidInput(`datetime: expected an ISO 8601 date, got "${iso}"`);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `${p(d.getUTCFullYear(), 4)}:${p(d.getUTCMonth() + 1)}:${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`
  );
}
