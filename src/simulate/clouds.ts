/**
 * Clouds and their shadows, overlaid in image coordinates (clouds do not move with the ground).
 *
 * Opacity α(p) = smoothstep(th, th + 0.12, fbm(p)), with the threshold chosen from the requested cover
 * fraction; the shadow is the opacity field shifted away from the sun by h·tan(θs) (cloud height h, sun
 * zenith θs), reduced to at most a sixth of the scene. Top-of-atmosphere reflectance:
 *   toa' = (1 - α)·[toa - 0.8·αs·(toa - P)] + α·R_cloud
 * where P is the path reflectance (shadows darken the ground signal, not the atmosphere above it).
 *
 * Parallax (only for the bands given a CloudParallax: B07, B08 and B8A of the displacement scenario, relative to B08): the MSI
 * bands are staggered along track on the focal plane, so an L1C image (orthorectified onto the ground) shows an
 * elevated cloud displaced along track by h·Δθ_b relative to the reference band, where h is the cloud-top height
 * and Δθ_b the along-track viewing-angle difference of band b (see s2ParallaxShifts). In those bands the cloud layer
 * α and a multiplicative cloud-top texture are sampled at p - h(p)·u_b; the ground, its shadow and every other band
 * are rendered exactly as before (bit-identical). The cloud-top height h is a smooth field between topHeightM
 * (default 1-8 km), about one value per cloud; the shadow offset keeps the scenario's fixed cloud height (read as
 * the height of the cloud body that casts it). The truth cloud mask stays on the reference-band (B04) geometry.
 * Not modelled: cloud advection by wind between band acquisitions (a few metres), and the reversal of the band
 * order between odd and even detectors (the sign of the parallax flips from one detector stripe to the next).
 */
import { Fbm, smoothstep } from './noise.ts';
import { deriveSeed } from './random.ts';
import type { Overlay } from './render.ts';

export interface CloudParams {
  seed: number;
  /** Target fraction of the scene under cloud (0..1). */
  cover: number;
  /** Cloud size scale (coarsest wavelength), scene units. */
  wavelength: number;
  /** Shadow position relative to its cloud, scene units (x east, y south). */
  shadowDx: number;
  shadowDy: number;
  /** Scene extent used to calibrate the cover fraction (scene units). */
  width: number;
  height: number;
  /** Range of cloud-top heights above ground, metres (default [1000, 8000]); only used for parallax. */
  topHeightM?: [number, number];
}

/** Relative amplitude of the cloud-top brightness texture in the bands rendered with parallax. */
export const CLOUD_TOP_TEXTURE = 0.12;

/** Opacity field of the clouds of one acquisition. */
export class CloudField {
  readonly params: CloudParams;
  private readonly fbm: Fbm;
  readonly threshold: number;
  private heightField: Fbm | null = null;
  private topTexture: Fbm | null = null;

  constructor(p: CloudParams) {
    this.params = p;
    this.fbm = new Fbm(p.seed, { wavelength: p.wavelength, octaves: 5, gain: 0.55 });
    // Threshold = (1 - cover) quantile of the field over the scene, on a 64×64 lattice.
    const k = 64;
    const vals = new Float64Array(k * k);
    for (let j = 0; j < k; j++)
      for (let i = 0; i < k; i++) vals[j * k + i] = this.fbm.at(((i + 0.5) / k) * p.width, ((j + 0.5) / k) * p.height);
    vals.sort();
    const q = Math.min(k * k - 1, Math.max(0, Math.floor((1 - p.cover) * k * k)));
    this.threshold = p.cover <= 0 ? Infinity : vals[q]! - 0.06;
  }

  /** Cloud opacity at a position (0 clear .. 1 opaque). */
  alpha(x: number, y: number): number {
    if (this.threshold === Infinity) return 0;
    return smoothstep(this.threshold, this.threshold + 0.12, this.fbm.at(x, y));
  }

  /**
   * Cloud-top height above ground at a position, metres: a smooth field (coarsest wavelength twice the cloud size
   * scale, so each cloud has about one height) spread over topHeightM. Fields are built on first use.
   */
  topHeight(x: number, y: number): number {
    const [h0, h1] = this.params.topHeightM ?? [1000, 8000];
    this.heightField ??= new Fbm(deriveSeed(this.params.seed, 'cloud-top-height'), { wavelength: 2 * this.params.wavelength, octaves: 2, gain: 0.5 });
    return h0 + (h1 - h0) * smoothstep(-0.3, 0.3, this.heightField.at(x, y));
  }

  /** Cloud-top brightness texture at a position (mostly within [-1, 1]): 400 m down to 50 m (scene units of 10 m). */
  texture(x: number, y: number): number {
    this.topTexture ??= new Fbm(deriveSeed(this.params.seed, 'cloud-top-texture'), { wavelength: 40, octaves: 4, gain: 0.7 });
    return this.topTexture.at(x, y);
  }

  /** Shadow strength at a position (0 .. 1). */
  shadow(x: number, y: number): number {
    return this.alpha(x - this.params.shadowDx, y - this.params.shadowDy);
  }

  /** Mask code at a position: 1 cloud (α ≥ 0.5), 2 cloud shadow (αs ≥ 0.5), 0 clear. */
  maskAt(x: number, y: number): number {
    if (this.alpha(x, y) >= 0.5) return 1;
    return this.shadow(x, y) >= 0.5 ? 2 : 0;
  }
}

/** Shadow offset (scene units, x east / y south) for a sun position, cloud height and pixel size. */
export function shadowOffset(sunZenithDeg: number, sunAzimuthDeg: number, cloudHeightM: number, gsd: number, maxUnits: number): [number, number] {
  const len = Math.min((cloudHeightM * Math.tan((sunZenithDeg * Math.PI) / 180)) / gsd, maxUnits);
  // The shadow lies opposite the sun.
  const az = ((sunAzimuthDeg + 180) * Math.PI) / 180;
  return [len * Math.sin(az), -len * Math.cos(az)];
}

