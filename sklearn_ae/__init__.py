"""Autoencoders, variational autoencoders and probabilistic PCA as scikit-learn transformers."""

from ._autoencoder import AutoencoderTransformer
from ._net import TrainingDivergedError
from ._ppca import PPCA

__all__ = ["PPCA", "AutoencoderTransformer", "TrainingDivergedError"]

__version__ = "0.1.0.dev0"
