"""koclassify: labelled Korean text in, a calibrated classifier out."""

__version__ = "0.1.0"

from koclassify.api import Classifier  # noqa: E402
from koclassify.data.example import Example, Span  # noqa: E402
from koclassify.data.labels import LabelSpace  # noqa: E402
from koclassify.ensemble import Ensemble  # noqa: E402

__all__ = ["Classifier", "Ensemble", "Example", "LabelSpace", "Span", "__version__"]
