/**
 * `gep demo`: makes the demo data (the three simulated scenarios with their truth) under DATA/demo on first run,
 * then writes quicklooks and an HTML overview a user can open, and prints what was made.
 */
import { writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { ensureDemoData, listTifs } from '../../catalog/demo-data.ts';
import { openRaster } from '../../raster/open.ts';
import { quicklookPng } from '../../raster/quicklook.ts';
import { parse } from '../args.ts';
import type { Command } from '../main.ts';
import { progressSink } from '../progress.ts';
import { describeRaster } from './info.ts';

export const demoCommand: Command = {
  summary: 'Make the demo data (simulated scenes with truth) and show what it holds',
  usage: 'gep demo [--data DIR] [--force]\n\n  --data DIR  data folder (default ./gep-data)\n  --force     make the demo data again',
  async run(args) {
    const { values } = parse(args, { data: { type: 'string' }, force: { type: 'boolean' } }, false);
    const demo = await ensureDemoData(resolve(typeof values.data === 'string' ? values.data : 'gep-data'), {
      force: values.force === true,
      sink: (kind) => {
        const sink = progressSink(`demo ${kind}`);
        return { progress: sink.progress, done: () => sink.done() };
      },
    });
    const root = demo.root;
    const sections: string[] = [];
    for (const s of demo.scenarios) {
      const dir = s.dir;
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
