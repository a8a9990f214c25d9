"""`python -m jobs.dedup ...` and `spark-submit jobs/dedup/__main__.py ...` (infra/spark/submit.sh)."""
import os
import sys

# Run as a file (spark-submit), Python puts this directory first on sys.path, where keys.py, source.py, ...
# would shadow top-level modules of those names: drop it, the package is imported from the root (or the zip).
_here = os.path.dirname(os.path.abspath(__file__))
if sys.path and sys.path[0] and os.path.abspath(sys.path[0]) == _here:
    sys.path.pop(0)
    if __package__ in (None, ""):  # run as a file: the checkout, last (after --py-files' zip or an install)
        sys.path.append(os.path.dirname(os.path.dirname(_here)))

from jobs.base import run_job  # noqa: E402
from jobs.dedup.job import DedupJob  # noqa: E402

if __name__ == "__main__":
    run_job(DedupJob())
