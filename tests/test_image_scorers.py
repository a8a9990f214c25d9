"""engine.images.scorers: the scorer interface, nudenet's unsafe_prob on real images, CLIP with random weights.

nudenet tests need the optional extra weft[nsfw], CLIP tests weft[clip] (torch, open_clip); each group is skipped
with a reason when its package is absent. Images: the ordinary photos, portraits and graphics of
../shared/data/images (skimage, imagehash, pillow-edge, imagededup), turned into 256 px RGB thumbnails here with
PIL (as engine.images.decode makes them), so images below the pipeline's 150 px minimum (hopper) count too.
"""
from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.config import ConfigError
from engine.images.scorers import (
    ClipConfig,
    NsfwConfig,
    ScorerSet,
    below_min_sim,
    build_scorers,
    calibrate,
    candidate_texts,
    configs,
    is_unsafe,
)
from engine.images.types import Decoded

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "images"
HAVE_NUDENET = importlib.util.find_spec("nudenet") is not None and importlib.util.find_spec("onnxruntime") is not None
HAVE_CLIP = importlib.util.find_spec("open_clip") is not None and importlib.util.find_spec("torch") is not None
needs_nudenet = pytest.mark.skipif(not HAVE_NUDENET,
                                   reason="nudenet/onnxruntime not installed (pip install 'weft[nsfw]')")
needs_clip = pytest.mark.skipif(not HAVE_CLIP, reason="torch/open_clip not installed (pip install 'weft[clip]')")
needs_images = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} is absent")

# Ordinary photos, portraits and graphics (no nudity anywhere). Portraits: astronaut (Eileen Collins), camera
# (photographer), hopper (Grace Hopper). skimage/color.png, a synthetic colour wheel, is left out on purpose: the
# nudenet detector itself scores it BUTTOCKS_EXPOSED 0.82 (a known false positive on a round shaded disc).
ORDINARY = [
    "skimage/astronaut.png", "skimage/camera.png", "skimage/coffee.png", "skimage/chelsea.png", "skimage/horse.png",
    "skimage/rocket.jpg", "skimage/hubble_deep_field.jpg", "skimage/retina.jpg", "skimage/motorcycle_left.png",
    "skimage/brick.png", "skimage/grass.png", "skimage/gravel.png", "skimage/page.png", "skimage/text.png",
    "skimage/logo.png", "skimage/chessboard_RGB.png", "imagehash/peppers.png", "imagehash/imagehash.png",
    "pillow-edge/hopper.jpg", "pillow-edge/flower.jpg", "pillow-edge/flower2.jpg", "pillow-edge/exif_gps.jpg",
    "pillow-edge/no-dpi-in-exif.jpg", "pillow-edge/iss634.gif", "pillow-edge/transparent.png",
    *[f"imagededup/base_images/ukbench{n}.jpg" for n in
      ("00120", "01380", "08976", "08996", "09012", "09040", "09060", "09268", "09348", "09380")],
]


def _thumb(path: Path, size: int = 256) -> Image.Image:
    with Image.open(path) as im:
        im.seek(0)
        im = im.convert("RGBA")
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        white.alpha_composite(im)
        out = white.convert("RGB")
    out.thumbnail((size, size), Image.Resampling.BICUBIC)
    return out


def _decoded(names) -> list[Decoded]:
    return [Decoded(sha256=n, bytes=1, width=1, height=1, format="png", thumbnail=_thumb(SHARED / n)) for n in names]


@pytest.fixture(scope="module")
def ordinary():
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent")
    return _decoded(ORDINARY)


FAILED = Decoded(sha256="f", bytes=3, reason="corrupt")


# ------------------------------------------------------------------------------------------------ config, pure


