"""koclassify: labelled Korean text in, a calibrated classifier out."""

from koclassify.api import Classifier
from koclassify.data.example import Example, Span
from koclassify.data.labels import LabelSpace
from koclassify.engine import predict
from koclassify.ensemble import Ensemble
from koclassify.version import __version__

__all__ = ["Classifier", "Ensemble", "Example", "LabelSpace", "Span", "__version__", "predict"]
