/**
 * Georeferencing of JP2 files, read and written:
 * - GeoJP2: a 'uuid' box (UUID b14bf8bd-083d-4b43-a5ae-8cd7d5a6ce03) holding a 1x1 GeoTIFF whose tags carry the
 *   transform and GeoKeys (GeoJP2 1.0, Mapping Science 2004). We read it with our GeoTIFF reader.
 * - GMLJP2 (OGC 05-047r3 v1 and 08-085r4 v2): an 'asoc' box labelled 'gml.data' whose XML holds a
 *   gml:RectifiedGrid: origin = centre of pixel (0, 0), offsetVectors = column and row steps, srsName = EPSG.
 * Priority when both exist is GeoJP2 then GMLJP2, as in GDAL (GDAL_GEOREF_SOURCES default).
 */
import { XMLParser } from 'fast-xml-parser';
import type { Crs, GeoTransform } from '../types.ts';
import { FIELD_TYPE, GEOKEY, MODEL_TYPE, RASTER_TYPE, TAG } from '../tiff/tags.ts';

export const GEOJP2_UUID = 'b14bf8bd083d4b43a5ae8cd7d5a6ce03';

export interface Georef {
  transform: GeoTransform;
  crs: Crs | null;
  source: 'GeoJP2' | 'GMLJP2';
}

/** EPSG code from the srsName spellings in use (URN, OGC URL, EPSG:n, epsg.xml#n), else null. */
export function epsgFromSrsName(srs: string): number | null {
  const m =
    /^urn:ogc:def:crs:EPSG:[\d.]*:(\d+)$/i.exec(srs) ??
    /\/def\/crs\/EPSG\/[^/]+\/(\d+)$/i.exec(srs) ??
    /^EPSG:(\d+)$/i.exec(srs) ??
    /epsg\.xml#(\d+)$/i.exec(srs);
  return m ? Number(m[1]) : null;
}

/** EPSG 4000-4999 are geographic 2D CRSs whose authority axis order is latitude, longitude. */
const isLatLonOrder = (epsg: number, srs: string): boolean => epsg >= 4000 && epsg < 5000 && !/^EPSG:/i.test(srs);

type XmlNode = Record<string, unknown>;

function findKey(node: unknown, key: string, depth = 0): unknown {
  if (depth > 64 || node === null || typeof node !== 'object') return undefined;
  if (Array.isArray(node)) {
    for (const n of node) {
      const r = findKey(n, key, depth + 1);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  const obj = node as XmlNode;
  if (key in obj) return obj[key];
  for (const v of Object.values(obj)) {
    const r = findKey(v, key, depth + 1);
    if (r !== undefined) return r;
  }
  return undefined;
}

const textOf = (v: unknown): string =>
  typeof v === 'string' ? v : v && typeof v === 'object' && '#text' in v ? String((v as XmlNode)['#text']) : '';
const attrOf = (v: unknown, a: string): string =>
  v && typeof v === 'object' && `@_${a}` in v ? String((v as XmlNode)[`@_${a}`]) : '';
const numbers = (s: string): number[] => s.trim().split(/\s+/).map(Number);

/** Parses a GMLJP2 XML document; null when it has no usable RectifiedGrid. */
export function parseGmlJp2(xml: string): Georef | null {
  const parser = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, parseTagValue: false });
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch {
    return null;
  }
  const grid = findKey(doc, 'RectifiedGrid');
  if (!grid || typeof grid !== 'object') return null;
  const g = (Array.isArray(grid) ? grid[0] : grid) as XmlNode;
  const point = findKey(g['origin'], 'Point') as XmlNode | undefined;
  const posNode = point ? (point['pos'] ?? point['coordinates']) : undefined;
  const origin = numbers(textOf(posNode));
  const vectors = Array.isArray(g['offsetVector']) ? (g['offsetVector'] as unknown[]) : [];
  if (origin.length < 2 || vectors.length < 2 || origin.some((v) => !Number.isFinite(v))) return null;
  const v1 = numbers(textOf(vectors[0]));
  const v2 = numbers(textOf(vectors[1]));
  if (v1.length < 2 || v2.length < 2 || [...v1, ...v2].some((v) => !Number.isFinite(v))) return null;
  const srs = attrOf(point, 'srsName') || attrOf(vectors[0], 'srsName') || attrOf(g, 'srsName');
  const epsg = srs ? epsgFromSrsName(srs) : null;
  let [ox, oy] = [origin[0]!, origin[1]!];
  let [ax, ay, bx, by] = [v1[0]!, v1[1]!, v2[0]!, v2[1]!];
  if (epsg !== null && isLatLonOrder(epsg, srs)) {
    [ox, oy, ax, ay, bx, by] = [oy, ox, ay, ax, by, bx];
  }
  // GML grid origin is the centre of pixel (0,0); GDAL-order transforms use its top-left corner.
  const transform: GeoTransform = [ox - 0.5 * (ax + bx), ax, bx, oy - 0.5 * (ay + by), ay, by];
  return { transform, crs: epsg !== null ? { epsg } : null, source: 'GMLJP2' };
}

