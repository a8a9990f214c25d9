"""Image scorers behind one interface: NSFW (`unsafe_prob`) and CLIP (`clip_sim`, `aesthetic_prob`, embeddings).

Interface. A `Scorer` has a `name`, the `columns` it returns, and `score(images, texts) -> {column: array}`:
`images` is a batch of `Decoded` (engine.images.types; the scorers read only the RGB `thumbnail`), `texts` is,
per image, its candidate texts (see CLIP below) or None. Every array has one row per image; a float column holds
NaN where the value is null (an image that failed validation, or has no text for `clip_sim`). `build_scorers`
makes the configured set from the `images` config section (config/images.yaml `nsfw` and `clip`); its
`score()` merges the columns of all of them. CLIP runs once per image: the CLIP scorer computes the embedding
once and every head (the NSFW `clip_head`, the aesthetic head) and `clip_sim` read it.

Nothing is downloaded at run time: nudenet's 320n detector ships inside its wheel; CLIP and the heads load from
configured local paths (`images.clip.weights`, `images.nsfw.head_path`, `images.clip.aesthetic_head_path`).
Heavy imports (onnxruntime, torch, open_clip) happen when a scorer is built, never at import of this module.

NSFW, `nudenet` (optional extra weft[nsfw]; its wheel carries an AGPL-3.0 licence file although its metadata says
MIT, so it stays optional). The bundled detector is a YOLOv8n (320x320, 18 body-part classes). We do not use
nudenet's file-path API: each thumbnail is padded right/bottom with black to a square and resized to `resolution`
with OpenCV's bilinear resize (nudenet's own letterbox and interpolation), scaled to [0, 1] in RGB order, and a
whole batch goes through the ONNX session in one run (the model's batch dimension is dynamic). RGB, not what
nudenet 3.4.2's `_read_image` feeds: its `COLOR_RGBA2BGR` on a 3-channel BGR image swaps the channels, and
`swapRB` swaps them back, so the model sees BGR although Ultralytics trained it on RGB (NudeNet issue #203; the
release before it was right). Our score equals `NudeDetector().detect(rgb_array)`'s (which happens to feed RGB),
bit for bit (tests check it). Score derivation:
  s = max over all 2100 anchors and the `unsafe_classes` (exposed breast/genitalia/buttocks/anus) of the class
      score. This is exactly the score of the most confident exposed-class detection nudenet would report (NMS
      never removes the maximum), without its 0.2 report floor, so it is continuous.
  unsafe_prob = sigmoid(calib_slope * (logit(s) - logit(calib_center)))       (defaults 2.0 and 0.4)
Why a map at all: YOLOv8 trains class scores against task-aligned targets scaled by the box IoU, so a clear true
detection scores about 0.6-0.9, not ~1 (nudenet's own README example: exposed classes at 0.68-0.85), while the
drop threshold (OmniCorpus: 0.8) is meant for a probability. The map is monotone (it changes no ranking, only
where a fixed threshold falls): raw 0.2 (nudenet's report floor) -> 0.12, 0.4 -> 0.5, 0.57 -> 0.80, 0.8 -> 0.97.
What it is not: a calibration fitted to labelled data; there is none here. To make unsafe_prob a calibrated
probability, fit (calib_slope, calib_center) by logistic regression of the label on logit(s) (Platt scaling) on a
labelled sample of the crawl. Faces, feet, bellies, armpits, male chests and covered parts never count (the
classes of portraits and swimwear). Measured on every file of shared/data/images that Pillow opens (82: skimage,
imagehash, imagededup, pillow-edge, with their format, flip and resize variants; tests/test_image_scorers.py):
median 0.0002, 90th percentile 0.009, portraits < 0.01; the highest ordinary ones are the coffee cup (0.44) and a
ukbench photo (0.42); the WARCs' artworks (Leonardo, the Mona Lisa and its details, Duchamp) all < 0.11. The one
false alarm is skimage's synthetic colour wheel (color.png): raw BUTTOCKS_EXPOSED 0.82 over the whole frame
(-> 0.98), inside the 0.68-0.85 that nudenet's README shows for true detections, and stable under mirroring
(0.85), flipping (0.83), grey (0.78) and 3/4 scale (0.80). So no monotone calibration, threshold or
test-time augmentation separates it from true detections; leaving BUTTOCKS_EXPOSED out of `unsafe_classes`
would, as a policy change (the class also fires on round shaded shapes: the top ordinary scores are all it).
It stays a known, tested false alarm; the `clip_head` scorer is the way to a lower false-alarm rate. That set
holds no classical nudes or beach photos, so those are not measured here.

NSFW, `clip_head`: a LAION-style MLP head on the L2-normalised CLIP image embedding (`images.nsfw.head_path`; the
LAION safety head expects ViT-L-14, 768-d). Heads (also `images.clip.aesthetic_head_path`) are torch state dicts
(.pt/.pth/.bin, or .safetensors) of Linear layers taken in key order (`*.weight` 2-D with its `*.bias`); a plain
state dict applies them with no activation in between (as LAION's aesthetic MLP), a dict
{"state_dict": ..., "activation": "relu"} puts ReLUs between them. One output = a logit (sigmoid), two outputs =
[safe, unsafe] logits (softmax, second). A rating regressor (LAION aesthetic v2, 1-10) becomes a logit by
subtracting the cut-off rating (e.g. 5) from the last bias once, when converting the file. Keras heads (the
original LAION safety classifier) are converted to this layout once, offline.

CLIP (optional extra weft[clip]: torch, open_clip). Model `images.clip.model` (ViT-L-14) with weights from the
local file `images.clip.weights` (an open_clip checkpoint, e.g. `open_clip_pytorch_model.bin` of
laion2b_s32b_b82k or OpenAI's ViT-L-14). weights null -> CLIP is disabled with a warning, unless
`allow_random_weights: true` (random weights drawn with `seed`: tests and benchmarks only). GPU when present
(`device: auto`), fp16 there, fp32 on CPU. Images are preprocessed with the model's own eval transform (resize,
centre crop, normalise) from the thumbnail.
  clip_sim = max over the image's candidate texts of cos(image embedding, text embedding), in [-1, 1].
  The candidates are its alt text, the end of the `neighbours` nearest paragraphs before it and the start of
  the nearest ones after it (`neighbour_candidates`; `candidate_texts(alt, previous, following)` for one
  each), each cut to `max_text_chars` characters and then to CLIP's 77 tokens; `candidate_sims` gives the
  cosine per candidate (the job keeps them in OUT/images/clip_sims for MMC4's assignment). Max, not mean: an
  image needs one matching text to be on topic (MMC4 assigns images to the sentence of highest similarity); a
  missing or empty text is not a candidate; no candidate -> NaN (null).
MMC4's optional filter (`min_sim`, 0.15 with ViT-L/14) is off by default: `below_min_sim()` tells the job which
images it would remove. `clip_embedding` (N x D float32, L2-normalised) is returned for a side table.

Threads: `threads` (nudenet and CPU CLIP) sets the intra-op threads of onnxruntime / torch (torch's is process
wide): one per Spark task.
"""
from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from engine.config import ConfigError, defaults_from, typed
from engine.images.types import Decoded

