#!/usr/bin/env python3
"""Phase two, optional: full fine-tuning of the default model on a GPU (PyTorch).

Not part of the runtime or of CI. rovlens trains its heads in TypeScript on a frozen backbone
(`rovlens train`, `npm run model:train`); this script goes further, as the datathon's winners did
after their frozen phase: it unfreezes the backbone and trains everything end to end.

How it works
  1. Loads the ONNX model (backbone + heads) with the `onnx` package and rebuilds it as a PyTorch
     module with `onnx2torch` (pip install onnx2torch), so the weights start from the trained model.
  2. Reads the same data as `rovlens train`: a manifest CSV (path, floor, element, group) or a folder
     per class; skips none/unsure labels; splits by group (or stratified 80/20) with the given seed.
  3. Cuts each image as rovlens does: the card's relative centre crop, then a resize to the card's
     input size, the card's channel order and scaling; augments as rovlens does (blur, brightness,
     contrast, saturation, hue, JPEG quality, translate/rotate/mirror/scale, perspective).
  4. Trains with class-weighted cross-entropy on both heads, a lower learning rate for the backbone.
  5. Exports ONNX with the same input and output names (image -> floor_logits, element_logits,
     embedding, floor_cam, element_cam), so the card still applies; then run
     `rovlens evaluate <out.onnx> --data ... --validation-only --robustness` to compare with the probe.

Usage
  pip install torch torchvision onnx onnx2torch pillow
  python3 models/scripts/finetune.py --model models/rovlens-default.onnx --data path/to/manifest.csv \
      --out models/build/rovlens-finetuned.onnx --epochs 10 --device cuda
  cp models/rovlens-default.card.json models/build/rovlens-finetuned.card.json  # set "file", metrics
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import random
from collections import Counter, defaultdict
from pathlib import Path

SKIPPED = {"none", "unsure", ""}


def load_samples(data: Path, heads: dict[str, list[str]]):
    """[(path, {head: class index}, group or None)] from a manifest or class folders."""
    samples = []
    if data.is_dir():
        for folder in sorted(p for p in data.iterdir() if p.is_dir()):
            head = next((h for h, labels in heads.items() if folder.name in labels), None)
            if head is None:
                continue
            for image in sorted(folder.iterdir()):
                if image.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}:
                    samples.append((image, {head: heads[head].index(folder.name)}, None))
        return samples
    with open(data, newline="") as f:
        for row in csv.DictReader(f):
            labels = {h: heads[h].index(row[h]) for h in heads if row.get(h, "") not in SKIPPED and row[h] in heads[h]}
            if labels:
                samples.append((data.parent / row["path"], labels, row.get("group") or None))
    return samples


def split(samples, fraction: float, seed: int):
    """Whole groups to validation (or single images when there are no groups)."""
    rng = random.Random(seed)
    keys = sorted({g if g else str(p) for p, _, g in samples})
    rng.shuffle(keys)
    held = set(keys[: max(1, round(len(keys) * fraction))])
    train = [s for s in samples if (s[2] or str(s[0])) not in held]
    validation = [s for s in samples if (s[2] or str(s[0])) in held]
    return train, validation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="ONNX model with its .card.json beside it")
    parser.add_argument("--data", required=True, help="manifest CSV or a folder per class")
    parser.add_argument("--out", required=True, help="fine-tuned .onnx to write")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr-backbone", type=float, default=1e-4)
    parser.add_argument("--lr-heads", type=float, default=1e-3)
    parser.add_argument("--validation-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()

    import onnx
    import torch
    from onnx2torch import convert
    from PIL import Image, ImageFilter
    from torchvision.transforms import v2 as T

    torch.manual_seed(args.seed)
    model_path = Path(args.model)
    card = json.loads(model_path.with_suffix(".card.json").read_text())
    heads = {name: spec["labels"] for name, spec in card["heads"].items()}
    size = (card["input"]["height"], card["input"]["width"])
    crop_w, crop_h = card["crop"]["widthFraction"], card["crop"]["heightFraction"]
    scaling = card["input"]["scaling"]
    if "mean" in scaling:
        mean, std = torch.tensor(scaling["mean"]), torch.tensor(scaling["std"])
        scale, offset = 1 / (255 * std), -mean / std
    else:
        scale, offset = torch.tensor(scaling["scale"]), torch.tensor(scaling["offset"])
    scale = scale.reshape(-1, 1, 1) if scale.ndim else scale
    offset = offset.reshape(-1, 1, 1) if offset.ndim else offset

    net = convert(onnx.load(str(model_path))).to(args.device)
    outputs = [o.name for o in onnx.load(str(model_path), load_external_data=False).graph.output]

    def centre_crop(image: Image.Image) -> Image.Image:
        w, h = image.size
        cw, ch = max(1, round(w * crop_w)), max(1, round(h * crop_h))
        x, y = (w - cw) // 2, (h - ch) // 2
        return image.crop((x, y, x + cw, y + ch))

    augment = T.Compose([
        T.RandomResizedCrop(size, scale=(0.75, 1.0), ratio=(0.9, 1.1)),
        T.RandomHorizontalFlip(),
        T.RandomAffine(degrees=10, translate=(0.08, 0.08)),
        T.RandomPerspective(0.15, p=0.5),
        T.ColorJitter(brightness=0.3, contrast=0.3, saturation=0.3, hue=0.03),
    ])

    def load(path: Path, train: bool) -> torch.Tensor:
        image = centre_crop(Image.open(path).convert("RGB"))
        if train:
            if random.random() < 0.4:
                image = image.filter(ImageFilter.GaussianBlur(random.uniform(0.3, 2.0)))
            if random.random() < 0.5:
                buffer = io.BytesIO()
                image.save(buffer, "JPEG", quality=random.randint(15, 95))
                image = Image.open(buffer).convert("RGB")
            image = augment(image)
        image = image.resize((size[1], size[0]), Image.BILINEAR)
        pixels = torch.from_numpy(__import__("numpy").asarray(image, dtype="float32")).permute(2, 0, 1)
        if card["input"]["channelOrder"] == "BGR":
            pixels = pixels.flip(0)
        return pixels * scale + offset

    samples = load_samples(Path(args.data), heads)
    train, validation = split(samples, args.validation_fraction, args.seed)
    weights = {}
    for head, labels in heads.items():
        counts = Counter(l[head] for _, l, _ in train if head in l)
        present = len(counts)
        weights[head] = torch.tensor([len(train) / (present * counts[c]) if counts[c] else 0.0 for c in range(len(labels))], device=args.device)

    head_params = [p for n, p in net.named_parameters() if "head" in n or "cam" in n]
    other = [p for n, p in net.named_parameters() if not ("head" in n or "cam" in n)]
    optimiser = torch.optim.AdamW([{"params": other, "lr": args.lr_backbone}, {"params": head_params, "lr": args.lr_heads}], weight_decay=1e-4)

    def logits_of(batch: torch.Tensor) -> dict[str, torch.Tensor]:
        result = net(batch)
        result = result if isinstance(result, (list, tuple)) else [result]
        return dict(zip(outputs, result))

    for epoch in range(args.epochs):
        net.train()
        random.shuffle(train)
        for start in range(0, len(train), args.batch_size):
            chunk = train[start : start + args.batch_size]
            batch = torch.stack([load(p, True) for p, _, _ in chunk]).to(args.device)
            out = logits_of(batch)
            loss = torch.zeros((), device=args.device)
            for head in heads:
                rows = [i for i, (_, l, _) in enumerate(chunk) if head in l]
                if rows:
                    target = torch.tensor([chunk[i][1][head] for i in rows], device=args.device)
                    loss = loss + torch.nn.functional.cross_entropy(out[card["heads"][head]["logits"]][rows], target, weight=weights[head])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        net.eval()
        correct, total = defaultdict(float), defaultdict(float)
        with torch.no_grad():
            for start in range(0, len(validation), args.batch_size):
                chunk = validation[start : start + args.batch_size]
                out = logits_of(torch.stack([load(p, False) for p, _, _ in chunk]).to(args.device))
                for head in heads:
                    predicted = out[card["heads"][head]["logits"]].argmax(1).tolist()
                    for i, (_, l, _) in enumerate(chunk):
                        if head in l:
                            # Weighted accuracy as rovlens defines it: each class counts equally.
                            correct[(head, l[head])] += predicted[i] == l[head]
                            total[(head, l[head])] += 1
        summary = {h: sum(correct[k] / total[k] for k in total if k[0] == h) / max(1, sum(1 for k in total if k[0] == h)) for h in heads}
        print(f"epoch {epoch + 1}: validation weighted accuracy " + ", ".join(f"{h} {v:.3f}" for h, v in summary.items()), flush=True)

    net.eval().cpu()
    dummy = torch.zeros(1, 3, *size)
    torch.onnx.export(net, dummy, args.out, input_names=[card["input"]["name"]], output_names=outputs,
                      dynamic_axes={card["input"]["name"]: {0: "N", 2: "H", 3: "W"}, **{o: {0: "N"} for o in outputs}}, opset_version=13)
    print(f"wrote {args.out}; copy the card beside it, set its 'file', and run rovlens evaluate on it")


if __name__ == "__main__":
    main()
