/**
 * Cloud Displacement Index (CDI) of Sentinel-2 and the parallax test that separates clouds from bright ground.
 *
 * D. Frantz, E. Haß, A. Uhl, J. Stoffels, J. Hill (2018), "Improvement of the Fmask algorithm for Sentinel-2 images:
 * Separating clouds from bright surfaces based on parallax effects", Remote Sensing of Environment 215, 471-481,
 * doi:10.1016/j.rse.2018.04.046; also used by Fmask 4.0 (S. Qiu, Z. Zhu, B. He 2019, doi:10.1016/j.rse.2019.05.024).
 *
 * The MSI bands are staggered along track on the focal plane: B07 and B8A are neighbours (about 0.2 s apart), B08
 * sits near the other end (about 1.7 s from B8A). L1C products are orthorectified onto the ground, so ground objects
 * coincide in all bands but an elevated cloud is displaced between them, by some 15 m per km of height between B08 and
 * B8A and ten times less between B07 and B8A. Spectrally, the three bands are highly correlated, so the ratios
 * B07/B8A and B08/B8A are smooth over the ground; over a textured cloud B08/B8A varies much more than B07/B8A:
 *
 *   CDI = (V(B07/B8A) - V(B08/B8A)) / (V(B07/B8A) + V(B08/B8A)),  V = local variance in a 7×7 window at 20 m,
 *
 * in [-1, 1]; clouds have CDI close to -1, bright ground (rock, urban, sand) about 0 or positive.
 *
 * Decision (the paper's rules as in its authors' implementation, FORCE): variances are taken over potential cloud
 * pixels (PCP) only and need at least 3 of them in the window; cloud cores are PCP with CDI <= -0.5 whose eight
 * neighbours are all PCP with CDI <= -0.5 (an erosion by one pixel, which removes isolated noisy pixels); the cores
 * are then grown (8-connected region growing) into PCP with CDI < -0.25. Departures: the window is scaled to keep 140 m
 * on other grids; FORCE's secondary seed rule (CDI < 0 where the minimum variability probability in 15×15 exceeds 0.8)
 * is not used; B08 is expected already averaged to the 20 m grid (FORCE smooths it with a Gaussian first).
 */
import { throwIfAborted } from '../../core/errors.ts';

/** CDI at or below which a potential cloud pixel is a cloud core (Frantz et al. 2018). */
export const CDI_CORE = -0.5;
/** CDI below which a potential cloud pixel joins a neighbouring cloud during region growing (Frantz et al. 2018). */
export const CDI_GROW = -0.25;
/** Half-width of the variance window, metres: 7×7 pixels of 20 m (Frantz et al. 2018). */
const WINDOW_HALF_M = 60;
/** Fewer PCP than this in the window: the CDI is undefined (NaN). */
const MIN_IN_WINDOW = 3;

/** Half-width (pixels) of the CDI window on a grid of `pixelSize` metres: 3 at 20 m, 6 at 10 m, 2 at 30 m. */
export function cdiRadius(pixelSize: number): number {
  return Math.max(1, Math.round(WINDOW_HALF_M / pixelSize));
}

/**
 * CDI of every selected pixel (NaN elsewhere and where fewer than 3 selected pixels lie in the window).
 * @param b07 B07 reflectance (0.783 µm); @param b08 B08 (0.842 µm, on the same grid); @param b8a B8A (0.865 µm).
 * @param select 1 for the pixels that take part (PCP with valid bands), 0 otherwise.
 * @param r window half-width in pixels (window (2r+1)²).
 * Box sums run separably with float64 accumulators on the ratios minus 1 (cancellation stays far below the
 * variances of interest, ~1e-6); memory is O(width), time O(pixels).
 */
