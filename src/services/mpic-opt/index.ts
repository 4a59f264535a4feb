/**
 * MPIC-OPT service: ground motion from a time series of optical images by multiple pairwise sub-pixel
 * correlation (MISSION §2). Steps and where they live:
 *  1. open the images, read the band onto the first image's grid (inputs.ts), cloud masks and detector stripes
 *     per acquisition (masks.ts), kept in a scratch folder of the workspace (removed at the end);
 *  2. pairs by temporal range / split date / backward matching (formPairs);
 *  3-5. per pair: tiled correlation through ctx.map (correlate-tile.ts), speckle removal, deramping, destriping,
 *     metres, COGs (pair.ts); an all-cloud pair is an EMPTY pair (item with gep:empty), not an error;
 *  6. fusion of the non-empty pairs (fusion.ts); with no usable pair the fused item is marked empty and a warning
 *     logged;
 *  7. STAC catalog (stac.ts, outputs.ts): catalog.json, one item per pair and a `fused` item.
 * This module stays light at top level (the registry loads every description): processing code is imported in run.
 */
import { join } from 'node:path';
import type { StacItem } from '../../core/stac.ts';
import type { Service, ServiceContext, ServiceResult } from '../types.ts';
import { description, type MpicOptInputs } from './description.ts';

const compact = (iso: string, withTime: boolean): string => {
  const s = new Date(Date.parse(iso)).toISOString().replace(/[-:]/g, '');
  return withTime ? s.slice(0, 15) : s.slice(0, 8);
};

