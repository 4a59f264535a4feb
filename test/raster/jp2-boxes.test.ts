import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRaster } from '../../src/raster/types.ts';
import { encodeJp2, box } from '../../src/raster/jp2/write.ts';
import { openJp2 } from '../../src/raster/jp2/read.ts';
import { parseBoxes, parseCodestreamHeader, hasJp2Signature, MAX_BOX_DEPTH } from '../../src/raster/jp2/boxes.ts';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const be32 = (v: number): Uint8Array => Uint8Array.from([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
const cat = (...p: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(p.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const x of p) {
    out.set(x, o);
    o += x.length;
  }
  return out;
};

async function sample(): Promise<Uint8Array> {
  const d = new Uint16Array(64 * 48);
  for (let i = 0; i < d.length; i++) d[i] = (i * 37) % 4096;
  return encodeJp2(makeRaster([d], 64, 48, { transform: [0, 1, 0, 48, 0, -1], crs: { epsg: 32631 } }));
}

const expectCode = async (p: Promise<unknown>, code: string): Promise<void> => {
  await assert.rejects(p, (e: { code?: string; message?: string }) => {
    assert.equal(e.code, code, e.message);
    return true;
  });
};

describe('JP2 box structure', () => {
  test('parses the boxes we write', async () => {
    const f = await sample();
    assert.ok(hasJp2Signature(f));
    const boxes = parseBoxes(f, 'sample');
    assert.deepEqual(
      boxes.map((b) => b.type),
      ['jP  ', 'ftyp', 'jp2h', 'uuid', 'asoc', 'jp2c'],
    );
    assert.deepEqual(boxes[2]!.children.map((b) => b.type), ['ihdr', 'colr']);
    const jp2c = boxes[5]!;
    const cs = parseCodestreamHeader(f.subarray(jp2c.dataOffset), 'sample');
    assert.equal(cs.width, 64);
    assert.equal(cs.height, 48);
    assert.equal(cs.bits, 16);
    assert.equal(cs.reversible, true);
  });

  test('georeferencing: GeoJP2 first, GMLJP2 when GeoJP2 is absent or broken, none without either', async () => {
    const f = await sample();
    const boxes = parseBoxes(f, 's');
    const without = (...types: string[]): Uint8Array =>
      cat(...boxes.filter((b) => !types.includes(b.type)).map((b) => f.subarray(b.offset, b.dataOffset + b.dataLength)));
    const full = await openJp2(f);
    assert.equal(full.info.metadata.GEOREFERENCING_SOURCE, 'GeoJP2');
    assert.deepEqual(full.info.transform, [0, 1, 0, 48, 0, -1]);
    assert.equal(full.info.crs?.epsg, 32631);
    const gml = await openJp2(without('uuid'));
    assert.equal(gml.info.metadata.GEOREFERENCING_SOURCE, 'GMLJP2');
    assert.deepEqual(gml.info.transform, [0, 1, 0, 48, 0, -1]);
    assert.equal(gml.info.crs?.epsg, 32631);
    const broken = f.slice();
    const uuid = boxes.find((b) => b.type === 'uuid')!;
    broken.fill(0x41, uuid.dataOffset + 16, uuid.dataOffset + uuid.dataLength);
    assert.equal((await openJp2(broken)).info.metadata.GEOREFERENCING_SOURCE, 'GMLJP2');
    const none = await openJp2(without('uuid', 'asoc'));
    assert.equal(none.info.transform, null);
    assert.equal(none.info.crs, null);
  });

  test('raw J2K codestream opens too', async () => {
    const f = await sample();
    const jp2c = parseBoxes(f, 'sample').find((b) => b.type === 'jp2c')!;
    const r = await openJp2(f.slice(jp2c.dataOffset));
    assert.equal(r.info.width, 64);
    assert.equal(r.info.transform, null);
    const px = (await r.read()).bands[0]!;
    assert.equal(px[5], 185);
  });
});

describe('hostile JP2 input gives GepError, not a crash', () => {
  test('garbage and empty input', async () => {
    await expectCode(openJp2(ascii('this is not a jpeg 2000 file at all')), 'GEP_ERR_CORRUPT_FILE');
    await expectCode(openJp2(new Uint8Array(0)), 'GEP_ERR_CORRUPT_FILE');
    await expectCode(openJp2('/nonexistent/x.jp2'), 'GEP_ERR_NOT_FOUND');
  });

  test('truncated files at every box boundary and in the middle', async () => {
    const f = await sample();
    const cuts = [12, 20, 40, 60, 100, f.length - 200, f.length - 1];
    for (const n of cuts) await expectCode(openJp2(f.subarray(0, n)), 'GEP_ERR_CORRUPT_FILE');
  });

  test('box lengths beyond the file, below the header, 64-bit huge, zero-length boxes', async () => {
    const f = await sample();
    const huge = f.slice();
    huge.set(be32(0x7ffffff0), 32); // jp2h length
    await expectCode(openJp2(huge), 'GEP_ERR_CORRUPT_FILE');
    const small = f.slice();
    small.set(be32(3), 32);
    await expectCode(openJp2(small), 'GEP_ERR_CORRUPT_FILE');
    const xl = cat(f.subarray(0, 32), be32(1), ascii('uuid'), be32(0xffffffff), be32(0xffffff00), f.subarray(32));
    await expectCode(openJp2(xl), 'GEP_ERR_CORRUPT_FILE');
    // LBox = 0 on a non-final box swallows the codestream: no jp2c left.
    const zero = f.slice();
    zero.set(be32(0), 32);
    await expectCode(openJp2(zero), 'GEP_ERR_CORRUPT_FILE');
  });

  test('nesting depth is bounded', () => {
    let inner = box('xml ', ascii('<a/>'));
    for (let i = 0; i < MAX_BOX_DEPTH + 4; i++) inner = box('asoc', inner);
    assert.throws(() => parseBoxes(inner, 'deep'), { code: 'GEP_ERR_CORRUPT_FILE' });
  });

  test('ihdr inconsistent with the codestream; missing ihdr; missing jp2c', async () => {
    const f = await sample();
    const bad = f.slice();
    bad.set(be32(4800), 40 + 8); // ihdr height
    await expectCode(openJp2(bad), 'GEP_ERR_CORRUPT_FILE');
    const boxes = parseBoxes(f, 's');
    const noJp2c = f.slice(0, boxes[5]!.offset);
    await expectCode(openJp2(noJp2c), 'GEP_ERR_CORRUPT_FILE');
  });

  test('codestream header: bad SIZ, absurd sizes, missing COD', async () => {
    const f = await sample();
    const jp2c = parseBoxes(f, 's').find((b) => b.type === 'jp2c')!;
    const cs = f.slice(jp2c.dataOffset);
    const big = cs.slice();
    big.set(be32(0xffffffff), 8); // Xsiz
    big.set(be32(0xffffffff), 12); // Ysiz
    await expectCode(openJp2(big), 'GEP_ERR_TOO_LARGE');
    const comps = cs.slice();
    comps[40] = 0x40; // Csiz high byte: 16384+ components, length mismatch
    await expectCode(openJp2(comps), 'GEP_ERR_CORRUPT_FILE');
    assert.throws(() => parseCodestreamHeader(cs.subarray(0, 47), 'cut'), { code: 'GEP_ERR_CORRUPT_FILE' });
    const noCod = cs.slice(0, 4 + 2 + 41);
    assert.throws(() => parseCodestreamHeader(cat(noCod, Uint8Array.from([0xff, 0x90, 0, 10])), 'nocod'), {
      code: 'GEP_ERR_CORRUPT_FILE',
    });
  });

  test('corrupted packet data fails to decode or decodes to the declared size', async () => {
    const f = await sample();
    const bad = f.slice();
    for (let i = bad.length - 400; i < bad.length - 2; i++) bad[i] = 0xff;
    const r = await openJp2(bad);
    try {
      const out = await r.read();
      assert.equal(out.bands[0]!.length, 64 * 48);
    } catch (e) {
      assert.equal((e as { code?: string }).code, 'GEP_ERR_CORRUPT_FILE');
    }
  });
});