def test_config_defaults_and_validation():
    nsfw, clip = NsfwConfig(), ClipConfig()
    assert nsfw.scorer == "nudenet" and nsfw.threshold == 0.8 and nsfw.action == "drop_image"
    assert clip.model == "ViT-L-14" and clip.weights is None and clip.min_sim is None and not clip.active
    with pytest.raises(ConfigError):
        NsfwConfig(scorer="bogus")
    with pytest.raises(ConfigError):
        NsfwConfig(action="drop_page")
    with pytest.raises(ConfigError):
        NsfwConfig(unsafe_classes=["FACE_MALE", "NOT_A_CLASS"])
    with pytest.raises(ConfigError):
        ClipConfig(device="tpu")
    with pytest.raises(ConfigError):
        configs({"nsfw": {"scorer": "none", "treshold": 0.5}})  # a typo is an error
    n, c = configs({"nsfw": {"scorer": "none"}, "clip": {"enabled": False}})
    assert n.scorer == "none" and not c.enabled


def test_calibration_is_monotone_and_documented_points():
    raw = np.linspace(0.0, 1.0, 101)
    p = calibrate(raw, 0.4, 2.0)
    assert np.all(np.diff(p) >= 0) and p.min() >= 0 and p.max() <= 1
    got = calibrate(np.array([0.2, 0.4, 0.5715, 0.8]), 0.4, 2.0)
    np.testing.assert_allclose(got, [0.12, 0.5, 0.80, 0.97], atol=0.01)
    np.testing.assert_allclose(calibrate(raw[1:-1], 0.5, 1.0), raw[1:-1], atol=1e-6)  # identity map


def test_thresholds_and_filters():
    nsfw = NsfwConfig()
    assert is_unsafe(np.array([0.1, 0.81, np.nan, 0.8]), nsfw).tolist() == [False, True, False, False]
    sims = np.array([0.1, 0.2, np.nan], dtype=np.float32)
    assert below_min_sim(sims, ClipConfig()).tolist() == [False, False, False]  # off by default
    assert below_min_sim(sims, ClipConfig(min_sim=0.15)).tolist() == [True, False, False]


def test_candidate_texts():
    assert candidate_texts(None, "", "   ") == []
    alt, prev, nxt = "a  red\nbike", "x" * 50 + " the end", "start " + "y" * 50
    got = candidate_texts(alt, prev, nxt, max_chars=20)
    assert got == ["a red bike", prev[-20:], nxt[:20]]


def test_neighbour_candidates():
    from engine.images.scorers import neighbour_candidates

    texts = ["first para", None, "x" * 40 + " end of the second", None, None, "third  para start " + "y" * 40,
             "fourth", None]
    # the image at 3: alt, the nearest paragraph before (2, its end), the nearest after (5, skipping image 4)
    got, where = neighbour_candidates(texts, 3, " a  cat ", 1, 20)
    assert got == ["a cat", ("x" * 40 + " end of the second")[-20:], ("third para start " + "y" * 40)[:20]]
    assert where == [None, 2, 5]
    got, where = neighbour_candidates(texts, 3, None, 2, 300)
    assert got[0] is None and where == [None, 2, 0, 5, 6]  # nearest first on each side
    assert neighbour_candidates(texts, 7, "", 0, 300) == ([None], [None])  # alt only, and it is empty
    assert neighbour_candidates(texts, 1, None, 1, 300)[1] == [None, 0, 2]


def test_build_scorers_none_and_clip_without_weights(caplog):
    with caplog.at_level(logging.WARNING):
        s = build_scorers({"nsfw": {"scorer": "none"}, "clip": {"enabled": True}}, cache=False)
    assert isinstance(s, ScorerSet) and s.scorers == [] and s.columns == ()
    assert "images.clip.weights" in caplog.text
    assert s.score([FAILED], None) == {}
    off = {"nsfw": {"scorer": "none"}, "clip": {"enabled": False}}
    assert build_scorers(off) is build_scorers(off)  # one set per config and process (reused Spark workers)
    with pytest.raises(ConfigError):
        build_scorers({"nsfw": {"scorer": "clip_head"}})  # no head_path
    with pytest.raises(ConfigError):
        build_scorers({"nsfw": {"scorer": "clip_head", "head_path": "/nonexistent"}})  # CLIP has no weights


