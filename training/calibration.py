"""Calibrated confidence and the out-of-distribution threshold, fitted on held-out data only.

The held-out split is halved (seeded): the **calibration** half fits the temperature and the
threshold; the **test** half is never used for fitting and is what ``npm run eval:models`` reports as
"MNIST held-out". Its indices are written to ``training/splits/`` for the evaluation script.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

# Share of held-out digits (clean and photo-like augmented) the threshold may flag.
TARGET_FALSE_FLAG_RATE = 0.01
# Augmented copies of each calibration image (besides the clean one) used to fit T and the threshold.
CALIBRATION_COPIES = 3


def split_calibration(held_idx: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(calibration, test)``: a seeded half of the held-out indices each, both sorted."""
    rng = np.random.default_rng(seed + 2)
    shuffled = held_idx.copy()
    rng.shuffle(shuffled)
    half = len(shuffled) // 2
    return np.sort(shuffled[:half]), np.sort(shuffled[half:])


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Temperature scaling (Guo et al., 2017): the T > 0 minimising the NLL of ``softmax(logits / T)``."""
    log_t = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200)

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.exp().item())


def expected_calibration_error(probabilities: torch.Tensor, labels: torch.Tensor, bins: int = 15) -> float:
    """ECE with equal-width confidence bins (the accuracy job uses the same definition)."""
    confidence, predicted = probabilities.max(1)
    correct = (predicted == labels).float()
    ece = 0.0
    edges = torch.linspace(0, 1, bins + 1)
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            ece += inside.float().mean().item() * abs(
                confidence[inside].mean().item() - correct[inside].mean().item()
            )
    return ece


def ood_threshold(max_probabilities: torch.Tensor, false_flag_rate: float = TARGET_FALSE_FLAG_RATE) -> float:
    """The max-probability below which an image is flagged: the ``false_flag_rate`` quantile of digits."""
    return float(torch.quantile(max_probabilities, false_flag_rate).item())
