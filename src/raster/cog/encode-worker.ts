/**
 * Piscina worker for the COG writer's optional worker-thread compression: DEFLATE (zlib stream) of one tile.
 * The input buffer is transferred in and the compressed bytes are transferred back.
 */
import { deflateSync } from 'node:zlib';

export interface EncodeTask {
  data: Uint8Array;
  level: number;
}

export default function encodeTile(task: EncodeTask): Uint8Array {
  const out = deflateSync(task.data, { level: task.level });
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