/** GMLJP2 v1 document for a north-up or rotated grid (what GDAL writes and reads). */
export function buildGmlJp2(width: number, height: number, t: GeoTransform, epsg: number): string {
  const srs = `urn:ogc:def:crs:EPSG::${epsg}`;
  const flip = isLatLonOrder(epsg, srs);
  const pair = (x: number, y: number): string => (flip ? `${y} ${x}` : `${x} ${y}`);
  const ox = t[0] + 0.5 * (t[1] + t[2]);
  const oy = t[3] + 0.5 * (t[4] + t[5]);
  const xs = [t[0], t[0] + width * t[1], t[0] + height * t[2], t[0] + width * t[1] + height * t[2]];
  const ys = [t[3], t[3] + width * t[4], t[3] + height * t[5], t[3] + width * t[4] + height * t[5]];
  return `<gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml"
   xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
   xsi:schemaLocation="http://www.opengis.net/gml http://schemas.opengis.net/gml/3.1.1/profiles/gmlJP2Profile/1.0.0/gmlJP2Profile.xsd">
  <gml:boundedBy>
    <gml:Envelope srsName="${srs}">
      <gml:lowerCorner>${pair(Math.min(...xs), Math.min(...ys))}</gml:lowerCorner>
      <gml:upperCorner>${pair(Math.max(...xs), Math.max(...ys))}</gml:upperCorner>
    </gml:Envelope>
  </gml:boundedBy>
  <gml:featureMember>
    <gml:FeatureCollection>
      <gml:featureMember>
        <gml:RectifiedGridCoverage dimension="2" gml:id="RGC0001">
          <gml:rectifiedGridDomain>
            <gml:RectifiedGrid dimension="2">
              <gml:limits><gml:GridEnvelope><gml:low>0 0</gml:low><gml:high>${width - 1} ${height - 1}</gml:high></gml:GridEnvelope></gml:limits>
              <gml:axisName>x</gml:axisName>
              <gml:axisName>y</gml:axisName>
              <gml:origin><gml:Point gml:id="P0001" srsName="${srs}"><gml:pos>${pair(ox, oy)}</gml:pos></gml:Point></gml:origin>
              <gml:offsetVector srsName="${srs}">${pair(t[1], t[4])}</gml:offsetVector>
              <gml:offsetVector srsName="${srs}">${pair(t[2], t[5])}</gml:offsetVector>
            </gml:RectifiedGrid>
          </gml:rectifiedGridDomain>
          <gml:rangeSet><gml:File><gml:rangeParameters/><gml:fileName>gmljp2://codestream/0</gml:fileName><gml:fileStructure>Record Interleaved</gml:fileStructure></gml:File></gml:rangeSet>
        </gml:RectifiedGridCoverage>
      </gml:featureMember>
    </gml:FeatureCollection>
  </gml:featureMember>
</gml:FeatureCollection>
`;
}

/** Reads the GeoJP2 payload (the bytes after the UUID) with our GeoTIFF reader; null when it carries no transform. */
export async function parseGeoJp2(tiff: Uint8Array): Promise<Georef | null> {
  try {
    const { openGeoTiff } = await import('../tiff/read.ts');
    const r = await openGeoTiff(tiff);
    try {
      if (!r.info.transform) return null;
      return { transform: r.info.transform, crs: r.info.crs, source: 'GeoJP2' };
    } finally {
      await r.close();
    }
  } catch {
    return null; // a broken GeoJP2 box is ignored, as GDAL does; GMLJP2 may still georeference the file
  }
}

/**
 * A 1x1 uint8 little-endian GeoTIFF carrying the transform (ModelPixelScale + ModelTiepoint when north-up,
 * ModelTransformation otherwise) and GeoKeys for an EPSG CRS: the GeoJP2 payload.
 */
