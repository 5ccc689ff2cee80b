"""Photo-like augmentation of MNIST digits, batched in torch (what users actually write).

Every training batch of 28x28 digits (light on dark, values in [0, 1]) is, per image and at random:

* drawn at 56x56 so that morphology is finer than one MNIST pixel, then
* **stroke width** changed: thinned (erosion), kept, or thickened by one or two steps (dilation);
* sometimes **broken**, as a fine-liner that skips or a thin pen whose strokes the preprocessing could
  only partly recover: eroded so the narrow parts of the stroke break off, cut in a few random places,
  then thickened back to its width (what the server's stroke normalisation makes of a broken digit);
* sometimes rendered as an **outline** (the contour of a thickened stroke: a "bubble" digit whose
  inside the server's preprocessing could not fill);
* **geometry**: rotation, shear, anisotropic scale, shift (perspective-like) and an **elastic**
  displacement field (smooth random noise);
* brought back to 28x28 by **area averaging** (what the server's preprocessing does);
* **blurred** (defocus), **dimmed** (pencil-grey ink, uneven light: a gradient over the digit) and
  given **noise** in 8x8 blocks and per pixel (JPEG-ish residue the preprocessing's noise floor lets
  through).

The server normalises stroke width before the model (contracts/preprocess.ts), so these variations are
what is left after that normalisation, plus a margin. Only MNIST images are augmented: font-rendered
digits are evaluation data and never used here.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

UPSAMPLE = 2


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(n, generator=generator) * (high - low) + low


def _dilate(x: torch.Tensor, k: int) -> torch.Tensor:
    return F.max_pool2d(x, k, stride=1, padding=k // 2)


def _erode(x: torch.Tensor, k: int) -> torch.Tensor:
    return -F.max_pool2d(-x, k, stride=1, padding=k // 2)


def _pick(choice: torch.Tensor, variants: list[torch.Tensor]) -> torch.Tensor:
    out = variants[0]
    for i, v in enumerate(variants[1:], start=1):
        out = torch.where((choice == i)[:, None, None, None], v, out)
    return out


def stroke_width(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Per image: thin (20 %), keep (35 %), thicken one step (30 %) or two (15 %); x at 56x56."""
    u = torch.rand(x.shape[0], generator=generator)
    choice = (u >= 0.2).long() + (u >= 0.55).long() + (u >= 0.85).long()
    return _pick(choice, [_erode(x, 3), x, _dilate(x, 3), _dilate(x, 5)])


def broken(x: torch.Tensor, generator: torch.Generator, probability: float) -> torch.Tensor:
    """A share of the images gets broken strokes (x at 56x56): the stroke's core (eroded by 2 px, or 3
    for a quarter of them: its narrow parts vanish) is cut where smooth random noise is high, and only
    the original stroke near what is left stays."""
    n, _, h, w = x.shape
    deep = torch.rand(n, generator=generator) < 0.25
    core = torch.where(deep[:, None, None, None], _erode(x, 7), _erode(x, 5)) > 0.5
    noise = F.interpolate(torch.rand(n, 1, 8, 8, generator=generator), size=(h, w), mode="bicubic",
                          align_corners=False)
    core = core & (noise < _uniform(n, 0.7, 1.0, generator)[:, None, None, None])
    near = torch.where(deep[:, None, None, None], _dilate(core.float(), 9), _dilate(core.float(), 7))
    restored = x * near
    # A digit erased (nearly) entirely stays as it was: the preprocessing would find nothing to classify.
    kept = restored.flatten(1).sum(1) >= 0.5 * x.flatten(1).sum(1)
    use = (torch.rand(n, generator=generator) < probability) & kept
    return torch.where(use[:, None, None, None], restored, x)


def outline(x: torch.Tensor, generator: torch.Generator, probability: float) -> torch.Tensor:
    """A share of the images becomes the contour of their thickened stroke (x at 56x56)."""
    thick = _dilate(x, 5)
    ring = (_dilate(thick, 5) - thick).clamp(0, 1)
    use = torch.rand(x.shape[0], generator=generator) < probability
    return torch.where(use[:, None, None, None], ring, x)


