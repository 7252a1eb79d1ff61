"""The composition root: settings, the `revcycle` CLI and the wiring of every other package."""

from importlib.metadata import version

__version__ = version("revcycle")
