"""A non-editable install works without the checkout: the wheel carries the default config (engine/_config) and
the filter data, and the filter config resolves its data files beside the installed packages."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_wheel_installs_with_its_config_and_data(tmp_path):
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next(tmp_path.glob("weft-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"engine/_config/{p.name}" for p in (ROOT / "config").glob("*.yaml")}
    assert shipped and shipped <= names, shipped - names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)  # a wheel is installed by unpacking it
    probe = ("from engine.config import CONFIG_DIR, defaults; from filters.rules import FilterConfig;"
             "c = FilterConfig.load(); print(CONFIG_DIR); print(c.resolve(c.safety['flagged_words_dir']));"
             "print(defaults()['output']['compression'])")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WEFT_CONFIG_DIR")}
    done = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {probe}"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    config_dir, flagged, compression = done.stdout.split()
    assert config_dir == str(site / "engine" / "_config")
    assert flagged.startswith(str(site)) and any((site / flagged).iterdir())
    assert compression == "zstd"
