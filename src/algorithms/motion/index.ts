/** Motion-field corrections and multi-temporal fusion of MPIC-OPT (MISSION §2, steps 2, 4, 5, 6). */
export { formPairs, parseUtc } from './pairs.ts';
export type { Acquisition, Pair, PairOptions } from './pairs.ts';
export { deramp, fitPlane } from './deramp.ts';
export type { FitPlaneOptions, PlaneFit } from './deramp.ts';
export { destripe } from './destripe.ts';
export type { DestripeOptions } from './destripe.ts';
export { stripeOffsetsFromBoundaries, subtractStripeOffsets } from './boundary-steps.ts';
export type { BoundaryOffsets, BoundaryStep, BoundaryStepOptions } from './boundary-steps.ts';
export { estimateStripeGeometry, stripesFromAzimuth } from './stripes.ts';
export type { EstimateStripeOptions, StripeGeometry } from './stripes.ts';
export { fusePairs } from './fusion.ts';
export type { FusionOptions, FusionResult, PairField } from './fusion.ts';
export { pixelsToMetres } from './metres.ts';
