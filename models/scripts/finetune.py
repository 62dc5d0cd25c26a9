#!/usr/bin/env python3
"""Phase two: fine-tune the default model end to end (backbone and heads), on CPU or GPU (PyTorch).

Not part of the runtime or of CI. rovlens trains its heads in TypeScript on a frozen backbone
(`rovlens train`); this script unfreezes the backbone and trains everything, as the datathon's
winners did after their frozen phase. Needs only torch, onnx, numpy and Pillow (Debian:
`apt-get install python3-torch python3-onnx`; run with that interpreter, /usr/bin/python3).

How it works
  1. `npx tsx models/scripts/finetune-prepare.ts` (rovlens itself) writes the data: the labelled
     images of the manifest (none/unsure skipped), each cut with the card's relative centre crop and
     resized by sharp (clean at the input size, and larger for augmentation), and each image's role
     per head: the validation part of `rovlens train`'s group split (headSplits: seed 1, fraction
     0.2), and inside the training groups a selection split (groupSplit, seed 2) and the fit part.
  2. The ONNX graph is rebuilt as a torch module by interpreting its nodes (Conv with groups, pads,
     strides and SAME_UPPER; Clip; Relu; Add, Sub, Mul, Div, Sqrt, ReduceMean (the optional input
     normalisation); Pad; GlobalAveragePool; Flatten; Gemm); the Conv and Gemm initialisers become
     trainable parameters. `--check` compares it with ONNX Runtime's outputs
     written by `npx tsx models/scripts/finetune-reference.ts`.
  3. Trains on the fit images only (an image in the selection or validation part of either head
     never enters training, so neither head's held-out images reach the shared backbone), with
     class-weighted cross-entropy on both heads, AdamW with a lower learning rate for the backbone,
     and augmentation (flip, small affine, brightness/contrast/saturation/hue, blur, JPEG,
     downscale; --augment wide also re-compresses the source picture; --cutmix pastes a box from
     another image of the batch and mixes the labels by area). With --consistency > 0 each
     image is seen twice per step, fully augmented and with its geometry changed only, and a
     Jensen-Shannon term asks both heads for the same answer on both (AugMix's consistency loss).
     After each epoch both heads are scored (weighted accuracy = balanced accuracy, as rovlens
     defines it) on the selection images, clean (--select-on clean) or clean and under the
     robustness perturbations (--select-on robust); the epoch with the best mean is kept. Validation
     is never looked at: score it afterwards with `rovlens evaluate --validation-only`.
     The defaults are the recipe of the bundled default model (with --epochs 10).
  4. Writes the trained values back into the initialisers of the original graph, so the contract is
     the original's exactly (input `image` [N,3,H,W] dynamic, outputs floor_logits, element_logits,
     embedding, floor_cam, element_cam, opset 13), with each CAM weight = its head's weight (1x1
     conv, no bias, so mean(cam) + bias = logits), and a card beside it (copied, with file and
     provenance set; metrics must be re-measured with `rovlens evaluate`).

Usage
  npx tsx models/scripts/finetune-prepare.ts
  npx tsx models/scripts/finetune-reference.ts && /usr/bin/python3 models/scripts/finetune.py --check
  /usr/bin/python3 models/scripts/finetune.py --epochs 10   # the bundled default's recipe (--model: the linear-probe model)
  /usr/bin/python3 models/scripts/finetune.py --augment wide --consistency 4 --select-on robust --epochs 12   # robustness-first
  /usr/bin/python3 models/scripts/finetune.py --cutmix 0.5 --epochs 10   # CutMix, for localisation (not better here: models/README.md)
"""
from __future__ import annotations

import argparse
import copy
import io
import json
import math
import time
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


