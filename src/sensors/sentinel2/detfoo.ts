/**
 * Sentinel-2 detector footprints before processing baseline 04.00: QI_DATA/MSK_DETFOO_Bxx.gml, an eop:Mask
 * (OGC 10-157r4 EO metadata) whose eop:MaskFeature polygons (gml:posList, srsDimension 2 or 3, tile CRS) carry the
 * detector number in their gml:id ("detector_footprint-B04-02-0" = band B04, detector 2).
 * From baseline 04.00 the same information is a raster (MSK_DETFOO_Bxx.jp2, value = detector 1..12, 0 = none).
 *
 * Polygons are rasterized at pixel centres with the even-odd rule, so a pixel belongs to a polygon when its centre
 * is inside (left/top edges inclusive). `detectorPolygons` does the inverse for the writer: exact staircase outlines
 * of the row runs, which rasterize back to the same raster.
 */
import { corruptFile, GepError } from '../../core/errors.ts';
import type { GeoTransform } from '../../raster/types.ts';
import { attr, esc, findAll, parseXml, text } from '../xml.ts';
import type { XmlValue } from '../xml.ts';

export interface DetectorPolygon {
  detector: number;
  /** Rings in world coordinates [x0, y0, x1, y1, ...]; the first is the exterior. */
  rings: number[][];
}

const MAX_VERTICES = 10_000_000;

function ringsOf(poly: XmlValue, file: string, count: { n: number }): number[][] {
  const rings: number[][] = [];
  for (const part of [...findAll(poly, 'exterior'), ...findAll(poly, 'interior')]) {
    for (const pl of findAll(part, 'posList')) {
      const dim = Number(attr(pl, 'srsDimension') ?? '2');
      if (dim !== 2 && dim !== 3) throw corruptFile(file, `posList srsDimension ${dim} (expected 2 or 3)`);
      const v = text(pl).trim().split(/\s+/).map(Number);
      if (v.length % dim !== 0 || v.length < 3 * dim || v.some((x) => !Number.isFinite(x)))
        throw corruptFile(file, 'detector footprint posList is not a list of coordinates');
      const xy: number[] = [];
      for (let i = 0; i < v.length; i += dim) xy.push(v[i]!, v[i + 1]!);
      count.n += xy.length / 2;
      if (count.n > MAX_VERTICES) throw new GepError('GEP_ERR_TOO_LARGE', `${file}: more than ${MAX_VERTICES} vertices`, { file });
      rings.push(xy);
    }
  }
  return rings;
}

/** Parses an MSK_DETFOO GML file into polygons per detector. */
export function parseDetectorGml(xml: Uint8Array | string, file: string): DetectorPolygon[] {
  const doc = parseXml(xml, file);
  const out: DetectorPolygon[] = [];
  const count = { n: 0 };
  for (const f of findAll(doc, 'MaskFeature')) {
    const id = attr(f, 'id') ?? '';
    const m = /detector_footprint-[^-]+-(\d+)/i.exec(id);
    if (!m) continue;
    for (const poly of findAll(f, 'Polygon')) {
      const rings = ringsOf(poly, file, count);
      if (rings.length) out.push({ detector: Number(m[1]), rings });
    }
  }
  return out;
}

/** Rasterizes polygons onto a north-up grid: each pixel gets the detector of the last polygon containing its centre. */
export function rasterizeDetectors(polys: DetectorPolygon[], width: number, height: number, t: GeoTransform): Uint8Array {
  if (t[2] !== 0 || t[4] !== 0) throw new GepError('GEP_ERR_UNSUPPORTED', 'detector footprints need a north-up grid');
  const out = new Uint8Array(width * height);
  const xs: number[] = [];
  for (const p of polys) {
    const value = Math.min(255, Math.max(0, p.detector));
    let ymin = Infinity;
    let ymax = -Infinity;
    for (const r of p.rings)
      for (let i = 1; i < r.length; i += 2) {
        ymin = Math.min(ymin, r[i]!);
        ymax = Math.max(ymax, r[i]!);
      }
    // Rows whose centres can lie within [ymin, ymax] (t[5] < 0 for north-up).
    const ra = (ymax - t[3]) / t[5] - 0.5;
    const rb = (ymin - t[3]) / t[5] - 0.5;
    const r0 = Math.max(0, Math.floor(Math.min(ra, rb)));
    const r1 = Math.min(height - 1, Math.ceil(Math.max(ra, rb)));
    for (let row = r0; row <= r1; row++) {
      const yc = t[3] + (row + 0.5) * t[5];
      xs.length = 0;
      for (const r of p.rings) {
        const n = r.length / 2;
        for (let i = 0, j = n - 1; i < n; j = i++) {
          const yi = r[2 * i + 1]!;
          const yj = r[2 * j + 1]!;
          if (yi <= yc !== yj <= yc) {
            const xi = r[2 * i]!;
            const xj = r[2 * j]!;
            xs.push(xi + ((yc - yi) * (xj - xi)) / (yj - yi));
          }
        }
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const c0 = Math.max(0, Math.ceil((xs[k]! - t[0]) / t[1] - 0.5));
        const c1 = Math.min(width, Math.ceil((xs[k + 1]! - t[0]) / t[1] - 0.5));
        out.fill(value, row * width + c0, row * width + Math.max(c0, c1));
      }
    }
  }
  return out;
}