def geometry(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Rotation ±15°, shear ±0.25, scale 0.85–1.1 per axis, shift ±2 px (of 28), elastic field."""
    n, _, h, w = x.shape
    angle = _uniform(n, -15, 15, generator) * (math.pi / 180.0)
    shear = _uniform(n, -0.25, 0.25, generator)
    sx = _uniform(n, 0.85, 1.1, generator)
    sy = _uniform(n, 0.85, 1.1, generator)
    tx = _uniform(n, -2, 2, generator) * (2.0 / 28)
    ty = _uniform(n, -2, 2, generator) * (2.0 / 28)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # output -> input mapping: rotation · shear, divided by the scale.
    a = cos / sx
    b = (-sin + shear * cos) / sx
    c = sin / sy
    d = (cos + shear * sin) / sy
    theta = torch.stack([torch.stack([a, b, tx], 1), torch.stack([c, d, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # Elastic: smooth random displacement, up to ~1.5 px of 28 (0.1 in normalised units).
    strength = _uniform(n, 0.0, 0.1, generator)[:, None, None, None]
    coarse = torch.randn(n, 2, 4, 4, generator=generator) * strength
    field = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=False)
    grid = grid + field.permute(0, 2, 3, 1)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = 2
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(t**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0)), kernel.view(1, 1, 1, -1))
    return F.conv2d(F.pad(x, (0, 0, radius, radius)), kernel.view(1, 1, -1, 1))


def photometric(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Blur, ink strength, light gradient, block and pixel noise; renormalised to a peak of 1."""
    n = x.shape[0]
    blur = torch.rand(n, generator=generator) < 0.3
    x = torch.where(blur[:, None, None, None], _gaussian_blur(x, 0.8), x)
    # The preprocessing maps typical ink to 1: renormalise by a high quantile per image.
    peak = x.flatten(1).amax(1).clamp(min=1e-3)[:, None, None, None]
    x = (x / peak).clamp(0, 1)
    # Uneven ink/light across the digit (pencil, shadow edge the flat-field did not remove).
    gx = _uniform(n, -0.35, 0.35, generator)[:, None, None, None]
    gy = _uniform(n, -0.35, 0.35, generator)[:, None, None, None]
    ramp = torch.linspace(-0.5, 0.5, 28)
    gradient = 1 + gx * ramp.view(1, 1, 1, 28) + gy * ramp.view(1, 1, 28, 1)
    x = x * gradient.clamp(0.6, 1.2) * _uniform(n, 0.75, 1.0, generator)[:, None, None, None]
    noisy = torch.rand(n, generator=generator) < 0.4
    block = F.interpolate(torch.randn(n, 1, 4, 4, generator=generator), size=(28, 28), mode="nearest")
    noise = 0.04 * block * (x > 0.05) + 0.03 * torch.randn(x.shape, generator=generator).abs()
    x = torch.where(noisy[:, None, None, None], x + noise, x)
    return x.clamp(0, 1)


def photo_like_digits(
    outline_probability: float = 0.08, clean_share: float = 0.15, broken_probability: float = 0.0
):
    """The digits augmentation for train.py; ``clean_share`` of each batch gets only a small affine.

    ``broken_probability`` 0 (recipe 2, what digits v2 was trained with) draws no random numbers for
    broken strokes at all, so recipe 2 reproduces v2 exactly; recipe 3 uses 0.12."""

    def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        big = F.interpolate(x, scale_factor=UPSAMPLE, mode="bilinear", align_corners=False)
        if broken_probability > 0:
            big = broken(big, generator, broken_probability)
        big = stroke_width(big, generator)
        big = outline(big, generator, outline_probability)
        big = geometry(big, generator)
        small = F.avg_pool2d(big, UPSAMPLE)
        out = photometric(small, generator)
        keep = torch.rand(x.shape[0], generator=generator) < clean_share
        return torch.where(keep[:, None, None, None], x, out)

    return augment
