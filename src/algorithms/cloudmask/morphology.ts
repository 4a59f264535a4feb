/**
 * Binary and grey-level morphology on flat row-major arrays, as needed by the cloud mask: square dilation,
 * grey-level hole filling (morphological reconstruction by erosion) and 8-connected component labelling.
 * Everything runs in O(pixels) with typed-array queues; no per-pixel objects.
 */

/**
 * Dilates a 0/1 mask by a (2r+1)x(2r+1) square (Chebyshev distance <= r), separably: a row pass then a column
 * pass, each tracking the distance to the last set pixel in both directions. Returns a new 0/1 array.
 */
export function dilateSquare(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  const n = width * height;
  if (r <= 0) return mask.slice();
  const tmp = new Uint8Array(n);
  const out = new Uint8Array(n);
  const big = 1 << 30;
  // rows
  for (let y = 0; y < height; y++) {
    const o = y * width;
    let last = -big;
    for (let x = 0; x < width; x++) {
      if (mask[o + x]) last = x;
      if (x - last <= r) tmp[o + x] = 1;
    }
    last = big;
    for (let x = width - 1; x >= 0; x--) {
      if (mask[o + x]) last = x;
      if (last - x <= r) tmp[o + x] = 1;
    }
  }
  // columns
  const lastDown = new Int32Array(width).fill(-big);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let x = 0; x < width; x++) {
      if (tmp[o + x]) lastDown[x] = y;
      if (y - lastDown[x]! <= r) out[o + x] = 1;
    }
  }
  const lastUp = new Int32Array(width).fill(big);
  for (let y = height - 1; y >= 0; y--) {
    const o = y * width;
    for (let x = 0; x < width; x++) {
      if (tmp[o + x]) lastUp[x] = y;
      if (lastUp[x]! - y <= r) out[o + x] = 1;
    }
  }
  return out;
}

/** Grey levels of fillHoles: values are quantised to 1/QUANT (1e-4 reflectance, the L1C digital-number step). */
const QUANT = 10000;
const LEVELS = 65536;

/**
 * Grey-level hole filling (MATLAB `imfill(I)`; P. Soille, "Morphological Image Analysis", 2nd ed., 2003): every
 * regional minimum not connected to the image border is raised to the lowest level at which it spills over, i.e.
 * the morphological reconstruction by erosion of `values` from a marker equal to `values` on the border and +inf
 * inside. Implemented as a priority flood (Barnes et al. 2014, doi:10.1016/j.cageo.2013.04.024) with a bucket queue
 * over values quantised to 1e-4, 4-connectivity. Pixels with `seed[i] = 1` (no data) are treated as border with the
 * value `background`; NaN values are treated the same way. Returns the filled values (Float32Array, quantised, >=
 * input).
 */
