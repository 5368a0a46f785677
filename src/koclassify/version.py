"""The version, in a module of its own: everything may import it without importing the package's public face
(``koclassify/__init__.py`` imports :class:`~koclassify.Classifier`, which would make a circle)."""

__version__ = "0.1.0"
