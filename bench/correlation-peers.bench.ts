/**
 * Dense correlation (MPIC-OPT step 3) against named peers on the same simulated pairs, in one run.
 *
 *   node --import tsx bench/correlation-peers.bench.ts [--size 512] [--speed 1024] [--dense-step 4] [--phase-step 8]
 *   (or: node --import tsx bench/run.ts correlation-peers [same flags])
 *
 * Pairs (size × size, texture = 200 random sinusoids, log-uniform wavelengths 3–40 px, rendered exactly at the
 * displaced coordinates): "easy" = a smooth displacement field (±3 px) only; "hard" = the same + gain 0.8 /
 * offset 30 on the secondary, Gaussian noise (SNR 100) on both, and a decorrelated square (size/6, independent
 * texture). Both images are written as raw float32 and the peers (bench/peers/correlation_peers.py, Debian
 * /usr/bin/python3 with python3-opencv and python3-skimage) read them:
 *   opencv-ncc-dense  cv2.matchTemplate TM_CCOEFF_NORMED, 7×7 template over ±7 px + 3-point parabolic peak fit
 *   opencv-phase-32   cv2.phaseCorrelate on 32×32 windows;  skimage-phase-32  phase_cross_correlation(upsample 20)
 * Peers run on a subsample grid (every dense-step / phase-step px; they loop per point in Python); their time is
 * scaled per pixel. Ours runs at full density (SzW 3, S = 7 i.e. R = 4, regularization 0.3, threshold 0.2).
 * Reported: RMSE (px, both components) over each method's own valid points, % valid, RMSE on the points valid for
 * both ours and the peer, wall and CPU time and Mpx/s (CPU time is the fairer figure on a shared machine; the
 * peers' time is their per-point loop only). Then our speed on a speed × speed pair at defaults (one core).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { correlatePair, type CorrelationResult } from '../src/algorithms/correlation/index.ts';
import { addNoise, makeTexture, render, stdOf } from '../test/algorithms/correlation/texture.ts';

const PY = '/usr/bin/python3';
const S = 7;
const R = 3;
const THRESHOLD = 0.2;

function argNum(args: string[], name: string, def: number): number {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} expects a non-negative integer`);
  return v;
}

interface Pair {
  name: string;
  ref: Float32Array;
  sec: Float32Array;
  u: Float64Array; // truth, columns (east)
  v: Float64Array; // truth, rows (south)
}

/** Smooth field, |u|, |v| <= 3 px. */
function field(n: number): { u: Float64Array; v: Float64Array } {
  const u = new Float64Array(n * n);
  const v = new Float64Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const a = x / n;
      const b = y / n;
      u[y * n + x] = 2.2 * Math.sin(2 * Math.PI * (0.8 * a + 0.1)) * Math.cos(2 * Math.PI * 0.6 * b) + 0.7 * b;
      v[y * n + x] = -1.8 * Math.cos(2 * Math.PI * (0.7 * b + 0.2)) * Math.sin(2 * Math.PI * (0.5 * a + 0.3)) - 0.4;
    }
  }
  return { u, v };
}

function makePairs(n: number): Pair[] {
  const tex = makeTexture(2024);
  const { u, v } = field(n);
  const ref = render(tex, n, n);
  const sec = render(tex, n, n, u, v);
  const easy: Pair = { name: 'easy', ref, sec, u, v };
  const sd = stdOf(ref);
  const href = addNoise(Float32Array.from(ref), sd / 100, 1);
  const other = render(makeTexture(777), n, n);
  const hsec = new Float32Array(n * n);
  const p0x = Math.round(0.55 * n);
  const p0y = Math.round(0.3 * n);
  const ps = Math.round(n / 6);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const k = y * n + x;
      const inPatch = x >= p0x && x < p0x + ps && y >= p0y && y < p0y + ps;
      hsec[k] = 0.8 * (inPatch ? (other[k] as number) : (sec[k] as number)) + 30;
    }
  }
  addNoise(hsec, (0.8 * sd) / 100, 2);
  return [easy, { name: 'hard', ref: href, sec: hsec, u, v }];
}

interface PointSet {
  x: number[];
  y: number[];
  dx: number[];
  dy: number[];
  valid: number[];
  seconds: number;
  cpu?: number;
}

interface Row {
  method: string;
  points: number;
  validPct: number;
  rmse: number;
  rmseCommon: number;
  seconds: number;
  cpu: number;
  mpxs: number;
  mpxsCpu: number;
}

function rmseAt(ps: PointSet, pair: Pair, n: number, keep: (i: number) => boolean): number {
  let se = 0;
  let cnt = 0;
  for (let i = 0; i < ps.x.length; i++) {
    if (!ps.valid[i] || !keep(i)) continue;
    const k = (ps.y[i] as number) * n + (ps.x[i] as number);
    const ex = (ps.dx[i] as number) - (pair.u[k] as number);
    const ey = (ps.dy[i] as number) + (pair.v[k] as number);
    se += ex * ex + ey * ey;
    cnt++;
  }
  return Math.sqrt(se / (2 * Math.max(cnt, 1)));
}

/** Our result sampled at a peer's points. */
function oursAt(res: CorrelationResult, n: number, ps: PointSet, seconds: number): PointSet {
  const out: PointSet = { x: ps.x, y: ps.y, dx: [], dy: [], valid: [], seconds };
  for (let i = 0; i < ps.x.length; i++) {
    const k = (ps.y[i] as number) * n + (ps.x[i] as number);
    out.dx.push(res.dx[k] as number);
    out.dy.push(res.dy[k] as number);
    out.valid.push(res.valid[k] as number);
  }
  return out;
}

