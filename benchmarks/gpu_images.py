"""Benchmark: the image scoring path, images/s end to end (decode + hash + NSFW + CLIP), GPU or CPU.

Two measurements, both printed as JSON (and written to --out when given):

gpu (default): the layout of a GPU executor. Images (JPEG/PNG/WebP bytes held in memory, made from the real photos
  of ../shared/data/images by random crop + resize + re-encode, or synthetic gradients+noise when that folder is
  absent) go through
    stage A, on --workers CPU processes (one per core, as Spark tasks): engine.images.decode.decode_many +
    hashing.hash_images + the nudenet scorer (onnxruntime on CPU, 1 thread per worker);
    stage B, in this process on the GPU (CPU when none): the CLIP scorer (--model, default ViT-L-14, fp16 on
    GPU), image embeddings and clip_sim against three distinct texts per image (alt text and the paragraph
    on each side, as the job compares them with images.clip.neighbours: 1), for each of --batch-sizes.
  Reported: images/s of each stage, the sequential end to end (A then B), and the pipelined bound min(A, B),
  per batch size, plus GPU memory peak. CLIP weights: --weights PATH, else random (allow_random_weights), which
  costs the same time.
cpu (--cpu-per-core): one core (sched_setaffinity, 1 thread), CPU seconds (process time, so other load on the
  machine does not count): nudenet images per CPU-second (preprocess + ONNX, batches of 16) and CLIP ViT-B-32
  (random weights, fp32) images per CPU-second, image tower only and with clip_sim (three distinct texts per image).

    python -m benchmarks.gpu_images                       # GPU run: 2048 images, batch sizes 32,64,128,256
    python -m benchmarks.gpu_images --smoke               # tiny CPU smoke run (ViT-S-32, 24 images)
    python -m benchmarks.gpu_images --cpu-per-core [--images 64]

Needs weft[clip] (torch, open_clip) and weft[nsfw] (nudenet); a missing one is reported and its stage skipped.
"""
from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "images"
SOURCES = ["skimage/astronaut.png", "skimage/coffee.png", "skimage/chelsea.png", "skimage/horse.png",
           "skimage/rocket.jpg", "skimage/motorcycle_left.png", "imagehash/peppers.png", "pillow-edge/flower.jpg",
           "pillow-edge/flower2.jpg", "imagededup/base_images/ukbench00120.jpg",
           "imagededup/base_images/ukbench09268.jpg", "imagededup/base_images/ukbench01380.jpg"]
CAPTIONS = ["a photo of a person", "a cat sitting on a chair", "a red motorcycle", "coffee in a white cup",
            "a rocket on the launch pad", "flowers in a garden", "vegetables on a table"]


def _texts(n: int) -> list[list[str]]:
    """Three distinct candidate texts per image (its alt text, the paragraph before and the one after), as the
    job's rewrite passes them with images.clip.neighbours: 1."""
    return [[f"{CAPTIONS[i % len(CAPTIONS)]}, picture {i}",
             f"paragraph {i}: a longer text about {CAPTIONS[(i + 3) % len(CAPTIONS)]} and other things",
             f"paragraph {i + 1}: what follows, about {CAPTIONS[(i + 5) % len(CAPTIONS)]} once more"]
            for i in range(n)]


