"""torch glue: ``TorchDataset`` (an ``IterableDataset`` over a ``WeftDataset``) and ``StatefulLoader`` (a
``DataLoader`` that records, in the training process, the keys of what it returned, so that its ``state_dict``
is what the training loop consumed, not what workers prefetched)."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

import torch.distributed as dist
from torch.utils.data import DataLoader, IterableDataset

from engine.loader.dataset import WeftDataset
from engine.loader.state import merge_states


class TorchDataset(IterableDataset):
    """Each DataLoader worker iterates its own share (worker id and count from ``get_worker_info()``, rank and
    world size from torch.distributed unless the WeftDataset was given them)."""

    def __init__(self, dataset: WeftDataset):
        super().__init__()
        self.dataset = dataset

    def __iter__(self) -> Iterator[dict]:
        return self.dataset.stream()


def collate_list(samples: list) -> list:
    """The default collate when batching: the samples as a list (interleaved samples hold PIL images and
    strings, which torch's default_collate cannot stack)."""
    return samples


def keys_of(batch: Any) -> Iterable:
    """The sample keys in a batch: a sample dict (``__key__``), a pack (``__keys__``) or a list of them."""
    if isinstance(batch, dict):
        if "__keys__" in batch:
            return [k for k in batch["__keys__"] if k is not None]
        key = batch.get("__key__")
        if key is None:
            return []
        if isinstance(key, (list, tuple)) and key and isinstance(key[0], (list, tuple)):
            return key  # a collated list of keys
        return [key]
    if isinstance(batch, (list, tuple)):
        return [k for b in batch for k in keys_of(b)]
    return []


class StatefulLoader:
    """``for batch in loader`` is one epoch; the next pass is the next epoch. Save with ``state_dict()``
    (``gather=True`` merges all ranks' states through torch.distributed: call it on every rank) and resume with
    ``load_state_dict()`` before iterating, with any number of workers or ranks.

    ``dataloader_kwargs`` go to ``torch.utils.data.DataLoader`` (``num_workers``, ``batch_size``,
    ``prefetch_factor``, ``pin_memory``, ...). ``batch_size`` defaults to None (one sample at a time); with a
    ``batch_size`` the default ``collate_fn`` is ``collate_list``. A custom ``collate_fn`` must keep the keys
    where ``keys`` (default ``keys_of``) finds them. ``persistent_workers`` is refused: workers must be started
    from the current state at each pass."""

    def __init__(self, dataset: WeftDataset, keys: Callable[[Any], Iterable] = keys_of, **dataloader_kwargs):
        if dataloader_kwargs.get("persistent_workers"):
            raise ValueError("persistent_workers would keep workers on a stale state; leave it off")
        if dataset.worker_id is not None or dataset.num_workers is not None:
            raise ValueError("leave worker_id / num_workers of the WeftDataset unset: the DataLoader sets them")
        dataloader_kwargs.setdefault("batch_size", None)
        if dataloader_kwargs["batch_size"] is not None:
            dataloader_kwargs.setdefault("collate_fn", collate_list)
        self.dataset, self.keys, self.kwargs = dataset, keys, dataloader_kwargs

    def __iter__(self) -> Iterator:
        epoch, mine = self.dataset.epoch, self.dataset.my_units(whole_rank=True)
        for batch in DataLoader(TorchDataset(self.dataset), **self.kwargs):
            self.dataset.consumption.add_keys((int(u), int(r)) for u, r in self.keys(batch))
            yield batch
        if self.dataset.epoch == epoch:  # every worker of this rank went through all its units
            self.dataset.end_epoch(mine)

    def state_dict(self, gather: bool = False) -> dict:
        state = self.dataset.state_dict()
        if gather and dist.is_available() and dist.is_initialized():
            states = [None] * dist.get_world_size()
            dist.all_gather_object(states, state)
            state = merge_states(states)
        return state

    def load_state_dict(self, state: dict) -> None:
        self.dataset.load_state_dict(state)


__all__ = ["TorchDataset", "StatefulLoader", "collate_list", "keys_of"]
