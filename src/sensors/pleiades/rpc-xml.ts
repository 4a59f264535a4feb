/**
 * Pléiades / SPOT 6-7 RPC files (DIMAP V2 RPC_*.XML) to and from our RpcModel.
 *
 * The ground -> image model is Rational_Function_Model/Global_RFM/Inverse_Model (SAMP_/LINE_ NUM/DEN _COEFF_1..20
 * in RPC00B term order) with offsets and scales in Global_RFM/RFM_Validity. DIMAP image coordinates are 1-based
 * (centre of the first pixel = (1, 1)); the RpcModel follows the GeoTIFF RPC tag (centre of the first pixel =
 * (0, 0); see src/algorithms/stereo/rpc.ts), so 1 is subtracted from SAMP_OFF and LINE_OFF here (as GDAL and OTB
 * do). Also read: the older internal PHR_Dimap_Document layout (Geoposition/Rational_Sensor_Model, F_COL/F_ROW with
 * 20 numerator then 20 denominator coefficients, A = scale and B = offset in RFM_Validity).
 * Reference: Airbus DS, "Pléiades Imagery User Guide", appendix on the RPC model (DIMAP V2).
 */
import { corruptFile, GepError } from '../../core/errors.ts';
import { validateRpc } from '../../algorithms/stereo/rpc.ts';
import type { RpcModel } from '../../raster/types.ts';
import { child, findFirst, numberAt, optionalNumberAt, parseXml, requireTextAt } from '../xml.ts';
import type { XmlValue } from '../xml.ts';

/** Offset of DIMAP image coordinates relative to the RPC-tag convention (DIMAP = tag + 1). */
export const DIMAP_PIXEL_ORIGIN = 1;

function coeffs(model: XmlValue, prefix: string, file: string, where: string): number[] {
  const out: number[] = [];
  for (let i = 1; i <= 20; i++) out.push(numberAt(model, `${prefix}_${i}`, `${file} (${where})`));
  return out;
}

function coeffList(model: XmlValue | undefined, tag: string, file: string): [number[], number[]] {
  const t = requireTextAt(model, tag, file);
  const v = t.split(/\s+/).map(Number);
  if (v.length !== 40 || v.some((x) => !Number.isFinite(x)))
    throw corruptFile(file, `${tag} must hold 40 numbers, got ${v.length}`, { element: tag });
  return [v.slice(0, 20), v.slice(20)];
}

function finish(rpc: RpcModel, file: string): RpcModel {
  try {
    validateRpc(rpc, file);
  } catch (e) {
    if (e instanceof GepError) throw new GepError('GEP_ERR_CORRUPT_FILE', e.message, { file, ...e.details });
    throw e;
  }
  return rpc;
}

