"""Images that are *not* digits, for outlier exposure (Hendrycks et al., 2019) of the digits model.

The pool mixes clothing photos from Fashion-MNIST (only the first ``FASHION_TRAIN_PER_CLASS`` images
of each class file; evaluation uses images past ``FASHION_EVAL_FROM``) and synthetic non-digit
shapes: scribbles, rings, boxes, grids, blobs, dots, paper texture. Each is brought into the digit
frame the way the server's preprocessing brings a photo (crop to the ink, fit the longer side into
20 px, centre of mass at (14, 14)), so the model sees outliers as they arrive in production.

Letters are deliberately not in the pool: they are one of the evaluation's non-digit kinds.
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


def synthetic_shapes(count: int, rng: np.random.Generator) -> torch.Tensor:
    """Non-digit marks at 56x56, ink-positive: scribbles, rings, boxes, grids, blobs, dots, texture."""
    kinds = rng.integers(0, 7, count)
    images = np.zeros((count, 56, 56), dtype=np.float32)
    width = rng.uniform(1.0, 3.5, count).astype(np.float32)
    # 0: scribble (random walk polyline), 1: ring/ellipse, 2: box, 3: grid/hatching, 4: filled blob,
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
    return torch.from_numpy(images).unsqueeze(1)


def outlier_pool(seed: int, shapes: int = 8000, fashion: int = 8000) -> torch.Tensor:
    """``[N, 1, 28, 28]`` non-digit images in the digit frame (fixed for a seed)."""
    rng = np.random.default_rng(seed + 1)
    clothes, labels = load_fashion_mnist()
    allowed = []
    for cls in range(10):
        members = np.flatnonzero(labels == cls)[:FASHION_TRAIN_PER_CLASS]
        allowed.append(members)
    chosen = rng.choice(np.concatenate(allowed), fashion, replace=False)
    cloth = torch.from_numpy(clothes[np.sort(chosen)]).float().div(255).unsqueeze(1)
    drawn = synthetic_shapes(shapes, rng)
    return torch.cat([to_digit_frame(cloth), to_digit_frame(drawn)])


def held_out_outliers(seed: int, count: int = 1000) -> dict[str, torch.Tensor]:
    """Non-digits the training never saw, for the threshold's report: clothing between the training
    and the evaluation ranges, and freshly drawn shapes."""
    rng = np.random.default_rng(seed + 3)
    clothes, labels = load_fashion_mnist()
    spare = np.concatenate(
        [np.flatnonzero(labels == c)[FASHION_TRAIN_PER_CLASS:FASHION_EVAL_FROM] for c in range(10)]
    )
    chosen = np.sort(rng.choice(spare, count, replace=False))
    cloth = torch.from_numpy(clothes[chosen]).float().div(255).unsqueeze(1)
    return {"clothing": to_digit_frame(cloth), "shapes": to_digit_frame(synthetic_shapes(count, rng))}
