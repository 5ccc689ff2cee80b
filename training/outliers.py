"""Images that are *not* digits, for outlier exposure (Hendrycks et al., 2019) of the digits model.

The pool mixes clothing photos from Fashion-MNIST (only the first ``FASHION_TRAIN_PER_CLASS`` images
of each class file; evaluation uses images past ``FASHION_EVAL_FROM``) and procedural non-digit
shapes: scribbles (one stroke or several), rings, boxes, crossing lines, hatching, blobs, dots, paper
texture, spirals, stars, random Bezier strokes, and letter-like glyphs built from stroke primitives
(``GLYPHS``: line and arc polylines, jittered per image). Each is brought into the digit frame the way
the server's preprocessing brings a photo (crop to the ink, fit the longer side into 20 px, centre of
mass at (14, 14)), so the model sees outliers as they arrive in production.

No glyph is rendered from a font: font-rendered letters and digits are the evaluation's data. The
procedural glyphs leave out the letters people write like digits (O, I, l, S, Z, B, G, b, g, q, ...).
An MNIST-family letters set (EMNIST) is not on npm (``npm view emnist``: 404, 2026-12-02).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from functools import lru_cache

from data import load_fashion_mnist as _load_fashion_mnist

FASHION_TRAIN_PER_CLASS = 5000
FASHION_EVAL_FROM = 6500  # training/eval-models.ts reads clothing from here on

load_fashion_mnist = lru_cache(maxsize=1)(_load_fashion_mnist)


def to_digit_frame(images: torch.Tensor) -> torch.Tensor:
    """``[N, 1, H, W]`` ink-positive images -> MNIST's framing: crop, fit 20x20, centre of mass 14."""
    out = torch.zeros(images.shape[0], 1, 28, 28)
    for i, image in enumerate(images):
        mask = image[0] > 0.1
        if not mask.any():
            continue
        ys, xs = torch.nonzero(mask, as_tuple=True)
        crop = image[:, ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        h, w = crop.shape[1:]
        scale = 20.0 / max(h, w)
        nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
        small = F.interpolate(crop[None], size=(nh, nw), mode="area" if scale < 1 else "bilinear")[0]
        small = small / small.max().clamp(min=1e-3)
        total = small.sum().clamp(min=1e-6)
        cy = (small[0].sum(1) * torch.arange(nh)).sum() / total
        cx = (small[0].sum(0) * torch.arange(nw)).sum() / total
        y0 = int(round(14 - cy.item()))
        x0 = int(round(14 - cx.item()))
        y0, x0 = min(max(y0, 0), 28 - nh), min(max(x0, 0), 28 - nw)
        out[i, :, y0 : y0 + nh, x0 : x0 + nw] = small
    return out


def _segments_image(points: np.ndarray, width: np.ndarray, size: int = 56) -> np.ndarray:
    """Polylines ``[N, P, 2]`` (pixel coordinates) drawn with stroke half-widths ``[N]``."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    pix = np.stack([xx.ravel(), yy.ravel()], 1)  # [S, 2]
    out = np.zeros((points.shape[0], size * size), dtype=np.float32)
    for k in range(points.shape[1] - 1):
        a, b = points[:, k, None, :], points[:, k + 1, None, :]  # [N, 1, 2]
        ab = b - a
        t = ((pix[None] - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-6)
        t = np.clip(t, 0, 1)[..., None]
        d = np.linalg.norm(pix[None] - (a + t * ab), axis=-1)
        out = np.maximum(out, np.clip(width[:, None] - d + 0.5, 0, 1))
    return out.reshape(-1, size, size)


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 9) -> list:
    """Points of an elliptic arc in glyph units (angles in turns, 0 = east, 0.25 = south)."""
    t = np.linspace(start, end, n) * 2 * np.pi
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t)))


# Letter-like glyphs as polylines in a unit box (x right, y down), none shaped like a digit.
GLYPHS: dict[str, list[list[tuple[float, float]]]] = {
    "A": [[(0, 1), (0.5, 0), (1, 1)], [(0.22, 0.6), (0.78, 0.6)]],
    "E": [[(1, 0), (0, 0), (0, 1), (1, 1)], [(0, 0.5), (0.75, 0.5)]],
    "F": [[(1, 0), (0, 0), (0, 1)], [(0, 0.5), (0.75, 0.5)]],
    "H": [[(0, 0), (0, 1)], [(1, 0), (1, 1)], [(0, 0.5), (1, 0.5)]],
    "K": [[(0, 0), (0, 1)], [(1, 0), (0, 0.55), (1, 1)]],
    "M": [[(0, 1), (0, 0), (0.5, 0.6), (1, 0), (1, 1)]],
    "N": [[(0, 1), (0, 0), (1, 1), (1, 0)]],
    "R": [[(0, 1), (0, 0)] + _arc(0.35, 0.27, 0.55, 0.27, -0.25, 0.25)[1:] + [(0, 0.54), (1, 1)]],
    "W": [[(0, 0), (0.25, 1), (0.5, 0.35), (0.75, 1), (1, 0)]],
    "X": [[(0, 0), (1, 1)], [(1, 0), (0, 1)]],
    "e": [[(0, 0.6), (1, 0.6)] + _arc(0.5, 0.6, 0.5, 0.4, 0, -0.85)[1:]],
    "h": [[(0, 0), (0, 1)], [(0, 0.55)] + _arc(0.5, 0.62, 0.5, 0.3, -0.5, 0)[1:] + [(1, 1)]],
    "k": [[(0, 0), (0, 1)], [(0.9, 0.35), (0, 0.7), (1, 1)]],
    "m": [[(0, 1), (0, 0.3)] + _arc(0.25, 0.45, 0.25, 0.2, -0.5, 0)[1:] + [(0.5, 1)],
          [(0.5, 0.45)] + _arc(0.75, 0.45, 0.25, 0.2, -0.5, 0)[1:] + [(1, 1)]],
    "n": [[(0, 1), (0, 0.2)], [(0, 0.45)] + _arc(0.5, 0.5, 0.5, 0.35, -0.5, 0)[1:] + [(1, 1)]],
    "r": [[(0, 1), (0, 0.2)], [(0, 0.55)] + _arc(0.5, 0.55, 0.5, 0.35, -0.5, -0.2)[1:]],
    "u": [[(0, 0)] + _arc(0.5, 0.6, 0.5, 0.4, 0.5, 0)[1:] + [(1, 0), (1, 1)]],
    "w": [[(0, 0), (0.2, 1), (0.5, 0.3), (0.8, 1), (1, 0)]],
    "x": [[(0, 0.3), (1, 1)], [(1, 0.3), (0, 1)]],
    "#": [[(0.3, 0), (0.2, 1)], [(0.8, 0), (0.7, 1)], [(0, 0.33), (1, 0.33)], [(0, 0.67), (1, 0.67)]],
    "*": [[(0.5, 0), (0.5, 1)], [(0.07, 0.25), (0.93, 0.75)], [(0.93, 0.25), (0.07, 0.75)]],
    "=": [[(0, 0.3), (1, 0.3)], [(0, 0.7), (1, 0.7)]],
    "&": [[(1, 1), (0.2, 0.35)] + _arc(0.4, 0.2, 0.25, 0.2, 0.5, 1.25)[1:]
          + _arc(0.4, 0.7, 0.4, 0.3, -0.25, 0.5)[1:] + [(0.9, 0.5)]],
}


def _draw_strokes(strokes: list[np.ndarray], width: float, size: int = 56) -> np.ndarray:
    """Several polylines (each ``[P, 2]`` in pixels) drawn with one pen into one image."""
    out = np.zeros((size, size), dtype=np.float32)
    for stroke in strokes:
        if len(stroke) >= 2:
            out = np.maximum(out, _segments_image(stroke[None].astype(np.float32), np.array([width]), size)[0])
    return out


def _bezier(control: np.ndarray, n: int = 16) -> np.ndarray:
    """Points of a cubic Bezier curve with ``control`` ``[4, 2]``."""
    t = np.linspace(0, 1, n)[:, None]
    a, b, c, d = control
    return (1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t**2 * c + t**3 * d


def _glyph(rng: np.random.Generator) -> list[np.ndarray]:
    """A random glyph of ``GLYPHS`` as it might be handwritten: jittered, slanted, sized."""
    strokes = GLYPHS[list(GLYPHS)[rng.integers(len(GLYPHS))]]
    w, h = rng.uniform(22, 40), rng.uniform(28, 44)
    slant = rng.uniform(-0.3, 0.3)
    x0, y0 = 28 - w / 2, 28 - h / 2
    out = []
    for stroke in strokes:
        pts = np.asarray(stroke, dtype=np.float64) + rng.normal(0, 0.04, (len(stroke), 2))
        xs = x0 + pts[:, 0] * w + slant * (pts[:, 1] - 0.5) * h
        out.append(np.stack([xs, y0 + pts[:, 1] * h], 1))
    return out


def _procedural(kind: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Strokes (pixel polylines at 56x56) of one extra shape: 0 multi-stroke scribble, 1 spiral,
    2 star or asterisk, 3 hatching, 4 Bezier strokes, 5 letter-like glyph."""
    if kind == 0:
        return [rng.normal(0, 6, (rng.integers(3, 7), 2)).cumsum(0) + rng.uniform(12, 44, 2)
                for _ in range(rng.integers(2, 5))]
    if kind == 1:
        turns = rng.uniform(2, 4)
        t = np.linspace(0, turns * 2 * np.pi, int(24 * turns))
        r = rng.uniform(2, 4) + t / (turns * 2 * np.pi) * rng.uniform(14, 24)
        squash = rng.uniform(0.6, 1.0)
        sign = rng.choice([-1, 1])
        return [np.stack([28 + r * np.cos(sign * t), 28 + squash * r * np.sin(sign * t)], 1)]
    if kind == 2:
        points = rng.integers(5, 8)
        outer, inner = rng.uniform(14, 24), rng.uniform(5, 11)
        angle = np.linspace(0, 2 * np.pi, 2 * points + 1) + rng.uniform(0, np.pi)
        if rng.random() < 0.5:  # star outline
            r = np.where(np.arange(2 * points + 1) % 2 == 0, outer, inner)
            return [np.stack([28 + r * np.cos(angle), 28 + r * np.sin(angle)], 1)]
        lines = rng.integers(3, 5)  # asterisk
        spokes = angle[0] + np.arange(lines) * np.pi / lines
        return [np.array([[28 - outer * np.cos(a), 28 - outer * np.sin(a)],
                          [28 + outer * np.cos(a), 28 + outer * np.sin(a)]]) for a in spokes]
    if kind == 3:
        strokes = []
        for _ in range(1 if rng.random() < 0.6 else 2):  # hatching, or cross-hatching
            a = rng.uniform(0, np.pi)
            d = np.array([np.cos(a), np.sin(a)])
            normal = np.array([-d[1], d[0]])
            lines = rng.integers(4, 9)
            for off in np.linspace(-18, 18, lines):
                half = rng.uniform(12, 22)
                centre = 28 + normal * off + d * rng.normal(0, 2)
                strokes.append(np.stack([centre - d * half, centre + d * half]))
        return strokes
    if kind == 4:
        # Two or three curves: one alone is often a plausible 1, 7, 6 or 0.
        return [_bezier(rng.uniform(6, 50, (4, 2))) for _ in range(rng.integers(2, 4))]
    return _glyph(rng)


def synthetic_shapes(
    count: int, rng: np.random.Generator, glyphs_only: bool = False, extended: bool = True
) -> torch.Tensor:
    """Non-digit marks at 56x56, ink-positive: scribbles, rings, boxes, lines, blobs, dots, texture
    (kinds 0 and 2-6, a third of them), and multi-stroke scribbles, spirals, stars, hatching, Bezier strokes
    and letter-like glyphs (kinds 7-12; glyphs a third of all). ``glyphs_only``: glyphs alone.
    ``extended=False``: recipe 2's shapes only (kinds 0-6, what digits v2 was trained with)."""
    if extended:
        # No rings (kind 1): a ring is how people write 0.
        kinds = np.where(
            rng.random(count) < 1 / 3,
            rng.choice([0, 2, 3, 4, 5, 6], count),
            np.where(rng.random(count) < 0.5, 12, rng.integers(7, 12, count)),
        )
    else:
        kinds = rng.integers(0, 7, count)  # recipe 2 (digits v2): kinds 0-6, rings included
    if glyphs_only:
        kinds[:] = 12
    images = np.zeros((count, 56, 56), dtype=np.float32)
    width = rng.uniform(1.0, 3.5, count).astype(np.float32)
    # 0: scribble (random walk polyline), 1: ring/ellipse (no longer drawn), 2: box, 3: grid/hatching, 4: filled blob,
    # 5: dots, 6: texture (smooth noise, paper grain)
    idx = np.flatnonzero(kinds == 0)
    if idx.size:
        steps = rng.normal(0, 9, (idx.size, 12, 2)).cumsum(1) + 28
        images[idx] = _segments_image(np.clip(steps, 2, 53).astype(np.float32), width[idx])
    idx = np.flatnonzero(kinds == 1)
    if idx.size:
        t = np.linspace(0, 2 * np.pi, 25)
        rx, ry = rng.uniform(8, 24, (2, idx.size, 1))
        pts = np.stack([28 + rx * np.cos(t), 28 + ry * np.sin(t)], -1).astype(np.float32)
        images[idx] = _segments_image(pts, width[idx])
    idx = np.flatnonzero(kinds == 2)
    if idx.size:
        x0, y0 = rng.uniform(4, 20, (2, idx.size))
        x1, y1 = rng.uniform(34, 52, (2, idx.size))
        pts = np.stack(
            [np.stack([x0, x1, x1, x0, x0], 1), np.stack([y0, y0, y1, y1, y0], 1)], -1
        ).astype(np.float32)
        images[idx] = _segments_image(pts, width[idx])
    idx = np.flatnonzero(kinds == 3)
    if idx.size:
        lines = []
        for _ in range(4):
            a = rng.uniform(4, 52, (idx.size, 2))
            b = rng.uniform(4, 52, (idx.size, 2))
            lines.append(_segments_image(np.stack([a, b], 1).astype(np.float32), width[idx]))
        images[idx] = np.maximum.reduce(lines)
    idx = np.flatnonzero(kinds == 4)
    if idx.size:
        yy, xx = np.mgrid[0:56, 0:56]
        cx, cy = rng.uniform(18, 38, (2, idx.size, 1, 1))
        rx, ry = rng.uniform(6, 22, (2, idx.size, 1, 1))
        inside = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2
        images[idx] = np.clip((1.05 - inside) * 4, 0, 1) * rng.uniform(0.5, 1, (idx.size, 1, 1))
    idx = np.flatnonzero(kinds == 5)
    if idx.size:
        yy, xx = np.mgrid[0:56, 0:56]
        for _ in range(6):
            cx, cy = rng.uniform(6, 50, (2, idx.size, 1, 1))
            r = rng.uniform(1.5, 4, (idx.size, 1, 1))
            disk = np.clip(r - np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) + 0.5, 0, 1)
            images[idx] = np.maximum(images[idx], disk)
    idx = np.flatnonzero(kinds == 6)
    if idx.size:
        noise = torch.rand(idx.size, 1, 7, 7)
        smooth = F.interpolate(noise, size=(56, 56), mode="bicubic", align_corners=False)[:, 0]
        grain = torch.rand(idx.size, 56, 56) * 0.5
        images[idx] = (smooth * 0.7 + grain).clamp(0, 1).numpy()
    for i in np.flatnonzero(kinds >= 7):
        strokes = [np.clip(s, 1, 54) for s in _procedural(int(kinds[i]) - 7, rng)]
        images[i] = _draw_strokes(strokes, float(width[i]))
    return torch.from_numpy(images).unsqueeze(1)