/** Reads the RPC of a Pléiades RPC_*.XML (DIMAP V2) or of an internal PHR_Dimap_Document. */
export function parseDimapRpcXml(xml: string, name = 'RPC XML'): RpcModel {
  const doc = parseXml(xml, name);
  const root = child(doc, 'Dimap_Document') ?? child(doc, 'PHR_Dimap_Document');
  if (!root) throw corruptFile(name, 'not a DIMAP document (no Dimap_Document root)');
  const rfm = findFirst(root, 'Global_RFM');
  if (!rfm) throw corruptFile(name, 'missing required element <Global_RFM>', { element: 'Global_RFM' });
  const val = child(rfm, 'RFM_Validity');
  if (!val) throw corruptFile(name, 'missing required element <Global_RFM/RFM_Validity>', { element: 'Global_RFM/RFM_Validity' });
  const inv = child(rfm, 'Inverse_Model');
  if (!inv) throw corruptFile(name, 'missing required element <Global_RFM/Inverse_Model>', { element: 'Global_RFM/Inverse_Model' });

  if (child(inv, 'F_COL')) {
    // Internal layout: col = F_COL(lon, lat, alt) * Col/A + Col/B, and so on (1-based image coordinates).
    const [sampNumCoeff, sampDenCoeff] = coeffList(inv, 'F_COL', name);
    const [lineNumCoeff, lineDenCoeff] = coeffList(inv, 'F_ROW', name);
    return finish(
      {
        longScale: numberAt(val, 'Lon/A', name),
        longOffset: numberAt(val, 'Lon/B', name),
        latScale: numberAt(val, 'Lat/A', name),
        latOffset: numberAt(val, 'Lat/B', name),
        heightScale: numberAt(val, 'Alt/A', name),
        heightOffset: numberAt(val, 'Alt/B', name),
        sampScale: numberAt(val, 'Col/A', name),
        sampOffset: numberAt(val, 'Col/B', name) - DIMAP_PIXEL_ORIGIN,
        lineScale: numberAt(val, 'Row/A', name),
        lineOffset: numberAt(val, 'Row/B', name) - DIMAP_PIXEL_ORIGIN,
        sampNumCoeff,
        sampDenCoeff,
        lineNumCoeff,
        lineDenCoeff,
      },
      name,
    );
  }

  const where = 'Global_RFM/Inverse_Model';
  const rpc: RpcModel = {
    longScale: numberAt(val, 'LONG_SCALE', name),
    longOffset: numberAt(val, 'LONG_OFF', name),
    latScale: numberAt(val, 'LAT_SCALE', name),
    latOffset: numberAt(val, 'LAT_OFF', name),
    heightScale: numberAt(val, 'HEIGHT_SCALE', name),
    heightOffset: numberAt(val, 'HEIGHT_OFF', name),
    sampScale: numberAt(val, 'SAMP_SCALE', name),
    sampOffset: numberAt(val, 'SAMP_OFF', name) - DIMAP_PIXEL_ORIGIN,
    lineScale: numberAt(val, 'LINE_SCALE', name),
    lineOffset: numberAt(val, 'LINE_OFF', name) - DIMAP_PIXEL_ORIGIN,
    sampNumCoeff: coeffs(inv, 'SAMP_NUM_COEFF', name, where),
    sampDenCoeff: coeffs(inv, 'SAMP_DEN_COEFF', name, where),
    lineNumCoeff: coeffs(inv, 'LINE_NUM_COEFF', name, where),
    lineDenCoeff: coeffs(inv, 'LINE_DEN_COEFF', name, where),
  };
  const bias = optionalNumberAt(inv, 'ERR_BIAS_ROW');
  if (bias !== undefined) rpc.errBias = bias;
  return finish(rpc, name);
}

const num = (v: number): string => {
  const s = String(v);
  return s === '-0' ? '0' : s;
};

/**
 * Writes a DIMAP V2 RPC_*.XML for `rpc` (1-based offsets). `direct` optionally gives the image -> ground model
 * (lon/lat = f(samp, line, h)) written to Direct_Model; `validity` the image and ground validity domain.
 */
