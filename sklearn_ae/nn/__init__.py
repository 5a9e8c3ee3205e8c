"""Pure PyTorch building blocks of the estimators: no scikit-learn, no skorch.

Every model here follows one written contract, :class:`AutoencoderModule`
(see :mod:`sklearn_ae.nn._contract`): ``forward`` returns a
:class:`ForwardOutput`, ``loss`` a :class:`LossOutput`, and ``encode``,
``decode`` and ``score_samples`` are the deterministic, row-wise maps behind
the estimators' ``transform``, ``inverse_transform`` and ``score_samples``.
The networks inside a model (MLPs, convolutional and recurrent encoders and
decoders, or the user's own) are built by :mod:`sklearn_ae.architectures`.
"""

from ._autoencoder import LOSSES, Autoencoder
from ._contract import AutoencoderModule, ForwardOutput, LossOutput
from ._layers import ACTIVATIONS, make_mlp
from ._networks import CELLS, ConvDecoder, ConvEncoder, RecurrentDecoder, RecurrentEncoder
from ._random import rand_like, randn_like, training_generator
from ._regularised import (
    CORRUPTIONS,
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    is_mlp,
    mlp_jacobian_sq_norm,
    projected_jacobian_sq_norm,
)
from ._vae import LIKELIHOODS, ConditionalVariationalAutoencoder, VariationalAutoencoder

__all__ = [
    "ACTIVATIONS",
    "CELLS",
    "CORRUPTIONS",
    "LIKELIHOODS",
    "LOSSES",
    "Autoencoder",
    "AutoencoderModule",
    "ConditionalVariationalAutoencoder",
    "ContractiveAutoencoder",
    "ConvDecoder",
    "ConvEncoder",
    "DenoisingAutoencoder",
    "ForwardOutput",
    "LossOutput",
    "RecurrentDecoder",
    "RecurrentEncoder",
    "SparseAutoencoder",
    "VariationalAutoencoder",
    "is_mlp",
    "make_mlp",
    "mlp_jacobian_sq_norm",
    "projected_jacobian_sq_norm",
    "rand_like",
    "randn_like",
    "training_generator",
]