/** Staircase outlines of each detector's pixels (world coordinates), exact under `rasterizeDetectors`. */
export function detectorPolygons(mask: Uint8Array, width: number, height: number, t: GeoTransform): DetectorPolygon[] {
  const out: DetectorPolygon[] = [];
  const X = (c: number): number => t[0] + c * t[1];
  const Y = (r: number): number => t[3] + r * t[5];
  const detectors = [...new Set(mask)].filter((d) => d !== 0).sort((a, b) => a - b);
  for (const d of detectors) {
    let block: { r0: number; runs: [number, number][] } | null = null;
    const flush = (): void => {
      if (!block) return;
      const left: number[] = [];
      const right: number[] = [];
      block.runs.forEach(([a, b], i) => {
        const r = block!.r0 + i;
        left.push(X(a), Y(r), X(a), Y(r + 1));
        right.push(X(b), Y(r), X(b), Y(r + 1));
      });
      const ring: number[] = [...left];
      for (let i = right.length / 2 - 1; i >= 0; i--) ring.push(right[2 * i]!, right[2 * i + 1]!);
      ring.push(ring[0]!, ring[1]!);
      out.push({ detector: d, rings: [simplify(ring)] });
      block = null;
    };
    for (let r = 0; r < height; r++) {
      const runs: [number, number][] = [];
      const row = r * width;
      for (let c = 0; c < width; ) {
        if (mask[row + c] !== d) {
          c++;
          continue;
        }
        const a = c;
        while (c < width && mask[row + c] === d) c++;
        runs.push([a, c]);
      }
      if (runs.length === 1 && block) block.runs.push(runs[0]!);
      else {
        flush();
        if (runs.length === 1) block = { r0: r, runs: [runs[0]!] };
        else for (const [a, b] of runs) out.push({ detector: d, rings: [simplify([X(a), Y(r), X(a), Y(r + 1), X(b), Y(r + 1), X(b), Y(r), X(a), Y(r)])] });
      }
    }
    flush();
  }
  return out;
}

/** Drops repeated and collinear (axis-aligned) vertices of a closed ring. */
function simplify(ring: number[]): number[] {
  const pts: number[] = [];
  for (let i = 0; i < ring.length; i += 2) {
    const x = ring[i]!;
    const y = ring[i + 1]!;
    const n = pts.length;
    if (n >= 2 && pts[n - 2] === x && pts[n - 1] === y) continue;
    if (n >= 4) {
      const px = pts[n - 4]!;
      const py = pts[n - 3]!;
      const qx = pts[n - 2]!;
      const qy = pts[n - 1]!;
      if ((px === qx && qx === x) || (py === qy && qy === y)) {
        pts[n - 2] = x;
        pts[n - 1] = y;
        continue;
      }
    }
    pts.push(x, y);
  }
  return pts;
}

/** An MSK_DETFOO GML document (PSD 14.2 style, srsDimension 3) for one band. */
export function detectorGml(band: string, polys: DetectorPolygon[], epsg: number): string {
  const srs = `urn:ogc:def:crs:EPSG::${epsg}`;
  const members = polys
    .map((p, i) => {
      const pos = (r: number[]): string => {
        const s: string[] = [];
        for (let k = 0; k < r.length; k += 2) s.push(`${r[k]} ${r[k + 1]} 0`);
        return s.join(' ');
      };
      const interiors = p.rings
        .slice(1)
        .map((r) => `<gml:interior><gml:LinearRing><gml:posList srsDimension="3">${pos(r)}</gml:posList></gml:LinearRing></gml:interior>`)
        .join('');
      const id = `detector_footprint-${esc(band)}-${String(p.detector).padStart(2, '0')}-${i}`;
      return `    <eop:MaskFeature gml:id="${id}">
      <eop:maskType codeSpace="urn:gs2:S2PDGS:maskType">DETECTOR_FOOTPRINT</eop:maskType>
      <eop:extentOf><gml:Polygon gml:id="${id}.poly" srsName="${srs}"><gml:exterior><gml:LinearRing><gml:posList srsDimension="3">${pos(p.rings[0]!)}</gml:posList></gml:LinearRing></gml:exterior>${interiors}</gml:Polygon></eop:extentOf>
    </eop:MaskFeature>`;
    })
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<eop:Mask xmlns:eop="http://www.opengis.net/eop/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" gml:id="DETECTOR_FOOTPRINT_${esc(band)}">
  <eop:maskMembers>
${members}
  </eop:maskMembers>
</eop:Mask>
`;
}