class OnnxModule(torch.nn.Module):
    """The ONNX graph's nodes, run in order by torch; initialisers are parameters (float ones)."""

    SUPPORTED = {"Conv", "Clip", "Relu", "Add", "Sub", "Mul", "Div", "Sqrt", "ReduceMean", "Pad", "GlobalAveragePool", "Flatten", "Gemm"}

    def __init__(self, model: onnx.ModelProto, outputs: list[str]):
        super().__init__()
        graph = model.graph
        self.input_name = graph.input[0].name
        self.outputs = outputs
        self.names: dict[str, str] = {}  # initialiser name -> parameter key (dots are not allowed)
        self.params = torch.nn.ParameterDict()
        for init in graph.initializer:
            key = f"p{len(self.names)}"
            self.names[init.name] = key
            self.params[key] = torch.nn.Parameter(torch.from_numpy(numpy_helper.to_array(init).copy()))
        # Only the nodes the wanted outputs need (training skips the CAM convolutions).
        producers = {o: n for n in graph.node for o in n.output}
        needed, stack = set(), list(outputs)
        while stack:
            name = stack.pop()
            node = producers.get(name)
            if node is None or id(node) in needed:
                continue
            needed.add(id(node))
            stack.extend(node.input)
        self.nodes = [n for n in graph.node if id(n) in needed]
        for n in self.nodes:
            if n.op_type not in self.SUPPORTED:
                raise SystemExit(f"unsupported ONNX op {n.op_type} (node {n.name}); supported: {', '.join(sorted(self.SUPPORTED))}")
        self.attrs = [{a.name: onnx.helper.get_attribute_value(a) for a in n.attribute} for n in self.nodes]

    def value(self, env: dict, name: str):
        return self.params[self.names[name]] if name in self.names else env[name]

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        env = {self.input_name: image}
        for node, at in zip(self.nodes, self.attrs):
            x = [self.value(env, i) if i else None for i in node.input]
            op = node.op_type
            if op == "Conv":
                y = conv(x[0], x[1], x[2] if len(x) > 2 else None, at)
            elif op == "Clip":
                y = torch.clamp(x[0], float(x[1]) if len(x) > 1 and x[1] is not None else None,
                                float(x[2]) if len(x) > 2 and x[2] is not None else None)
            elif op == "Relu":
                y = F.relu(x[0])
            elif op == "Add":
                y = x[0] + x[1]
            elif op == "Sub":
                y = x[0] - x[1]
            elif op == "Mul":
                y = x[0] * x[1]
            elif op == "Div":
                y = x[0] / x[1]
            elif op == "Sqrt":
                y = torch.sqrt(x[0])
            elif op == "ReduceMean":
                y = x[0].mean(dim=tuple(at["axes"]), keepdim=bool(at.get("keepdims", 1)))
            elif op == "Pad":
                pads = [int(p) for p in x[1].tolist()]
                half = len(pads) // 2
                # ONNX: all begins then all ends, outermost axis first; F.pad: innermost axis first.
                torch_pads = [v for axis in reversed(range(half)) for v in (pads[axis], pads[axis + half])]
                y = F.pad(x[0], torch_pads, mode=at.get("mode", b"constant").decode(),
                          value=float(x[2]) if len(x) > 2 and x[2] is not None else 0.0)
            elif op == "GlobalAveragePool":
                y = x[0].mean(dim=(2, 3), keepdim=True)
            elif op == "Flatten":
                y = torch.flatten(x[0], at.get("axis", 1))
            elif op == "Gemm":
                a = x[0].t() if at.get("transA", 0) else x[0]
                b = x[1].t() if at.get("transB", 0) else x[1]
                y = at.get("alpha", 1.0) * (a @ b)
                if len(x) > 2 and x[2] is not None:
                    y = y + at.get("beta", 1.0) * x[2]
            env[node.output[0]] = y
        return {o: env[o] for o in self.outputs}


