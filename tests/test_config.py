"""config/*.yaml is the one place a default is written: typos fail with their path, typed sections take their
defaults from the YAML, and no module writes a config default a second time."""
from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest
import yaml

from engine.config import OPEN_PATHS, ConfigError, default, defaults, load_config
from tests.conftest import ROOT

CODE_DIRS = ("engine", "jobs", "filters", "schemas")


def _leaves(node: dict, prefix: str = "") -> dict[str, object]:
    out = {}
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value and path not in OPEN_PATHS:
            out.update(_leaves(value, path))
        else:
            out[path] = value
    return out


def test_unknown_keys_fail_with_their_path(tmp_path):
    user = tmp_path / "my.yaml"
    user.write_text("extract:\n  html:\n    timeout: 3\n")  # timeout_s misspelt
    with pytest.raises(ConfigError, match=r"extract\.html\.timeout"):
        load_config(str(user))
    with pytest.raises(ConfigError, match=r"dedup\.near\.band"):
        load_config(None, ["dedup.near.band=4"])
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(None, ["dedup.near=4"])


def test_overrides_merge_and_open_sections_accept_any_key(tmp_path):
    user = tmp_path / "my.yaml"
    user.write_text("spark:\n  conf:\n    spark.executor.memory: 3g\noutput:\n  compression_level: 7\n")
    config = load_config(str(user), ["dedup.near.threshold=0.85", "input.limit=5"])
    assert config["spark"]["conf"] == {"spark.executor.memory": "3g"}
    assert config["output"]["compression_level"] == 7 and config["output"]["compression"] == "zstd"
    assert config["dedup"]["near"]["threshold"] == 0.85 and config["dedup"]["near"]["bands"] == default(
        "dedup.near.bands")
    assert config["input"]["limit"] == 5
    assert load_config() == defaults()  # nothing changes the defaults themselves


def _typed_sections():
    """Every dataclass built with @defaults_from, found by importing the modules that define config types."""
    import importlib

    found = []
    for path in sorted(Path(ROOT).glob("*/**/*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] not in CODE_DIRS or "defaults_from(" not in path.read_text():
            continue
        if rel.name == "config.py" and rel.parts[0] == "engine":
            continue
        module = importlib.import_module(".".join(rel.with_suffix("").parts))
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for dec in node.decorator_list:
                    if isinstance(dec, ast.Call) and getattr(dec.func, "id", "") == "defaults_from":
                        found.append((getattr(module, node.name), ast.literal_eval(dec.args[0])))
    return found


def test_typed_sections_take_every_default_from_the_yaml():
    sections = _typed_sections()
    assert len(sections) >= 2
    for cls, path in sections:
        instance = cls()
        section = default(path)
        for f in dataclasses.fields(cls):
            if f.name in section:
                assert getattr(instance, f.name) == section[f.name], (cls.__name__, f.name)


def _literal(node) -> tuple[bool, object]:
    """(True, value) for a constant or arithmetic on constants such as `50 * 2**20`."""
    if isinstance(node, ast.Constant):
        return True, node.value
    if isinstance(node, (ast.BinOp, ast.UnaryOp)) and all(
            isinstance(n, (ast.Constant, ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop)) for n in ast.walk(node)):
        return True, eval(compile(ast.Expression(node), "<default>", "eval"), {"__builtins__": {}})
    return False, None


def _violations(keys: set[str]) -> list[str]:
    """Places where code writes a literal default for a config key: `x.get("key", literal)`, argparse
    `default=literal` for an option named like a key, and dataclass fields named like a key with a literal value
    in a class that does not take its defaults from the YAML."""
    found = []
    for path in sorted(Path(ROOT).glob("*/**/*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] not in CODE_DIRS:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                args = node.args
                if (node.func.attr == "get" and len(args) == 2 and isinstance(args[0], ast.Constant)
                        and args[0].value in keys and _literal(args[1])[0] and _literal(args[1])[1] is not None):
                    found.append(f"{rel}:{node.lineno} .get({args[0].value!r}, {ast.unparse(args[1])})")
                if node.func.attr == "add_argument" and args and isinstance(args[0], ast.Constant):
                    name = str(args[0].value).lstrip("-").replace("-", "_")
                    for kw in node.keywords:
                        if (kw.arg == "default" and name in keys and _literal(kw.value)[0]
                                and _literal(kw.value)[1] not in (None, False)):
                            found.append(f"{rel}:{node.lineno} --{name} default={ast.unparse(kw.value)}")
            if isinstance(node, ast.ClassDef):
                decorated = any(isinstance(d, ast.Call) and getattr(d.func, "id", "") == "defaults_from"
                                for d in node.decorator_list)
                is_dataclass = any("dataclass" in ast.unparse(d) for d in node.decorator_list)
                if is_dataclass and not decorated:
                    for item in node.body:
                        if (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                                and item.target.id in keys and item.value is not None
                                and _literal(item.value)[0] and _literal(item.value)[1] is not None):
                            found.append(f"{rel}:{item.lineno} {node.name}.{item.target.id} = "
                                         f"{ast.unparse(item.value)}")
    return found


def test_no_module_repeats_a_config_default():
    keys = {path.rsplit(".", 1)[-1] for path in _leaves(defaults())}
    assert {"timeout_s", "bands", "compression_level", "manifest_base"} <= keys
    assert _violations(keys) == []


def test_the_checker_sees_a_repeated_default(tmp_path, monkeypatch):
    """The scan above must be able to fail: a module with each kind of repeat is reported."""
    pkg = tmp_path / "engine"
    pkg.mkdir()
    (pkg / "bad.py").write_text(
        "from dataclasses import dataclass\n"
        "def f(cfg, p):\n    p.add_argument('--batch-rows', default=1000)\n    return cfg.get('timeout_s', 5.0)\n"
        "@dataclass\nclass C:\n    bands: int = 20\n    max_bytes: int = 10 * 2**20\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert len(_violations({"timeout_s", "batch_rows", "bands", "max_bytes"})) == 4


def test_every_yaml_file_is_valid_and_documented():
    for name in ("defaults.yaml", "filters.yaml", "dedup.yaml"):
        text = (ROOT / "config" / name).read_text()
        assert isinstance(yaml.safe_load(text), dict)
        assert text.lstrip().startswith("#"), f"{name} starts with a comment saying what it holds"


def test_a_stage_given_an_unknown_key_exits_2_before_any_work(tmp_path, capsys):
    from jobs import extract

    code = extract.main(["--input", "x.warc", "--output", str(tmp_path / "out"), "--set", "extract.parsr=warcio"])
    assert code == 2 and "extract.parsr" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # no lock, no stats, no Spark
