#!/usr/bin/python3
"""Train one model of the repository and write ``<out>/<name>/<version>/``.

    /usr/bin/python3 training/train.py --model digits|fashion [--epochs N] [--seed S]
                                       [--out models] [--version V] [--smoke]

Steps: load the dataset from node_modules (see data.py), split it (stratified, fixed seed), train
the small CNN (net.py) with AdamW and a OneCycle schedule, export ONNX (opset 13, dynamic batch,
softmax output), check it, and write next to it:

* ``manifest.json``: follows ``contracts/model-manifest.ts`` (what gpu-host and the PWA read);
* ``golden.json``: a few held-out images with the exported model's probabilities, checked by
  ``gpu-host/test/model-repository-files.test.ts`` in onnxruntime-node.

``--smoke`` trains one epoch on a small subset into a temporary folder and never touches ``--out``.
Runs are deterministic for a given seed and thread count (2 threads).
"""

from __future__ import annotations

import os

# Before torch is imported: do not spin on the cores other processes share.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from augment_digits import photo_like_digits  # noqa: E402
from calibration import (  # noqa: E402
    CALIBRATION_COPIES,
    TARGET_FALSE_FLAG_RATE,
    expected_calibration_error,
    fit_temperature,
    ood_threshold,
    split_calibration,
)
from data import DATASETS, DatasetSpec, stratified_split  # noqa: E402
from net import SmallCnn, count_parameters, export_network, export_onnx  # noqa: E402
from outliers import held_out_outliers, outlier_pool  # noqa: E402
from user_data import DEFAULT_SHARE, load_extra_data, oversample_repeats  # noqa: E402

DEFAULT_SEED = 4651
BROKEN_STROKES_RECIPE_3 = 0.12  # share of training digits given broken strokes (recipe 3)
THREADS = 2
BATCH_SIZE = 128
MAX_LR = 3e-3
WEIGHT_DECAY = 1e-2
INPUT_NAME = "input"
OUTPUT_NAME = "probabilities"
MAX_BATCH_SIZE = 64  # what the server may batch; the ONNX batch axis itself is dynamic
GOLDEN_IMAGES = 10  # one correctly classified held-out image per class (first classes first)
SMOKE_TRAIN, SMOKE_HELD_OUT = 2048, 500
OUTLIER_BATCH = 64
OUTLIER_WEIGHT = 0.5
SPLITS_DIR = Path(__file__).resolve().parent / "splits"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, choices=sorted(DATASETS))
    parser.add_argument("--epochs", type=int, help="default: the dataset's (digits 25, fashion 8)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", default="models", help="model repository folder (default: models)")
    parser.add_argument("--version", default="1", help="positive integer (default: 1)")
    parser.add_argument(
        "--smoke", action="store_true", help="1 epoch on a small subset, into a temporary folder"
    )
    # The learning loop (training/loop/, see user_data.py): users' labelled photos, oversampled.
    parser.add_argument(
        "--recipe",
        choices=["2", "3"],
        default="2",
        help="digits augmentation and outlier set: 2 = what digits v2 was trained with (default; reproduces"
        " it), 3 = adds broken-stroke augmentation and more procedural non-digits (see README)",
    )
    parser.add_argument("--extra-data", help="labelled uploads (.npy, uint8 rows: label + 784 pixels)")
    parser.add_argument("--extra-share", type=float, default=DEFAULT_SHARE, help="their share per epoch")
    parser.add_argument("--base-subset", type=int, help="train on N base images only (small-scale tests)")
    parser.add_argument("--split-seed", type=int, help="seed of the held-out split (default: --seed)")
    args = parser.parse_args(argv)
    if not args.version.isdigit() or args.version.startswith("0"):
        parser.error("--version must be a positive integer without leading zeros")
    if args.epochs is not None and args.epochs < 1:
        parser.error("--epochs must be at least 1")
    return args


def seed_everything(seed: int) -> None:
    """Same seed and thread count give the same weights and the same ONNX bytes."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 ``[N, 28, 28]`` -> float32 ``[N, 1, 28, 28]`` in ``[0, 1]`` (what the server feeds)."""
    return torch.from_numpy(images).float().div_(255.0).unsqueeze(1)