def conv(x, w, b, at):
    strides = at.get("strides", [1, 1])
    dilations = at.get("dilations", [1, 1])
    group = at.get("group", 1)
    auto_pad = at.get("auto_pad", b"NOTSET").decode() if isinstance(at.get("auto_pad", b""), bytes) else at.get("auto_pad", "NOTSET")
    kh, kw = w.shape[2], w.shape[3]
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for size, k, s, d in ((x.shape[2], kh, strides[0], dilations[0]), (x.shape[3], kw, strides[1], dilations[1])):
            out = math.ceil(size / s)
            total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
            small, large = total // 2, total - total // 2
            pads.append((small, large) if auto_pad == "SAME_UPPER" else (large, small))
        top, bottom = pads[0]
        left, right = pads[1]
    else:
        top, left, bottom, right = at.get("pads", [0, 0, 0, 0])
    if top == bottom and left == right:
        return F.conv2d(x, w, b, strides, (top, left), dilations, group)
    return F.conv2d(F.pad(x, (left, right, top, bottom)), w, b, strides, 0, dilations, group)


def head_tensors(model: onnx.ModelProto, logits_name: str, cam_name: str | None):
    """(weight initialiser, bias initialiser, cam weight initialiser) of one head's Gemm and CAM Conv."""
    gemm = next(n for n in model.graph.node if n.output[0] == logits_name)
    cam = next((n for n in model.graph.node if n.output[0] == cam_name), None) if cam_name else None
    return gemm.input[1], gemm.input[2], cam.input[1] if cam is not None else None


def round_floats(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: round_floats(v) for k, v in value.items()}
    return value