# ------------------------------------------------------------------------------------------------ nudenet


@pytest.fixture(scope="module")
def nudenet():
    if not HAVE_NUDENET:
        pytest.skip("nudenet/onnxruntime not installed (pip install 'weft[nsfw]')")
    from engine.images.scorers import NudeNetScorer

    return NudeNetScorer(NsfwConfig(batch_size=16))


@needs_nudenet
@needs_images
def test_nudenet_probabilities_and_no_false_alarms(nudenet, ordinary):
    out = nudenet.score(ordinary + [FAILED])
    assert set(out) == {"unsafe_prob"} and nudenet.columns == ("unsafe_prob",)
    p = out["unsafe_prob"]
    assert p.shape == (len(ordinary) + 1,) and p.dtype == np.float32
    assert np.isnan(p[-1])  # a failed image has no score
    p = p[:-1]
    assert np.all((p >= 0) & (p <= 1))
    worst = max(zip(p, ORDINARY))
    # No false alarm on portraits, animals, objects, scenery, text: far below the 0.8 drop threshold.
    assert not is_unsafe(p).any(), worst
    assert worst[0] < 0.6, worst
    portraits = [p[ORDINARY.index(n)] for n in ("skimage/astronaut.png", "skimage/camera.png",
                                                 "pillow-edge/hopper.jpg")]
    assert max(portraits) < 0.05


def _every_shared_image() -> list[str]:
    """Every file of the four sets that Pillow opens (found by listing, not by hand): photos, portraits, artworks
    in other formats, graphics; broken files, bombs and non-images are skipped."""
    if not SHARED.is_dir():
        return []
    names = []
    for path in sorted(SHARED.rglob("*")):
        if path.is_file() and path.suffix.lower() not in (".txt", ".md") and path.name != "LICENSE":
            try:
                _thumb(path, 8)
            except Exception:  # noqa: BLE001 - broken, truncated, decompression bombs: not images to score
                continue
            names.append(str(path.relative_to(SHARED)))
    return names


EVERY = _every_shared_image()
# The one known detector-level false alarm: skimage's synthetic colour wheel. nudenet's detector scores it
# BUTTOCKS_EXPOSED 0.82 (raw; its README shows true detections at 0.68-0.85), over the whole frame, and keeps it
# under mirroring (0.85), flipping (0.83), grey (0.78) and 3/4 scale (0.80): no monotone calibration or class
# weighting separates it from a true detection without giving those up (see engine/images/scorers.py). strict:
# if a detector or preprocessing change fixes it, the test says so.
KNOWN_FALSE_ALARMS = {"skimage/color.png"}


@pytest.fixture(scope="module")
def every_score(nudenet):
    thumbs = [Decoded(sha256=n, bytes=1, width=1, height=1, format="png", thumbnail=_thumb(SHARED / n))
              for n in EVERY]
    return dict(zip(EVERY, nudenet.score(thumbs)["unsafe_prob"].tolist()))


@needs_nudenet
@needs_images
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason="detector false alarm"))
                                  if n in KNOWN_FALSE_ALARMS else n for n in EVERY])
def test_nudenet_no_false_alarm_on_every_shared_image(every_score, name):
    """unsafe_prob stays at or below the configured threshold on every ordinary image of ../shared/data/images
    (skimage, imagehash, imagededup, pillow-edge: 82 files with format variants, flips, resizes)."""
    assert 0.0 <= every_score[name] <= NsfwConfig().threshold, (name, every_score[name])


