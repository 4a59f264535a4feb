/** `gep simulate <displacement|landslide|stereo> --out DIR`: write a scene with known truth. */
import { invalidInput } from '../../core/errors.ts';
import { simulateScenario } from '../../simulate/write.ts';
import { intOption, parse } from '../args.ts';
import type { Command } from '../main.ts';
import { progressSink } from '../progress.ts';

const KINDS = ['displacement', 'landslide', 'stereo'] as const;
const FORMATS = ['cog', 'safe', 'dimap', 'all'] as const;

export const simulateCommand: Command = {
  summary: 'Write a simulated scene with its truth (displacement time series, landslide pair, stereo views)',
  usage: [
    'gep simulate <displacement|landslide|stereo> --out DIR [--seed N] [--size PX] [--dates N] [--format cog|safe|dimap|all]',
    '',
    '  --out DIR      output folder (created)',
    '  --seed N       random seed (default 1): the same seed writes the same files',
    '  --size PX      scene width and height in pixels, 64..10980 (default 512)',
    '  --dates N      number of acquisitions of the displacement time series, 2..60 (default 4)',
    '  --format F     cog, the sensor layout (SAFE for Sentinel-2, DIMAP for Pléiades), or all (default all)',
  ].join('\n'),
  async run(args) {
    const { values, positionals } = parse(args, {
      out: { type: 'string' },
      seed: { type: 'string' },
      size: { type: 'string' },
      dates: { type: 'string' },
      format: { type: 'string' },
    });
    const kind = positionals[0];
    if (positionals.length !== 1 || !KINDS.includes(kind as (typeof KINDS)[number]))
      throw invalidInput(`gep simulate needs one scenario: ${KINDS.join(', ')}`);
    if (typeof values.out !== 'string' || values.out === '') throw invalidInput('--out DIR is required');
    const format = (values.format ?? 'all') as string;
    if (!FORMATS.includes(format as (typeof FORMATS)[number]))
      throw invalidInput(`--format must be one of ${FORMATS.join(', ')}, got '${format}'`);
    const sink = progressSink(`simulate ${kind}`);
    const res = await simulateScenario(kind as (typeof KINDS)[number], {
      outDir: values.out,
      seed: intOption('seed', values.seed, 1, 0, 2 ** 31 - 1),
      size: intOption('size', values.size, 512, 64, 10980),
      dates: intOption('dates', values.dates, 4, 2, 60),
      format: format as (typeof FORMATS)[number],
      progress: sink.progress,
    });
    sink.done(`wrote ${res.files.length} files`);
    for (const f of res.files) process.stdout.write(`${f}\n`);
    process.stdout.write(`truth: ${res.truth}\n`);
    return 0;
  },
};
