"""A fastText quality classifier (the model-based filter of DCLM, Li et al. 2024 arXiv:2406.11794, and of
FineWeb-Edu): trained by `weft train-quality` from labelled JSON lines, read from disk by the filter stage,
which writes its probability of the good label as the score `quality_prob` (a rule may bound it).

Training and prediction see the same text: `model_text` (lower case, whitespace collapsed to single spaces,
the first `max_chars` characters), so a model trained here reads what the filter stage gives it.
"""
from __future__ import annotations

import os
import re

_LABEL = "__label__"
_SPACE = re.compile(r"\s+")


def model_text(text: str, max_chars: int) -> str:
    """One line of text as the model reads it (fastText takes no newlines)."""
    return _SPACE.sub(" ", text[: max_chars * 2]).strip().lower()[:max_chars]


class QualityModel:
    """Loads the model lazily (once per process), so the object pickles cheaply to Spark workers."""

    def __init__(self, path: str, label: str, max_chars: int):
        self.path, self.label, self.max_chars = path, label, max_chars
        self._model = None

    def __getstate__(self):
        return {"path": self.path, "label": self.label, "max_chars": self.max_chars, "_model": None}

    def __setstate__(self, state):
        self.__dict__.update(state)

    @property
    def model(self):
        if self._model is None:
            import fasttext

            if not os.path.exists(self.path):
                raise FileNotFoundError(f"quality model {self.path} not found (filter.quality_model.path)")
            fasttext.FastText.eprint = lambda *a, **k: None  # silence the load-time deprecation warning
            self._model = fasttext.load_model(self.path)
            if _LABEL + self.label not in self._model.get_labels():
                raise ValueError(f"quality model {self.path} has no label {self.label!r} "
                                 f"(labels: {self._model.get_labels()})")
        return self._model

    def predict_many(self, texts: list[str]) -> list[float]:
        """Probability of the good label for each text (one fastText call for the batch)."""
        if not texts:
            return []
        labels, probs = self.model.predict([model_text(t, self.max_chars) for t in texts], k=-1)
        want = _LABEL + self.label
        out = []
        for ls, ps in zip(labels, probs):
            p = dict(zip(ls, ps)).get(want, 0.0)
            out.append(min(1.0, max(0.0, float(p))))
        return out