def make_images(n: int, seed: int = 0) -> list[bytes]:
    """n distinct encoded images of web size (longest side 300-800 px), 70 % JPEG, 15 % PNG, 15 % WebP."""
    rng = random.Random(seed)
    bases = []
    for name in SOURCES:
        path = SHARED / name
        if path.is_file():
            with Image.open(path) as im:
                bases.append(im.convert("RGB"))
    if not bases:  # synthetic: gradient plus noise
        g = np.random.default_rng(seed)
        for _ in range(8):
            y, x = np.mgrid[0:600, 0:800]
            base = np.stack([(x * g.uniform(0.1, 0.4)) % 256, (y * g.uniform(0.1, 0.4)) % 256,
                             ((x + y) * 0.2) % 256], axis=-1)
            base = base + g.normal(0, 20, base.shape)
            bases.append(Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)))
    out = []
    for i in range(n):
        im = bases[i % len(bases)]
        w, h = im.size
        cw, ch = rng.randint(w // 2, w), rng.randint(h // 2, h)
        x0, y0 = rng.randint(0, w - cw), rng.randint(0, h - ch)
        crop = im.crop((x0, y0, x0 + cw, y0 + ch))
        side = rng.randint(300, 800)
        scale = side / max(cw, ch)
        crop = crop.resize((max(150, round(cw * scale)), max(150, round(ch * scale))), Image.Resampling.BILINEAR)
        buf = io.BytesIO()
        r = rng.random()
        if r < 0.7:
            crop.save(buf, "JPEG", quality=rng.randint(60, 92))
        elif r < 0.85:
            crop.save(buf, "PNG")
        else:
            crop.save(buf, "WEBP", quality=80)
        out.append(buf.getvalue())
    return out


# ------------------------------------------------------------------------------------------------ stage A

_NSFW = None


def _stage_a_init(nsfw: bool) -> None:
    global _NSFW
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if nsfw:
        from engine.images.scorers import NsfwConfig, NudeNetScorer

        _NSFW = NudeNetScorer(NsfwConfig(threads=1, batch_size=16))


def _stage_a(chunk: list[bytes]):
    """decode + hash + nudenet for one chunk; returns (thumbnails, unsafe_prob, cpu seconds)."""
    from engine.images.decode import decode_many
    from engine.images.hashing import hash_images

    t = time.process_time()
    decoded = decode_many(chunk)
    ok = [d for d in decoded if d.ok]
    hash_images([d.thumbnail for d in ok])
    prob = _NSFW.score(ok)["unsafe_prob"] if _NSFW is not None else np.zeros(len(ok), np.float32)
    return [d.thumbnail for d in ok], prob, time.process_time() - t


def run_stage_a(images: list[bytes], workers: int, nsfw: bool, chunk: int = 32):
    chunks = [images[i : i + chunk] for i in range(0, len(images), chunk)]
    t = time.perf_counter()
    if workers <= 1:
        _stage_a_init(nsfw)
        results = [_stage_a(c) for c in chunks]
    else:
        with ProcessPoolExecutor(workers, initializer=_stage_a_init, initargs=(nsfw,)) as pool:
            list(pool.map(_stage_a, chunks[: max(1, workers)]))  # warm every worker (model load) before timing
            t = time.perf_counter()
            results = list(pool.map(_stage_a, chunks))
    wall = time.perf_counter() - t
    thumbs = [th for r in results for th in r[0]]
    probs = np.concatenate([r[1] for r in results]) if results else np.zeros(0)
    return thumbs, probs, wall, sum(r[2] for r in results)


# ------------------------------------------------------------------------------------------------ stage B


def run_stage_b(thumbs, model: str, weights: str | None, batch_size: int, device: str, scorer=None):
    import torch

    from engine.images.scorers import ClipConfig, ClipScorer
    from engine.images.types import Decoded

    if scorer is None:
        cfg = ClipConfig(model=model, weights=weights, allow_random_weights=weights is None, device=device,
                         batch_size=batch_size, threads=0, return_embeddings=True)
        scorer = ClipScorer(cfg)
    else:
        scorer.config = dataclasses.replace(scorer.config, batch_size=batch_size)
    items = [Decoded(sha256="", bytes=0, thumbnail=t) for t in thumbs]
    texts = _texts(len(items))
    scorer.score(items[:batch_size], texts[:batch_size])  # warm-up (cudnn autotune, allocator)
    if scorer.device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t = time.perf_counter()
    out = scorer.score(items, texts)
    if scorer.device == "cuda":
        torch.cuda.synchronize()
    wall = time.perf_counter() - t
    peak = torch.cuda.max_memory_allocated() / 2**30 if scorer.device == "cuda" else None
    return scorer, out, wall, peak


def gpu_run(args) -> dict:
    import importlib.util

    have_nsfw = importlib.util.find_spec("nudenet") is not None and not args.no_nsfw
    have_clip = importlib.util.find_spec("open_clip") is not None
    images = make_images(args.images)
    report: dict = {"mode": "gpu", "images": len(images), "workers": args.workers, "model": args.model,
                    "weights": args.weights or "random", "nsfw": have_nsfw}
    thumbs, probs, wall_a, cpu_a = run_stage_a(images, args.workers, have_nsfw)
    report["stage_a"] = {"what": "decode+hash" + ("+nudenet" if have_nsfw else ""), "kept": len(thumbs),
                         "wall_s": round(wall_a, 3), "images_per_s": round(len(images) / wall_a, 1),
                         "images_per_cpu_s": round(len(images) / max(cpu_a, 1e-9), 1),
                         "unsafe_above_0.8": int((probs > 0.8).sum())}
    if not have_clip:
        report["stage_b"] = "skipped: torch/open_clip not installed (pip install 'weft[clip]')"
        return report
    import torch

    report["device"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() and args.device != "cpu" else "cpu"
    rows, scorer = [], None
    for bs in args.batch_sizes:
        scorer, out, wall_b, peak = run_stage_b(thumbs, args.model, args.weights, bs, args.device, scorer)
        rate_b = len(thumbs) / wall_b
        rate_a = len(images) / wall_a
        rows.append({"batch_size": bs, "precision": scorer.precision, "clip_wall_s": round(wall_b, 3),
                     "clip_images_per_s": round(rate_b, 1),
                     "end_to_end_sequential_images_per_s": round(len(images) / (wall_a + wall_b), 1),
                     "end_to_end_pipelined_images_per_s": round(min(rate_a, rate_b), 1),
                     "gpu_peak_gib": round(peak, 2) if peak is not None else None,
                     "clip_sim_mean": float(np.nanmean(out["clip_sim"]))})
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    report["stage_b"] = rows
    return report


# ------------------------------------------------------------------------------------------------ cpu per core


def cpu_per_core(args) -> dict:
    import importlib.util

    from engine.images.decode import decode_many

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    images = make_images(args.images)
    thumbs = [d for d in decode_many(images) if d.ok]
    report: dict = {"mode": "cpu_per_core", "images": len(thumbs)}
    if importlib.util.find_spec("nudenet") is not None:
        from engine.images.scorers import NsfwConfig, NudeNetScorer

        nsfw = NudeNetScorer(NsfwConfig(threads=1, batch_size=16))
        nsfw.score(thumbs[:16])
        rates = []
        for _ in range(args.repeats):
            t, w = time.process_time(), time.perf_counter()
            nsfw.score(thumbs)
            rates.append((len(thumbs) / (time.process_time() - t), len(thumbs) / (time.perf_counter() - w)))
        report["nudenet"] = {"images_per_cpu_s": round(float(np.median([r[0] for r in rates])), 1),
                             "images_per_wall_s": round(float(np.median([r[1] for r in rates])), 1)}
    else:
        report["nudenet"] = "skipped: nudenet not installed"
    if importlib.util.find_spec("open_clip") is not None:
        import torch

        from engine.images.scorers import ClipConfig, ClipScorer

        torch.set_num_threads(1)
        clip = ClipScorer(ClipConfig(model=args.cpu_model, allow_random_weights=True, device="cpu", threads=1,
                                     batch_size=32))
        texts = _texts(len(thumbs))
        clip.score(thumbs[:8], texts[:8])
        for label, tx in (("image_only", None), ("with_clip_sim", texts)):
            t, w = time.process_time(), time.perf_counter()
            clip.score(thumbs, tx)
            report[f"clip_{args.cpu_model}_{label}"] = {
                "images_per_cpu_s": round(len(thumbs) / (time.process_time() - t), 2),
                "images_per_wall_s": round(len(thumbs) / (time.perf_counter() - w), 2)}
    else:
        report["clip"] = "skipped: torch/open_clip not installed"
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=2048)
    ap.add_argument("--batch-sizes", type=lambda s: [int(x) for x in s.split(",")], default=[32, 64, 128, 256])
    ap.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    ap.add_argument("--model", default="ViT-L-14")
    ap.add_argument("--weights", default=None, help="local open_clip checkpoint (default: random weights)")
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--no-nsfw", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="tiny CPU run: ViT-S-32, 24 images, batch 8, 1 worker")
    ap.add_argument("--cpu-per-core", action="store_true")
    ap.add_argument("--cpu-model", default="ViT-B-32")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    if args.smoke:
        args.images, args.batch_sizes, args.workers, args.model, args.device = 24, [8], 1, "ViT-S-32", "cpu"
    report = cpu_per_core(args) if args.cpu_per_core else gpu_run(args)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