@needs_nudenet
def test_nudenet_no_false_alarm_on_the_warcs_artworks(nudenet):
    """The classical art inside the bundled Mona Lisa WARC (Leonardo's self-portrait, the Mona Lisa, its details,
    Duchamp's L.H.O.O.Q.) and every other image response of the demo WARCs."""
    import io

    from engine.stats import StageStats
    from engine.warc.ingest import warc_to_documents

    records = []
    root = Path(__file__).resolve().parent / "data" / "warc"
    for warc in ("ukwa/flashfrozen-jwat-recompressed.warc.gz", "node-warc/books.toscrape.warc"):
        for _ in warc_to_documents(str(root / warc), warc, StageStats("t"), on_image=records.append):
            pass
    thumbs = [Decoded(sha256=r.url, bytes=1, width=1, height=1, format="x", thumbnail=_thumb(io.BytesIO(r.content)))
              for r in records]
    assert sum("Mona_Lisa" in r.url or "Leonardo" in r.url for r in records) >= 5 and len(thumbs) >= 40
    p = nudenet.score(thumbs)["unsafe_prob"]
    worst = max(zip(p.tolist(), [r.url for r in records]))
    assert not is_unsafe(p).any() and worst[0] < 0.5, worst


@needs_nudenet
@needs_images
def test_nudenet_batching_matches_one_by_one(nudenet, ordinary):
    from engine.images.scorers import NudeNetScorer

    images = ordinary[:12]
    batched = nudenet.score(images)["unsafe_prob"]
    single = np.concatenate([nudenet.score([im])["unsafe_prob"] for im in images])
    other = NudeNetScorer(NsfwConfig(batch_size=5)).score(images)["unsafe_prob"]
    np.testing.assert_allclose(batched, single, rtol=0, atol=1e-6)
    np.testing.assert_allclose(batched, other, rtol=0, atol=1e-6)


@needs_nudenet
@needs_images
def test_nudenet_raw_score_equals_nudenets_own_detection(nudenet):
    """Our raw score is the top exposed-class detection of NudeDetector.detect on the same RGB pixels."""
    from nudenet import NudeDetector

    detector = NudeDetector()
    names = ["skimage/color.png", "skimage/coffee.png", "pillow-edge/no-dpi-in-exif.jpg", "skimage/astronaut.png"]
    thumbs = [_thumb(SHARED / n) for n in names]
    raw = nudenet.raw_scores(thumbs)
    unsafe = set(NsfwConfig().unsafe_classes)
    compared = 0
    for thumb, r in zip(thumbs, raw):
        found = [d["score"] for d in detector.detect(np.ascontiguousarray(np.asarray(thumb))) if d["class"] in unsafe]
        if found:
            compared += 1
            assert abs(max(found) - r) < 1e-4
        else:
            assert r < 0.25  # nudenet's NMS score floor
    assert compared >= 2


@needs_nudenet
@needs_images
def test_nudenet_on_pipeline_decoded_images(nudenet):
    from engine.images.decode import decode

    decoded = [decode((SHARED / n).read_bytes()) for n in ("skimage/chelsea.png", "pillow-edge/flower.jpg",
                                                            "pillow-edge/truncated_jpeg.jpg")]
    p = nudenet.score(decoded)["unsafe_prob"]
    assert np.all(p[:2] < 0.1)
    assert np.isnan(p[2]) == (not decoded[2].ok)


# ------------------------------------------------------------------------------------------------ CLIP

TINY = dict(model="ViT-S-32", allow_random_weights=True, seed=0, batch_size=4, device="cpu")


@pytest.fixture(scope="module")
def clip():
    if not HAVE_CLIP:
        pytest.skip("torch/open_clip not installed (pip install 'weft[clip]')")
    from engine.images.scorers import ClipScorer

    return ClipScorer(ClipConfig(**TINY))


@pytest.fixture(scope="module")
def few(ordinary):
    return ordinary[:5]


