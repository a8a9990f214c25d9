"""`weft config show [--stage S] [--config FILE] [--set KEY=VALUE]...`: the effective configuration, one value a
line with the file or flag it came from (config/*.yaml, or $WEFT_CONFIG_DIR; the --config file; --set).
`weft config show --run OUT [--stage S]` prints what a run recorded (OUT/_config/<stage>.yaml: code version,
config sources and every value)."""
from __future__ import annotations

import argparse
import sys

import yaml

from engine.config import ConfigError, code_version, explain
from engine.io.fs import join
from jobs.base import STAGES

SHARED_SECTIONS = ("input", "output", "spark")  # read by every stage besides its own section


def inline(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**6).strip().removesuffix(
        "\n...").removesuffix("...").strip()


def show(args) -> int:
    if args.run:
        from jobs.report import recorded_config

        for stage in [args.stage] if args.stage else STAGES:
            recorded = recorded_config(args.run, stage)
            if recorded is None:
                if args.stage:
                    print(f"weft config: {join(args.run, '_config', stage + '.yaml')} does not exist", file=sys.stderr)
                    return 1
                continue
            print(f"# {join(args.run, '_config', stage + '.yaml')}")
            print(yaml.safe_dump(recorded, sort_keys=False, allow_unicode=True))
        return 0
    try:
        rows = explain(args.config, args.set)
    except ConfigError as e:
        print(f"weft config: {e}", file=sys.stderr)
        return 2
    if args.stage:
        keep = (args.stage, *SHARED_SECTIONS)
        rows = [r for r in rows if r[0].split(".", 1)[0] in keep]
    print(f"# code {code_version()}; value  # source")
    width = max((len(k) for k, _, _ in rows), default=0)
    for key, value, source in rows:
        print(f"{key:<{width}} = {inline(value)}  # {source}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="weft config", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("show", help="effective configuration with the source of each value")
    s.add_argument("--stage", choices=STAGES, help=f"only this stage's section (and {', '.join(SHARED_SECTIONS)})")
    s.add_argument("--config", help="YAML file merged over the defaults, as for a run")
    s.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override, as for a run")
    s.add_argument("--run", metavar="OUT", help="print what the run in OUT recorded instead")
    args = p.parse_args(argv)
    return show(args)
