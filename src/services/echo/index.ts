/**
 * `echo`: returns its inputs as outputs, for the OGC API - Processes test suite (ETS ogcapi-processes10,
 * `echoprocessid=echo`) and for tests of the runner (tile fan-out, failures, cancellation).
 *
 * Shaped for that suite: it fills EVERY input whose schema says `type: "string"` with "teststring", sends a
 * bounding box `{crs, bbox: [4 numbers]}` to object inputs with a `bbox` property, adds `pause: 5` in its
 * dismiss tests, and asks for the output with the same id as the FIRST input. Hence: `message` first and
 * required, every other input optional, and the enum and date-time inputs declare no `type` (the validator
 * infers 'string' from `enum` / `format`), so they are not filled with "teststring".
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { GepError } from '../../core/errors.ts';
import { tileTask } from '../context.ts';
import { BBOX_SCHEMA, type Service, type ServiceDescription } from '../types.ts';
import type { SquareResult, SquareTile } from './square-tile.ts';

const description: ServiceDescription = {
  id: 'echo',
  version: '1.0.0',
  title: 'Echo',
  description: 'Returns each input as the output of the same id; optionally squares tile indices in worker threads.',
  keywords: ['test', 'echo', 'ogc'],
  jobControlOptions: ['sync-execute', 'async-execute'],
  inputs: {
    message: { title: 'Message', description: 'Text echoed back.', schema: { type: 'string' }, cli: { short: 'm' }, group: 'Values' },
    ratio: { title: 'Ratio', description: 'A number in [0, 1).', schema: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.5 }, group: 'Values' },
    count: { title: 'Count', description: 'An integer with a range.', schema: { type: 'integer', minimum: 1, maximum: 10, default: 3 }, cli: { short: 'n' }, group: 'Values' },
    flag: { title: 'Flag', description: 'A boolean.', schema: { type: 'boolean', default: false }, group: 'Values' },
    color: { title: 'Colour', description: 'One of a list.', schema: { enum: ['red', 'green', 'blue'], default: 'green' }, group: 'Values' },
    values: {
      title: 'Values',
      description: 'An array of 1 to 8 numbers.',
      schema: { type: 'array', items: { type: 'number' }, minItems: 1, maxItems: 8, default: [1, 2, 3] },
      group: 'Values',
    },
    labels: { title: 'Labels', description: 'Any number of strings (maxOccurs unbounded).', schema: { type: 'string' }, minOccurs: 0, maxOccurs: 'unbounded', group: 'Values' },
    bbox: { title: 'Bounding box', description: 'An OGC bounding box.', schema: BBOX_SCHEMA, minOccurs: 0, kind: 'bbox', group: 'Values' },
    when: { title: 'Date and time', description: 'An RFC 3339 date-time (on the command line, a date alone means midnight UTC).', schema: { format: 'date-time' }, minOccurs: 0, group: 'Values' },
    tiles: { title: 'Tiles', description: 'Number of tiles whose index is squared in worker threads.', schema: { type: 'integer', minimum: 0, maximum: 256, default: 0 }, group: 'Testing' },
    delayMs: { title: 'Tile delay', description: 'Time each tile waits before answering.', schema: { type: 'integer', minimum: 0, maximum: 60_000, default: 0, 'x-ogc-unit': 'ms' }, group: 'Testing' },
    failTile: { title: 'Failing tile', description: 'Index of a tile that fails on purpose (-1: none).', schema: { type: 'integer', minimum: -1, maximum: 255, default: -1 }, group: 'Testing' },
    pause: { title: 'Pause', description: 'Time the job waits before finishing (the OGC test suite sends 5).', schema: { type: 'integer', minimum: 0, maximum: 60, default: 0, 'x-ogc-unit': 's' }, group: 'Testing' },
  },
  outputs: {
    message: { title: 'Message', description: 'The message input.', schema: { type: 'string' } },
    ratio: { title: 'Ratio', description: 'The ratio input.', schema: { type: 'number' } },
    count: { title: 'Count', description: 'The count input.', schema: { type: 'integer' } },
    flag: { title: 'Flag', description: 'The flag input.', schema: { type: 'boolean' } },
    color: { title: 'Colour', description: 'The color input.', schema: { type: 'string' } },
    values: { title: 'Values', description: 'The values input.', schema: { type: 'array', items: { type: 'number' } } },
    labels: { title: 'Labels', description: 'The labels input.', schema: { type: 'array', items: { type: 'string' } } },
    bbox: { title: 'Bounding box', description: 'The bbox input.', schema: BBOX_SCHEMA },
    when: { title: 'Date and time', description: 'The when input.', schema: { type: 'string', format: 'date-time' } },
    squares: { title: 'Squares', description: 'Square of each tile index, computed in worker threads.', schema: { type: 'array', items: { type: 'integer' } } },
  },
  example: { inputs: { message: 'hello', count: 2, tiles: 4 }, note: 'squares is [0, 1, 4, 9]' },
};

const ECHOED = ['message', 'ratio', 'count', 'flag', 'color', 'values', 'labels', 'bbox', 'when'] as const;

export const echoService: Service = {
  description,
  async run(ctx) {
    const { tiles, delayMs, failTile, pause } = ctx.inputs as { tiles: number; delayMs: number; failTile: number; pause: number };
    const outputs: Record<string, unknown> = {};
    for (const id of ECHOED) if (ctx.inputs[id] !== undefined) outputs[id] = ctx.inputs[id];
    ctx.progress(0.05, 'echoing');
    if (tiles > 0) {
      const list: SquareTile[] = Array.from({ length: tiles }, (_, index) => ({ index, delayMs, fail: index === failTile }));
      const task = tileTask<SquareTile, SquareResult>(new URL('./square-tile.ts', import.meta.url));
      const res = await ctx.map(list, task, { onTileDone: (d, n) => ctx.progress(0.05 + (0.9 * d) / n, `tile ${d}/${n}`) });
      outputs.squares = res.map((r) => r.square);
      ctx.log('debug', `tiles ran on threads ${[...new Set(res.map((r) => r.threadId))].join(', ')}`);
    }
    if (pause > 0) {
      ctx.log('info', `pausing ${pause} s`);
      await sleep(pause * 1000, undefined, { signal: ctx.signal }).catch(() => {
        throw new GepError('GEP_ERR_ABORTED', 'operation cancelled');
      });
    }
    ctx.progress(1, 'done');
    return { outputs };
  },
};