@needs_clip
@needs_images
def test_clip_shapes_ranges_and_nulls(clip, few):
    texts = [["an astronaut", "a portrait of a woman"], [], None, ["word " * 500], ["", "  ", "a photo"]]
    out = clip.score(few + [FAILED], texts + [["anything"]])
    assert clip.columns == ("clip_sim", "clip_embedding")
    sim, emb = out["clip_sim"], out["clip_embedding"]
    assert sim.shape == (6,) and emb.shape == (6, 384) and sim.dtype == np.float32
    assert np.isnan(sim[[1, 2, 5]]).all()  # empty list, None, failed image -> null
    ok = sim[[0, 3, 4]]
    assert np.all((ok >= -1) & (ok <= 1))
    np.testing.assert_allclose(np.linalg.norm(emb[:5], axis=1), 1.0, atol=1e-5)
    assert np.isnan(emb[5]).all()
    assert np.isnan(clip.score(few, None)["clip_sim"]).all()


@needs_clip
@needs_images
def test_clip_sim_is_max_over_candidates_and_batch_invariant(clip, few):
    a, b = "a cat on a sofa", "the quarterly report of a bank, with tables"
    both = clip.score(few[:1], [[a, b]])["clip_sim"][0]
    sa = clip.score(few[:1], [[a]])["clip_sim"][0]
    sb = clip.score(few[:1], [[b]])["clip_sim"][0]
    assert both == pytest.approx(max(sa, sb), abs=1e-6)
    texts = [[f"text number {i} " * (i + 1)] for i in range(len(few))]  # texts of different lengths
    batched = clip.score(few, texts)
    single = [clip.score([im], [t]) for im, t in zip(few, texts)]
    np.testing.assert_allclose(batched["clip_sim"], [s["clip_sim"][0] for s in single], atol=1e-5)
    np.testing.assert_allclose(batched["clip_embedding"], np.stack([s["clip_embedding"][0] for s in single]),
                               atol=1e-5)


@needs_clip
@needs_images
def test_candidate_sims_per_text_with_gaps(clip, few):
    """candidate_sims: one cosine per candidate in order, NaN for a missing text, equal to the cosine of the
    image and text embeddings computed apart; clip_sim is their max."""
    from engine.images.scorers import max_sim

    emb = clip.score(few[:2], None)["clip_embedding"]
    texts = [[None, "a cat on a sofa", "a bridge at night"], ["", "a cat on a sofa"]]
    sims = clip.candidate_sims(emb, texts)
    assert [s.shape for s in sims] == [(3,), (2,)]
    assert np.isnan(sims[0][0]) and np.isnan(sims[1][0])
    temb = clip.embed_texts(["a cat on a sofa", "a bridge at night"]).cpu().numpy()
    np.testing.assert_allclose(sims[0][1:], emb[0] @ temb.T, atol=1e-5)
    np.testing.assert_allclose(sims[1][1], emb[1] @ temb[0], atol=1e-5)
    assert max_sim(sims[0]) == pytest.approx(float(np.nanmax(sims[0]))) and np.isnan(max_sim(np.array([np.nan])))
    full = clip.score(few[:2], texts)["clip_sim"]
    np.testing.assert_allclose(full, [max_sim(s) for s in sims], atol=1e-5)


@needs_clip
@needs_images
def test_clip_deterministic_seed_and_local_weights(clip, few, tmp_path):
    import torch

    from engine.images.scorers import ClipScorer

    texts = [["a photo"]] * len(few)
    ref = clip.score(few, texts)
    again = ClipScorer(ClipConfig(**TINY)).score(few, texts)
    np.testing.assert_array_equal(ref["clip_embedding"], again["clip_embedding"])
    np.testing.assert_array_equal(ref["clip_sim"], again["clip_sim"])
    # The real loading path: an open_clip checkpoint at a local path (here, the random model saved to a file).
    path = tmp_path / "open_clip_pytorch_model.bin"
    torch.save(clip.model.state_dict(), path)
    loaded = ClipScorer(ClipConfig(**{**TINY, "allow_random_weights": False, "seed": 7, "weights": str(tmp_path)}))
    np.testing.assert_allclose(loaded.score(few, texts)["clip_embedding"], ref["clip_embedding"], atol=1e-6)
    other = ClipScorer(ClipConfig(**{**TINY, "seed": 1})).score(few, texts)
    assert not np.allclose(other["clip_embedding"], ref["clip_embedding"])
    with pytest.raises(ConfigError):
        ClipScorer(ClipConfig(**{**TINY, "weights": str(tmp_path / "missing.bin")}))


