"""``WeftDataset``: the torch-free, resumable iterator over weft's corpus (see the package docstring for the
split and the resume design)."""
from __future__ import annotations

import itertools
import os
import sys
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pyarrow.parquet as pq

from engine.loader.samples import IMAGE_MODES, Packer
from engine.loader.state import STATE_VERSION, Consumption, merge_states
from engine.loader.store import ImageStore, decode
from engine.loader.units import as_list, assign, epoch_order, fingerprint, list_units, resolve, row_order

KINDS = ("documents", "pairs", "text")
IMAGE_KEY_COLUMNS = ("sha256", "image_sha256")
TEXT_COLUMNS = ("text", "caption")


def detect_kind(schema) -> str:
    """documents / pairs / text from the file's ``weft.table`` metadata, else from its columns."""
    table = ((schema.metadata or {}).get(b"weft.table") or b"").decode()
    names = set(schema.names)
    if table == "documents" or {"texts", "images", "metadata"} <= names:
        return "documents"
    if "pair" in table or names & set(IMAGE_KEY_COLUMNS):
        return "pairs"
    if "text" in table or names & set(TEXT_COLUMNS):
        return "text"
    raise ValueError(f"cannot tell the kind of table with columns {sorted(names)}; pass kind=")


def distributed_split() -> tuple[int, int]:
    """(rank, world_size) from torch.distributed when initialised, else RANK / WORLD_SIZE, else (0, 1)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        dist = torch.distributed
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def worker_split() -> tuple[int, int]:
    """(worker id, number of workers) inside a torch DataLoader worker, else (0, 1)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        info = torch.utils.data.get_worker_info()
        if info is not None:
            return info.id, info.num_workers
    return 0, 1