export function formatDimapRpcXml(
  rpc: RpcModel,
  opts: {
    direct?: { lonNum: number[]; lonDen: number[]; latNum: number[]; latDen: number[] };
    validity?: { firstRow: number; firstCol: number; lastRow: number; lastCol: number; firstLon: number; firstLat: number; lastLon: number; lastLat: number };
  } = {},
): string {
  const lines: string[] = [];
  const co = (indent: string, prefix: string, c: number[]): void => {
    c.forEach((v, i) => lines.push(`${indent}<${prefix}_${i + 1}>${num(v)}</${prefix}_${i + 1}>`));
  };
  lines.push('<?xml version="1.0" encoding="UTF-8" standalone="no"?>', '<Dimap_Document>', '  <Metadata_Identification>');
  lines.push('    <METADATA_FORMAT version="2.0">DIMAP</METADATA_FORMAT>', '    <METADATA_PROFILE>PHR_SENSOR</METADATA_PROFILE>');
  lines.push('    <METADATA_SUBPROFILE>RPC</METADATA_SUBPROFILE>', '    <METADATA_LANGUAGE>en</METADATA_LANGUAGE>', '  </Metadata_Identification>');
  lines.push('  <Rational_Function_Model>', '    <Resource_Reference>', '      <RESOURCE_TITLE version="2.1">NITF</RESOURCE_TITLE>');
  lines.push('      <RESOURCE_ID>RPC00B</RESOURCE_ID>', '    </Resource_Reference>', '    <Global_RFM>', '      <Direct_Model>');
  if (opts.direct) {
    // As in delivered Pléiades RPC files: the direct model's lon/lat functions are tagged SAMP_ and LINE_.
    co('        ', 'SAMP_NUM_COEFF', opts.direct.lonNum);
    co('        ', 'SAMP_DEN_COEFF', opts.direct.lonDen);
    co('        ', 'LINE_NUM_COEFF', opts.direct.latNum);
    co('        ', 'LINE_DEN_COEFF', opts.direct.latDen);
  }
  lines.push('        <ERR_BIAS_X>0</ERR_BIAS_X>', '        <ERR_BIAS_Y>0</ERR_BIAS_Y>', '      </Direct_Model>', '      <Inverse_Model>');
  co('        ', 'SAMP_NUM_COEFF', rpc.sampNumCoeff);
  co('        ', 'SAMP_DEN_COEFF', rpc.sampDenCoeff);
  co('        ', 'LINE_NUM_COEFF', rpc.lineNumCoeff);
  co('        ', 'LINE_DEN_COEFF', rpc.lineDenCoeff);
  if (rpc.errBias !== undefined)
    lines.push(`        <ERR_BIAS_ROW>${num(rpc.errBias)}</ERR_BIAS_ROW>`, `        <ERR_BIAS_COL>${num(rpc.errBias)}</ERR_BIAS_COL>`);
  lines.push('      </Inverse_Model>', '      <RFM_Validity>');
  const v = opts.validity;
  if (v) {
    lines.push('        <Direct_Model_Validity_Domain>');
    lines.push(`          <FIRST_ROW>${num(v.firstRow)}</FIRST_ROW>`, `          <FIRST_COL>${num(v.firstCol)}</FIRST_COL>`);
    lines.push(`          <LAST_ROW>${num(v.lastRow)}</LAST_ROW>`, `          <LAST_COL>${num(v.lastCol)}</LAST_COL>`);
    lines.push('        </Direct_Model_Validity_Domain>', '        <Inverse_Model_Validity_Domain>');
    lines.push(`          <FIRST_LON>${num(v.firstLon)}</FIRST_LON>`, `          <FIRST_LAT>${num(v.firstLat)}</FIRST_LAT>`);
    lines.push(`          <LAST_LON>${num(v.lastLon)}</LAST_LON>`, `          <LAST_LAT>${num(v.lastLat)}</LAST_LAT>`);
    lines.push('        </Inverse_Model_Validity_Domain>');
  }
  lines.push(`        <LONG_SCALE>${num(rpc.longScale)}</LONG_SCALE>`, `        <LONG_OFF>${num(rpc.longOffset)}</LONG_OFF>`);
  lines.push(`        <LAT_SCALE>${num(rpc.latScale)}</LAT_SCALE>`, `        <LAT_OFF>${num(rpc.latOffset)}</LAT_OFF>`);
  lines.push(`        <HEIGHT_SCALE>${num(rpc.heightScale)}</HEIGHT_SCALE>`, `        <HEIGHT_OFF>${num(rpc.heightOffset)}</HEIGHT_OFF>`);
  lines.push(`        <SAMP_SCALE>${num(rpc.sampScale)}</SAMP_SCALE>`, `        <SAMP_OFF>${num(rpc.sampOffset + DIMAP_PIXEL_ORIGIN)}</SAMP_OFF>`);
  lines.push(`        <LINE_SCALE>${num(rpc.lineScale)}</LINE_SCALE>`, `        <LINE_OFF>${num(rpc.lineOffset + DIMAP_PIXEL_ORIGIN)}</LINE_OFF>`);
  lines.push('      </RFM_Validity>', '    </Global_RFM>', '  </Rational_Function_Model>', '</Dimap_Document>', '');
  return lines.join('\n');
}
