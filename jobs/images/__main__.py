"""`python -m jobs.images ...` and `spark-submit jobs/images/__main__.py ...`."""
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
if sys.path and sys.path[0] and os.path.abspath(sys.path[0]) == _here:  # a file run: never shadow top-level modules
    sys.path.pop(0)
    if __package__ in (None, ""):
        sys.path.insert(0, os.path.dirname(os.path.dirname(_here)))

from jobs.base import run_job  # noqa: E402
from jobs.images.job import ImagesJob  # noqa: E402

if __name__ == "__main__":
    run_job(ImagesJob())