log = logging.getLogger(__name__)

NSFW_SCORERS = ("nudenet", "clip_head", "none")
NSFW_ACTIONS = ("drop_image", "drop_document")
NUDENET_LABELS = (
    "FEMALE_GENITALIA_COVERED", "FACE_FEMALE", "BUTTOCKS_EXPOSED", "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED", "MALE_BREAST_EXPOSED", "ANUS_EXPOSED", "FEET_EXPOSED", "BELLY_COVERED",
    "FEET_COVERED", "ARMPITS_COVERED", "ARMPITS_EXPOSED", "FACE_MALE", "BELLY_EXPOSED", "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED", "FEMALE_BREAST_COVERED", "BUTTOCKS_COVERED",
)  # the class order of nudenet 3.4's detector output (nudenet/nudenet.py `__labels`)


class ScorerUnavailable(RuntimeError):
    """A configured scorer cannot run here (its optional package is not installed, or its weights are absent)."""


@dataclass(frozen=True, slots=True)
@defaults_from("images.nsfw")
class NsfwConfig:
    """Defaults: config/images.yaml `images.nsfw`."""

    scorer: str
    threshold: float
    action: str
    unsafe_classes: list
    calib_center: float
    calib_slope: float
    model_path: str | None
    resolution: int
    batch_size: int
    threads: int
    head_path: str | None

    def __post_init__(self):
        if self.scorer not in NSFW_SCORERS:
            raise ConfigError(f"images.nsfw.scorer must be one of {NSFW_SCORERS}, not {self.scorer!r}")
        if self.action not in NSFW_ACTIONS:
            raise ConfigError(f"images.nsfw.action must be one of {NSFW_ACTIONS}, not {self.action!r}")
        unknown = set(self.unsafe_classes) - set(NUDENET_LABELS)
        if unknown:
            raise ConfigError(f"images.nsfw.unsafe_classes: unknown classes {sorted(unknown)}")
        if not 0.0 < self.calib_center < 1.0 or self.calib_slope <= 0:
            raise ConfigError("images.nsfw: calib_center must be in (0, 1) and calib_slope > 0")


