"""`make demo`: the whole pipeline with local Spark on the bundled real WARCs, then schema validation of every
written file, the funnel and one sample document in interleaved form. Touches no network."""
from __future__ import annotations

import argparse
import os
import shutil

from jobs import run, show, validate


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="weft demo")
    p.add_argument("--input", nargs="+", required=True)
    p.add_argument("--output", default="out")
    p.add_argument("--master", default="local[2]")
    p.add_argument("--keep", action="store_true", help="keep an existing output dir (resume) instead of clearing it")
    args = p.parse_args(argv)
    if os.path.isdir(args.output) and not args.keep:
        shutil.rmtree(args.output)
    # images from the WARCs only: the demo touches no network (drop the --set to download the others; the
    # downloader's path is tested against a loopback server, tests/test_images_job.py)
    code = run.main(["--input", *args.input, "--output", args.output, "--master", args.master,
                     "--set", "images.job.download=false"])
    if code:
        return code
    tables = [t for t in ("extract", "filter/kept", "filter/rejected", "dedup/kept", "docs")
              if os.path.isdir(os.path.join(args.output, t))]
    files, rows, errors = validate.validate_paths([os.path.join(args.output, t) for t in tables])
    print(f"\nschema: validated {files} files ({rows} rows) in {', '.join(tables)}: {len(errors)} invalid")
    for e in errors:
        print("  INVALID", e)
    if "docs" in tables:  # the image stage's evidence: how many positions of the corpus carry their image's fields
        from jobs.images import coverage_line, image_coverage

        print("\n" + coverage_line(image_coverage(args.output)))
    final = next(t for t in ("docs", "dedup/kept", "filter/kept", "extract") if t in tables)
    docs = show.find_documents([os.path.join(args.output, final)], with_images=True)
    if docs:
        print(f"\nsample document from {final}:\n" + show.render(docs[0])[:4000])
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
