"""koclassify: labelled Korean text in, a calibrated classifier out."""

from koclassify.data.example import Example, Span
from koclassify.data.labels import LabelSpace
from koclassify.engines import predict
from koclassify.ensemble import Ensemble
from koclassify.model.classifier import Classifier
from koclassify.version import __version__

__all__ = ["Classifier", "Ensemble", "Example", "LabelSpace", "Span", "__version__", "predict"]