@torch.no_grad()
def predict(network: torch.nn.Module, x: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    """Outputs of ``network`` (eval mode) for every image, in batches."""
    network.eval()
    return torch.cat([network(x[i : i + batch]) for i in range(0, len(x), batch)])


def train(
    spec: DatasetSpec,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_held: torch.Tensor,
    y_held: torch.Tensor,
    epochs: int,
    seed: int,
    outliers: torch.Tensor | None = None,
) -> SmallCnn:
    """AdamW + OneCycle (max lr 3e-3), batch 128, per-epoch progress on the held-out split.

    With ``outliers``, each step also sees ``OUTLIER_BATCH`` augmented non-digit images whose target
    is the uniform distribution (outlier exposure, weight ``OUTLIER_WEIGHT``): the model learns to be
    unsure about what is not a digit, so a max-probability threshold can flag it.
    """
    mean, std = x_train.mean().item(), x_train.std().item()
    model = SmallCnn(mean=mean, std=std, classes=len(spec.labels))
    steps_per_epoch = len(x_train) // BATCH_SIZE  # last partial batch dropped (reshuffled each epoch)
    optimizer = torch.optim.AdamW(model.parameters(), lr=MAX_LR, weight_decay=WEIGHT_DECAY)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=MAX_LR, epochs=epochs, steps_per_epoch=steps_per_epoch
    )
    generator = torch.Generator().manual_seed(seed)
    print(
        f"{spec.name}: {count_parameters(model):,} parameters, train {len(x_train):,}, "
        f"held out {len(x_held):,}, {epochs} epochs, normalisation mean {mean:.4f} std {std:.4f}",
        flush=True,
    )
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(len(x_train), generator=generator)
        total_loss = 0.0
        for step in range(steps_per_epoch):
            batch = order[step * BATCH_SIZE : (step + 1) * BATCH_SIZE]
            inputs = spec.augment(x_train[batch], generator)
            if outliers is None:
                loss = F.cross_entropy(model(inputs), y_train[batch])
            else:
                pick = torch.randint(len(outliers), (OUTLIER_BATCH,), generator=generator)
                odd = spec.augment(outliers[pick], generator)
                logits = model(torch.cat([inputs, odd]))
                loss = F.cross_entropy(logits[: len(batch)], y_train[batch])
                loss = loss - OUTLIER_WEIGHT * F.log_softmax(logits[len(batch) :], 1).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.item()
        accuracy = (predict(model, x_held).argmax(1) == y_held).float().mean().item()
        print(
            f"epoch {epoch:2d}/{epochs}  loss {total_loss / steps_per_epoch:.4f}  "
            f"held-out {accuracy * 100:.2f}%  {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    return model.eval()


def check_onnx(path: Path, network: torch.nn.Module, x_sample: torch.Tensor) -> str:
    """onnx.checker, names and shapes; onnxruntime vs PyTorch if the Python package exists."""
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    graph = model.graph
    inputs = [i for i in graph.input if i.name not in {t.name for t in graph.initializer}]
    if [i.name for i in inputs] != [INPUT_NAME] or [o.name for o in graph.output] != [OUTPUT_NAME]:
        raise RuntimeError(f"unexpected graph inputs/outputs in {path}")
    dims = [d.dim_param or d.dim_value for d in inputs[0].type.tensor_type.shape.dim]
    if dims != ["batch", 1, 28, 28]:
        raise RuntimeError(f"unexpected input shape {dims}")
    try:
        import onnxruntime  # type: ignore[import-not-found]
    except ImportError:
        return "onnxruntime (Python) not installed: comparison left to the Node test"
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run([OUTPUT_NAME], {INPUT_NAME: x_sample.numpy()})[0]
    want = predict(network, x_sample).numpy()
    difference = float(np.abs(got - want).max())
    if difference > 1e-4:
        raise RuntimeError(f"onnxruntime differs from PyTorch by {difference}")
    return f"onnxruntime matches PyTorch to {difference:.1e}"


def pick_golden(
    images: np.ndarray, labels: np.ndarray, probabilities: np.ndarray, count: int
) -> list[dict]:
    """The first correctly classified held-out image of each class, up to ``count`` images."""
    golden = []
    for cls in range(probabilities.shape[1]):
        for i in np.flatnonzero(labels == cls):
            if probabilities[i].argmax() == cls:
                golden.append(
                    {
                        "label": int(cls),
                        "pixels": images[i].reshape(-1).astype(int).tolist(),
                        "probabilities": [float(p) for p in probabilities[i]],
                    }
                )
                break
        if len(golden) == count:
            break
    return golden


def write_golden(path: Path, spec: DatasetSpec, golden: list[dict]) -> None:
    """One image per line, so the file stays readable and diffs stay small."""
    items = ",\n".join(f"    {json.dumps(item, separators=(',', ':'))}" for item in golden)
    path.write_text(
        "{\n"
        f'  "model": {json.dumps(spec.name)},\n'
        '  "description": "Held-out images (784 bytes, row-major; feed bytes / 255 as [1,1,28,28]),'
        ' true labels and the exported model\'s probabilities.",\n'
        f'  "images": [\n{items}\n  ]\n'
        "}\n"
    )


def calibrate(
    spec: DatasetSpec,
    model: SmallCnn,
    images: np.ndarray,
    labels: np.ndarray,
    held_idx: np.ndarray,
    seed: int,
    smoke: bool,
) -> tuple[float, dict]:
    """Temperature and out-of-distribution threshold from the calibration half of the held-out split.

    Both are fitted on clean calibration digits plus ``CALIBRATION_COPIES`` photo-like augmented copies
    of each; the test half only measures. Writes the halves to ``training/splits/`` (not when smoke).
    """
    cal_idx, test_idx = split_calibration(held_idx, seed)
    generator = torch.Generator().manual_seed(seed + 5)

    def with_copies(idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = to_tensor(images[idx]), torch.from_numpy(labels[idx])
        xs = [x] + [spec.augment(x, generator) for _ in range(CALIBRATION_COPIES)]
        return torch.cat(xs), y.repeat(CALIBRATION_COPIES + 1)

    x_cal, y_cal = with_copies(cal_idx)
    x_test, y_test = with_copies(test_idx)
    logits_cal, logits_test = predict(model, x_cal), predict(model, x_test)
    temperature = fit_temperature(logits_cal, y_cal)
    threshold = ood_threshold(F.softmax(logits_cal / temperature, 1).max(1).values)
    p_before, p_after = F.softmax(logits_test, 1), F.softmax(logits_test / temperature, 1)
    n_test = len(test_idx)
    clean_after = p_after[:n_test]
    odd = {k: F.softmax(predict(model, v) / temperature, 1).max(1).values for k, v in held_out_outliers(seed, 200 if smoke else 1000).items()}
    figures = {
        "temperature": round(temperature, 4),
        "threshold": round(threshold, 4),
        "testAccuracyClean": round((clean_after.argmax(1) == y_test[:n_test]).float().mean().item(), 4),
        "testAccuracyAugmented": round((p_after[n_test:].argmax(1) == y_test[n_test:]).float().mean().item(), 4),
        "eceBefore": round(expected_calibration_error(p_before, y_test), 4),
        "eceAfter": round(expected_calibration_error(p_after, y_test), 4),
        "falseFlaggedClean": round((clean_after.max(1).values < threshold).float().mean().item(), 4),
        "falseFlaggedAugmented": round((p_after[n_test:].max(1).values < threshold).float().mean().item(), 4),
        **{f"flagged_{k}": round((v < threshold).float().mean().item(), 4) for k, v in odd.items()},
    }
    print("calibration (test half of held-out; clean + augmented copies):", json.dumps(figures))
    if not smoke:
        SPLITS_DIR.mkdir(exist_ok=True)
        (SPLITS_DIR / f"{spec.name}-held-out.json").write_text(
            json.dumps(
                {
                    "dataset": spec.dataset_id(),
                    "seed": seed,
                    "description": "Indices into the dataset in load order (class files 0..9 concatenated)."
                    " calibration: fitted temperature and threshold; test: never fitted on (eval:models).",
                    "calibration": cal_idx.tolist(),
                    "test": test_idx.tolist(),
                }
            )
            + "\n"
        )
    ood = {
        "method": "outlier-exposure-max-probability",
        "subject": spec.ood_subject,
        "threshold": round(threshold, 6),
        "temperature": round(temperature, 6),
        "fittedOn": f"calibration half of the held-out split ({len(cal_idx)} digits, clean + "
        f"{CALIBRATION_COPIES} photo-like augmented copies each); target false-flag rate "
        f"{TARGET_FALSE_FLAG_RATE}",
        "heldOut": figures,
    }
    return temperature, ood


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    spec = DATASETS[args.model]
    if args.recipe == "3" and spec.name == "digits":
        spec = dataclasses.replace(spec, augment=photo_like_digits(broken_probability=BROKEN_STROKES_RECIPE_3))
    epochs = 1 if args.smoke else (args.epochs or spec.default_epochs)
    seed_everything(args.seed)
    started = time.perf_counter()

    images, labels = spec.load()
    split_seed = args.seed if args.split_seed is None else args.split_seed
    train_idx, held_idx = stratified_split(labels, spec.held_out_fraction, split_seed)
    small = args.smoke or (args.base_subset is not None and args.base_subset < 4096)
    if args.base_subset is not None:
        rng = np.random.default_rng(args.seed)
        train_idx = np.sort(rng.choice(train_idx, min(args.base_subset, len(train_idx)), replace=False))
    if args.smoke:
        rng = np.random.default_rng(args.seed)
        train_idx = np.sort(rng.choice(train_idx, min(SMOKE_TRAIN, len(train_idx)), replace=False))
        held_idx = np.sort(rng.choice(held_idx, min(SMOKE_HELD_OUT, len(held_idx)), replace=False))
    print(f"loaded {len(images):,} images of {spec.dataset_id()} in {time.perf_counter() - started:.1f} s")
    x_train, y_train = to_tensor(images[train_idx]), torch.from_numpy(labels[train_idx])
    x_held, y_held = to_tensor(images[held_idx]), torch.from_numpy(labels[held_idx])
    extra_items = extra_repeats = 0
    if args.extra_data:
        x_extra, y_extra = load_extra_data(args.extra_data, len(spec.labels))
        extra_items = len(y_extra)
        extra_repeats = oversample_repeats(extra_items, len(train_idx), args.extra_share)
        x_train = torch.cat([x_train, to_tensor(x_extra).repeat(extra_repeats, 1, 1, 1)])
        y_train = torch.cat([y_train, torch.from_numpy(y_extra).repeat(extra_repeats)])
        print(f"extra data: {extra_items} labelled uploads x {extra_repeats} (oversampled) from {args.extra_data}")

    outliers = None
    if spec.ood_subject is not None:
        outliers = outlier_pool(args.seed, *((500, 500) if small else ()), extended=args.recipe == "3")
        print(f"outlier exposure: {len(outliers):,} non-digit images (clothing, synthetic shapes)")

    train_started = time.perf_counter()
    model = train(spec, x_train, y_train, x_held, y_held, epochs, args.seed, outliers)
    train_seconds = time.perf_counter() - train_started

    temperature, ood = 1.0, None
    if spec.ood_subject is not None:
        # The split file belongs to the base training run: a retrain (extra data) never rewrites it.
        temperature, ood = calibrate(
            spec, model, images, labels, held_idx, split_seed, small or bool(args.extra_data)
        )

    # Everything below is measured with the exported form (folded BatchNorm, softmax output).
    network = export_network(model, temperature)
    probabilities = predict(network, x_held)
    correct = int((probabilities.argmax(1) == y_held).sum())
    accuracy = correct / len(y_held)

    out_root = Path(tempfile.mkdtemp(prefix=f"train-smoke-{spec.name}-")) if args.smoke else Path(args.out)
    folder = out_root / spec.name / args.version
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / "model.onnx"
    export_onnx(network, str(model_path), INPUT_NAME, OUTPUT_NAME)
    onnx_check = check_onnx(model_path, network, x_held[:64])
    model_bytes = model_path.read_bytes()
    sha256 = hashlib.sha256(model_bytes).hexdigest()

    manifest = {
        "name": spec.name,
        "version": args.version,
        "displayName": spec.display_name,
        "platform": "onnxruntime_onnx",
        "input": {"name": INPUT_NAME, "datatype": "FP32", "dims": [1, 28, 28]},
        "output": {"name": OUTPUT_NAME, "datatype": "FP32", "dims": [len(spec.labels)]},
        "labels": list(spec.labels),
        "preprocessing": spec.preprocessing,
        "maxBatchSize": MAX_BATCH_SIZE,
        "dynamicBatching": {"maxQueueDelayMicroseconds": 2000, "preferredBatchSizes": []},
        "training": {
            "dataset": spec.dataset_id(),
            "seed": args.seed,
            "trainSize": len(train_idx) + extra_items,
            "heldOutSize": len(held_idx),
            "heldOutAccuracy": round(accuracy, 6),
            "epochs": epochs,
            "trainedAt": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "modelSha256": sha256,
            "parameters": count_parameters(model),
        },
    }
    if ood is not None:
        manifest["outOfDistribution"] = ood
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    golden = pick_golden(images[held_idx], labels[held_idx], probabilities.numpy(), GOLDEN_IMAGES)
    write_golden(folder / "golden.json", spec, golden)

    print(f"onnx: checker ok, {onnx_check}")
    print(
        f"done: {spec.name} v{args.version}  held-out accuracy {accuracy * 100:.2f}% "
        f"({correct}/{len(y_held)})  train {len(train_idx):,}  epochs {epochs}  "
        f"training {train_seconds:.1f} s  total {time.perf_counter() - started:.1f} s  "
        f"model.onnx {len(model_bytes):,} bytes sha256 {sha256[:12]}…  -> {folder}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
