"""`weft validate PATH...`: check document Parquet files (or directories of them) against the schema."""
from __future__ import annotations

import argparse

from engine.io.fs import resolve
from schemas.validate import SchemaError, validate_file


def list_parquet(uri: str) -> list[str]:
    """Every *.parquet under a file or directory (local or s3://), skipping hidden/temporary files."""
    import pyarrow.fs as pafs

    fs, path = resolve(uri)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.File:
        return [uri]
    if info.type == pafs.FileType.NotFound:
        return []
    prefix = "s3://" if uri.startswith("s3://") else ""
    found = [
        prefix + i.path for i in fs.get_file_info(pafs.FileSelector(path, recursive=True))
        if i.type == pafs.FileType.File and i.base_name.endswith(".parquet")
        and not any(part.startswith((".", "_")) for part in i.path[len(path):].split("/") if part)
    ]
    return sorted(found)


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