export function buildGeoJp2Tiff(t: GeoTransform, epsg: number | null): Uint8Array {
  type Entry = { tag: number; type: number; values: number[] };
  const entries: Entry[] = [
    { tag: TAG.ImageWidth, type: FIELD_TYPE.SHORT, values: [1] },
    { tag: TAG.ImageLength, type: FIELD_TYPE.SHORT, values: [1] },
    { tag: TAG.BitsPerSample, type: FIELD_TYPE.SHORT, values: [8] },
    { tag: TAG.Compression, type: FIELD_TYPE.SHORT, values: [1] },
    { tag: TAG.PhotometricInterpretation, type: FIELD_TYPE.SHORT, values: [1] },
    { tag: TAG.StripOffsets, type: FIELD_TYPE.LONG, values: [0] }, // patched below
    { tag: TAG.SamplesPerPixel, type: FIELD_TYPE.SHORT, values: [1] },
    { tag: TAG.RowsPerStrip, type: FIELD_TYPE.SHORT, values: [1] },
    { tag: TAG.StripByteCounts, type: FIELD_TYPE.LONG, values: [1] },
  ];
  if (t[2] === 0 && t[4] === 0) {
    entries.push({ tag: TAG.ModelPixelScale, type: FIELD_TYPE.DOUBLE, values: [t[1], -t[5], 0] });
    entries.push({ tag: TAG.ModelTiepoint, type: FIELD_TYPE.DOUBLE, values: [0, 0, 0, t[0], t[3], 0] });
  } else {
    const m = [t[1], t[2], 0, t[0], t[4], t[5], 0, t[3], 0, 0, 0, 0, 0, 0, 0, 1];
    entries.push({ tag: TAG.ModelTransformation, type: FIELD_TYPE.DOUBLE, values: m });
  }
  if (epsg !== null) {
    const geographic = epsg >= 4000 && epsg < 5000;
    const keys = [
      [GEOKEY.GTModelType, 0, 1, geographic ? MODEL_TYPE.GEOGRAPHIC : MODEL_TYPE.PROJECTED],
      [GEOKEY.GTRasterType, 0, 1, RASTER_TYPE.PIXEL_IS_AREA],
      [geographic ? GEOKEY.GeographicType : GEOKEY.ProjectedCSType, 0, 1, epsg],
    ];
    entries.push({ tag: TAG.GeoKeyDirectory, type: FIELD_TYPE.SHORT, values: [1, 1, 0, keys.length, ...keys.flat()] });
  }
  entries.sort((a, b) => a.tag - b.tag);
  const size = (e: Entry): number => e.values.length * (e.type === FIELD_TYPE.DOUBLE ? 8 : e.type === FIELD_TYPE.LONG ? 4 : 2);
  const ifdSize = 2 + entries.length * 12 + 4;
  let extra = 8 + ifdSize;
  const offsets = entries.map((e) => {
    if (size(e) <= 4) return -1;
    const o = extra;
    extra += size(e);
    return o;
  });
  const pixelOffset = extra;
  const buf = new Uint8Array(pixelOffset + 1);
  const dv = new DataView(buf.buffer);
  buf.set([0x49, 0x49, 42, 0]);
  dv.setUint32(4, 8, true);
  dv.setUint16(8, entries.length, true);
  entries.forEach((e, i) => {
    if (e.tag === TAG.StripOffsets) e.values = [pixelOffset];
    const p = 10 + i * 12;
    dv.setUint16(p, e.tag, true);
    dv.setUint16(p + 2, e.type, true);
    dv.setUint32(p + 4, e.values.length, true);
    let q = offsets[i]! >= 0 ? offsets[i]! : p + 8;
    if (offsets[i]! >= 0) dv.setUint32(p + 8, q, true);
    for (const v of e.values) {
      if (e.type === FIELD_TYPE.DOUBLE) dv.setFloat64(q, v, true);
      else if (e.type === FIELD_TYPE.LONG) dv.setUint32(q, v, true);
      else dv.setUint16(q, v, true);
      q += e.type === FIELD_TYPE.DOUBLE ? 8 : e.type === FIELD_TYPE.LONG ? 4 : 2;
    }
  });
  dv.setUint32(10 + entries.length * 12, 0, true);
  return buf;
}
