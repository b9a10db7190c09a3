"""The optional C kernel of the ranking (bot/_kernel.c); everything else is in pyproject.toml.

`optional=True`: where it cannot be compiled, the package installs without it and the ranking
runs on numpy instead (bot.ranking), with the same results, more slowly.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("bot._kernel", ["bot/_kernel.c"], optional=True)])