@dataclass(frozen=True, slots=True)
@defaults_from("images.clip")
class ClipConfig:
    """Defaults: config/images.yaml `images.clip`."""

    enabled: bool
    model: str
    weights: str | None
    allow_random_weights: bool
    seed: int
    device: str
    precision: str
    batch_size: int
    threads: int
    max_text_chars: int
    neighbours: int
    min_sim: float | None
    aesthetic_head_path: str | None
    return_embeddings: bool

    def __post_init__(self):
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"images.clip.device must be auto, cpu or cuda, not {self.device!r}")
        if self.precision not in ("auto", "fp32", "fp16"):
            raise ConfigError(f"images.clip.precision must be auto, fp32 or fp16, not {self.precision!r}")
        if self.neighbours < 0:
            raise ConfigError("images.clip.neighbours must be >= 0")

    @property
    def active(self) -> bool:
        """Enabled and has weights (or may run on random ones)."""
        return bool(self.enabled and (self.weights or self.allow_random_weights))


# --------------------------------------------------------------------------------------------------- interface


class Scorer:
    """One scorer: `score(images, texts)` -> {column: array with one row per image}; NaN = null."""

    name: str = ""
    columns: tuple[str, ...] = ()

    def score(self, images: Sequence[Decoded], texts: Sequence[Sequence[str | None] | None] | None = None
              ) -> dict[str, np.ndarray]:
        raise NotImplementedError


def _thumbnails(images: Sequence[Decoded]) -> tuple[list, np.ndarray]:
    """(the thumbnails to score, index of each in `images`): images without a thumbnail are left out."""
    thumbs, where = [], []
    for i, d in enumerate(images):
        if d is not None and d.ok and d.thumbnail is not None:
            thumbs.append(d.thumbnail)
            where.append(i)
    return thumbs, np.asarray(where, dtype=np.int64)


def _batches(n: int, size: int):
    size = max(1, int(size))
    for start in range(0, n, size):
        yield start, min(n, start + size)


# --------------------------------------------------------------------------------------------------- nudenet


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return np.log(p) - np.log1p(-p)


