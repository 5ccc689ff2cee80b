"""The small CNN (~218k parameters) and its export form.

Input: float32 ``[N, 1, 28, 28]`` in ``[0, 1]``. Mean/std normalisation is a layer of the network,
so callers (server, browser) feed plain pixels. Training output: logits ``[N, classes]``.
:func:`export_network` turns a trained network into the deployed form: eval mode, the BatchNorm
folded into the Linear before it, dropout gone, softmax appended (output = probabilities).
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class Normalize(nn.Module):
    """``(x - mean) / std`` with constants measured on the training images."""

    def __init__(self, mean: float, std: float) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def _conv(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1), nn.ReLU(inplace=True)]


class SmallCnn(nn.Module):
    """conv 16-16, maxpool, conv 32-32, maxpool, FC 128 + BatchNorm + ReLU + dropout, FC classes."""

    def __init__(self, mean: float, std: float, classes: int = 10, dropout: float = 0.25) -> None:
        super().__init__()
        self.normalize = Normalize(mean, std)
        self.features = nn.Sequential(
            *_conv(1, 16),
            *_conv(16, 16),
            nn.MaxPool2d(2),  # 28 -> 14
            *_conv(16, 32),
            *_conv(32, 32),
            nn.MaxPool2d(2),  # 14 -> 7
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 128),
            nn.BatchNorm1d(128),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(128, classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(self.normalize(x)))


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (buffers such as BatchNorm statistics not included)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _fold_linear_batchnorm(linear: nn.Linear, bn: nn.BatchNorm1d) -> nn.Linear:
    """A Linear equal to ``bn(linear(x))`` in eval mode."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    folded = nn.Linear(linear.in_features, linear.out_features)
    with torch.no_grad():
        folded.weight.copy_(linear.weight * scale[:, None])
        folded.bias.copy_((linear.bias - bn.running_mean) * scale + bn.bias)
    return folded


def export_network(model: SmallCnn, temperature: float = 1.0) -> nn.Module:
    """The deployed network: BatchNorm folded, no dropout, softmax output, eval mode.

    ``temperature`` (fitted on held-out data) is folded into the last Linear: its logits are divided
    by it, so the softmax output is the calibrated probability and the graph stays the same.
    """
    model = copy.deepcopy(model).eval()
    flatten, linear, bn, relu, _dropout, head = model.classifier
    if temperature != 1.0:
        with torch.no_grad():
            head.weight.div_(temperature)
            head.bias.div_(temperature)
    exported = nn.Sequential(
        model.normalize,
        model.features,
        flatten,
        _fold_linear_batchnorm(linear, bn),
        relu,
        head,
        nn.Softmax(dim=1),
    )
    return exported.eval()


def export_onnx(network: nn.Module, path: str, input_name: str, output_name: str) -> None:
    """ONNX opset 13 with a dynamic batch axis; same weights give the same bytes."""
    dummy = torch.zeros(1, 1, 28, 28, dtype=torch.float32)
    torch.onnx.export(
        network,
        dummy,
        path,
        input_names=[input_name],
        output_names=[output_name],
        dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}},
        opset_version=13,
        do_constant_folding=True,
        export_params=True,
    )
