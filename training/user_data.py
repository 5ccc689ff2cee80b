"""Labelled uploads from the learning loop (training/loop/), as extra training data for train.py.

``npm run retrain`` writes the train part of the users' labelled photos, already preprocessed by the
code inference runs (contracts/preprocess.ts), as one ``.npy`` file: ``uint8 [N, 785]``, each row the
label (class index) followed by the 784 pixels of the 28x28 input (``round(value * 255)``, light strokes
on a dark background like MNIST). ``np.load`` reads it; nothing else is needed.

A few hundred labels would vanish among thousands of base images, so they are oversampled: repeated
until they make about ``share`` of every epoch (never fewer than once). They pass through the same
augmentation as the base images, so the repeats are not identical copies.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

PIXELS = 28 * 28
DEFAULT_SHARE = 0.2


def load_extra_data(path: str | Path, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """``(images uint8 [N, 28, 28], labels int64 [N])`` from a file ``npm run retrain`` wrote."""
    rows = np.load(Path(path), allow_pickle=False)
    if rows.dtype != np.uint8 or rows.ndim != 2 or rows.shape[1] != PIXELS + 1:
        raise ValueError(
            f"{path}: expected uint8 rows of 785 values (label, then 784 pixels), got {rows.dtype} {rows.shape}"
        )
    labels = rows[:, 0].astype(np.int64)
    if len(labels) and labels.max() >= classes:
        raise ValueError(f"{path}: label {int(labels.max())} is not one of the model's {classes} classes")
    return rows[:, 1:].reshape(-1, 28, 28).copy(), labels


def oversample_repeats(extra: int, base: int, share: float = DEFAULT_SHARE) -> int:
    """How many times to repeat ``extra`` items so they make about ``share`` of ``base + extra``."""
    if extra == 0:
        return 0
    if not 0 < share < 1:
        raise ValueError(f"share must be between 0 and 1, got {share}")
    return max(1, round(share * base / ((1 - share) * extra)))