def calibrate(raw: np.ndarray, center: float, slope: float) -> np.ndarray:
    """unsafe_prob from nudenet's raw max exposed-class score: sigmoid(slope * (logit(raw) - logit(center)))."""
    z = slope * (_logit(raw) - _logit(center))
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def nudenet_model_path() -> str:
    """The 320n ONNX detector inside the installed nudenet wheel (found without importing nudenet/cv2)."""
    import importlib.util

    spec = importlib.util.find_spec("nudenet")
    if spec is None or not spec.origin:
        raise ScorerUnavailable("images.nsfw.scorer is nudenet but nudenet is not installed: "
                                "pip install 'weft[nsfw]', or set images.nsfw.scorer: none")
    return os.path.join(os.path.dirname(spec.origin), "320n.onnx")


class NudeNetScorer(Scorer):
    """`unsafe_prob` from nudenet's bundled YOLOv8 detector, batched through onnxruntime (see module docstring)."""

    name = "nudenet"
    columns = ("unsafe_prob",)

    def __init__(self, config: NsfwConfig | None = None):
        self.config = cfg = config or NsfwConfig()
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ScorerUnavailable("nudenet needs onnxruntime: pip install 'weft[nsfw]', or set "
                                    "images.nsfw.scorer: none") from exc
        path = cfg.model_path or nudenet_model_path()
        if not os.path.isfile(path):
            raise ScorerUnavailable(f"nudenet detector not found at {path}")
        opts = ort.SessionOptions()
        if cfg.threads:
            opts.intra_op_num_threads = int(cfg.threads)
            opts.inter_op_num_threads = 1
        providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
        self.session = ort.InferenceSession(path, sess_options=opts, providers=providers)
        self.input_name = self.session.get_inputs()[0].name
        self.size = int(cfg.resolution)
        self._class_rows = np.asarray([4 + NUDENET_LABELS.index(c) for c in cfg.unsafe_classes], dtype=np.int64)

    def preprocess(self, thumbnail) -> np.ndarray:
        """(3, size, size) float32 in [0, 1], RGB: padded right/bottom with black to a square, then resized to
        `size` with OpenCV's bilinear resize -- nudenet's own preprocessing (cv2.dnn.blobFromImage), so the
        scores equal what nudenet reports for the same pixels (the detector is sensitive to the interpolation:
        Pillow's resize moves scores by up to ~0.07)."""
        import cv2

        arr = np.asarray(thumbnail if thumbnail.mode == "RGB" else thumbnail.convert("RGB"))
        h, w = arr.shape[:2]
        side = max(h, w)
        if (h, w) != (side, side):
            square = np.zeros((side, side, 3), dtype=np.uint8)
            square[:h, :w] = arr
            arr = square
        arr = cv2.resize(arr, (self.size, self.size), interpolation=cv2.INTER_LINEAR)
        return arr.transpose(2, 0, 1).astype(np.float32) * np.float32(1 / 255)

    def raw_scores(self, thumbnails: Sequence) -> np.ndarray:
        """Max exposed-class score per image (float32), before calibration."""
        out = np.empty(len(thumbnails), dtype=np.float32)
        for a, b in _batches(len(thumbnails), self.config.batch_size):
            blob = np.stack([self.preprocess(t) for t in thumbnails[a:b]])
            pred = self.session.run(None, {self.input_name: blob})[0]  # (n, 4 + 18 classes, anchors)
            out[a:b] = pred[:, self._class_rows, :].max(axis=(1, 2))
        return out

    def score(self, images, texts=None):
        thumbs, where = _thumbnails(images)
        prob = np.full(len(images), np.nan, dtype=np.float32)
        if thumbs:
            cfg = self.config
            prob[where] = calibrate(self.raw_scores(thumbs), cfg.calib_center, cfg.calib_slope)
        return {"unsafe_prob": prob}


# --------------------------------------------------------------------------------------------------- CLIP


def candidate_texts(alt: str | None, previous: str | None, following: str | None,
                    max_chars: int | None = None) -> list[str]:
    """The texts `clip_sim` compares an image with: its alt text (start), the previous paragraph (its end, the
    words nearest the image) and the next paragraph (its start), each cut to `max_chars` and stripped; empty ones
    are left out."""
    limit = int(max_chars if max_chars is not None else ClipConfig().max_text_chars)
    out = []
    for text, keep_end in ((alt, False), (previous, True), (following, False)):
        text = " ".join((text or "").split())
        if not text:
            continue
        if len(text) > limit:
            text = text[-limit:] if keep_end else text[:limit]
        out.append(text)
    return out