export function cloudDisplacementIndex(
  b07: Float32Array,
  b08: Float32Array,
  b8a: Float32Array,
  select: Uint8Array,
  width: number,
  height: number,
  r: number,
  signal?: AbortSignal,
): Float32Array {
  const n = width * height;
  const cdi = new Float32Array(n).fill(NaN);
  // Per-pixel ratios minus 1 (0 where not selected).
  const ra = new Float32Array(n);
  const rb = new Float32Array(n);
  const sel = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const d = b8a[i]!;
    if (!select[i] || !(d > 0)) continue;
    const a = b07[i]! / d - 1;
    const b = b08[i]! / d - 1;
    if (a !== a || b !== b) continue;
    ra[i] = a;
    rb[i] = b;
    sel[i] = 1;
  }
  // Column accumulators of the row-window sums: count, Σa, Σa², Σb, Σb².
  const cN = new Float64Array(width);
  const cA = new Float64Array(width);
  const cA2 = new Float64Array(width);
  const cB = new Float64Array(width);
  const cB2 = new Float64Array(width);
  // Row-window sums of one row.
  const wN = new Float64Array(width);
  const wA = new Float64Array(width);
  const wA2 = new Float64Array(width);
  const wB = new Float64Array(width);
  const wB2 = new Float64Array(width);
  const rowSums = (y: number): void => {
    const o = y * width;
    let sN = 0;
    let sA = 0;
    let sA2 = 0;
    let sB = 0;
    let sB2 = 0;
    // running window [x - r, x + r]
    for (let x = -r; x < width; x++) {
      const add = x + r;
      if (add < width && sel[o + add]) {
        const a = ra[o + add]!;
        const b = rb[o + add]!;
        sN++;
        sA += a;
        sA2 += a * a;
        sB += b;
        sB2 += b * b;
      }
      const rem = x - r - 1;
      if (rem >= 0 && sel[o + rem]) {
        const a = ra[o + rem]!;
        const b = rb[o + rem]!;
        sN--;
        sA -= a;
        sA2 -= a * a;
        sB -= b;
        sB2 -= b * b;
      }
      if (x >= 0) {
        wN[x] = sN;
        wA[x] = sA;
        wA2[x] = sA2;
        wB[x] = sB;
        wB2[x] = sB2;
      }
    }
  };
  const accumulate = (y: number, sign: number): void => {
    rowSums(y);
    for (let x = 0; x < width; x++) {
      cN[x]! += sign * wN[x]!;
      cA[x]! += sign * wA[x]!;
      cA2[x]! += sign * wA2[x]!;
      cB[x]! += sign * wB[x]!;
      cB2[x]! += sign * wB2[x]!;
    }
  };
  for (let y = 0; y < Math.min(r, height); y++) accumulate(y, 1);
  for (let y = 0; y < height; y++) {
    if ((y & 255) === 0) throwIfAborted(signal);
    if (y + r < height) accumulate(y + r, 1);
    if (y - r - 1 >= 0) accumulate(y - r - 1, -1);
    const o = y * width;
    for (let x = 0; x < width; x++) {
      if (!sel[o + x]) continue;
      const k = Math.round(cN[x]!);
      if (k < MIN_IN_WINDOW) continue;
      const ma = cA[x]! / k;
      const mb = cB[x]! / k;
      const va = Math.max(0, cA2[x]! / k - ma * ma);
      const vb = Math.max(0, cB2[x]! / k - mb * mb);
      const s = va + vb;
      cdi[o + x] = s > 0 ? (va - vb) / s : 0;
    }
  }
  return cdi;
}

/**
 * The parallax cloud layer of Frantz et al. (2018) from a CDI layer (NaN = not a potential cloud pixel): cores
 * (CDI <= -0.5 with all eight neighbours inside the image also defined and <= -0.5) grown 8-connected into pixels
 * with CDI < -0.25. Returns 0/1.
 */
export function parallaxClouds(cdi: Float32Array, width: number, height: number): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(n);
  const queue = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const c = cdi[i]!;
      if (!(c <= CDI_CORE)) continue;
      let core = true;
      for (let dy = -1; dy <= 1 && core; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          // NaN fails the test too: neighbours that are not potential cloud break the core.
          if (!(cdi[yy * width + xx]! <= CDI_CORE)) {
            core = false;
            break;
          }
        }
      }
      if (core) {
        out[i] = 1;
        queue[tail++] = i;
      }
    }
  }
  while (head < tail) {
    const i = queue[head++]!;
    const x = i % width;
    const y = (i - x) / width;
    for (let dy = -1; dy <= 1; dy++) {
      const yy = y + dy;
      if (yy < 0 || yy >= height) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx;
        if (xx < 0 || xx >= width) continue;
        const j = yy * width + xx;
        if (out[j] || !(cdi[j]! < CDI_GROW)) continue;
        out[j] = 1;
        queue[tail++] = j;
      }
    }
  }
  return out;
}
