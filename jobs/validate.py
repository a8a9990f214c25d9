"""`weft validate PATH...`: check document Parquet files (or directories of them) against the schema."""
from __future__ import annotations

import argparse

from engine.io.fs import list_parquet, resolve
from schemas.validate import SchemaError, validate_file


def validate_paths(paths: list[str]) -> tuple[int, int, list[str]]:
    """Returns (files, rows, errors)."""
    files = rows = 0
    errors = []
    for uri in paths:
        for f in list_parquet(uri):
            fs, path = resolve(f)
            files += 1
            try:
                rows += validate_file(path, filesystem=fs)
            except SchemaError as e:
                errors.append(str(e))
    return files, rows, errors


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="weft validate", description=__doc__)
    p.add_argument("paths", nargs="+")
    args = p.parse_args(argv)
    files, rows, errors = validate_paths(args.paths)
    for e in errors:
        print(f"INVALID {e}")
    print(f"validated {files} files, {rows} rows, {len(errors)} invalid")
    return 1 if errors or not files else 0
