"""Metadata lives in setup.cfg; this file declares the optional compiled module (filters/_native.c) and puts the
default config into built wheels.
`optional=True`: without a C compiler the install still succeeds and filters/vocab.py runs its Python loop."""
import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class BuildWithConfig(build_py):
    """config/*.yaml (one copy of every default, beside the code in a checkout) goes into the wheel as
    engine/_config/, where engine.config looks when no config/ sits beside the installed package."""

    def run(self):
        super().run()
        target = Path(self.build_lib) / "engine" / "_config"
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(Path(__file__).resolve().parent.joinpath("config").glob("*.yaml")):
            shutil.copyfile(path, target / path.name)


setup(cmdclass={"build_py": BuildWithConfig},
      ext_modules=[Extension("filters._native", ["filters/_native.c"], optional=True,
                             extra_compile_args=["-O2"])])
