/**
 * Clouds and their shadows, overlaid in image coordinates (clouds do not move with the ground).
 *
 * Opacity α(p) = smoothstep(th, th + 0.12, fbm(p)), with the threshold chosen from the requested cover
 * fraction; the shadow is the opacity field shifted away from the sun by h·tan(θs) (cloud height h, sun
 * zenith θs), reduced to at most a sixth of the scene. Top-of-atmosphere reflectance:
 *   toa' = (1 - α)·[toa - 0.8·αs·(toa - P)] + α·R_cloud
 * where P is the path reflectance (shadows darken the ground signal, not the atmosphere above it).
 */
import { Fbm, smoothstep } from './noise.ts';
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
}

/** Opacity field of the clouds of one acquisition. */
export class CloudField {
  readonly params: CloudParams;
  private readonly fbm: Fbm;
  readonly threshold: number;

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

/** Overlays clouds and shadows on TOA reflectances (bands in the order of cloudRefl and path). */
export class CloudOverlay implements Overlay {
  constructor(
    private readonly field: CloudField,
    private readonly cloudRefl: Float64Array,
    private readonly path: Float64Array,
  ) {}

  apply(xs: Float64Array, ys: Float64Array, n: number, values: Float64Array[]): void {
    const nb = this.cloudRefl.length;
    for (let i = 0; i < n; i++) {
      const a = this.field.alpha(xs[i]!, ys[i]!);
      const s = this.field.shadow(xs[i]!, ys[i]!);
      if (a === 0 && s === 0) continue;
      for (let b = 0; b < nb; b++) {
        const v = values[b]!;
        const toa = v[i]!;
        const shaded = toa - 0.8 * s * (toa - this.path[b]!);
        v[i] = (1 - a) * shaded + a * this.cloudRefl[b]!;
      }
    }
  }
}
