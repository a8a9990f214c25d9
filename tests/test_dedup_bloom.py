import numpy as np

from engine.dedup.bloom import RepeatBloom


def test_repeat_bloom_has_no_false_negatives_across_partitions():
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 2**63, size=20000, dtype=np.uint64)
    repeated = keys[:500]
    parts = [np.concatenate([keys[1000:11000], repeated[:250]]),
             np.concatenate([keys[11000:20000], repeated]),
             np.concatenate([repeated[250:], repeated[250:]])]  # repeats inside one batch too
    merged = RepeatBloom.for_items(25000)
    for part in parts:
        local = RepeatBloom(merged.num_bits, merged.num_hashes)
        local.add(part)
        once, twice = local.to_bytes()
        merged.merge(RepeatBloom.from_bytes(merged.num_bits, merged.num_hashes, once, twice))
    assert merged.maybe_repeated(repeated).all()
    singles = keys[1000:20000]
    assert merged.maybe_repeated(singles).mean() < 0.03  # ~1% at 10 bits per item
