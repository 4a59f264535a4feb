/** Scene simulator: deterministic scenes with known truth (see write.ts for the files it writes). */
export { simulateScenario } from './write.ts';
export type { ScenarioFormat, ScenarioKind, SimulateOptions, SimulateResult } from './write.ts';
export { Rng, deriveSeed, hashGaussian } from './random.ts';
export { Fbm, gradientNoise } from './noise.ts';
export { BlockRenderer, renderScene, renderDn } from './render.ts';
export type { GridSpec, Overlay, Scene, Warp } from './render.ts';
export * from './spectra.ts';
export { displacementScenario, renderDisplacementDate, truthDisplacement, truthVelocity, truthStable, truthCloudMask, truthDetectors } from './scenario.ts';
export type { DisplacementScenario } from './scenario.ts';
export { landslideScenario, renderLandslideImage, landslideMask, landslideScl } from './landslide.ts';
export type { LandslideScenario, Scar } from './landslide.ts';
export { stereoScenario, renderStereoView, renderStereoOrtho, cameraGround, cameraProject, intersectDem, fitCameraRpc } from './stereo.ts';
export type { PushbroomCamera, StereoScenario } from './stereo.ts';