def outlier_pool(
    seed: int, shapes: int | None = None, fashion: int = 8000, extended: bool = True
) -> torch.Tensor:
    """``[N, 1, 28, 28]`` non-digit images in the digit frame (fixed for a seed). ``extended``: recipe 3's
    12,000 shapes of every kind; otherwise recipe 2's 8,000 of kinds 0-6 (digits v2)."""
    if shapes is None:
        shapes = 12000 if extended else 8000
    rng = np.random.default_rng(seed + 1)
    clothes, labels = load_fashion_mnist()
    allowed = []
    for cls in range(10):
        members = np.flatnonzero(labels == cls)[:FASHION_TRAIN_PER_CLASS]
        allowed.append(members)
    chosen = rng.choice(np.concatenate(allowed), fashion, replace=False)
    cloth = torch.from_numpy(clothes[np.sort(chosen)]).float().div(255).unsqueeze(1)
    drawn = synthetic_shapes(shapes, rng, extended=extended)
    return torch.cat([to_digit_frame(cloth), to_digit_frame(drawn)])


def held_out_outliers(seed: int, count: int = 1000) -> dict[str, torch.Tensor]:
    """Non-digits the training never saw, for the threshold's report: clothing between the training
    and the evaluation ranges, freshly drawn shapes, and freshly drawn letter-like glyphs alone."""
    rng = np.random.default_rng(seed + 3)
    clothes, labels = load_fashion_mnist()
    spare = np.concatenate(
        [np.flatnonzero(labels == c)[FASHION_TRAIN_PER_CLASS:FASHION_EVAL_FROM] for c in range(10)]
    )
    chosen = np.sort(rng.choice(spare, count, replace=False))
    cloth = torch.from_numpy(clothes[chosen]).float().div(255).unsqueeze(1)
    return {
        "clothing": to_digit_frame(cloth),
        "shapes": to_digit_frame(synthetic_shapes(count, rng)),
        "glyphs": to_digit_frame(synthetic_shapes(count, rng, glyphs_only=True)),
    }