def neighbour_candidates(texts: Sequence[str | None], pos: int, alt: str | None, neighbours: int,
                         max_chars: int) -> tuple[list[str | None], list[int | None]]:
    """The candidate texts of the image at position `pos` of a document (aligned `texts`: None at image
    positions): its alt text, then the `neighbours` nearest paragraphs before it (nearest first, each keeping its
    end: the words next to the image) and after it (nearest first, each keeping its start); image positions are
    skipped, nothing else bounds the distance. Returns (texts, their positions), the alt text first with position
    None; a missing alt text is None (so every image has the alt slot and the lists stay comparable)."""
    alt = " ".join((alt or "").split())[:max_chars] or None
    out, where = [alt], [None]
    for step, keep_end in ((-1, True), (1, False)):
        j, found = pos + step, 0
        while 0 <= j < len(texts) and found < neighbours:
            text = " ".join((texts[j] or "").split())
            if text:
                out.append(text[-max_chars:] if keep_end else text[:max_chars])
                where.append(j)
                found += 1
            j += step
    return out, where


def max_sim(sims: np.ndarray) -> float:
    """clip_sim of one image: the best of its candidate similarities (NaN when it has no candidate text)."""
    sims = np.asarray(sims, dtype=np.float32)
    return float(np.nanmax(sims)) if sims.size and not np.isnan(sims).all() else math.nan


class MLPHead:
    """A LAION-style head: Linear layers from a state dict (see module docstring), on normalised embeddings."""

    def __init__(self, path: str, embed_dim: int, device, what: str):
        import torch

        if not path or not os.path.isfile(path):
            raise ConfigError(f"{what}: head file {path!r} does not exist")
        if path.endswith(".safetensors"):
            from safetensors.torch import load_file

            obj = load_file(path)
        else:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        activation = "none"
        if isinstance(obj, dict) and "state_dict" in obj:
            activation = str(obj.get("activation", "none"))
            obj = obj["state_dict"]
        if not isinstance(obj, dict):
            raise ConfigError(f"{what}: {path} is not a state dict")
        layers = []
        for key, value in obj.items():
            if key.endswith("weight") and getattr(value, "ndim", 0) == 2:
                bias = obj.get(key[: -len("weight")] + "bias")
                lin = torch.nn.Linear(value.shape[1], value.shape[0], bias=bias is not None)
                with torch.no_grad():
                    lin.weight.copy_(value.float())
                    if bias is not None:
                        lin.bias.copy_(bias.float())
                layers.append(lin)
        if not layers:
            raise ConfigError(f"{what}: {path} holds no Linear layer weights")
        if layers[0].in_features != embed_dim:
            raise ConfigError(f"{what}: head expects {layers[0].in_features}-d embeddings, the CLIP model gives "
                              f"{embed_dim}-d")
        if layers[-1].out_features not in (1, 2):
            raise ConfigError(f"{what}: head must end in 1 (logit) or 2 ([negative, positive]) outputs")
        mods = []
        for i, lin in enumerate(layers):
            mods.append(lin)
            if activation == "relu" and i < len(layers) - 1:
                mods.append(torch.nn.ReLU())
        self.net = torch.nn.Sequential(*mods).to(device).eval()

    def __call__(self, embeddings):
        import torch

        with torch.inference_mode():
            out = self.net(embeddings.float())
            prob = torch.sigmoid(out[:, 0]) if out.shape[1] == 1 else torch.softmax(out, dim=1)[:, 1]
        return prob.cpu().numpy().astype(np.float32)


