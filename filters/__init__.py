"""Document filters: language ID, OmniCorpus paragraph edits, and the score families (Gopher quality and
repetition, C4, FineWeb, flagged words, OmniCorpus document scores) with the threshold config that decides.

What lives here: `pipeline.FilterStep` (the stage, run in batches), `families` (each family: a name,
`score(doc) -> dict`, a threshold check from config that returns the reason), `rules` (config/filters.yaml
parsed: the one place of every threshold, in presets `weft` and `fineweb`), the family modules' score functions
(`gopher`, `c4`, `fineweb`, `quality`, `omnicorpus`, `safety`, `langid`), `lines` (the `weft` preset's removal of
bad lines), `quality_model` (the fastText classifier behind `quality_prob`), and the shared text analysis
(`text`, `tokens`, `affixes`, `affix_forms`, `vocab`, the optional compiled `_native`). `data/` holds word lists, spaCy's tokeniser rules and tables built
from them offline (with the scripts that rebuild them). README.md: which rule applies to which language, parity
with datatrove, speed.

Imports: filters may import `engine` and `schemas`, never `jobs` (jobs import filters).
"""