/**
 * Along-track parallax of an elevated object per metre of height, per band, in scene units (x east, y south),
 * relative to a reference band: shift_b = -(t_b - t_ref)·v_g / H · (sin az, -cos az) / gsd, for a ground-track
 * azimuth az (degrees clockwise from north; the direction the satellite moves). A band that looks at a ground point
 * later looks further backwards, so an elevated object is projected backwards along track in it.
 *
 * Band timing: ESA's along-track band delays as used by R. Binet, E. Bergsma, V. Poulain (2022), "Accurate
 * Sentinel-2 inter-band time delays", ISPRS Ann. V-1-2022, 57-66, doi:10.5194/isprs-annals-V-1-2022-57-2022 (B02 ->
 * B03 0.527 s, B02 -> B04 1.005 s, largest B02 -> B09 2.586 s), with the focal-plane order B02 B08 B03 B10 B04 B05
 * B11 B06 B07 B8A B12 B01 B09; B08 is placed half-way between B02 and B03 and B07, B8A by equal steps between B04
 * and B09 (approximate, ±0.05 s). Hence B07 and B8A are neighbours (0.2 s, the small-parallax pair of the Cloud
 * Displacement Index, Frantz et al. 2018, doi:10.1016/j.rse.2018.04.046) and B08 is 1.7 s from B8A (the large one).
 * Ground-track speed 6.7 km/s and orbit height 786 km (S2 User Handbook): 8.5 mrad of view angle per second, i.e.
 * B08 vs B8A: 15 m of parallax per km of cloud height.
 */
export const S2_BAND_TIME_S: Readonly<Record<string, number>> = {
  B02: 0,
  B08: 0.264,
  B03: 0.527,
  B04: 1.005,
  B05: 1.203,
  B06: 1.598,
  B07: 1.795,
  B8A: 1.993,
  B01: 2.388,
  B09: 2.586,
};
const GROUND_SPEED_M_S = 6700;
const ORBIT_HEIGHT_M = 786_000;

/** Per-band parallax shifts (scene units per metre of height); bands absent from S2_BAND_TIME_S get none. */
export interface CloudParallax {
  /** Shift per metre of cloud height, scene units, per band (x east, y south); 0 for bands without parallax. */
  dx: Float64Array;
  dy: Float64Array;
  /** 1 where the band is rendered with parallax and cloud-top texture, 0 where as before. */
  on: Uint8Array;
}

/** Parallax of `withParallax` bands relative to `reference` (see S2_BAND_TIME_S); other bands get none. */
export function s2ParallaxShifts(bands: readonly string[], withParallax: readonly string[], reference: string, trackAzimuthDeg: number, gsd: number): CloudParallax {
  const t0 = S2_BAND_TIME_S[reference];
  if (t0 === undefined) throw new RangeError(`no band time for reference band '${reference}'`);
  const az = (trackAzimuthDeg * Math.PI) / 180;
  const ux = Math.sin(az);
  const uy = -Math.cos(az);
  const p: CloudParallax = { dx: new Float64Array(bands.length), dy: new Float64Array(bands.length), on: new Uint8Array(bands.length) };
  bands.forEach((b, i) => {
    const t = S2_BAND_TIME_S[b];
    if (!withParallax.includes(b) || t === undefined) return;
    const perMetre = (-(t - t0) * GROUND_SPEED_M_S) / ORBIT_HEIGHT_M / gsd;
    p.dx[i] = perMetre * ux;
    p.dy[i] = perMetre * uy;
    p.on[i] = 1;
  });
  return p;
}

/** Overlays clouds and shadows on TOA reflectances (bands in the order of cloudRefl and path). */
export class CloudOverlay implements Overlay {
  private readonly anyParallax: boolean;

  constructor(
    private readonly field: CloudField,
    private readonly cloudRefl: Float64Array,
    private readonly path: Float64Array,
    private readonly parallax: CloudParallax | null = null,
  ) {
    this.anyParallax = parallax !== null && parallax.on.some((v) => v === 1);
  }

  apply(xs: Float64Array, ys: Float64Array, n: number, values: Float64Array[]): void {
    const nb = this.cloudRefl.length;
    const par = this.anyParallax ? this.parallax : null;
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      const y = ys[i]!;
      const a = this.field.alpha(x, y);
      const s = this.field.shadow(x, y);
      if (par) {
        // Bands seen with parallax: the cloud layer (opacity and top texture) moves with its height, the ground
        // and the shadow do not.
        const h = this.field.topHeight(x, y);
        for (let b = 0; b < nb; b++) {
          if (!par.on[b]) continue;
          const px = x - h * par.dx[b]!;
          const py = y - h * par.dy[b]!;
          const ap = this.field.alpha(px, py);
          if (ap === 0 && s === 0) continue;
          const v = values[b]!;
          const toa = v[i]!;
          const shaded = toa - 0.8 * s * (toa - this.path[b]!);
          const top = ap === 0 ? 0 : this.cloudRefl[b]! * (1 + CLOUD_TOP_TEXTURE * this.field.texture(px, py));
          v[i] = (1 - ap) * shaded + ap * top;
        }
      }
      if (a === 0 && s === 0) continue;
      for (let b = 0; b < nb; b++) {
        if (par && par.on[b]) continue;
        const v = values[b]!;
        const toa = v[i]!;
        const shaded = toa - 0.8 * s * (toa - this.path[b]!);
        v[i] = (1 - a) * shaded + a * this.cloudRefl[b]!;
      }
    }
  }
}
