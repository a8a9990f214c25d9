"""`weft config show`: every effective value with the file or flag that set it last, the same values a run
loads, and the provenance a stage records (engine.config.explain / provenance)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import yaml

from engine.config import CONFIG_DIR, explain, load_config, provenance
from tests.conftest import ROOT


def flat(tree: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in tree.items():
        if isinstance(v, dict) and v:
            out.update(flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def test_sources_of_defaults_file_and_set(tmp_path):
    user = tmp_path / "my.yaml"
    user.write_text("extract:\n  parser: warcio\ndedup: {}\nspark:\n  conf:\n    spark.executor.memory: 4g\n")
    sets = ["extract.parser=fastwarc", "output.compression_level=9"]
    rows = explain(str(user), sets)
    by_key = {k: (v, src) for k, v, src in rows}
    assert {k: v for k, (v, _) in by_key.items()} == flat(load_config(str(user), sets))  # the values a run uses
    assert by_key["extract.parser"] == ("fastwarc", "--set extract.parser=fastwarc")  # the last layer wins
    assert by_key["output.compression_level"] == (9, "--set output.compression_level=9")
    assert by_key["spark.conf.spark.executor.memory"] == ("4g", f"--config {user}")
    assert by_key["extract.html.timeout_s"][1] == str(CONFIG_DIR / "defaults.yaml")
    filter_sources = {src for k, (_, src) in by_key.items() if k.startswith("filter.")}
    assert filter_sources == {str(CONFIG_DIR / "filters.yaml")}
    assert provenance(str(user), sets)["config_set"] == sets and provenance()["code_version"]


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "jobs.cli", "config", *args], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120)


def test_cli_stage_filter_env_dir_and_errors(tmp_path):
    done = cli("show", "--stage", "dedup", "--set", "dedup.near.threshold=0.9")
    assert done.returncode == 0, done.stderr
    keys = [line.split(" = ")[0].strip() for line in done.stdout.splitlines() if " = " in line]
    assert keys and {k.split(".")[0] for k in keys} == {"dedup", "input", "output", "spark"}
    assert any(line.startswith("dedup.near.threshold") and line.endswith("# --set dedup.near.threshold=0.9")
               for line in done.stdout.splitlines())
    # WEFT_CONFIG_DIR: another directory of defaults, named as the source
    other = tmp_path / "conf"
    shutil.copytree(CONFIG_DIR, other)
    done = cli("show", "--stage", "dedup", env={"WEFT_CONFIG_DIR": str(other)})
    assert done.returncode == 0 and f"$WEFT_CONFIG_DIR={other}/dedup.yaml" in done.stdout, done.stderr
    bad = cli("show", "--set", "dedup.no_such_key=1")
    assert bad.returncode == 2 and "dedup.no_such_key" in bad.stderr


def test_show_run_prints_recorded_config(tmp_path, capsys):
    from jobs.config import main

    cfg = {"code_version": "git abc", "config_set": ["a.b=1"], "dedup": {"near": {"threshold": 0.8}}}
    (tmp_path / "_config").mkdir()
    (tmp_path / "_config" / "dedup.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["show", "--run", str(tmp_path), "--stage", "dedup"]) == 0
    printed = capsys.readouterr().out
    assert yaml.safe_load(printed.split("\n", 1)[1]) == cfg
    assert main(["show", "--run", str(tmp_path), "--stage", "filter"]) == 1
