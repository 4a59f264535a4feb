/** Service registry: duplicates refused, unknown ids named, lazy loading, description checks. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GepError } from '../../src/core/errors.ts';
import { checkDescription, flagOf, getService, listServices, registerService, serviceIds } from '../../src/services/registry.ts';
import type { Service, ServiceDescription } from '../../src/services/types.ts';

const desc = (id: string, extra: Partial<ServiceDescription> = {}): ServiceDescription => ({
  id, version: '0.1.0', title: `T ${id}`, description: 'd', keywords: [], outputs: {},
  inputs: { windowSize: { title: 'W', description: 'w', schema: { type: 'integer', minimum: 1, maximum: 7, default: 5 } } },
  ...extra,
});
const service = (d: ServiceDescription): Service => ({ description: d, run: async () => ({ outputs: {} }) });

describe('service registry', () => {
  test('echo is registered; getService loads it once', async () => {
    assert.ok(serviceIds().includes('echo'));
    const a = await getService('echo');
    const b = await getService('echo');
    assert.equal(a, b);
    assert.equal(a.description.id, 'echo');
    assert.ok((await listServices()).some((s) => s.description.id === 'echo'));
  });

  test('duplicate ids are refused, naming the id', () => {
    registerService(service(desc('reg-dup')));
    assert.throws(() => registerService(service(desc('reg-dup'))), /service 'reg-dup' is already registered/);
    assert.throws(() => registerService({ id: 'echo', load: async () => service(desc('echo')) }), /service 'echo' is already registered/);
  });

  test('unknown id: GEP_ERR_INVALID_INPUT listing the known ones', async () => {
    await assert.rejects(getService('nope'), (e: unknown) => {
      assert.ok(e instanceof GepError);
      assert.equal(e.code, 'GEP_ERR_INVALID_INPUT');
      assert.match(e.message, /^unknown process 'nope' \(known: .*echo.*\)$/);
      return true;
    });
  });

  test('lazy entries load on first use and must describe themselves under the registered id', async () => {
    let loads = 0;
    registerService({ id: 'reg-lazy', load: async () => (loads++, service(desc('reg-lazy'))) });
    assert.equal(loads, 0);
    await getService('reg-lazy');
    await getService('reg-lazy');
    assert.equal(loads, 1);
    registerService({ id: 'reg-liar', load: async () => service(desc('other')) });
    await assert.rejects(getService('reg-liar'), /registered as 'reg-liar' describes itself as 'other'/);
  });

  test('description checks: ids, defaults against their schema, flags', () => {
    assert.throws(() => checkDescription(desc('1bad')), /id must start with a letter/);
    assert.throws(
      () => checkDescription(desc('d1', { inputs: { w: { title: 'W', description: 'w', schema: { type: 'integer', maximum: 7, default: 9 } } } })),
      /service 'd1': input 'w': default 9 fails its schema \(expected an integer at most 7, got 9\)/,
    );
    assert.throws(() => checkDescription(desc('d2', { inputs: { out: { title: 'O', description: 'o', schema: { type: 'string' } } } })), /flag --out is reserved/);
    assert.throws(
      () => checkDescription(desc('d3', { inputs: {
        windowSize: { title: 'A', description: 'a', schema: { type: 'integer' } },
        window_size: { title: 'B', description: 'b', schema: { type: 'integer' } },
      } })),
      /inputs 'windowSize' and 'window_size' both use flag window-size/,
    );
    assert.throws(() => checkDescription(desc('d4', { inputs: { x: { title: 'X', description: 'x', schema: {} } } })), /schema without a type/);
    assert.throws(() => registerService(service(desc('d5', { title: '' }))), /version, title and description are required/);
  });

  test('flag names are kebab-case of the ids', () => {
    assert.equal(flagOf('windowSize'), 'window-size');
    assert.equal(flagOf('delayMs'), 'delay-ms');
    assert.equal(flagOf('dem_file'), 'dem-file');
    assert.equal(flagOf('x', 'custom'), 'custom');
  });
});
