/**
 * Land-cover scenes: a class map defined by continuous fields (so it can be sampled at any position), turned
 * into reflectance through a class-major table and modulated by a fine fBm texture.
 *
 * reflectance_b(p) = [(1 - w)·R[c, b] + w·R[c2, b]] · (1 + amp·texture(p)) · illumination(p)
 * where c, c2 are the class and a second class mixed with weight w (e.g. debris on glacier ice).
 */
import { Fbm, smoothstep } from './noise.ts';
import { deriveSeed } from './random.ts';
import type { Scene } from './render.ts';
import { LandCover, N_CLASSES, textureAmplitudes } from './spectra.ts';
import { glacierFrame, lobeRadius2 } from './displacement.ts';
import type { GlacierParams, LobeParams } from './displacement.ts';

/**
 * Texture with a near-natural-image spectrum (fBm gain 1.15: power ∝ f^-1.6, slightly richer in fine detail
 * than the f^-2 of natural scenes, as correlators need) from wavelength `maxWavelength` down to 2.5 scene
 * units (6 octaves by default). Its autocorrelation is about 0.8 at 1 unit and falls to 0.5 at 2-3 units.
 */
export function imageTexture(seed: number, maxWavelength = 80, octaves = 6): Fbm {
  return new Fbm(deriveSeed(seed, 'texture'), { wavelength: maxWavelength, octaves, gain: 1.15 });
}

/** A scene whose subclasses say which class is where; reflectance and texture are shared. */
export abstract class ClassifiedScene implements Scene {
  readonly nBands: number;
  protected readonly table: Float64Array;
  protected readonly amp: Float64Array;
  protected readonly texture: Fbm;
  private cls = new Uint8Array(0);
  private cls2 = new Uint8Array(0);
  private w = new Float64Array(0);
  private illum = new Float64Array(0);

  /** @param table class-major reflectance table (N_CLASSES × nBands), see spectra.reflectanceTable. */
  constructor(table: Float64Array, nBands: number, texture: Fbm, amp: Float64Array = textureAmplitudes()) {
    if (table.length !== N_CLASSES * nBands) throw new RangeError(`table needs ${N_CLASSES}×${nBands} values`);
    this.table = table;
    this.nBands = nBands;
    this.texture = texture;
    this.amp = amp;
  }

  /**
   * Fills, for n positions: class cls[i], second class cls2[i] with mixing weight w[i] in [0, 1] (w = 0 when
   * unused) and a multiplicative illumination factor illum[i] (1 = flat, sunlit).
   */
  protected abstract classify(
    xs: Float64Array,
    ys: Float64Array,
    n: number,
    cls: Uint8Array,
    cls2: Uint8Array,
    w: Float64Array,
    illum: Float64Array,
  ): void;

  /** Dominant class (index into LAND_COVER_NAMES) at n positions. */
  classesAt(xs: Float64Array, ys: Float64Array, n: number, out: Uint8Array): void {
    this.ensure(n);
    this.w.fill(0, 0, n);
    this.illum.fill(1, 0, n);
    this.classify(xs, ys, n, this.cls, this.cls2, this.w, this.illum);
    for (let i = 0; i < n; i++) out[i] = this.w[i]! > 0.5 ? this.cls2[i]! : this.cls[i]!;
  }

  private ensure(n: number): void {
    if (this.cls.length < n) {
      this.cls = new Uint8Array(n);
      this.cls2 = new Uint8Array(n);
      this.w = new Float64Array(n);
      this.illum = new Float64Array(n);
    }
  }

  sample(xs: Float64Array, ys: Float64Array, n: number, out: Float64Array[]): void {
    this.ensure(n);
    const { cls, cls2, w, illum, table, amp } = this;
    const nb = this.nBands;
    w.fill(0, 0, n);
    illum.fill(1, 0, n);
    this.classify(xs, ys, n, cls, cls2, w, illum);
    for (let i = 0; i < n; i++) {
      const c = cls[i]!;
      const c2 = cls2[i]!;
      const wi = w[i]!;
      const a = (1 - wi) * amp[c]! + wi * amp[c2]!;
      const f = (1 + a * this.texture.at(xs[i]!, ys[i]!)) * illum[i]!;
      const o1 = c * nb;
      const o2 = c2 * nb;
      for (let b = 0; b < nb; b++) out[b]![i] = ((1 - wi) * table[o1 + b]! + wi * table[o2 + b]!) * f;
    }
  }
}

/** Elliptic patch (lake, town) with a noisy outline. Positions in scene units. */
export interface Patch {
  x: number;
  y: number;
  rx: number;
  ry: number;
}