def _weights_file(path: str) -> str:
    if os.path.isdir(path):
        for name in ("open_clip_model.safetensors", "open_clip_pytorch_model.bin", "model.safetensors",
                     "pytorch_model.bin"):
            if os.path.isfile(os.path.join(path, name)):
                return os.path.join(path, name)
    if not os.path.isfile(path):
        raise ConfigError(f"images.clip.weights: no checkpoint at {path!r} (a local open_clip checkpoint file; "
                          "nothing is downloaded)")
    return path


class ClipScorer(Scorer):
    """CLIP image embeddings, `clip_sim`, and the heads that read the embeddings (aesthetic, NSFW clip_head)."""

    name = "clip"

    def __init__(self, config: ClipConfig | None = None, nsfw_head_path: str | None = None):
        self.config = cfg = config or ClipConfig()
        try:
            import open_clip
            import torch
        except ImportError as exc:
            raise ScorerUnavailable("CLIP needs torch and open_clip: pip install 'weft[clip]', or set "
                                    "images.clip.enabled: false") from exc
        if cfg.device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        else:
            device = cfg.device
        if device == "cuda" and not torch.cuda.is_available():
            raise ScorerUnavailable("images.clip.device is cuda but torch sees no GPU")
        precision = cfg.precision if cfg.precision != "auto" else ("fp16" if device == "cuda" else "fp32")
        if device == "cpu" and cfg.threads:
            torch.set_num_threads(int(cfg.threads))
        if cfg.weights:
            pretrained = _weights_file(cfg.weights)
        elif cfg.allow_random_weights:
            pretrained = None
            log.warning("CLIP %s runs with random weights (images.clip.allow_random_weights): scores are "
                        "meaningless outside tests", cfg.model)
        else:
            raise ScorerUnavailable("CLIP is disabled: set images.clip.weights to a local open_clip checkpoint "
                                    f"of {cfg.model}")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(cfg.seed))
            model, _, preprocess = open_clip.create_model_and_transforms(
                cfg.model, pretrained=pretrained, precision=precision, device=device, pretrained_text=False)
        self.model = model.eval()
        self.preprocess = preprocess
        self.tokenizer = open_clip.get_tokenizer(cfg.model)
        self.device, self.precision = device, precision
        self.dtype = torch.float16 if precision == "fp16" else torch.float32
        self.embed_dim = int(self.model.text_projection.shape[1]) if getattr(self.model, "text_projection", None) \
            is not None else None
        self.aesthetic = self.nsfw_head = None
        columns = ["clip_sim"]
        if cfg.return_embeddings:
            columns.append("clip_embedding")
        if cfg.aesthetic_head_path or nsfw_head_path:
            dim = self._embed_dim()
            if cfg.aesthetic_head_path:
                self.aesthetic = MLPHead(cfg.aesthetic_head_path, dim, device, "images.clip.aesthetic_head_path")
                columns.append("aesthetic_prob")
            if nsfw_head_path:
                self.nsfw_head = MLPHead(nsfw_head_path, dim, device, "images.nsfw.head_path")
                columns.append("unsafe_prob")
        self.columns = tuple(columns)

    def _embed_dim(self) -> int:
        import torch

        if self.embed_dim is None:
            size = self.preprocess.transforms[0].size if hasattr(self.preprocess, "transforms") else 224
            side = size if isinstance(size, int) else size[0]
            with torch.inference_mode():
                self.embed_dim = int(self.model.encode_image(
                    torch.zeros(1, 3, side, side, device=self.device, dtype=self.dtype)).shape[1])
        return self.embed_dim

    def embed_images(self, thumbnails: Sequence):
        """(N, D) float32 torch tensor on the device, L2-normalised."""
        import torch

        chunks = []
        with torch.inference_mode():
            for a, b in _batches(len(thumbnails), self.config.batch_size):
                x = torch.stack([self.preprocess(t) for t in thumbnails[a:b]]).to(self.device, self.dtype)
                chunks.append(torch.nn.functional.normalize(self.model.encode_image(x).float(), dim=-1))
        return torch.cat(chunks) if chunks else torch.zeros(0, self._embed_dim(), device=self.device)

    def embed_texts(self, texts: Sequence[str]):
        """(M, D) float32 torch tensor on the device, L2-normalised (77-token truncation by the tokenizer)."""
        import torch

        chunks = []
        with torch.inference_mode():
            for a, b in _batches(len(texts), self.config.batch_size):
                tokens = self.tokenizer(list(texts[a:b])).to(self.device)
                chunks.append(torch.nn.functional.normalize(self.model.encode_text(tokens).float(), dim=-1))
        return torch.cat(chunks) if chunks else torch.zeros(0, self._embed_dim(), device=self.device)

    def candidate_sims(self, embeddings, texts: Sequence[Sequence[str | None] | None]) -> list[np.ndarray]:
        """Per row of `embeddings` (N x D, L2-normalised; torch or numpy), the cosine with each of its candidate
        texts in order (float32, in [-1, 1]; NaN for a missing or empty text). Each distinct text is cut to
        `max_text_chars` and encoded once for the whole call, in batches of `batch_size`."""
        import torch

        limit = self.config.max_text_chars
        unique: dict[str, int] = {}
        ids = []
        for cands in texts:
            row = []
            for text in cands or ():
                text = " ".join((text or "").split())[:limit]
                row.append(unique.setdefault(text, len(unique)) if text else -1)
            ids.append(row)
        out = [np.full(len(row), np.nan, dtype=np.float32) for row in ids]
        if not unique:
            return out
        emb = torch.as_tensor(np.asarray(embeddings, dtype=np.float32)) if not torch.is_tensor(embeddings) \
            else embeddings.float()
        temb = self.embed_texts(list(unique)).float().to(emb.device)
        cos = (emb @ temb.T).clamp(-1.0, 1.0).cpu().numpy()  # (N, distinct texts): small per batch
        for r, row in enumerate(ids):
            for c, t in enumerate(row):
                if t >= 0:
                    out[r][c] = cos[r, t]
        return out

    def score(self, images, texts=None):
        n = len(images)
        if texts is not None and len(texts) != n:
            raise ValueError(f"{len(texts)} text lists for {n} images")
        thumbs, where = _thumbnails(images)
        emb = self.embed_images(thumbs)
        dim = emb.shape[1]
        out: dict[str, np.ndarray] = {"clip_sim": np.full(n, np.nan, dtype=np.float32)}
        if self.config.return_embeddings:
            table = np.full((n, dim), np.nan, dtype=np.float32)
            table[where] = emb.cpu().numpy()
            out["clip_embedding"] = table
        if texts is not None and len(where):
            sims = self.candidate_sims(emb, [texts[i] for i in where])
            out["clip_sim"][where] = [max_sim(s) for s in sims]
        if self.aesthetic is not None:
            out["aesthetic_prob"] = np.full(n, np.nan, dtype=np.float32)
            if len(where):
                out["aesthetic_prob"][where] = self.aesthetic(emb)
        if self.nsfw_head is not None:
            out["unsafe_prob"] = np.full(n, np.nan, dtype=np.float32)
            if len(where):
                out["unsafe_prob"][where] = self.nsfw_head(emb)
        return out


