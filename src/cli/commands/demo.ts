/**
 * `gep demo`: makes the demo data (the three simulated scenarios with their truth) under DATA/demo on first run,
 * then writes quicklooks and an HTML overview a user can open, and prints what was made.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { openRaster } from '../../raster/open.ts';
import { quicklookPng } from '../../raster/quicklook.ts';
import { simulateScenario } from '../../simulate/write.ts';
import { parse } from '../args.ts';
import type { Command } from '../main.ts';
import { progressSink } from '../progress.ts';
import { describeRaster } from './info.ts';

const SCENARIOS = [
  { kind: 'displacement', size: 512, dates: 6, title: 'Sentinel-2 time series over a fault, a landslide and a glacier' },
  { kind: 'landslide', size: 512, dates: 2, title: 'Pre/post-event images with landslide scars' },
  { kind: 'stereo', size: 384, dates: 2, title: 'Pléiades-like stereo pair with RPC over a mountain' },
] as const;

async function listTifs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && !e.name.endsWith('.SAFE')) out.push(...(await listTifs(p)));
    else if (e.isFile() && /\.tif$/i.test(e.name)) out.push(p);
  }
  return out.sort();
}

export const demoCommand: Command = {
  summary: 'Make the demo data (simulated scenes with truth) and show what it holds',
  usage: 'gep demo [--data DIR] [--force]\n\n  --data DIR  data folder (default ./gep-data)\n  --force     make the demo data again',
  async run(args) {
    const { values } = parse(args, { data: { type: 'string' }, force: { type: 'boolean' } }, false);
    const root = resolve(typeof values.data === 'string' ? values.data : 'gep-data', 'demo');
    if (values.force) await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
    const sections: string[] = [];
    for (const s of SCENARIOS) {
      const dir = join(root, s.kind);
      if (!existsSync(join(dir, '.complete'))) {
        // Written to a temporary folder and renamed, so an interrupted run never looks complete.
        const tmp = `${dir}.tmp`;
        await rm(tmp, { recursive: true, force: true });
        const sink = progressSink(`demo ${s.kind}`);
        await simulateScenario(s.kind, { outDir: tmp, seed: 1, size: s.size, dates: s.dates, format: 'all', progress: sink.progress });
        sink.done();
        await writeFile(join(tmp, '.complete'), new Date().toISOString());
        await rm(dir, { recursive: true, force: true });
        await rename(tmp, dir);
      }
      const tifs = (await listTifs(dir)).filter((f) => !/truth/i.test(basename(f))).slice(0, 4);
      const figs: string[] = [];
      for (const f of tifs) {
        const r = await openRaster(f);
        try {
          const level = r.info.overviews.findIndex((o) => Math.max(o.width, o.height) <= 512) + 1;
          const ras = await r.read({ overview: level > 0 ? level : 0, bands: r.info.bandCount >= 3 ? [2, 1, 0] : [0] });
          const png = `${f}.png`;
          await writeFile(png, quicklookPng(ras));
          figs.push(`<figure><img src="${relative(root, png)}" width="256"><figcaption>${relative(root, f)}</figcaption></figure>`);
          if (figs.length === 1) process.stdout.write(`\n${s.title}\n${describeRaster(relative(process.cwd(), f), r.info)}\n`);
        } finally {
          await r.close();
        }
      }
      sections.push(`<h2>${s.title}</h2><p>Folder: <code>${dir}</code> (truth beside the images)</p>${figs.join('')}`);
    }
    const html = `<!doctype html><meta charset="utf-8"><title>GEP demo data</title>
<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:.5em}figcaption{font-size:small}</style>
<h1>GEP demo data</h1>${sections.join('\n')}`;
    await writeFile(join(root, 'index.html'), html);
    process.stdout.write(`\nDemo data is in ${root}\nOpen file://${join(root, 'index.html')} to see the quicklooks.\n`);
    return 0;
  },
};