export interface DisplacementSceneLayout {
  seed: number;
  lake: Patch;
  town: Patch;
  lobe: LobeParams;
  glacier: GlacierParams;
}

/**
 * The land cover of the displacement scenario (scene pixels of 10 m): a mosaic of vegetation, bare soil and
 * rock at kilometre scale, a lake (low texture), a town, a bare landslide lobe and a debris-streaked glacier.
 * Everything is a function of ground position, so it moves with the displacement field.
 */
export class DisplacementLandCover extends ClassifiedScene {
  private readonly layout: DisplacementSceneLayout;
  private readonly macro: Fbm;
  private readonly relief: Fbm;
  private readonly edge: Fbm;
  private readonly debris: Fbm;
  private readonly frame = new Float64Array(4);

  constructor(layout: DisplacementSceneLayout, table: Float64Array, nBands: number) {
    super(table, nBands, imageTexture(layout.seed));
    this.layout = layout;
    this.macro = new Fbm(deriveSeed(layout.seed, 'macro'), { wavelength: 300, octaves: 4, gain: 0.5 });
    this.relief = new Fbm(deriveSeed(layout.seed, 'relief'), { wavelength: 600, octaves: 3, gain: 0.5 });
    this.edge = new Fbm(deriveSeed(layout.seed, 'edge'), { wavelength: 40, octaves: 3, gain: 0.5 });
    this.debris = new Fbm(deriveSeed(layout.seed, 'debris'), { wavelength: 30, octaves: 4, gain: 0.7 });
  }

  protected classify(
    xs: Float64Array,
    ys: Float64Array,
    n: number,
    cls: Uint8Array,
    cls2: Uint8Array,
    w: Float64Array,
  ): void {
    const { lake, town, lobe, glacier } = this.layout;
    const fr = this.frame;
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      const y = ys[i]!;
      // Outline noise, evaluated only near a feature's boundary (it moves each outline by up to ~30 %).
      let e = NaN;
      glacierFrame(glacier, x, y, fr);
      const gd = Math.abs(fr[1]!) / (glacier.widthPx / 2);
      if (gd < 1.5 && (gd < 0.8 || gd < 1.15 + 0.3 * (e = this.edge.at(x, y)))) {
        // Ice with debris patches (isotropic, so correlation has no aperture problem) and moraine margins.
        cls[i] = LandCover.snow;
        cls2[i] = LandCover.rock;
        w[i] = gd > 1 ? 0.85 : 0.15 + 0.55 * smoothstep(-0.25, 0.35, this.debris.at(x, y));
        continue;
      }
      const r2 = lobeRadius2(lobe, x, y);
      if (r2 < 1.6 && (r2 < 0.6 || r2 < 1 + 0.25 * (Number.isNaN(e) ? (e = this.edge.at(x, y)) : e))) {
        cls[i] = LandCover.soil;
        cls2[i] = LandCover.rock;
        w[i] = smoothstep(-0.3, 0.5, this.macro.at(x * 4, y * 4));
        continue;
      }
      const lx = (x - lake.x) / lake.rx;
      const ly = (y - lake.y) / lake.ry;
      const l2 = lx * lx + ly * ly;
      if (l2 < 2.2 && (l2 < 0.4 || l2 < 1 + 0.6 * (Number.isNaN(e) ? (e = this.edge.at(x, y)) : e))) {
        cls[i] = LandCover.water;
        cls2[i] = LandCover.water;
        continue;
      }
      const tx = (x - town.x) / town.rx;
      const ty = (y - town.y) / town.ry;
      const t2 = tx * tx + ty * ty;
      if (t2 < 2.2 && (t2 < 0.4 || t2 < 1 + 0.6 * (Number.isNaN(e) ? (e = this.edge.at(x, y)) : e))) {
        cls[i] = LandCover.urban;
        cls2[i] = LandCover.vegetation;
        w[i] = smoothstep(0.1, 0.4, this.macro.at(x * 6, y * 6)) * 0.6; // gardens and parks
        continue;
      }
      if (Number.isNaN(e)) e = this.edge.at(x, y);
      const m = this.macro.at(x, y) + 0.15 * e;
      const r = this.relief.at(x, y) + 0.1 * e;
      cls2[i] = LandCover.vegetation;
      if (r > 0.3) {
        cls[i] = LandCover.rock;
        w[i] = smoothstep(0.45, 0.3, r) * 0.5;
      } else if (m > 0.2) {
        cls[i] = LandCover.soil;
        w[i] = smoothstep(0.35, 0.2, m) * 0.6;
      } else {
        cls[i] = LandCover.vegetation;
      }
    }
  }
}
