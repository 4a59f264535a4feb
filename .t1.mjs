import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
const require = createRequire(import.meta.url);
const which = process.argv[2];
const f = require(which === 'js' ? '@cornerstonejs/codec-openjpeg' : '@cornerstonejs/codec-openjpeg/wasmjs');
let t = Date.now();
const m = await f();
console.log('load', Date.now() - t, Object.keys(m).filter(k=>/J2K/.test(k)));
const buf = readFileSync('/work/shared/data/s2-t33uuu-pair-arosics/ref_S2A_20160608T153121_T33UUU_sub.jp2');
const d = new m.J2KDecoder();
const eb = d.getEncodedBuffer(buf.length); eb.set(buf);
t = Date.now();
try { d.readHeader(); console.log('hdr', d.getFrameInfo(), d.getNumDecompositions(), d.getNumLayers(), d.getIsReversible(), d.getTileSize(), d.getBlockDimensions()); } catch (e) { console.log('readHeader err', e); }
try { d.decode(); } catch (e) { console.log('decode err', e); }
console.log('decode', Date.now() - t, d.getFrameInfo(), d.getDecodedBuffer().length);
const o = d.getDecodedBuffer(); const u = new Uint16Array(o.buffer, o.byteOffset, o.length/2); console.log(u.slice(1000000, 1000010));
