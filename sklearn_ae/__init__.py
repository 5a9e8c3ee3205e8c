"""Autoencoders, variational autoencoders and probabilistic PCA as scikit-learn transformers."""

from ._autoencoder import AutoencoderTransformer
from ._conditional_vae import ConditionalVAE
from ._contractive import ContractiveAE
from ._denoising import DenoisingAE
from ._net import TrainingDivergedError
from ._outlier import OutlierDetector
from ._ppca import PPCA
from ._sparse import SparseAE
from ._vae import VAETransformer

__all__ = [
    "PPCA",
    "AutoencoderTransformer",
    "ConditionalVAE",
    "ContractiveAE",
    "DenoisingAE",
    "OutlierDetector",
    "SparseAE",
    "TrainingDivergedError",
    "VAETransformer",
]

__version__ = "0.1.0.dev0"