# --------------------------------------------------------------------------------------------------- the set


class ScorerSet(Scorer):
    """The configured scorers together; `score()` returns the union of their columns."""

    name = "all"

    def __init__(self, scorers: Sequence[Scorer]):
        self.scorers = list(scorers)
        cols: list[str] = []
        for s in self.scorers:
            clash = set(cols) & set(s.columns)
            if clash:
                raise ConfigError(f"scorers return the same columns twice: {sorted(clash)}")
            cols.extend(s.columns)
        self.columns = tuple(cols)

    def score(self, images, texts=None):
        out: dict[str, np.ndarray] = {}
        for s in self.scorers:
            out.update(s.score(images, texts))
        return out


def is_unsafe(unsafe_prob: np.ndarray, config: NsfwConfig | None = None) -> np.ndarray:
    cfg = config or NsfwConfig()
    p = np.asarray(unsafe_prob, dtype=np.float32)
    return np.nan_to_num(p, nan=-1.0) > cfg.threshold


def below_min_sim(clip_sim: np.ndarray, config: ClipConfig | None = None) -> np.ndarray:
    """Boolean per image: MMC4's filter would remove it (clip_sim < min_sim). All False when min_sim is null;
    an image without text (clip_sim null) is never removed by it."""
    cfg = config or ClipConfig()
    s = np.asarray(clip_sim, dtype=np.float32)
    if cfg.min_sim is None:
        return np.zeros(s.shape, dtype=bool)
    return np.nan_to_num(s, nan=math.inf) < cfg.min_sim


