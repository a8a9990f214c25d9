"""Benchmark: samples per CPU-second (one core, one process, no DataLoader workers) of engine.loader.WeftDataset.

A corpus is generated once into $WEFT_BENCH_CACHE/loader (default /tmp/weft-bench-loader): --docs documents
(2-6 paragraphs of 20-120 words, 0-3 images each; row groups of 256 documents, two language partitions) written
with engine.document.to_batch, and an image store (schemas.omnicorpus.image_store_schema(), sorted by sha256,
row groups of 64 images) of --images distinct web-sized images made from the real photos of
../shared/data/images (random crops, longest side 200-400 px, 80 % JPEG q70-90, 20 % PNG).

Modes (each one full epoch, shuffle buffer 1000, measured in process CPU time so machine load does not count):
  text:         documents, images="none" (paragraphs only)
  bytes:        interleaved, images="bytes" (store lookups, LRU of 4 store row groups, no decoding)
  pil:          interleaved, images="pil" (decoded to RGB)
  pil+format:   as pil, then format_interleaved (text with <image> placeholders + image list)
  packed:       text packed into 2048-token packs (whitespace tokens); reported per input document

    python -m benchmarks.loader [--docs 3000] [--images 300] [--repeats 3] [--store-cache 4] [--json]

Store lookups are random (documents come shuffled and share images), so the LRU hit rate is what the cache holds
of the store: with the default 300 images (5 row groups) and a cache of 4, about one lookup in five reads a
64-image row group (~4 ms); with --store-cache 8 every lookup after the first pass over the store hits.

Needs ../shared/data/images; exits 0 with a message when it is absent.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data" / "images"
PHOTOS = ["skimage/astronaut.png", "skimage/chelsea.png", "skimage/coffee.png", "skimage/motorcycle_left.png",
          "skimage/rocket.jpg", "skimage/retina.jpg", "skimage/hubble_deep_field.jpg", "imagehash/peppers.png",
          "skimage/camera.png", "skimage/brick.png", "skimage/grass.png", "skimage/gravel.png"]
WORDS = ("the of and to in a is that for it as was with be by on not he I this are or his from at which but have "
         "an they you were her she there been one all we their has would when if so no more out up said what its "
         "about into than them can only other new some could time these two may then do first any my now such "
         "like our over man me even most made after also did many before must through back years where much your "
         "way well down should because each just those people how too little state good very make world still "
         "own see men work long get here between both life being under never day same another know while last "
         "might us great old year off come since against go came right used take three").split()


def _make_images(n: int, rng: random.Random) -> list[tuple[str, bytes, int, int, str]]:
    from PIL import Image

    photos = [Image.open(SHARED / p).convert("RGB") for p in PHOTOS if (SHARED / p).exists()]
    out = []
    for i in range(n):
        im = photos[i % len(photos)]
        w, h = im.size
        cw, ch = rng.randint(w // 3, w), rng.randint(h // 3, h)
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        crop = im.crop((x, y, x + cw, y + ch))
        side = rng.randint(200, 400)
        scale = side / max(crop.size)
        crop = crop.resize((max(1, int(crop.width * scale)), max(1, int(crop.height * scale))))
        buf = io.BytesIO()
        fmt = "jpeg" if rng.random() < 0.8 else "png"
        crop.save(buf, format=fmt, **({"quality": rng.randint(70, 90)} if fmt == "jpeg" else {}))
        data = buf.getvalue()
        out.append((hashlib.sha256(data).hexdigest(), data, crop.width, crop.height, fmt))
    return out


def generate(root: Path, n_docs: int, n_images: int, seed: int = 0) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from engine.document import Document, to_batch
    from schemas.omnicorpus import image_store_schema

    rng = random.Random(seed)
    images = _make_images(n_images, rng)
    rows = [{"sha256": s, "content": d, "bytes": len(d), "width": w, "height": h, "format": f,
             "url": f"https://img.example.org/{s[:16]}.{f}"} for s, d, w, h, f in sorted(images)]
    (root / "images" / "store").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=image_store_schema()),
                   root / "images" / "store" / "part-00000.parquet", row_group_size=64)
    docs = {"en": [], "de": []}
    for i in range(n_docs):
        d = Document(id=f"{i:08d}", url=f"https://example.org/page/{i}", meta={"language": "en" if i % 4 else "de"})
        n_par, n_img = rng.randint(2, 6), rng.choice((0, 1, 1, 2, 3))
        slots = ["t"] * n_par + ["i"] * n_img
        rng.shuffle(slots)
        for kind in slots:
            if kind == "t":
                d.add_text(" ".join(rng.choices(WORDS, k=rng.randint(20, 120))).capitalize() + ".")
            else:
                s = images[rng.randrange(len(images))][0]
                d.add_image(f"https://img.example.org/{s[:16]}", sha256=s, alt="an image")
        docs[d.meta["language"]].append(d)
    for lang, chunk in docs.items():
        p = root / "docs" / "crawl=BENCH" / f"lang={lang}" / "part-00000.parquet"
        p.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_batches([to_batch(chunk)]), p, row_group_size=256)
    (root / "READY").write_text(json.dumps({"docs": n_docs, "images": n_images}))


def run_mode(root: Path, mode: str, store_cache: int = 4) -> tuple[int, float, int]:
    from engine.loader import Packer, WeftDataset, format_interleaved

    kw = {"images": {"text": "none", "packed": "none", "bytes": "bytes"}.get(mode, "pil"), "seed": 1,
          "store_cache_row_groups": store_cache}
    if mode == "packed":
        kw["pack"] = Packer(2048)
    ds = WeftDataset(str(root / "docs"), str(root / "images" / "store"), **kw)
    t0 = time.process_time()
    n = 0
    for s in ds:
        if mode == "pil+format":
            format_interleaved(s)
        n += len(s["__keys__"]) if mode == "packed" else 1
    return n, time.process_time() - t0, ds.store.reads


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--images", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--modes", default="text,bytes,pil,pil+format,packed")
    ap.add_argument("--store-cache", type=int, default=4, help="store row groups in the loader's LRU")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    if not SHARED.exists():
        print(f"no {SHARED}: skipping")
        return 0
    root = Path(os.environ.get("WEFT_BENCH_CACHE", "/tmp/weft-bench")) / "loader" / f"{a.docs}-{a.images}"
    ready = root / "READY"
    if not ready.exists():
        t = time.time()
        generate(root, a.docs, a.images)
        print(f"generated {a.docs} documents, {a.images} images in {root} ({time.time() - t:.1f} s)", file=sys.stderr)
    results = {}
    for mode in a.modes.split(","):
        rates = []
        for _ in range(a.repeats):
            n, cpu, reads = run_mode(root, mode, a.store_cache)
            rates.append(n / cpu)
        results[mode] = {"samples": n, "samples_per_cpu_s": round(statistics.median(rates), 1),
                         "store_row_group_reads": reads}
    if a.json:
        print(json.dumps(results, indent=2))
    else:
        for mode, r in results.items():
            print(f"{mode:<12} {r['samples_per_cpu_s']:>10,.0f} samples/s per core  ({r['samples']} samples/epoch, "
                  f"{r['store_row_group_reads']} store row-group reads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