function fmt(rows: Row[]): string {
  const head = '| method | points | valid % | RMSE own valid (px) | RMSE common valid (px) | wall (s) | cpu (s) | Mpx/s wall | Mpx/s cpu |';
  const sep = '|---|---:|---:|---:|---:|---:|---:|---:|---:|';
  const body = rows.map(
    (r) =>
      `| ${r.method} | ${r.points} | ${r.validPct.toFixed(1)} | ${r.rmse.toFixed(4)} | ${Number.isNaN(r.rmseCommon) ? '–' : r.rmseCommon.toFixed(4)} | ${r.seconds.toFixed(2)} | ${r.cpu.toFixed(2)} | ${r.mpxs.toFixed(3)} | ${r.mpxsCpu.toFixed(3)} |`,
  );
  return [head, sep, ...body].join('\n');
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export async function run(args: string[]): Promise<void> {
  const n = argNum(args, '--size', 512);
  const speed = argNum(args, '--speed', 1024);
  const denseStep = argNum(args, '--dense-step', 4);
  const phaseStep = argNum(args, '--phase-step', 8);
  const dir = mkdtempSync(join(tmpdir(), 'gep-corr-bench-'));
  try {
    console.log(`# correlation peers, ${n}×${n}, SzW ${R}, S ${S}, regularization 0.3, threshold ${THRESHOLD}; node ${process.version}`);
    for (const pair of makePairs(n)) {
      writeFileSync(join(dir, 'ref.f32'), Buffer.from(pair.ref.buffer, pair.ref.byteOffset, pair.ref.byteLength));
      writeFileSync(join(dir, 'sec.f32'), Buffer.from(pair.sec.buffer, pair.sec.byteOffset, pair.sec.byteLength));
      const c0 = cpuSeconds();
      const t0 = performance.now();
      const res = correlatePair(pair.ref, pair.sec, n, n, { windowRadius: R, searchRange: S, regularization: 0.3, threshold: THRESHOLD });
      const wall = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds() - c0;
      // ours, full density
      const all: PointSet = { x: [], y: [], dx: [], dy: [], valid: [], seconds: wall };
      for (let y = 0; y < n; y++) {
        for (let x = 0; x < n; x++) {
          all.x.push(x);
          all.y.push(y);
        }
      }
      const oursAll = oursAt(res, n, all, wall);
      let nv = 0;
      for (const v of res.valid) nv += v;
      const rows: Row[] = [
        {
          method: 'ours (full density)',
          points: n * n,
          validPct: (100 * nv) / (n * n),
          rmse: rmseAt(oursAll, pair, n, () => true),
          rmseCommon: NaN,
          seconds: wall,
          cpu,
          mpxs: (n * n) / 1e6 / wall,
          mpxsCpu: (n * n) / 1e6 / cpu,
        },
      ];
      const py = spawnSync(PY, [join(import.meta.dirname, 'peers', 'correlation_peers.py'), dir, String(n), String(n), String(S), String(R), String(THRESHOLD), String(denseStep), String(phaseStep)], {
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      });
      if (py.status !== 0) {
        console.log(`# peers failed: ${py.stderr.slice(-500)}`);
      } else {
        const peers = JSON.parse(py.stdout) as Record<string, PointSet | string>;
        for (const [name, ps] of Object.entries(peers)) {
          if (typeof ps === 'string') {
            console.log(`# ${name}: ${ps}`);
            continue;
          }
          const mine = oursAt(res, n, ps, wall);
          const both = (i: number): boolean => ps.valid[i] === 1 && mine.valid[i] === 1;
          const pv = ps.valid.reduce((a, b) => a + b, 0);
          const ov = mine.valid.reduce((a, b) => a + b, 0);
          rows.push({
            method: `${name} (every ${name.includes('dense') ? denseStep : phaseStep} px)`,
            points: ps.x.length,
            validPct: (100 * pv) / ps.x.length,
            rmse: rmseAt(ps, pair, n, () => true),
            rmseCommon: rmseAt(ps, pair, n, both),
            seconds: ps.seconds,
            cpu: ps.cpu ?? NaN,
            mpxs: ps.x.length / 1e6 / ps.seconds,
            mpxsCpu: ps.x.length / 1e6 / (ps.cpu ?? NaN),
          });
          rows.push({
            method: `  ours on the same points`,
            points: ps.x.length,
            validPct: (100 * ov) / ps.x.length,
            rmse: rmseAt(mine, pair, n, () => true),
            rmseCommon: rmseAt(mine, pair, n, both),
            seconds: wall * (ps.x.length / (n * n)),
            cpu: cpu * (ps.x.length / (n * n)),
            mpxs: (n * n) / 1e6 / wall,
            mpxsCpu: (n * n) / 1e6 / cpu,
          });
        }
      }
      console.log(`\n## ${pair.name} pair\n`);
      console.log(fmt(rows));
    }
    if (speed > 0) {
      const tex = makeTexture(99);
      const { u, v } = field(speed);
      const ref = render(tex, speed, speed);
      const sec = render(tex, speed, speed, u, v);
      const c0 = cpuSeconds();
      const t0 = performance.now();
      correlatePair(ref, sec, speed, speed, {});
      const wall = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds() - c0;
      console.log(
        `\n## speed: ${speed}×${speed} at defaults (SzW 3, S 7, regularization 0.3), one thread: ${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s cpu, ${((speed * speed) / 1e6 / wall).toFixed(3)} Mpx/s`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run(process.argv.slice(2));
}
