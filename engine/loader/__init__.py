"""The resumable pretraining loader: weft's corpus (documents table, pairs view or text view) as a stream of
training samples, local or ``s3://``.

What lives here:

* ``units``: the unit of work, one Parquet row group ("unit"), listed from the footers in a canonical order
  (sorted relative path, then row-group index); the per-epoch seeded permutation of the units and their
  assignment to (rank, worker).
* ``state``: what has been consumed in the current epoch (``Consumption``), its ``state_dict`` form and the
  merge of several ranks' states.
* ``store``: ``ImageStore``, images by sha256 from the content-addressed store ``OUT/images/store`` with a small
  LRU of store row groups.
* ``samples``: rows -> samples (an interleaved sample is an ordered list of strings and images), the
  ``<image>``-placeholder formatter (InternVL-style) and the token-budget ``Packer``.
* ``dataset``: ``WeftDataset``, the torch-free iterator with ``state_dict`` / ``load_state_dict``.
* ``torch_data``: ``TorchDataset`` (a ``torch.utils.data.IterableDataset``) and ``StatefulLoader`` (a DataLoader
  that tracks what the training loop consumed). The only module that imports torch; importing this package does
  not.

Resume design (exact, also with a different number of ranks or workers)
------------------------------------------------------------------------
Every sample has a key ``(unit, row)``: ``unit`` is the index of its row group in the canonical unit list and
``row`` its row inside the row group, so keys do not depend on how the work is split. Per epoch:

1. The units are permuted with ``default_rng([seed, epoch])``. The units still to do (see 4.) are dealt in that
   order: the i-th goes to rank ``i % world_size``, and the j-th unit of a rank to worker ``j % num_workers``.
   Nothing overlaps and nothing is lost, whatever the split.
2. A worker reads its units in order; the rows of a unit are visited in a permutation seeded by
   ``(seed, epoch, unit)`` (again independent of the split), and pass through a bounded shuffle buffer
   (``shuffle_buffer`` rows, random replacement, seeded by seed, epoch, the split and the resume point).
   Images are loaded and the transform applied when a row leaves the buffer, so the buffer holds light rows.
3. The state is what was *consumed*, i.e. handed to the training loop (not what a worker prefetched): per
   epoch, a bitmap of the fully consumed units and, for each partially consumed unit, a bitmap of its consumed
   rows. The plain iterator records a sample when it yields it; with a DataLoader, ``StatefulLoader`` records
   the keys of the batches it returns in the main process. Ranks' states are merged (``merge_states``, or
   ``StatefulLoader.state_dict(gather=True)`` with torch.distributed) into one global state.
4. Resuming removes the fully consumed units from the permutation and, in partially consumed units, the
   consumed rows; what is left is dealt as in 1. to the new (rank, worker) split. Every remaining sample is
   produced once and no consumed one again. The resumed order is deterministic given the state, the seed and the
   split, but it is not the order the uninterrupted run would have had (the shuffle buffer is not restored:
   what it held, and what workers had prefetched, is simply not marked consumed and comes again).

Ranks get whole units, so their sample counts per epoch differ by up to about a unit's rows (and a rank gets none
when there are fewer units than ranks x workers): a DDP loop that needs the same number of steps on every rank
stops all ranks at the smallest count (or uses ``torch.distributed.algorithms.Join``); the samples not reached
stay unconsumed, and the next pass over the same loader (or a resume) still produces them in that epoch.

Cost: the state is ``n_units / 8`` bytes plus ``rows / 8`` bytes per partially consumed unit. A unit stays
partial while one of its rows sits in a shuffle buffer, so there are at most about
``workers x (shuffle_buffer + 1)`` partial units (in practice ``workers x (shuffle_buffer / rows per unit + 2)``):
with 8k-row row groups, 8 workers and a 1,000-row buffer, tens of KB. Recording costs one bit set per
sample; resuming re-reads the partially consumed row groups whole. Packing (``Packer``) records a sample with the pack holding its last token, so a sample split
across packs and interrupted between them is produced again whole after a resume.

Dependencies: this package may import ``engine`` (``engine.io.fs.resolve`` for every URI) and ``schemas``;
never ``jobs``. numpy, pyarrow and Pillow are required; torch only for ``torch_data``.
"""
from __future__ import annotations

from engine.loader.dataset import WeftDataset
from engine.loader.samples import Packer, format_interleaved, whitespace_tokens
from engine.loader.state import Consumption, merge_states
from engine.loader.store import ImageStore
from engine.loader.units import Unit, list_units

__all__ = [
    "WeftDataset",
    "Packer",
    "format_interleaved",
    "whitespace_tokens",
    "Consumption",
    "merge_states",
    "ImageStore",
    "Unit",
    "list_units",
    "TorchDataset",
    "StatefulLoader",
]


def __getattr__(name):  # torch only when asked for
    if name in ("TorchDataset", "StatefulLoader"):
        from engine.loader import torch_data

        return getattr(torch_data, name)
    raise AttributeError(name)