def weighted_accuracy(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Mean recall over the classes present (= rovlens's weighted accuracy)."""
    classes = np.unique(truth)
    return float(np.mean([(predicted[truth == c] == c).mean() for c in classes]))


# ---------------------------------------------------------------- augmentation (batch, torch, NCHW 0..255)
def hue_matrix(degrees: float) -> torch.Tensor:
    """Rotation about the grey axis of RGB space."""
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    k = 1 / 3
    r = math.sqrt(k)
    return torch.tensor([
        [c + (1 - c) * k, k * (1 - c) - r * s, k * (1 - c) + r * s],
        [k * (1 - c) + r * s, c + k * (1 - c), k * (1 - c) - r * s],
        [k * (1 - c) - r * s, k * (1 - c) + r * s, c + k * (1 - c)],
    ], dtype=torch.float32)


def jpeg(pixels: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of a [1,3,H,W] batch, reflected at the edges."""
    r = int(math.ceil(2 * sigma))
    k = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float32) ** 2 / (2 * sigma * sigma))
    k = (k / k.sum()).view(1, 1, 1, -1).repeat(3, 1, 1, 1)
    y = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k, groups=3)
    return F.conv2d(F.pad(y, (0, 0, r, r), mode="reflect"), k.transpose(2, 3), groups=3)


# Augmentation profiles. "standard" trained the bundled default; "wide" covers every perturbation that
# `rovlens evaluate --robustness` scores with margin and adds codec damage at the source's scale (it did
# not help on the development data: see models/README.md, Robustness).
PROFILES = {
    "standard": dict(source_jpeg=0.0, crop_jpeg=0.3, blur=0.3, blur_sigma=(0.5, 2.0), hue=15, saturation=0.3,
                     contrast=0.35, contrast_about="mean", brightness=0.4,
                     text="mirror, zoom 0.75-1, rotation +-10 deg, shift +-8 %, JPEG quality 15-80 (30 %), downscale to 20-60 % (30 %), "
                          "blur sigma 0.5-2 (30 %), hue +-15 deg, saturation and contrast +-30-35 %, brightness +-40 %"),
    "wide": dict(source_jpeg=0.25, crop_jpeg=0.2, blur=0.35, blur_sigma=(0.5, 2.5), hue=25, saturation=0.3,
                 contrast=0.45, contrast_about="mid-grey", brightness=0.45,
                 text="mirror, zoom 0.75-1, rotation +-10 deg, shift +-8 %; the crop cut from the source picture JPEG-compressed at "
                      "quality 10-40 (25 %) or JPEG quality 15-80 on the crop (20 % of the rest), downscale to 20-60 % (30 %), "
                      "blur sigma 0.5-2.5 (35 %), hue +-25 deg, saturation +-30 %, contrast about mid-grey +-45 %, brightness +-45 %"),
}


def augment(batch_u8: np.ndarray, degraded_u8: np.ndarray | None, size: tuple[int, int], rng: np.random.Generator,
            profile: dict, photometric: bool = True) -> torch.Tensor:
    """HWC uint8 crops (larger than the input) -> augmented NCHW float 0..255 at the input size.

    `degraded_u8` holds the same crops cut from a JPEG-compressed source picture (finetune-prepare.ts);
    the profile's `source_jpeg` share of the views use it. With photometric=False only the geometry
    changes (the consistency loss's reference view).
    """
    items = []
    for j, pixels in enumerate(batch_u8):
        if photometric and degraded_u8 is not None and profile["source_jpeg"] > 0 and rng.random() < profile["source_jpeg"]:
            pixels = degraded_u8[j]
        elif photometric and rng.random() < profile["crop_jpeg"]:
            pixels = jpeg(pixels, int(rng.integers(15, 80)))
        items.append(torch.from_numpy(pixels.copy()).permute(2, 0, 1).float())
    x = torch.stack(items)
    n = x.shape[0]
    # Small affine (zoom, rotation, shift, mirror) and the crop to the input size, in one resampling.
    theta = torch.zeros(n, 2, 3)
    for i in range(n):
        zoom = rng.uniform(0.75, 1.0)  # fraction of the crop's side that is shown
        angle = math.radians(rng.uniform(-10, 10))
        flip = -1.0 if rng.random() < 0.5 else 1.0
        tx, ty = rng.uniform(-0.08, 0.08, size=2)
        c, s = math.cos(angle) * zoom, math.sin(angle) * zoom
        theta[i] = torch.tensor([[c * flip, -s, tx], [s * flip, c, ty]])
    grid = F.affine_grid(theta, (n, 3, *size), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    if not photometric:
        return x
    for i in range(n):
        if rng.random() < 0.3:  # resolution loss: down to 20-60 % of the side, then back up
            f = rng.uniform(0.2, 0.6)
            small = F.interpolate(x[i:i + 1], scale_factor=f, mode="area")
            x[i:i + 1] = F.interpolate(small, size=size, mode="bilinear", align_corners=False)
        if rng.random() < profile["blur"]:
            x[i:i + 1] = blur(x[i:i + 1], rng.uniform(*profile["blur_sigma"]))
        # Colour: hue, saturation, contrast, brightness.
        m = hue_matrix(rng.uniform(-profile["hue"], profile["hue"]))
        img = torch.einsum("ij,jhw->ihw", m, x[i])
        grey = img.mean(dim=0, keepdim=True)
        img = grey + (img - grey) * rng.uniform(1 - profile["saturation"], 1 + profile["saturation"])
        centre = 128 if profile["contrast_about"] == "mid-grey" else img.mean()
        img = centre + (img - centre) * rng.uniform(1 - profile["contrast"], 1 + profile["contrast"])
        x[i] = (img * rng.uniform(1 - profile["brightness"], 1 + profile["brightness"])).clamp(0, 255)
    return x


def selection_conditions() -> dict[str, callable]:
    """The robustness perturbations, approximated on the 224-pixel clean crops (NCHW 0..255), for
    choosing the epoch: the selection images' sources are not kept, so these act on the crop."""
    def jpeg15(x):
        return torch.stack([torch.from_numpy(jpeg(im.permute(1, 2, 0).round().clamp(0, 255).byte().numpy(), 15).copy()).permute(2, 0, 1).float()
                            for im in x])

    def half(x):
        return F.interpolate(F.interpolate(x, scale_factor=0.5, mode="area"), size=x.shape[2:], mode="bilinear", align_corners=False)

    def hue(x):
        return torch.einsum("ij,njhw->nihw", hue_matrix(20), x).clamp(0, 255)

    return {
        "clean": lambda x: x,
        "downscale": half,
        "jpeg15": jpeg15,
        "blur": lambda x: torch.cat([blur(x[i:i + 1], 1.0) for i in range(x.shape[0])]),
        "bright+40": lambda x: (x * 1.4).clamp(0, 255),
        "bright-40": lambda x: x * 0.6,
        "contrast+40": lambda x: (128 + (x - 128) * 1.4).clamp(0, 255),
        "contrast-40": lambda x: 128 + (x - 128) * 0.6,
        "hue+20": hue,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(ROOT / "models" / "rovlens-default.onnx"), help="ONNX model with its .card.json beside it")
    parser.add_argument("--prepared", default=str(ROOT / "models" / "build" / "finetune-data"), help="finetune-prepare.ts output")
    parser.add_argument("--out", default=str(ROOT / "models" / "build" / "rovlens-finetuned.onnx"), help="fine-tuned .onnx to write")
    parser.add_argument("--check", action="store_true", help="only compare the torch rebuild with finetune-reference.ts's ONNX Runtime outputs")
    parser.add_argument("--epochs", type=int, default=6, help="most epochs; the best on the selection split is kept")
    parser.add_argument("--batch-size", type=int, default=24)
    parser.add_argument("--lr-backbone", type=float, default=2e-5, help="peak; cosine decay to 0 over --epochs")
    parser.add_argument("--lr-heads", type=float, default=2e-4, help="peak; cosine decay to 0 over --epochs")
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--augment", choices=sorted(PROFILES), default="standard",
                        help="augmentation profile: standard (trained the bundled default) or wide (covers the robustness perturbations)")
    parser.add_argument("--consistency", type=float, default=0.0,
                        help="weight of the Jensen-Shannon consistency between a geometry-only view and a fully augmented "
                             "view of each image (0: one augmented view, cross-entropy only)")
    parser.add_argument("--select-on", choices=("robust", "clean"), default="clean",
                        help="epoch choice: mean selection weighted accuracy over the clean and perturbed crops, or clean only")
    parser.add_argument("--cutmix", type=float, default=0.0,
                        help="share of batches mixed by CutMix (a random box pasted from another image of the batch, labels mixed by area)")
    parser.add_argument("--frozen-nodes", type=int, default=0, help="leave the first N Conv nodes' weights frozen (speed on CPU)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    if args.cutmix > 0 and args.consistency > 0:
        parser.error("--cutmix and --consistency do not combine")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model_path = Path(args.model)
    card = json.loads(model_path.with_name(model_path.name.replace(".onnx", ".card.json")).read_text())
    onnx_model = onnx.load(str(model_path))
    heads = {name: spec["labels"] for name, spec in card["heads"].items()}
    logits_names = {h: card["heads"][h]["logits"] for h in heads}
    scaling = card["input"]["scaling"]
    if "mean" in scaling:
        mean, std = torch.tensor(scaling["mean"]), torch.tensor(scaling["std"])
        scale, offset = 1 / (255 * std), -mean / std
    else:
        scale, offset = torch.tensor(scaling["scale"]), torch.tensor(scaling["offset"])
    scale = scale.reshape(-1, 1, 1) if scale.ndim else scale
    offset = offset.reshape(-1, 1, 1) if offset.ndim else offset
    bgr = card["input"]["channelOrder"] == "BGR"

    def to_input(x255: torch.Tensor) -> torch.Tensor:
        return (x255.flip(1) if bgr else x255) * scale + offset

    prepared = Path(args.prepared)
    index = json.loads((prepared / "index.json").read_text())
    size = (index["size"]["height"], index["size"]["width"])
    side = index["augmentSidePx"]
    n_images = len(index["images"])
    clean = np.fromfile(prepared / "clean.u8", dtype=np.uint8).reshape(n_images, size[0], size[1], 3)

    if args.check:
        ref = json.loads((prepared / "reference.json").read_text())
        names = list(ref["outputs"])
        net = OnnxModule(onnx_model, names).eval()
        with torch.no_grad():
            x = to_input(torch.from_numpy(clean[: ref["images"]].copy()).permute(0, 3, 1, 2).float())
            out = net(x)
        worst = 0.0
        for name in names:
            expected = np.asarray(ref["outputs"][name]["data"], dtype=np.float32).reshape(ref["outputs"][name]["dims"])
            diff = float(np.abs(out[name].numpy() - expected).max())
            worst = max(worst, diff)
            print(f"{name}: shape {list(expected.shape)}, max abs diff {diff:.2e}, largest |value| {np.abs(expected).max():.3f}")
        print(f"torch rebuild vs ONNX Runtime on {ref['images']} images: max abs diff {worst:.2e}")
        raise SystemExit(0 if worst < 1e-3 else 5)

    augment_u8 = np.fromfile(prepared / "augment.u8", dtype=np.uint8).reshape(n_images, side, side, 3)
    degraded_path = prepared / "degraded.u8"
    degraded_u8 = np.fromfile(degraded_path, dtype=np.uint8).reshape(n_images, side, side, 3) if degraded_path.exists() else None
    images = index["images"]
    roles = [im["roles"] for im in images]
    fit = [i for i, r in enumerate(roles) if r and all(v == "fit" for v in r.values())]
    selection = {h: [i for i, r in enumerate(roles) if r.get(h) == "selection"] for h in heads}
    label = {h: np.array([im["labels"].get(h, -1) for im in images]) for h in heads}
    print(f"fit images {len(fit)}; selection " + ", ".join(f"{h} {len(v)}" for h, v in selection.items()), flush=True)

    net = OnnxModule(onnx_model, list(logits_names.values()))
    head_keys = set()
    for h in heads:
        w, b, _ = head_tensors(onnx_model, logits_names[h], card["heads"][h].get("cam"))
        head_keys |= {net.names[w], net.names[b]}
    conv_nodes = [n for n in net.nodes if n.op_type == "Conv"]
    frozen = {net.names[i] for n in conv_nodes[: args.frozen_nodes] for i in n.input[1:] if i in net.names}
    # Clip bounds and Pad values are initialisers too: never trained.
    trainable_inputs = {i for n in net.nodes if n.op_type in ("Conv", "Gemm") for i in n.input[1:]}
    for name, key in net.names.items():
        net.params[key].requires_grad = name in trainable_inputs and key not in frozen and net.params[key].dtype == torch.float32
    backbone = [p for k, p in net.params.items() if p.requires_grad and k not in head_keys]
    head_params = [p for k, p in net.params.items() if p.requires_grad and k in head_keys]
    optimiser = torch.optim.AdamW([{"params": backbone, "lr": args.lr_backbone}, {"params": head_params, "lr": args.lr_heads}],
                                  weight_decay=args.weight_decay)
    steps_per_epoch = math.ceil(len(fit) / args.batch_size)
    # Cosine decay over the whole run, per step: late epochs move the weights less, so neighbouring
    # epochs differ less and the selection split picks among settled models, not among jumps.
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: 0.5 * (1 + math.cos(math.pi * min(1.0, step / (args.epochs * steps_per_epoch)))))
    print(f"trainable: backbone {sum(p.numel() for p in backbone)} values, heads {sum(p.numel() for p in head_params)}", flush=True)

    weights = {}
    for h, labels in heads.items():
        y = label[h][fit]
        y = y[y >= 0]
        counts = np.bincount(y, minlength=len(labels))
        present = int((counts > 0).sum())
        # As rovlens train: n / (classes present x count of the class).
        weights[h] = torch.tensor([len(y) / (present * c) if c else 0.0 for c in counts], dtype=torch.float32)

    conditions = selection_conditions() if args.select_on == "robust" else {"clean": lambda x: x}

    def score_selection() -> dict[str, dict[str, float]]:
        """Weighted accuracy per head and condition on the selection images."""
        net.eval()
        result: dict[str, dict[str, float]] = {}
        with torch.no_grad():
            for h in heads:
                ids = selection[h]
                result[h] = {}
                for name, perturb in conditions.items():
                    predicted = []
                    for start in range(0, len(ids), 64):
                        chunk = ids[start:start + 64]
                        x = perturb(torch.from_numpy(clean[chunk].copy()).permute(0, 3, 1, 2).float())
                        predicted.append(net(to_input(x))[logits_names[h]].argmax(1).numpy())
                    result[h][name] = weighted_accuracy(np.concatenate(predicted), label[h][ids])
        return result

    def summary(scores: dict[str, dict[str, float]]) -> str:
        return ", ".join(f"{h} clean {v['clean']:.3f}" + (f" mean of {len(v)} conditions {np.mean(list(v.values())):.3f}" if len(v) > 1 else "")
                         for h, v in scores.items())

    def js_divergence(logits_a: torch.Tensor, logits_b: torch.Tensor) -> torch.Tensor:
        p, q = F.softmax(logits_a, 1), F.softmax(logits_b, 1)
        m = ((p + q) / 2).clamp_min(1e-7).log()
        return (F.kl_div(m, p, reduction="batchmean") + F.kl_div(m, q, reduction="batchmean")) / 2

    history = []
    start_score = score_selection()
    history.append({"epoch": 0, "selection": start_score, "seconds": 0.0})
    print(f"epoch 0 (the model as given): selection weighted accuracy {summary(start_score)}", flush=True)
    # Epoch 0 is reported, not a candidate: the given heads were fitted on the selection images too
    # (they lie in rovlens train's training groups), so its selection score is optimistic.
    best = (-1.0, 0, None)
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        net.train()
        order = rng.permutation(fit)
        total, batches = 0.0, 0
        for start in range(0, len(order), args.batch_size):
            chunk = order[start:start + args.batch_size]
            profile = PROFILES[args.augment]
            views = [augment(augment_u8[chunk], degraded_u8[chunk] if degraded_u8 is not None else None, size, rng, profile)]
            if args.consistency > 0:
                views.append(augment(augment_u8[chunk], None, size, rng, profile, photometric=False))
            mix = None
            if args.cutmix > 0 and rng.random() < args.cutmix:
                # CutMix (Yun et al. 2019): evidence must come from where each label's pixels are.
                partner = rng.permutation(len(chunk))
                cut = math.sqrt(1 - rng.random())
                ch, cw = int(size[0] * cut), int(size[1] * cut)
                y0, x0 = int(rng.integers(0, size[0] - ch + 1)), int(rng.integers(0, size[1] - cw + 1))
                views[0] = views[0].clone()
                views[0][:, :, y0:y0 + ch, x0:x0 + cw] = views[0][partner, :, y0:y0 + ch, x0:x0 + cw]
                mix = (partner, 1 - (ch * cw) / (size[0] * size[1]))
            outs = [net(to_input(v)) for v in views]
            loss = torch.zeros(())
            for h in heads:
                y = label[h][chunk]
                if mix is not None:
                    partner, keep = mix
                    y2 = y[partner]
                    rows = np.nonzero((y >= 0) & (y2 >= 0))[0]
                    if len(rows):
                        logits = outs[0][logits_names[h]][rows]
                        a, b = torch.from_numpy(y[rows]), torch.from_numpy(y2[rows])
                        ce_a = F.cross_entropy(logits, a, weight=weights[h], reduction="none")
                        ce_b = F.cross_entropy(logits, b, weight=weights[h], reduction="none")
                        loss = loss + (keep * ce_a + (1 - keep) * ce_b).sum() / (keep * weights[h][a] + (1 - keep) * weights[h][b]).sum()
                    continue
                rows = np.nonzero(y >= 0)[0]
                if len(rows):
                    for out in outs:
                        loss = loss + F.cross_entropy(out[logits_names[h]][rows], torch.from_numpy(y[rows]), weight=weights[h])
                if args.consistency > 0:
                    # Every image, labelled for this head or not: the answer should not depend on the damage.
                    loss = loss + args.consistency * js_divergence(outs[0][logits_names[h]], outs[1][logits_names[h]])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss)
            batches += 1
        scores = score_selection()
        history.append({"epoch": epoch, "selection": scores, "loss": total / batches, "seconds": time.time() - started})
        print(f"epoch {epoch}: loss {total / batches:.3f}, selection weighted accuracy {summary(scores)} ({time.time() - started:.0f} s)", flush=True)
        mean = float(np.mean([np.mean(list(v.values())) for v in scores.values()]))
        if mean > best[0]:
            best = (mean, epoch, copy.deepcopy(net.state_dict()))
    net.load_state_dict(best[2])
    print(f"kept epoch {best[1]} (best mean selection weighted accuracy over heads and conditions {best[0]:.3f})", flush=True)

    # Back into the original graph: same nodes, names and opset; each CAM weight = its head's weight.
    out_model = copy.deepcopy(onnx_model)
    trained = {name: net.params[key].detach().numpy() for name, key in net.names.items()}
    for h in heads:
        w, _, cam = head_tensors(onnx_model, logits_names[h], card["heads"][h].get("cam"))
        if cam:
            trained[cam] = trained[w].reshape(*trained[w].shape, 1, 1)
    for init in out_model.graph.initializer:
        if init.name in trained:
            init.CopyFrom(numpy_helper.from_array(trained[init.name].astype(numpy_helper.to_array(init).dtype), init.name))
    onnx.checker.check_model(out_model)
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(out_model, str(out_path))
    out_card = copy.deepcopy(card)
    out_card["name"] = out_path.stem
    out_card["file"] = out_path.name
    out_card["provenance"]["finetuning"] = {
        "script": "models/scripts/finetune.py",
        "device": args.device,
        "trainedOn": f"the fit part of the development manifest ({len(fit)} images: training groups of rovlens train's group split, seed 1, "
                     "minus a selection split inside them, seed 2); no image held out for either head entered training",
        "epochs": best[1],
        "epochsChosenBy": f"best mean of both heads' weighted accuracy on the selection split (floor {len(selection.get('floor', []))}, "
                          f"element {len(selection.get('element', []))} images; conditions: {', '.join(conditions)}) "
                          f"after each of {args.epochs} epochs",
        "settings": {k: getattr(args, k) for k in ("epochs", "batch_size", "lr_backbone", "lr_heads", "weight_decay", "augment",
                                                   "consistency", "cutmix", "select_on", "frozen_nodes", "seed")},
        "augmentation": PROFILES[args.augment]["text"]
                        + (f"; consistency: Jensen-Shannon between that view and a geometry-only view, weight {args.consistency}"
                           if args.consistency > 0 else ""),
        "history": [round_floats(e) for e in history],
    }
    out_card["provenance"].pop("metrics", None)
    out_card["provenance"].pop("robustness", None)
    out_card["provenance"].pop("localisation", None)
    out_path.with_name(out_path.name.replace(".onnx", ".card.json")).write_text(json.dumps(out_card, indent=2) + "\n")
    print(f"wrote {out_path} and its card; measure it with rovlens evaluate --validation-only --robustness", flush=True)


if __name__ == "__main__":
    main()