export function fillHoles(
  values: Float32Array,
  width: number,
  height: number,
  background: number,
  seed?: Uint8Array,
): Float32Array {
  const n = width * height;
  const q = new Uint16Array(n);
  const bgq = quant(background);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    q[i] = v === v && !(seed && seed[i]) ? quant(v) : bgq;
  }
  const head = new Int32Array(LEVELS).fill(-1);
  const next = new Int32Array(n);
  const done = new Uint8Array(n);
  const level = new Uint16Array(n);
  const push = (i: number, l: number): void => {
    level[i] = l;
    next[i] = head[l]!;
    head[l] = i;
    done[i] = 1;
  };
  let lo = LEVELS;
  const seedPixel = (i: number): void => {
    if (done[i]) return;
    const l = q[i]!;
    push(i, l);
    if (l < lo) lo = l;
  };
  for (let x = 0; x < width; x++) {
    seedPixel(x);
    seedPixel((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    seedPixel(y * width);
    seedPixel(y * width + width - 1);
  }
  if (seed) for (let i = 0; i < n; i++) if (seed[i]) seedPixel(i);
  for (let i = 0; i < n; i++) if (values[i] !== values[i]) seedPixel(i);

  // The level popped never decreases (a neighbour gets max(own, current)), so one pointer walks the buckets.
  let cur = lo;
  while (cur < LEVELS) {
    const i = head[cur]!;
    if (i < 0) {
      cur++;
      continue;
    }
    head[cur] = next[i]!;
    const x = i % width;
    const l = cur;
    if (x > 0 && !done[i - 1]) push(i - 1, Math.max(q[i - 1]!, l));
    if (x < width - 1 && !done[i + 1]) push(i + 1, Math.max(q[i + 1]!, l));
    if (i >= width && !done[i - width]) push(i - width, Math.max(q[i - width]!, l));
    if (i + width < n && !done[i + width]) push(i + width, Math.max(q[i + width]!, l));
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = level[i]! / QUANT;
  return out;
}

function quant(v: number): number {
  const k = Math.round(v * QUANT);
  return k < 0 ? 0 : k > LEVELS - 1 ? LEVELS - 1 : k;
}

/**
 * Labels the 8-connected components of a 0/1 mask with a breadth-first flood over a typed-array queue.
 * Returns labels (0 = background, 1..count) and the pixel count of each label (index 0 unused).
 */
export function labelComponents(
  mask: Uint8Array,
  width: number,
  height: number,
): { labels: Int32Array; count: number; sizes: Int32Array } {
  const n = width * height;
  const labels = new Int32Array(n);
  const queue = new Int32Array(n);
  let count = 0;
  const sizesTmp: number[] = [0];
  for (let s = 0; s < n; s++) {
    if (!mask[s] || labels[s]) continue;
    const lab = ++count;
    let qh = 0;
    let qt = 0;
    queue[qt++] = s;
    labels[s] = lab;
    while (qh < qt) {
      const i = queue[qh++]!;
      const x = i % width;
      const y = (i - x) / width;
      const y0 = y > 0 ? y - 1 : y;
      const y1 = y < height - 1 ? y + 1 : y;
      const x0 = x > 0 ? x - 1 : x;
      const x1 = x < width - 1 ? x + 1 : x;
      for (let yy = y0; yy <= y1; yy++) {
        for (let xx = x0; xx <= x1; xx++) {
          const j = yy * width + xx;
          if (mask[j] && !labels[j]) {
            labels[j] = lab;
            queue[qt++] = j;
          }
        }
      }
    }
    sizesTmp.push(qt);
  }
  return { labels, count, sizes: Int32Array.from(sizesTmp) };
}

/** Selections larger than this are subsampled regularly before percentiles are taken. */
const MAX_PERCENTILE_SAMPLE = 1 << 18;

/**
 * p-th percentile (0..100, nearest rank on the sorted values: index round(p/100*(n-1))) of `values[i]` over the
 * pixels where `select[i]` is non-zero and the value is finite. Returns NaN when nothing is selected.
 * Large selections are subsampled regularly to at most 2^18 values (rank error ~0.1 %, far below the
 * tolerance of the thresholds that use them).
 */
export function percentileWhere(values: Float32Array, select: Uint8Array, p: number): number {
  const list = selectedValues(values, select);
  return percentileOf(list, p);
}

/** Several percentiles of the same selection (one sort); NaN each when nothing is selected. */
export function percentilesWhere(values: Float32Array, select: Uint8Array, ps: readonly number[]): number[] {
  const list = selectedValues(values, select);
  list.sort();
  return ps.map((p) => percentileOf(list, p, true));
}

/** Values of `values` where `select` is set (finite only), regularly subsampled to at most 2^18. */
export function selectedValues(values: Float32Array, select: Uint8Array): Float32Array {
  let count = 0;
  for (let i = 0; i < select.length; i++) if (select[i] && Number.isFinite(values[i]!)) count++;
  const step = Math.max(1, Math.ceil(count / MAX_PERCENTILE_SAMPLE));
  const out = new Float32Array(Math.ceil(count / step));
  let k = 0;
  let seen = 0;
  for (let i = 0; i < select.length; i++) {
    if (!select[i]) continue;
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (seen++ % step === 0) out[k++] = v;
  }
  return out.subarray(0, k);
}

/** p-th percentile (nearest rank) of a list; sorts the list in place unless `sorted`. NaN for an empty list. */
export function percentileOf(list: Float32Array, p: number, sorted = false): number {
  if (list.length === 0) return NaN;
  if (!sorted) list.sort();
  const idx = Math.min(list.length - 1, Math.max(0, Math.round((p / 100) * (list.length - 1))));
  return list[idx]!;
}
