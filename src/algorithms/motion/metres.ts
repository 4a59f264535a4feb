/**
 * Pixel displacements to metres (MPIC-OPT outputs, MISSION §2: "pixels and metres, east and north positive").
 *
 * Inputs are displacements in pixels already in the map convention: dxPx east positive (= +column shift on a
 * north-up image), dyPx NORTH positive (= minus the row shift on a north-up image). gsdX and gsdY are the ground
 * sample distances in metres per pixel, both POSITIVE (|GeoTransform[1]| and |GeoTransform[5]|, e.g. 10 for
 * Sentinel-2 B04): a negative value is refused rather than silently flipping the north component.
 * dxM = dxPx · gsdX, dyM = dyPx · gsdY; NaN stays NaN.
 */
import { GepError } from '../../core/errors.ts';

export function pixelsToMetres(
  dxPx: Float32Array,
  dyPx: Float32Array,
  gsdX: number,
  gsdY: number,
): { dxM: Float32Array; dyM: Float32Array } {
  for (const [name, g] of [['gsdX', gsdX], ['gsdY', gsdY]] as const) {
    if (typeof g !== 'number' || !Number.isFinite(g) || !(g > 0)) {
      throw new GepError('GEP_ERR_INVALID_INPUT', `pixelsToMetres: ${name} must be a positive pixel size in metres, got ${g}`, {
        input: name,
        value: g,
      });
    }
  }
  if (dxPx.length !== dyPx.length) {
    throw new GepError('GEP_ERR_INVALID_INPUT', `pixelsToMetres: dxPx has ${dxPx.length} elements but dyPx has ${dyPx.length}`, {
      input: 'dyPx',
    });
  }
  const dxM = new Float32Array(dxPx.length);
  const dyM = new Float32Array(dyPx.length);
  for (let i = 0; i < dxPx.length; i++) {
    dxM[i] = dxPx[i]! * gsdX;
    dyM[i] = dyPx[i]! * gsdY;
  }
  return { dxM, dyM };
}
