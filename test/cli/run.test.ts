/** `gep run` and `gep services`: flags generated from the description, help, outputs, exit codes. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/env.ts';
import { parseServiceArgs, renderServiceHelp } from '../../src/cli/commands/run.ts';
import { getService } from '../../src/services/registry.ts';

function gep(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/gep.js'), ...args], { cwd: tmpdir(), encoding: 'utf8', timeout: 60_000, env: { ...process.env, GEP_WORKERS: '2' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'gep-run-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('gep run: argument parsing from the description', async () => {
  const desc = (await getService('echo')).description;
  const p = (args: string[]): Record<string, unknown> => parseServiceArgs(desc, args).inputs;

  test('types converted: integers, numbers, booleans, arrays, dates, bbox, JSON', () => {
    assert.deepEqual(p(['--message', 'hi there', '-n', '4', '--ratio=0.25', '--flag', '--values', '1', '-2.5', '3e2']), {
      message: 'hi there', count: 4, ratio: 0.25, flag: true, values: [1, -2.5, 300],
    });
    assert.deepEqual(p(['--no-flag', '--when', '2020-01-31', '--bbox', '5', '45', '6', '46']), {
      flag: false, when: '2020-01-31T00:00:00Z', bbox: { bbox: [5, 45, 6, 46] },
    });
    assert.deepEqual(p(['--flag', 'false', '--labels', 'a', 'b', '--labels', 'c']), { flag: false, labels: ['a', 'b', 'c'] });
    assert.deepEqual(p(['--bbox', '{"bbox":[1,2,3,4],"crs":"urn:ogc:def:crs:EPSG::4326"}', '--values', '[7,8]']), {
      bbox: { bbox: [1, 2, 3, 4], crs: 'urn:ogc:def:crs:EPSG::4326' }, values: [7, 8],
    });
    const gj = join(dir, 'area.geojson');
    writeFileSync(gj, JSON.stringify({ bbox: [0, 0, 1, 1] }));
    assert.deepEqual(p(['--bbox', gj]), { bbox: { bbox: [0, 0, 1, 1] } });
    // Values that do not convert stay text, so validation names the input and the value.
    assert.deepEqual(p(['--count', 'abc']), { count: 'abc' });
  });

  test('reserved options and mistakes', () => {
    const r = parseServiceArgs(desc, ['--message', 'x', '--out', 'o', '--json', '--workers', '3']);
    assert.deepEqual([r.out, r.json, r.workers], ['o', true, 3]);
    assert.equal(parseServiceArgs(desc, ['-h']).help, true);
    assert.throws(() => p(['--count', '1', '--count', '2']), /--count is given twice/);
    assert.throws(() => p(['--bogus', '1']), /unknown option --bogus for process 'echo'/);
    assert.throws(() => p(['--message']), /--message needs a value/);
    assert.throws(() => p(['stray']), /unexpected argument 'stray'/);
    assert.throws(() => p(['--values', '--flag']), /--values needs at least one value/);
    assert.throws(() => parseServiceArgs(desc, ['--workers', 'x']), /--workers must be an integer/);
  });

  test('help lists every input with flag, type, default, range/enum, grouped', () => {
    const h = renderServiceHelp(desc);
    for (const id of Object.keys(desc.inputs)) assert.ok(h.includes(desc.inputs[id]!.title), id);
    assert.match(h, /Values:\n {2}-m, --message <string> +Message: Text echoed back\.\n +string; required/);
    assert.match(h, /-n, --count <integer> +Count: .*\n +integer from 1 to 10; default 3/);
    assert.match(h, /--flag \/ --no-flag .*\n +true or false; default false/);
    assert.match(h, /--color <red\|green\|blue> .*\n +one of 'red', 'green', 'blue'; default green/);
    assert.match(h, /--ratio <number> .*\n +number at least 0 and less than 1; default 0\.5/);
    assert.match(h, /--labels <string> \.\.\. .*\n +string; 0\+ values; optional/);
    assert.match(h, /Testing:\n/);
    assert.match(h, /--delay-ms <integer> .*\n +integer from 0 to 60000; unit ms; default 0/);
  });
});

describe('gep run / gep services (processes)', () => {
  test('gep run echo --help shows inputs with defaults and ranges (exit 0)', () => {
    const r = gep(['run', 'echo', '--help']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /--count <integer> .*\n +integer from 1 to 10; default 3/);
    assert.match(r.out, /--when <date-time>/);
    assert.match(r.out, /--out DIR/);
  });

  test('gep run echo --message hi --out DIR writes a catalog whose item holds the echoed values', () => {
    const out = join(dir, 'hi');
    const r = gep(['run', 'echo', '--message', 'hi', '--tiles', '3', '--no-flag', '--values', '1', '-2', '--out', out]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^message: hi$/m);
    assert.match(r.out, /^squares: \[0,1,4\]$/m);
    assert.match(r.out, /^catalog: .*catalog\.json$/m);
    const cat = JSON.parse(readFileSync(join(out, 'catalog.json'), 'utf8')) as { links: { rel: string; href: string }[] };
    const link = cat.links.find((l) => l.rel === 'item')!;
    const item = JSON.parse(readFileSync(join(out, link.href), 'utf8')) as { properties: Record<string, Record<string, unknown> | string> };
    const outputs = item.properties['gep:outputs'] as Record<string, unknown>;
    assert.equal(outputs.message, 'hi');
    assert.deepEqual(outputs.values, [1, -2]);
    assert.equal(outputs.flag, false);
    assert.deepEqual(outputs.squares, [0, 1, 4]);
    assert.match(String(item.properties['processing:lineage']), /^gep run echo --message hi --tiles 3/);
  });

  test('--json prints the outputs as JSON', () => {
    const r = gep(['run', 'echo', '-m', 'x', '--bbox', '1', '2', '3', '4', '--when', '2021-06-01T12:00:00Z', '--json', '--out', join(dir, 'json')]);
    assert.equal(r.code, 0, r.err);
    const js = JSON.parse(r.out) as { outputs: Record<string, unknown>; catalog: string };
    assert.deepEqual(js.outputs.bbox, { bbox: [1, 2, 3, 4], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84' });
    assert.equal(js.outputs.when, '2021-06-01T12:00:00Z');
    assert.ok(existsSync(js.catalog));
  });

  test('bad values: exit 2, one line naming the input and its flag, no catalog', () => {
    const out = join(dir, 'bad');
    for (const [args, re] of [
      [['--message', 'hi', '--count', '11'], /^gep run: input 'count' \(--count\): expected an integer from 1 to 10, got 11$/],
      [['--message', 'hi', '--color', 'pink'], /input 'color' \(--color\): expected one of 'red', 'green', 'blue', got 'pink'/],
      [['--count', '2'], /input 'message' \(--message\) is required: expected a string/],
      [['--message', 'hi', '--bbox', '1', '2', '3'], /input 'bbox' \(--bbox\): bbox: expected an array of 4 or 6 numbers/],
      [['--message', 'hi', '--tiles', '4', '--fail-tile', '1'], /input 'failTile' \(--fail-tile\): tile 1 failed on purpose/],
      [['--message', 'hi', '--frobnicate'], /unknown option --frobnicate for process 'echo'/],
    ] as [string[], RegExp][]) {
      const r = gep(['run', 'echo', ...args, '--out', out]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('run echo'));
      assert.equal(lines.length, 1, r.err);
      assert.match(lines[0]!, re);
      assert.equal(existsSync(join(out, 'catalog.json')), false);
    }
    const u = gep(['run', 'nope', '--out', out]);
    assert.equal(u.code, 2);
    assert.match(u.err, /unknown process 'nope' \(known: .*echo/);
    assert.match(gep(['run', 'echo', '--message', 'hi']).err, /--out DIR is required/);
  });

  test('gep services lists and describes', () => {
    const l = gep(['services']);
    assert.equal(l.code, 0, l.err);
    assert.match(l.out, /^ID +VERSION +TITLE\n/);
    assert.match(l.out, /^echo +1\.0\.0 +Echo$/m);
    const d = gep(['services', 'echo', '--json', '--base-url', 'https://gep.example.org']);
    assert.equal(d.code, 0, d.err);
    const js = JSON.parse(d.out) as { id: string; inputs: Record<string, { minOccurs: number }>; links: { rel: string; href: string }[] };
    assert.equal(js.id, 'echo');
    assert.equal(js.inputs.message!.minOccurs, 1);
    assert.ok(js.links.some((l) => l.rel === 'self' && l.href === 'https://gep.example.org/processes/echo'));
    const list = JSON.parse(gep(['services', '--json']).out) as { processes: { id: string }[] };
    assert.ok(list.processes.some((p) => p.id === 'echo'));
    assert.match(gep(['services', 'echo']).out, /--count <integer>/);
    assert.equal(gep(['services', 'nope']).code, 2);
  });
});