def configs(images_section: dict | None = None) -> tuple[NsfwConfig, ClipConfig]:
    """(NsfwConfig, ClipConfig) from a loaded `images` config section (None = defaults)."""
    section = images_section or {}
    nsfw = typed(NsfwConfig, section.get("nsfw", {}), "images.nsfw") if "nsfw" in section else NsfwConfig()
    clip = typed(ClipConfig, section.get("clip", {}), "images.clip") if "clip" in section else ClipConfig()
    return nsfw, clip


_BUILT: dict[str, ScorerSet] = {}


def build_scorers(images_section: dict | None = None, *, nsfw: NsfwConfig | None = None,
                  clip: ClipConfig | None = None, cache: bool = True) -> ScorerSet:
    """The scorers the config asks for. Raises ScorerUnavailable when a configured scorer cannot run (its extra
    is missing); CLIP enabled without weights is skipped with a warning (`clip_head` then fails: it needs them).
    With `cache`, one set per distinct config is kept per process, so a reused Spark Python worker loads the
    models once, not once per task."""
    default_nsfw, default_clip = configs(images_section)
    nsfw = nsfw or default_nsfw
    clip = clip or default_clip
    key = repr((nsfw, clip))
    if cache and key in _BUILT:
        return _BUILT[key]
    built = _build(nsfw, clip)
    if cache:
        _BUILT[key] = built
    return built


def _build(nsfw: NsfwConfig, clip: ClipConfig) -> ScorerSet:
    scorers: list[Scorer] = []
    if nsfw.scorer == "nudenet":
        scorers.append(NudeNetScorer(nsfw))
    clip_on = clip.active
    if clip.enabled and not clip_on:
        log.warning("CLIP is disabled: images.clip.weights is null (set it to a local open_clip checkpoint of %s; "
                    "no clip_sim, aesthetic_prob or embeddings are computed)", clip.model)
    if nsfw.scorer == "clip_head":
        if not nsfw.head_path:
            raise ConfigError("images.nsfw.scorer is clip_head but images.nsfw.head_path is null")
        if not clip_on:
            raise ConfigError("images.nsfw.scorer clip_head needs CLIP: images.clip.enabled and images.clip.weights")
    if clip_on:
        scorers.append(_clip_scorer(clip, nsfw.head_path if nsfw.scorer == "clip_head" else None))
    return ScorerSet(scorers)


_CLIP: dict[str, ClipScorer] = {}


def _clip_scorer(clip: ClipConfig, head: str | None) -> ClipScorer:
    key = repr((clip, head))
    if key not in _CLIP:
        _CLIP[key] = ClipScorer(clip, nsfw_head_path=head)
    return _CLIP[key]


def clip_scorer(images_section: dict | None = None) -> ClipScorer | None:
    """The configured CLIP scorer (one per process and config: the model the image pass loaded is reused for
    the texts), or None when CLIP is not active. Raises ScorerUnavailable without torch/open_clip."""
    nsfw, clip = configs(images_section)
    if not clip.active:
        return None
    return _clip_scorer(clip, nsfw.head_path if nsfw.scorer == "clip_head" else None)
