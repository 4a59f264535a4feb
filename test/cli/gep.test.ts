/** System tests of the `gep` command: real processes, real files, exit codes and messages. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/env.ts';
import { writeCog } from '../../src/raster/cog/write.ts';
import { makeRaster } from '../../src/raster/types.ts';

function gep(args: string[], cwd = REPO_ROOT): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/gep.js'), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('gep CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gep-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('no command prints help and exits 2; --help exits 0', () => {
    const r = gep([]);
    assert.equal(r.code, 2);
    assert.match(r.out, /Usage: gep <command>/);
    assert.equal(gep(['--help']).code, 0);
    assert.match(gep(['info', '--help']).out, /Usage: gep info FILE/);
  });

  test('unknown command and bad options: exit 2 with one readable line', () => {
    const r = gep(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown command 'frobnicate'/);
    const s = gep(['simulate', 'displacement', '--out', join(dir, 'x'), '--size', '5']);
    assert.equal(s.code, 2);
    assert.equal(s.err.trim().split('\n').length, 1);
    assert.match(s.err, /--size must be an integer from 64 to 10980, got '5'/);
    const k = gep(['simulate', 'volcano', '--out', join(dir, 'x')]);
    assert.equal(k.code, 2);
    assert.match(k.err, /displacement, landslide, stereo/);
    const u = gep(['info', '--bogus', 'x.tif']);
    assert.equal(u.code, 2);
    assert.match(u.err, /bogus/);
  });

  test('info on a missing file and on a non-raster: exit 2, no stack trace', () => {
    const m = gep(['info', join(dir, 'nope.tif')]);
    assert.equal(m.code, 2);
    assert.match(m.err, /nope\.tif: no such file/);
    assert.doesNotMatch(m.err, /\bat .*\.ts:\d+/);
    const junk = join(dir, 'junk.tif');
    writeFileSync(junk, 'this is not a tiff at all');
    const j = gep(['info', junk]);
    assert.equal(j.code, 2);
    assert.match(j.err, /junk\.tif/);
    assert.equal(j.err.trim().split('\n').length, 1);
  });

  test('info describes a COG we wrote: size, type, CRS, transform, nodata, overviews, time', async () => {
    const w = 1100;
    const h = 700;
    const a = new Uint16Array(w * h);
    for (let i = 0; i < a.length; i++) a[i] = (i * 7) % 4000;
    const path = join(dir, 'scene_20200115.tif');
    await writeCog(path, makeRaster([a], w, h, { transform: [300000, 10, 0, 5000040, 0, -10], crs: { epsg: 32633 }, nodata: 0, bandNames: ['B04'] }));
    const r = gep(['info', path]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Size:\s+1100 x 700 px, 1 band, uint16/);
    assert.match(r.out, /CRS:\s+EPSG:32633/);
    assert.match(r.out, /origin \(300000, 5000040\), pixel 10 x -10/);
    assert.match(r.out, /Nodata:\s+0/);
    assert.match(r.out, /Bands:\s+1:B04/);
    assert.match(r.out, /Overviews:\s+550x350/);
    assert.match(r.out, /Acquired:\s+2020-01-15/);
    const js = JSON.parse(gep(['info', '--json', path]).out) as { width: number; crs: { epsg: number } };
    assert.equal(js.width, 1100);
    assert.equal(js.crs.epsg, 32633);
  });

  test('simulate writes a scene that info can read', () => {
    const out = join(dir, 'sim');
    const r = gep(['simulate', 'displacement', '--out', out, '--size', '64', '--dates', '2', '--format', 'cog']);
    assert.equal(r.code, 0, r.err);
    const tif = r.out.split('\n').find((l) => l.endsWith('.tif'));
    assert.ok(tif, `no .tif in output: ${r.out}`);
    assert.ok(readdirSync(out).length > 0);
    const i = gep(['info', tif]);
    assert.equal(i.code, 0, i.err);
    assert.match(i.out, /Size:\s+64 x 64 px/);
    assert.match(r.out, /truth: /);
  });
});
