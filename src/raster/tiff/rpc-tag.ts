/**
 * RPCCoefficientTag (50844, 92 DOUBLEs; http://geotiff.maptools.org/rpc_prop.html) -> RpcModel.
 * Order: errBias, errRand, lineOff, sampOff, latOff, longOff, heightOff, lineScale, sampScale, latScale,
 * longScale, heightScale, then 20 coefficients each of line numerator, line denominator, sample numerator,
 * sample denominator (RPC00B term order).
 */
import type { RpcModel } from '../types.ts';

/** Decodes the 92 values; null when the tag is absent, short, non-finite, or has zero scales. */
export function rpcFromTag(v: number[] | null): RpcModel | null {
  if (!v || v.length < 92 || !v.slice(0, 92).every(Number.isFinite)) return null;
  const rpc: RpcModel = {
    errBias: v[0]!,
    errRand: v[1]!,
    lineOffset: v[2]!,
    sampOffset: v[3]!,
    latOffset: v[4]!,
    longOffset: v[5]!,
    heightOffset: v[6]!,
    lineScale: v[7]!,
    sampScale: v[8]!,
    latScale: v[9]!,
    longScale: v[10]!,
    heightScale: v[11]!,
    lineNumCoeff: v.slice(12, 32),
    lineDenCoeff: v.slice(32, 52),
    sampNumCoeff: v.slice(52, 72),
    sampDenCoeff: v.slice(72, 92),
  };
  if ([rpc.lineScale, rpc.sampScale, rpc.latScale, rpc.longScale, rpc.heightScale].some((s) => s === 0)) return null;
  return rpc;
}