class WeftDataset:
    """Iterate the documents table, the pairs view or the text view (``data``: a URI or local path of a file or
    folder, or a list of them; ``s3://`` goes through engine's ``resolve``).

    Arguments (defaults in the signature):

    * ``store``: URI(s) of the image store (``OUT/images/store``) or an ``ImageStore``; needed for images unless
      ``images="none"``. ``store_cache_row_groups``: store row groups kept in memory (LRU).
    * ``kind``: "documents", "pairs", "text" or "auto" (from the files).
    * ``seed``, ``epoch``, ``shuffle``: the unit order, the row order inside a unit and the shuffle buffer are all
      derived from (seed, epoch); ``shuffle=False`` reads in canonical order (the buffer too is off).
    * ``shuffle_buffer``: rows held for the random-replacement shuffle (0 or 1: none). It holds rows before their
      images are loaded.
    * ``rank``, ``world_size``, ``worker_id``, ``num_workers``: the split; None: torch.distributed / RANK,
      WORLD_SIZE and the DataLoader worker info, else a single process.
    * ``images``: "pil" (loaded PIL images, converted to ``image_mode``; None keeps the file's mode), "bytes",
      "record" (the store row as a dict) or "none". ``missing``: an image the store lacks is left out ("skip",
      for pairs the pair is skipped) or raises ("error").
    * ``transform``: called on each sample (in the worker); may return None to drop it.
    * ``pack``: a ``Packer``: yield token-budget packs of the samples' texts instead of samples.
    * ``meta_fields``: general_metadata fields copied into a document sample's ``meta``.

    Each pass over the iterator is one epoch: when it ends, the dataset moves on to the next epoch. ``state_dict``
    / ``load_state_dict`` save and restore what this iterator handed out (merge ranks' states with
    ``merge_states``)."""

    def __init__(
        self,
        data: str | Sequence[str],
        store: str | Sequence[str] | ImageStore | None = None,
        *,
        kind: str = "auto",
        seed: int = 0,
        epoch: int = 0,
        shuffle: bool = True,
        shuffle_buffer: int = 1000,
        rank: int | None = None,
        world_size: int | None = None,
        worker_id: int | None = None,
        num_workers: int | None = None,
        images: str = "pil",
        image_mode: str | None = "RGB",
        missing: str = "skip",
        transform: Callable[[dict], Any] | None = None,
        pack: Packer | None = None,
        meta_fields: Sequence[str] = ("id", "url", "language", "crawl_id"),
        store_cache_row_groups: int = 4,
    ):
        if images not in IMAGE_MODES:
            raise ValueError(f"images must be one of {IMAGE_MODES}, not {images!r}")
        if missing not in ("skip", "error"):
            raise ValueError(f"missing must be skip or error, not {missing!r}")
        self.data = as_list(data)
        self.units, self._fss, schema = list_units(self.data)
        if schema is None:
            raise FileNotFoundError(f"no Parquet files under {data!r}")
        self.kind = detect_kind(schema) if kind == "auto" else kind
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS} or auto, not {kind!r}")
        self.names = schema.names
        self.meta_fields = tuple(meta_fields)
        self.columns = self._columns(schema)
        needs_store = self.kind == "documents" or (self.kind == "pairs" and "content" not in self.names)
        if isinstance(store, (str, list, tuple)):
            store = ImageStore(store, cache_row_groups=store_cache_row_groups)
        if images != "none" and needs_store and store is None:
            raise ValueError("images need the image store: pass store= (OUT/images/store) or images='none'")
        self.store = store
        self.seed, self.shuffle, self.shuffle_buffer = int(seed), bool(shuffle), int(shuffle_buffer)
        self.rank, self.world_size, self.worker_id, self.num_workers = rank, world_size, worker_id, num_workers
        self.images, self.image_mode, self.missing = images, image_mode, missing
        self.transform, self.pack = transform, pack
        self.rows_per_unit = np.array([u.num_rows for u in self.units], dtype=np.int64)
        self.fingerprint = fingerprint(self.units)
        self.consumption = Consumption(self.rows_per_unit, len(self.units), int(epoch))
        # other epochs still in the state: the one this iterator finished last (another rank may still be in it)
        # and, after loading a merged state, epochs other ranks had started
        self.other_epochs: dict[int, Consumption] = {}
        self._file: tuple[str, pq.ParquetFile] | None = None

    def __getstate__(self):  # DataLoader workers get no open file; they resolve the filesystems again
        d = self.__dict__.copy()
        d["_file"] = None
        d["_fss"] = None
        return d

    def _fs(self, root: int):
        if self._fss is None:
            self._fss = [resolve(uri)[0] for uri in self.data]
        return self._fss[root]

    # -- epochs and state -----------------------------------------------------------------------------
    @property
    def epoch(self) -> int:
        return self.consumption.epoch

    def set_epoch(self, epoch: int) -> None:
        """Make ``epoch`` the current one: what a loaded state says of it, else nothing consumed."""
        if epoch != self.epoch:
            self.consumption = self.other_epochs.pop(epoch, None) or Consumption(
                self.rows_per_unit, len(self.units), int(epoch))

    def __len__(self) -> int:
        """Rows in one epoch over all ranks (before packing and dropped samples)."""
        return int(self.rows_per_unit.sum())

    def state_dict(self) -> dict:
        return {
            "version": STATE_VERSION,
            "fingerprint": self.fingerprint,
            "kind": self.kind,
            "seed": self.seed,
            "shuffle": self.shuffle,
            "epoch": self.epoch,
            "epochs": {e: c.to_dict() for e, c in sorted({**self.other_epochs, self.epoch: self.consumption}.items())},
        }

    def load_state_dict(self, state: dict) -> None:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"state version {state.get('version')} is not {STATE_VERSION}")
        if state["fingerprint"] != self.fingerprint:
            raise ValueError("the state was saved over other data (the row groups differ)")
        state = merge_states([state])  # normalised: the current epoch is the earliest one not fully consumed
        epochs = {int(e): Consumption.from_dict(c, self.rows_per_unit) for e, c in state["epochs"].items()}
        if any(len(c.full) != len(self.units) for c in epochs.values()):
            raise ValueError("the state was saved over other data (unit count differs)")
        current = int(state["epoch"])
        self.other_epochs = epochs
        self.consumption = self.other_epochs.pop(current, None) or Consumption(
            self.rows_per_unit, len(self.units), current)

    def record(self, out: dict) -> None:
        """Mark a yielded sample (``__key__``) or pack (``__keys__``) consumed."""
        keys = out.get("__keys__") if "__keys__" in out else [out.get("__key__")]
        for k in keys:
            if k is not None:
                self.consumption.add(int(k[0]), int(k[1]))

    # -- the split ------------------------------------------------------------------------------------
    def split(self) -> tuple[int, int, int, int]:
        rank, world = self.rank, self.world_size
        if rank is None or world is None:
            r, w = distributed_split()
            rank = r if rank is None else rank
            world = w if world is None else world
        worker, nw = self.worker_id, self.num_workers
        if worker is None or nw is None:
            i, n = worker_split()
            worker = i if worker is None else worker
            nw = n if nw is None else nw
        return rank, world, worker, nw

    def my_units(self, whole_rank: bool = False) -> list[int]:
        """Units of this (rank, worker) in the current epoch, or of all workers of this rank."""
        rank, world, worker, nw = self.split()
        if whole_rank:
            worker, nw = 0, 1
        order = epoch_order(len(self.units), self.seed, self.epoch, self.shuffle)
        remaining = order[~self.consumption.full[order]]
        return assign(remaining, rank, world, worker, nw)

    # -- iteration ------------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[dict]:
        epoch, mine = self.epoch, self.my_units()
        for out in self.stream():
            self.record(out)
            yield out
        if self.epoch == epoch:
            self.end_epoch(mine)

    def end_epoch(self, units: Sequence[int] = ()) -> None:
        """After a full pass over ``units``: they are done (samples a transform dropped included); the next pass
        is the next epoch; this one stays in the state (other ranks or workers may not be done with it)."""
        finished = self.consumption
        for u in units:
            finished.mark_full(int(u))
        self.set_epoch(finished.epoch + 1)
        self.other_epochs = {e: c for e, c in self.other_epochs.items() if e > finished.epoch}
        self.other_epochs[finished.epoch] = finished

    def stream(self) -> Iterator[dict]:
        """This (rank, worker)'s samples, or packs, of the current epoch, without recording them."""
        samples = self.samples()
        return self.pack(samples) if self.pack is not None else samples

    def samples(self) -> Iterator[dict]:
        """Samples of this (rank, worker) for the current epoch, shuffled, consumed ones left out."""
        for unit, row, values in self._shuffled(self._rows()):
            sample = self._sample(unit, row, values)
            if sample is not None and self.transform is not None:
                out = self.transform(sample)
                if isinstance(out, dict):
                    out.setdefault("__key__", (unit, row))
                elif out is not None:
                    out = {"__key__": (unit, row), "sample": out}
                sample = out
            if sample is None:  # dropped: consumed without being handed out
                self.consumption.add(unit, row)
                continue
            yield sample

    def _rows(self) -> Iterator[tuple[int, int, dict]]:
        for u in self.my_units():
            unit = self.units[u]
            skip = self.consumption.partial_rows(u)
            table = self._read(unit)
            for r in row_order(unit.num_rows, self.seed, self.epoch, u, self.shuffle):
                if skip is not None and skip[r]:
                    continue
                yield u, int(r), table[int(r)]

    def _shuffled(self, rows: Iterator) -> Iterator:
        size = self.shuffle_buffer if self.shuffle else 0
        if size <= 1:
            yield from rows
            return
        rank, world, worker, nw = self.split()
        resume_point = int(self.consumption.full.sum()) + sum(int(b.sum()) for b in self.consumption.partial.values())
        rng = np.random.default_rng([self.seed, self.epoch, world, rank, nw, worker, resume_point, 2])
        buf = list(itertools.islice(rows, size))
        for item in rows:
            j = int(rng.integers(len(buf)))
            yield buf[j]
            buf[j] = item
        for j in rng.permutation(len(buf)):
            yield buf[j]

    def _columns(self, schema) -> list[str] | None:
        if self.kind == "documents":
            gm = {f.name for f in schema.field("general_metadata").type}
            fields = [f"general_metadata.{n}" for n in ("id", "url", *self.meta_fields) if n in gm]
            return list(dict.fromkeys(fields)) + ["texts", "images", "metadata.list.element.sha256"]
        return None  # views: every column

    def _read(self, unit) -> list[dict]:
        if self._file is None or self._file[0] != unit.path:
            f = self._fs(unit.root).open_input_file(unit.path)
            self._file = (unit.path, pq.ParquetFile(f))
        return self._file[1].read_row_group(unit.row_group, columns=self.columns).to_pylist()

    # -- samples --------------------------------------------------------------------------------------
    def _image(self, rec: dict):
        if self.images == "bytes":
            return rec["content"]
        if self.images == "record":
            return rec
        return decode(rec["content"], self.image_mode)

    def _lookup(self, sha: str | None):
        rec = self.store.get(sha) if sha else None
        if rec is None and self.missing == "error":
            raise KeyError(f"image {sha} is not in the image store")
        return rec

    def _sample(self, unit: int, row: int, values: dict) -> dict | None:
        key = (unit, row)
        if self.kind == "documents":
            gm = values["general_metadata"]
            items: list = []
            for text, url, meta in zip(values["texts"], values["images"], values["metadata"]):
                if text is not None:
                    items.append(text)
                elif url is not None and self.images != "none":
                    rec = self._lookup((meta or {}).get("sha256"))
                    if rec is not None:
                        items.append(self._image(rec))
            meta = {k: gm.get(k) for k in self.meta_fields if k in gm}
            return {"__key__": key, "id": gm.get("id"), "url": gm.get("url"), "meta": meta, "items": items}
        sample = {"__key__": key, **values}
        if self.kind == "text":
            text = next((values[c] for c in TEXT_COLUMNS if c in values), None)
            sample["items"] = [] if text is None else [text]
            return sample
        # pairs
        text = next((values[c] for c in TEXT_COLUMNS if c in values), None)
        if self.images == "none":
            sample["items"] = [] if text is None else [text]
            return sample
        if values.get("content") is not None:
            rec = {"sha256": None, "content": values["content"], "width": values.get("width"),
                   "height": values.get("height"), "format": values.get("format")}
        else:
            rec = self._lookup(next((values[c] for c in IMAGE_KEY_COLUMNS if c in values), None))
            if rec is None:
                return None
        sample["image"] = self._image(rec)
        sample["items"] = [sample["image"]] + ([] if text is None else [text])
        return sample
