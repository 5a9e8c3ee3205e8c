"""Pure PyTorch building blocks of the estimators: no scikit-learn, no skorch.

Every module here follows one small contract so that the estimators and the
training engine never need to know which model they drive:

- ``forward(X)`` returns a dict of training-time outputs (it may corrupt or
  sample: it is only used to compute the loss);
- ``loss(outputs, X)`` returns a dict whose ``"loss"`` entry is the scalar to
  minimise and whose other entries (named in ``loss_terms``) are logged;
- ``encode``, ``decode`` and ``score_samples`` are the deterministic,
  row-wise maps used by ``transform``, ``inverse_transform`` and
  ``score_samples``.
"""

from ._autoencoder import Autoencoder
from ._layers import ACTIVATIONS, make_mlp
from ._regularised import (
    ContractiveAutoencoder,
    DenoisingAutoencoder,
    SparseAutoencoder,
    mlp_jacobian_sq_norm,
)
from ._vae import ConditionalVariationalAutoencoder, VariationalAutoencoder

__all__ = [
    "ACTIVATIONS",
    "Autoencoder",
    "ConditionalVariationalAutoencoder",
    "ContractiveAutoencoder",
    "DenoisingAutoencoder",
    "SparseAutoencoder",
    "VariationalAutoencoder",
    "make_mlp",
    "mlp_jacobian_sq_norm",
]
