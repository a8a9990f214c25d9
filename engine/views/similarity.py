"""Image x paragraph similarities for MMC4's assignment, from the image stage's side table `OUT/images/clip_sims`.

The image stage (CLIP active) writes one row per kept image position of `OUT/docs`: doc_id, position, sha256,
clip_sim, alt_sim, and `text_positions` / `text_sims`, the cosine of the image with each paragraph it was compared
with (`images.clip.neighbours` each side). Those are real image x paragraph scores, so the mmc4 strategy matches on
them instead of the proxy built from one clip_sim per image (engine/views/captions.py):

    S[i, j] = text_sims of image i at paragraph j   (no edge where the image was not compared with paragraph j,
                                                     or j is more than max_distance positions away)

A row is used only when the sha256 at its position in the document being degraded is the row's sha256, so
documents whose positions differ from OUT/docs (another input) never get another image's scores; such rows are
counted `mmc4_sims_mismatch`. Without the table (CLIP off, or an older output) nothing changes: the proxy runs.
"""
from __future__ import annotations

import numpy as np

from engine.io.fs import resolve
from engine.views.captions import _valid
from engine.views.settings import PairsConfig
from engine.views.store import any_between

COLUMNS = ["doc_id", "position", "sha256", "text_positions", "text_sims"]

# per document: image position -> (sha256, {paragraph position: cosine})
DocSims = dict[int, tuple[str | None, dict[int, float]]]


def load(files: list[str], doc_ids: set[str]) -> dict[str, DocSims]:
    """The side-table rows of `doc_ids` (row groups whose doc_id range holds none of them are not read)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out: dict[str, DocSims] = {}
    if not files or not doc_ids:
        return out
    wanted = sorted(doc_ids)
    value_set = pa.array(wanted, pa.string())
    for uri in files:
        fs, path = resolve(uri)
        with fs.open_input_file(path) as f:
            pf = pq.ParquetFile(f)
            if not set(COLUMNS) <= set(pf.schema_arrow.names):
                raise ValueError(f"{uri}: not a clip_sims table (columns {pf.schema_arrow.names})")
            md = pf.metadata
            col = pf.schema_arrow.names.index("doc_id")
            for g in range(md.num_row_groups):
                st = md.row_group(g).column(col).statistics
                if st is not None and st.has_min_max and not any_between(wanted, st.min, st.max):
                    continue
                table = pf.read_row_group(g, columns=COLUMNS)
                table = table.filter(pc.is_in(table.column("doc_id"), value_set=value_set))
                for r in table.to_pylist():
                    cands = {int(j): float(s) for j, s in zip(r["text_positions"] or (), r["text_sims"] or ())
                             if j is not None and s is not None and s == s}
                    out.setdefault(r["doc_id"], {})[int(r["position"])] = (r["sha256"], cands)
    return out


def matrix(doc: dict, positions: list[int], sims: DocSims | None, config: PairsConfig, counts) -> tuple | None:
    """(images x paragraphs matrix with -inf for no edge, paragraph positions) of one document's images at
    `positions`, or None when the side table has no usable row for any of them (the proxy then runs)."""
    if not sims:
        return None
    texts, metas = doc["texts"], doc["metadata"]
    rows = []
    for p in positions:
        sha, cands = sims.get(p, (None, {}))
        if p in sims and sha != (metas[p] or {}).get("sha256"):
            counts["mmc4_sims_mismatch"] += 1
            cands = {}
        rows.append(cands)
    if not any(rows):
        return None
    paragraphs = [j for j, t in enumerate(texts) if _valid(t, config)]
    m = np.full((len(positions), len(paragraphs)), -np.inf)
    for r, (p, cands) in enumerate(zip(positions, rows)):
        for c, j in enumerate(paragraphs):
            if j in cands and abs(p - j) <= config.max_distance:
                m[r, c] = cands[j]
    return m, paragraphs
