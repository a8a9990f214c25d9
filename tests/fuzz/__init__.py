"""Fuzzing of the untrusted-input path: WARC bytes -> records -> HTTP decoding -> HTML extraction.

seeds.py loads the real fixtures, mutators.py damages them, targets.py states what must hold for each input,
campaign.py runs many cases (`python -m tests.fuzz`, `make fuzz`); tests/test_fuzz.py runs a short seeded set.
"""