@needs_clip
@needs_images
def test_heads_on_shared_embeddings(clip, few, tmp_path):
    """aesthetic_prob and the clip_head NSFW score read the one CLIP embedding per image."""
    import torch

    torch.manual_seed(3)
    aesthetic = {"layers.0.weight": torch.randn(16, 384), "layers.0.bias": torch.randn(16),
                 "layers.1.weight": torch.randn(1, 16), "layers.1.bias": torch.zeros(1)}
    safety = {"state_dict": {"fc1.weight": torch.randn(8, 384), "fc1.bias": torch.randn(8),
                             "fc2.weight": torch.randn(2, 8), "fc2.bias": torch.randn(2)}, "activation": "relu"}
    torch.save(aesthetic, tmp_path / "aesthetic.pth")
    torch.save(safety, tmp_path / "safety.pth")
    weights = tmp_path / "clip.bin"
    torch.save(clip.model.state_dict(), weights)
    section = {"nsfw": {"scorer": "clip_head", "head_path": str(tmp_path / "safety.pth")},
               "clip": {**TINY, "allow_random_weights": False, "weights": str(weights),
                        "aesthetic_head_path": str(tmp_path / "aesthetic.pth")}}
    scorers = build_scorers(section)
    assert [s.name for s in scorers.scorers] == ["clip"]  # one CLIP pass feeds every head
    assert scorers.columns == ("clip_sim", "clip_embedding", "aesthetic_prob", "unsafe_prob")
    out = scorers.score(few + [FAILED], [["a photo"]] * (len(few) + 1))
    emb = torch.from_numpy(out["clip_embedding"][:-1])
    hidden = emb @ aesthetic["layers.0.weight"].T + aesthetic["layers.0.bias"]  # plain state dict: no activation
    want_a = torch.sigmoid(hidden @ aesthetic["layers.1.weight"].T + aesthetic["layers.1.bias"])[:, 0]
    sd = safety["state_dict"]
    h = torch.relu(emb @ sd["fc1.weight"].T + sd["fc1.bias"])
    want_u = torch.softmax(h @ sd["fc2.weight"].T + sd["fc2.bias"], dim=1)[:, 1]
    np.testing.assert_allclose(out["aesthetic_prob"][:-1], want_a.numpy(), atol=1e-5)
    np.testing.assert_allclose(out["unsafe_prob"][:-1], want_u.numpy(), atol=1e-5)
    assert np.isnan(out["aesthetic_prob"][-1]) and np.isnan(out["unsafe_prob"][-1])
    bad = {"w.weight": torch.randn(1, 512), "w.bias": torch.zeros(1)}  # wrong embedding size
    torch.save(bad, tmp_path / "bad.pth")
    with pytest.raises(ConfigError):
        build_scorers({"nsfw": {"scorer": "none"},
                       "clip": {**TINY, "aesthetic_head_path": str(tmp_path / "bad.pth")}})


@needs_clip
@needs_nudenet
@needs_images
def test_scorer_set_merges_nudenet_and_clip(few):
    scorers = build_scorers({"nsfw": {"scorer": "nudenet"}, "clip": {**TINY, "return_embeddings": False}})
    assert scorers.columns == ("unsafe_prob", "clip_sim")
    out = scorers.score(few, [["a photo"]] * len(few))
    assert set(out) == {"unsafe_prob", "clip_sim"} and all(len(v) == len(few) for v in out.values())