async function run(ctx: ServiceContext): Promise<ServiceResult> {
  const [{ formPairs }, inputsMod, masksMod, { processPair }, { fuse }, { makeItem }, { writeStacCatalog }] = await Promise.all([
    import('../../algorithms/motion/index.ts'),
    import('./inputs.ts'),
    import('./masks.ts'),
    import('./pair.ts'),
    import('./fusion.ts'),
    import('./stac.ts'),
    import('../outputs.ts'),
  ]);
  const { openImages, openInput, readOnGrid, bandSource, Scratch } = inputsMod;
  const inputs = ctx.inputs as unknown as MpicOptInputs;
  const log = (level: 'info' | 'warn', m: string): void => ctx.log(level, m);
  ctx.progress(0.01, 'opening images');
  const { grid, acquisitions: acqs } = await openImages(inputs.images, { band: inputs.band, ...(inputs.roi ? { roi: inputs.roi } : {}), ...(inputs.pixelSize !== undefined ? { pixelSize: inputs.pixelSize } : {}) }, log, ctx.signal);
  ctx.log('info', `working grid ${grid.width}x${grid.height} px of ${grid.gsdX} m, band ${acqs[0]!.band}, ${acqs.length} images`);
  const pairs = formPairs(acqs.map((a) => ({ id: a.id, datetime: a.datetime })), {
    temporalRange: inputs.temporalRange,
    splitDate: inputs.splitDate ?? null,
    backward: inputs.backward,
  });
  ctx.log('info', `${pairs.length} pair(s)`);
  const scratch = new Scratch(join(ctx.workspace, '.mpic-scratch'));
  const items: StacItem[] = [];
  let emptyPairs = 0;
  try {
    // 1. images, cloud masks, detector stripes on the working grid
    const used = new Set(pairs.flatMap((p) => [p.reference, p.secondary]));
    let prepared = 0;
    for (const acq of acqs) {
      if (!used.has(acq.index)) continue;
      ctx.progress(0.02 + (0.18 * prepared) / used.size, `reading ${acq.id}`);
      const product = await openInput(acq.path, ctx.signal);
      try {
        const band = product.bands.find((b) => b.name === acq.band)!;
        const img = (await readOnGrid(bandSource(product, band), grid, 'cubic', acq.id, ctx.signal)) as Float32Array;
        await scratch.save(`image-${acq.index}`, img);
        if (inputs.cloudMask) {
          const cm = await masksMod.cloudMaskOnGrid(product, acq, grid, ctx.signal);
          if (cm.mask) {
            await scratch.save(`clouds-${acq.index}`, cm.mask);
            let c = 0;
            for (let i = 0; i < cm.mask.length; i++) if (cm.mask[i] === 1 || cm.mask[i] === 2) c++;
            ctx.log('info', `${acq.id}: cloud mask from ${cm.source}, ${((100 * c) / cm.mask.length).toFixed(1)} % cloud or shadow`);
          } else ctx.log('info', `${acq.id}: no cloud mask (${cm.reason})`);
        }
        if (inputs.destripe !== 'none' && acq.isS2) {
          const det = await masksMod.detectorsOnGrid(product, acq, grid, ctx.signal);
          if (det) await scratch.save(`detectors-${acq.index}`, det);
        }
      } finally {
        await product.close();
      }
      prepared++;
    }
    if (inputs.stableMask) {
      // Stable ground (1) for deramping and destriping, on the working grid.
      const sm = await inputsMod.readStableMask(inputs.stableMask, grid, ctx.signal);
      await scratch.save('stable', sm.mask);
      ctx.log('info', `stable-ground mask ${inputs.stableMask}: ${sm.stable} stable pixels used for the corrections`);
    }
    // 2-5. pairs
    const dates = acqs.map((a) => compact(a.datetime, false));
    const withTime = new Set(dates).size < dates.length;
    const outcomes: { days: number; fields?: { dxM: string; dyM: string; correlation: string } }[] = [];
    const taken = new Set<string>();
    for (const [k, pair] of pairs.entries()) {
      const ra = acqs[pair.reference]!;
      const sa = acqs[pair.secondary]!;
      let id = `pair-${compact(ra.datetime, withTime)}-${compact(sa.datetime, withTime)}`;
      while (taken.has(id)) id = `${id}-${k}`;
      taken.add(id);
      const p0 = 0.2 + (0.7 * k) / pairs.length;
      const label = `pair ${k + 1}/${pairs.length} (${id})`;
      const o = await processPair({ ctx, inputs, grid, scratch, acqs, pair, id, p0, p1: 0.2 + (0.7 * (k + 1)) / pairs.length, label });
      if (o.empty) {
        emptyPairs++;
        ctx.log('warn', `${label}: empty pair: ${o.reason}`);
      } else ctx.log('info', `${label}: valid fraction ${String(o.facts['gep:valid_fraction'])}`);
      outcomes.push({ days: pair.days, ...(o.fields ? { fields: o.fields } : {}) });
      const days = Math.round(pair.days * 100) / 100;
      items.push(makeItem({ id, title: `MPIC-OPT pair ${ra.id} -> ${sa.id} (${days} days)`, start: ra.datetime, end: sa.datetime, grid, provenance: ctx.provenance, facts: o.facts, assets: o.assets }));
    }
    // 6. fusion
    const usable = outcomes.filter((o): o is { days: number; fields: { dxM: string; dyM: string; correlation: string } } => o.fields !== undefined);
    const times = acqs.filter((a) => used.has(a.index)).map((a) => Date.parse(a.datetime));
    const start = new Date(Math.min(...times)).toISOString();
    const end = new Date(Math.max(...times)).toISOString();
    const fusedFacts: Record<string, unknown> = { 'gep:pairs': pairs.length, 'gep:empty_pairs': emptyPairs, 'gep:fused_pairs': usable.length };
    let fusedAssets = {};
    if (usable.length === 0) {
      ctx.log('warn', `all ${pairs.length} pair(s) are empty (clouds or no common data): no motion could be measured; the fused item is marked empty`);
      Object.assign(fusedFacts, { 'gep:empty': true, 'gep:empty_reason': 'every pair is empty' });
    } else {
      fusedAssets = await fuse(ctx, grid, usable, inputs.threshold, join(ctx.workspace, 'fused'), 0.9, 0.98);
      fusedFacts['gep:empty'] = false;
    }
    items.push(makeItem({ id: 'fused', title: `MPIC-OPT fusion of ${usable.length} pair(s)`, start, end, grid, provenance: ctx.provenance, facts: fusedFacts, assets: fusedAssets }));
  } finally {
    await scratch.remove();
  }
  const stamp = String(ctx.provenance['processing:datetime'] ?? new Date().toISOString()).replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const catalog = await writeStacCatalog(ctx.workspace, { id: `mpic-opt-${stamp}`, title: 'MPIC-OPT result', description: `Outputs of ${description.title} (${description.id} ${description.version})` }, items);
  ctx.progress(1, 'done');
  return { outputs: { catalog, pairs: pairs.length, emptyPairs }, stac: { catalog } };
}

export const mpicOptService: Service = { description, run };
