"""How to read a file (format and column layout): :class:`ReadOptions`, declared with the other option records in
:mod:`koclassify.options` and checked the same way; here is where the data package has always imported it from."""

from koclassify.options import FORMATS, ReadOptions

__all__ = ["FORMATS", "ReadOptions"]
