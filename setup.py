"""Metadata lives in setup.cfg; this file only declares the optional compiled module (filters/_native.c).
`optional=True`: without a C compiler the install still succeeds and filters/vocab.py runs its Python loop."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("filters._native", ["filters/_native.c"], optional=True,
                             extra_compile_args=["-O2"])])
