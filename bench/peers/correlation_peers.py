#!/usr/bin/python3
"""Peer matchers for bench/correlation-peers.bench.ts, run on the same raw float32 image pair.

Usage: correlation_peers.py DIR WIDTH HEIGHT S R THRESHOLD DENSE_STEP PHASE_STEP
DIR holds ref.f32 and sec.f32 (little-endian float32, row-major, WIDTH x HEIGHT). Each peer measures the
displacement of sec relative to ref at the grid points x, y = 0, step, 2*step, ... whose windows fit in the image,
and reports (with wall "seconds" and process "cpu" time) dx east-positive (columns) and dy NORTH-positive (-rows), like ours. Prints one JSON object.

Peers:
  opencv-ncc-dense   cv2.matchTemplate TM_CCOEFF_NORMED of the (2R+1)^2 template over the +-S search window,
                     peak by cv2.minMaxLoc, separable 3-point parabolic sub-pixel fit; valid if peak >= THRESHOLD
  opencv-phase-32    cv2.phaseCorrelate on 32x32 windows (Hanning window), sub-pixel by its weighted centroid
  skimage-phase-32   skimage.registration.phase_cross_correlation(upsample_factor=20) on 32x32 windows
"""
import json
import sys
import time

import numpy as np


def parabola(a, b, c):
    den = a - 2.0 * b + c
    if den >= 0:  # not a maximum
        return 0.0
    d = 0.5 * (a - c) / den
    return max(-0.5, min(0.5, d))


def grid(width, height, step, margin):
    xs = [x for x in range(0, width, step) if margin <= x < width - margin]
    ys = [y for y in range(0, height, step) if margin <= y < height - margin]
    return xs, ys


def opencv_dense(ref, sec, S, R, thr, step):
    import cv2

    h, w = ref.shape
    xs, ys = grid(w, h, step, R + S)
    out = {"x": [], "y": [], "dx": [], "dy": [], "valid": []}
    t0 = time.perf_counter()
    c0 = time.process_time()
    for y in ys:
        for x in xs:
            tpl = ref[y - R : y + R + 1, x - R : x + R + 1]
            win = sec[y - R - S : y + R + S + 1, x - R - S : x + R + S + 1]
            res = cv2.matchTemplate(win, tpl, cv2.TM_CCOEFF_NORMED)
            _, mx, _, (px, py) = cv2.minMaxLoc(res)
            sx = parabola(res[py, px - 1], res[py, px], res[py, px + 1]) if 0 < px < 2 * S else 0.0
            sy = parabola(res[py - 1, px], res[py, px], res[py + 1, px]) if 0 < py < 2 * S else 0.0
            out["x"].append(x)
            out["y"].append(y)
            out["dx"].append(px - S + sx)
            out["dy"].append(-(py - S + sy))
            out["valid"].append(1 if mx >= thr else 0)
    out["seconds"] = time.perf_counter() - t0
    out["cpu"] = time.process_time() - c0
    return out


def opencv_phase(ref, sec, step, size=32):
    import cv2

    h, w = ref.shape
    half = size // 2
    xs, ys = grid(w, h, step, half)
    win = cv2.createHanningWindow((size, size), cv2.CV_64F)
    out = {"x": [], "y": [], "dx": [], "dy": [], "valid": []}
    t0 = time.perf_counter()
    c0 = time.process_time()
    for y in ys:
        for x in xs:
            a = ref[y - half : y + half, x - half : x + half].astype(np.float64)
            b = sec[y - half : y + half, x - half : x + half].astype(np.float64)
            (sx, sy), _resp = cv2.phaseCorrelate(a, b, win)
            out["x"].append(x)
            out["y"].append(y)
            out["dx"].append(sx)
            out["dy"].append(-sy)
            out["valid"].append(1)
    out["seconds"] = time.perf_counter() - t0
    out["cpu"] = time.process_time() - c0
    return out


def skimage_phase(ref, sec, step, size=32):
    from skimage.registration import phase_cross_correlation

    h, w = ref.shape
    half = size // 2
    xs, ys = grid(w, h, step, half)
    out = {"x": [], "y": [], "dx": [], "dy": [], "valid": []}
    t0 = time.perf_counter()
    c0 = time.process_time()
    for y in ys:
        for x in xs:
            a = ref[y - half : y + half, x - half : x + half]
            b = sec[y - half : y + half, x - half : x + half]
            shift = phase_cross_correlation(a, b, upsample_factor=20)[0]
            out["x"].append(x)
            out["y"].append(y)
            out["dx"].append(-float(shift[1]))  # shift registers sec onto ref: minus the displacement
            out["dy"].append(float(shift[0]))  # -(-rows): north positive
            out["valid"].append(1)
    out["seconds"] = time.perf_counter() - t0
    out["cpu"] = time.process_time() - c0
    return out


def main():
    d, width, height, S, R, thr, dense_step, phase_step = sys.argv[1:9]
    width, height, S, R = int(width), int(height), int(S), int(R)
    thr = float(thr)
    ref = np.fromfile(f"{d}/ref.f32", dtype="<f4").reshape(height, width)
    sec = np.fromfile(f"{d}/sec.f32", dtype="<f4").reshape(height, width)
    result = {}
    try:
        import cv2  # noqa: F401

        result["opencv-ncc-dense"] = opencv_dense(ref, sec, S, R, thr, int(dense_step))
        result["opencv-phase-32"] = opencv_phase(ref, sec, int(phase_step))
    except ImportError as e:
        result["opencv-error"] = str(e)
    try:
        result["skimage-phase-32"] = skimage_phase(ref, sec, int(phase_step))
    except ImportError as e:
        result["skimage-error"] = str(e)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
