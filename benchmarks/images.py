"""Benchmark: images per CPU-second on one core for decode + validate + hash (engine.images.decode + hashing).

Two image sets are generated once from the real photos of ../shared/data/images (random crops, resized and
re-encoded, so every file is distinct) into $WEFT_BENCH_CACHE (default /tmp/weft-bench-images):
  small: web-sized images, longest side 200-400 px, shorter side >= 150, 70 % JPEG q60-90, 15 % PNG, 15 % WebP
  photo: 640x480 (20 % portrait 480x640) JPEG photos, q75-95
Each set is served --copies times (different query strings) so one pass sees --files x --copies images.

Contenders, alternated within each of --repeats passes so machine noise hits all alike (report: medians):
  weft:        decode_many() + hash_images() over the bytes held in memory (sha256, sniffing, header checks,
               EXIF, JPEG draft, 256 px RGB thumbnail, pHash + dHash) -- no network
  pillow:      the plain reference loop: Image.open, draft("RGB", <=256 px box), convert, resize, imagehash.phash
               (the same decode and resize as weft, without sha256, validation, EXIF, dHash or batching)
  img2dataset: img2dataset (in its own venv, .venv-img2dataset) downloading the same files from a loopback HTTP
               server with its defaults (image_size 256, resize_mode border, jpg q95 re-encode, sha256, files
               output, processes_count 1, thread_count 256). CPU = utime+stime of its whole process tree
               (RUSAGE_CHILDREN). Reported twice: gross (the run's total, startup included) and marginal (minus a
               run of --baseline images, i.e. the per-image cost without interpreter start and imports).
               Its number includes the HTTP download and writing the output, which weft's number does not.
Every contender is pinned to one CPU (sched_setaffinity; the HTTP server runs on another), and counted in CPU
seconds, not wall time, so load on the machine does not count against any of them.

    python -m benchmarks.images [--files 300] [--copies 4] [--repeats 3] [--baseline 20] [--no-img2dataset]

Needs ../shared/data/images; exits 0 with a message when it is absent.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "images"
CACHE = Path(os.environ.get("WEFT_BENCH_CACHE", "/tmp/weft-bench-images"))
I2D_VENV = ROOT / ".venv-img2dataset"
SOURCES = [
    "skimage/astronaut.png", "skimage/coffee.png", "skimage/chelsea.png", "skimage/camera.png",
    "skimage/horse.png", "skimage/rocket.jpg", "skimage/hubble_deep_field.jpg", "skimage/retina.jpg",
    "skimage/motorcycle_left.png", "skimage/motorcycle_right.png", "skimage/brick.png", "skimage/grass.png",
    "skimage/gravel.png", "skimage/page.png", "skimage/text.png", "skimage/color.png", "skimage/logo.png",
    "imagehash/peppers.png", "imagehash/imagehash.png", "pillow-edge/flower.jpg", "pillow-edge/flower2.jpg",
    *[f"imagededup/base_images/{n}" for n in (
        "ukbench00120.jpg", "ukbench01380.jpg", "ukbench08976.jpg", "ukbench08996.jpg", "ukbench09012.jpg",
        "ukbench09040.jpg", "ukbench09060.jpg", "ukbench09268.jpg", "ukbench09348.jpg", "ukbench09380.jpg")],
]


# -- data ---------------------------------------------------------------------------------------------------------
def _sources() -> list[Image.Image]:
    out = []
    for rel in SOURCES:
        im = ImageOps.exif_transpose(Image.open(SHARED / rel))
        if im.mode in ("RGBA", "LA", "P"):
            im = im.convert("RGBA")
            bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
            bg.alpha_composite(im)
            im = bg
        out.append(im.convert("RGB"))
    return out


def _crop(rng: random.Random, im: Image.Image, aspect: float) -> Image.Image:
    """A random crop of >= 50 % of the shorter dimension with the given width/height aspect."""
    w, h = im.size
    cw = min(w, int(h * aspect))
    cw = int(cw * rng.uniform(0.6, 1.0))
    ch = max(1, min(h, int(cw / aspect)))
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    return im.crop((x, y, x + cw, y + ch))


def build(kind: str, n: int) -> Path:
    folder = CACHE / f"{kind}-{n}"
    if (folder / "done").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = random.Random(f"{kind}-{n}")
    sources = _sources()
    for i in range(n):
        src = rng.choice(sources)
        if kind == "small":
            long_side = rng.randint(200, 400)
            aspect = rng.uniform(0.6, 1.7)
            size = (long_side, int(long_side / aspect)) if aspect >= 1 else (int(long_side * aspect), long_side)
            size = (max(150, size[0]), max(150, size[1]))
            roll = rng.random()
            fmt = "JPEG" if roll < 0.7 else ("PNG" if roll < 0.85 else "WEBP")
            quality = rng.randint(60, 90)
        else:
            size = (640, 480) if rng.random() < 0.8 else (480, 640)
            fmt, quality = "JPEG", rng.randint(75, 95)
        im = _crop(rng, src, size[0] / size[1]).resize(size, Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        im.save(buf, fmt, **({"quality": quality} if fmt != "PNG" else {"optimize": False}))
        ext = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[fmt]
        (folder / f"{i:04d}.{ext}").write_bytes(buf.getvalue())
    (folder / "done").write_text("")
    return folder


def files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".jpg", ".png", ".webp"))


# -- contenders ---------------------------------------------------------------------------------------------------
def run_weft(blobs: list[bytes]) -> dict:
    from engine.images.decode import ValidateConfig, decode_many
    from engine.images.hashing import hash_images, to_hex

    cfg = ValidateConfig()
    t0 = time.process_time()
    ok = 0
    for start in range(0, len(blobs), 256):
        decoded = decode_many(blobs[start:start + 256], cfg)
        good = [d for d in decoded if d.ok]
        p, d = hash_images([g.thumbnail for g in good])
        to_hex(p), to_hex(d)
        ok += len(good)
    cpu = time.process_time() - t0
    return {"cpu_s": cpu, "images": len(blobs), "ok": ok}


def run_pillow(blobs: list[bytes]) -> dict:
    import imagehash

    t0 = time.process_time()
    for b in blobs:
        im = Image.open(io.BytesIO(b))
        w, h = im.size
        scale = min(1.0, 256 / max(w, h))
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        im.draft("RGB", size)  # the same scaled JPEG decode weft asks for
        im = im.convert("RGB").resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)
        imagehash.phash(im)
    return {"cpu_s": time.process_time() - t0, "images": len(blobs), "ok": len(blobs)}


class Server:
    """python -m http.server on 127.0.0.1 over the cache folder, pinned to another CPU (its time is not counted)."""

    def __init__(self, root: Path, cpu: int):
        self.proc = subprocess.Popen(
            [sys.executable, "-c",
             "import http.server, functools, sys\n"
             "class H(http.server.SimpleHTTPRequestHandler):\n"
             "    protocol_version = 'HTTP/1.1'\n"
             "    def log_message(self, *a): pass\n"
             "class S(http.server.ThreadingHTTPServer):\n"
             "    request_queue_size = 1024  # img2dataset opens 256 connections at once\n"
             "    def handle_error(self, *a): pass\n"
             "s = S(('127.0.0.1', 0), functools.partial(H, directory=sys.argv[1]))\n"
             "print(s.server_address[1], flush=True)\n"
             "s.serve_forever()\n", str(root)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})))
        self.port = int(self.proc.stdout.readline())

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def run_img2dataset(urls: list[str], workdir: Path) -> dict:
    url_file = workdir / "urls.txt"
    url_file.write_text("\n".join(urls) + "\n")
    out = workdir / "out"
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "NO_ALBUMENTATIONS_UPDATE": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # processes_count=1 and thread_count=256 are img2dataset's defaults, written out so the count is documented
    proc = subprocess.run(
        [str(I2D_VENV / "bin" / "img2dataset"), "--url_list", str(url_file), "--output_folder", str(out),
         "--processes_count", "1", "--thread_count", "256"],
        env=env, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"img2dataset failed: {proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stats = [json.loads(p.read_text()) for p in out.glob("*_stats.json")]
    ok = sum(s.get("successes", 0) for s in stats)
    if ok < 0.99 * len(urls):  # failed downloads cost less CPU and would flatter img2dataset's rate
        raise RuntimeError(f"img2dataset: only {ok}/{len(urls)} succeeded: {[s.get('status_dict') for s in stats]}")
    return {"cpu_s": cpu, "images": len(urls), "ok": ok}


# -- main ---------------------------------------------------------------------------------------------------------
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=300, help="distinct files per set")
    ap.add_argument("--copies", type=int, default=4, help="times each file is served/decoded per pass")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline", type=int, default=20, help="images in img2dataset's startup-cost run")
    ap.add_argument("--no-img2dataset", action="store_true")
    ap.add_argument("--cpu", type=int, default=0, help="the one CPU every contender runs on")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    if not SHARED.is_dir():
        print(f"skipped: {SHARED} not present")
        return 0
    use_i2d = not args.no_img2dataset
    if use_i2d and not (I2D_VENV / "bin" / "img2dataset").exists():
        print(f"img2dataset not installed in {I2D_VENV} (python3 -m venv .venv-img2dataset && "
              ".venv-img2dataset/bin/pip install img2dataset); comparing with the Pillow loop only")
        use_i2d = False
    cpus = sorted(os.sched_getaffinity(0))
    cpu = args.cpu if args.cpu in cpus else cpus[0]
    server_cpu = next((c for c in cpus if c != cpu), cpu)
    os.sched_setaffinity(0, {cpu})  # children (img2dataset) inherit it

    sets = {kind: build(kind, args.files) for kind in ("small", "photo")}
    server = Server(CACHE, server_cpu) if use_i2d else None
    results: dict[str, dict[str, list[dict]]] = {k: {} for k in sets}
    try:
        with tempfile.TemporaryDirectory(prefix="weft-bench-i2d-") as tmp:
            work = Path(tmp)
            for kind, folder in sets.items():
                paths = files(folder)
                blobs = [p.read_bytes() for p in paths] * args.copies
                urls = [f"http://127.0.0.1:{server.port}/{folder.name}/{p.name}?c={c}"
                        for c in range(args.copies) for p in paths] if server else []
                run_weft(blobs[:50])  # warm imports and caches
                if server:
                    base = [run_img2dataset(urls[:args.baseline], work) for _ in range(2)]
                    results[kind]["img2dataset_startup"] = base
                for rep in range(args.repeats):
                    order = ["weft", "pillow", "img2dataset"] if server else ["weft", "pillow"]
                    if rep % 2:
                        order.reverse()
                    for name in order:
                        if name == "weft":
                            r = run_weft(blobs)
                        elif name == "pillow":
                            r = run_pillow(blobs)
                        else:
                            r = run_img2dataset(urls, work)
                        results[kind].setdefault(name, []).append(r)
                        print(f"  {kind:5s} pass {rep + 1} {name:11s} {r['images']} images ({r['ok']} ok) "
                              f"in {r['cpu_s']:.2f} CPU-s = {r['images'] / r['cpu_s']:.0f}/CPU-s", flush=True)
    finally:
        if server:
            server.close()

    print(f"\nimages per CPU-second on one core (median of {args.repeats} alternating passes; "
          f"{args.files} distinct files x {args.copies} per pass)")
    header = f"{'set':6s} {'weft':>8s} {'pillow loop':>12s}"
    if use_i2d:
        header += f" {'img2dataset gross':>18s} {'img2dataset marginal':>21s} {'weft / i2d (marginal)':>22s}"
    print(header)
    summary = {}
    for kind, res in results.items():
        med = {name: statistics.median(r["images"] / r["cpu_s"] for r in runs)
               for name, runs in res.items() if name != "img2dataset_startup"}
        line = f"{kind:6s} {med['weft']:8.0f} {med['pillow']:12.0f}"
        if use_i2d:
            startup = statistics.median(r["cpu_s"] for r in res["img2dataset_startup"])
            n = res["img2dataset"][0]["images"]
            marginal = statistics.median((n - args.baseline) / max(r["cpu_s"] - startup, 1e-9)
                                         for r in res["img2dataset"])
            med["img2dataset_marginal"] = marginal
            med["img2dataset_startup_cpu_s"] = startup
            line += f" {med['img2dataset']:18.0f} {marginal:21.0f} {med['weft'] / marginal:22.2f}"
        print(line)
        summary[kind] = med
    if args.json:
        Path(args.json).write_text(json.dumps({"medians": summary, "runs": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
