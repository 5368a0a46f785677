"""Ensembles: several fitted models (any backends) or probability files combined by a weighted mean, with
weights and per-label thresholds tuned on dev data. See :class:`Ensemble` and ``koclassify ensemble``."""

from koclassify.ensemble.backend import EnsembleBackend
from koclassify.ensemble.model import Ensemble
from koclassify.ensemble.weights import EnsembleFit, combine, fit_ensemble

__all__ = ["Ensemble", "EnsembleBackend", "EnsembleFit", "combine", "fit_ensemble"]
