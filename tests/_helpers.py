"""Data helpers shared by several test modules."""

import numpy as np

from sklearn_ae import (
    AutoencoderTransformer,
    ConditionalVAE,
    ContractiveAE,
    DenoisingAE,
    SparseAE,
    VAETransformer,
)

#: Every neural estimator.
NEURAL = [
    AutoencoderTransformer,
    DenoisingAE,
    SparseAE,
    ContractiveAE,
    VAETransformer,
    ConditionalVAE,
]


def low_rank_tanh_data(n_samples=120, n_features=10, seed=0):
    """Smooth data on a 3-D manifold: tanh of a random rank-3 projection."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n_samples, 3))
    return np.tanh(Z @ rng.standard_normal((3, n_features)))


def mnist_train_heldout(n_heldout=1000):
    """MNIST's 8,000 training digits and the first ``n_heldout`` held-out ones.

    Read from the repository's ``data/mnist``: a missing file is a failure, not a skip.
    """
    from sklearn_ae.datasets import mnist_split

    X_train, X_test, _, _ = mnist_split(n_train=8000)
    return X_train, X_test[:n_heldout]


def mlp_module(cls, n_features, n_components, hidden=(), activation="relu", **kwargs):
    """An ``sklearn_ae.nn`` model of class ``cls`` on the MLP networks the estimators build."""
    from sklearn_ae.architectures import MLP
    from sklearn_ae.nn import VariationalAutoencoder

    variational = issubclass(cls, VariationalAutoencoder)
    network = MLP(hidden, activation).build(
        n_features,
        n_components,
        n_heads=2 if variational else 1,
        n_conditions=kwargs.get("n_classes", 0),
    )
    parts = (
        (network.body, *network.heads, network.decoder)
        if variational
        else (network.encoder(), network.decoder)
    )
    return cls(*parts, n_features=n_features, n_components=n_components, **kwargs)
