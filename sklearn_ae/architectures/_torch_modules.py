"""The user's own torch modules as an architecture."""

import copy

from torch import nn

from ._base import Architecture


class TorchModules(Architecture):
    """Your own ``torch.nn.Module`` encoder and decoder.

    The encoder maps a batch of flattened rows ``(batch, n_features)`` to
    features of any width (an output with more axes is flattened); the
    library adds the code head (a ``Linear`` to ``n_components``, two for a
    VAE's mean and log-variance). The decoder maps codes
    ``(batch, n_components)`` to ``(batch, n_features)``; the library adds the
    output link the loss needs (a sigmoid for cross-entropy and Bernoulli
    likelihoods). For :class:`~sklearn_ae.ConditionalVAE` a linear layer from
    the code and the one-hot label to ``n_components`` goes before your
    decoder.

    The modules you pass are never trained themselves: each fit trains deep
    copies, whose parameters are first reset (every submodule's
    ``reset_parameters``, as torch's layers define it) from the estimator's
    seed, so that ``random_state`` decides the initial weights as it does for
    the built-in architectures. To pickle a fitted model, the modules must be
    picklable (defined at a module's top level).

    A module fixes the width of the data it takes. For a network that should
    adapt to the data (as the built-in architectures do), pass factories
    instead: ``encoder(n_features)`` and ``decoder(n_components, n_features)``
    return fresh modules, built from the estimator's seed.

    Parameters
    ----------
    encoder : torch.nn.Module or callable
        Rows ``(batch, n_features)`` to features ``(batch, ...)``; or a
        function of ``n_features`` that returns such a module.
    decoder : torch.nn.Module or callable
        Codes ``(batch, n_components)`` to rows ``(batch, n_features)``; or a
        function of ``(n_components, n_features)`` that returns such a module.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from torch import nn
    >>> from sklearn_ae import VAETransformer
    >>> from sklearn_ae.architectures import TorchModules
    >>> X = load_digits().data / 16
    >>> arch = TorchModules(encoder=nn.Sequential(nn.Linear(64, 32), nn.ReLU()),
    ...                     decoder=nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 64)))
    >>> vae = VAETransformer(n_components=5, architecture=arch, max_iter=2, random_state=0).fit(X)
    >>> vae.transform(X).shape, vae.sample(3, random_state=0).shape
    ((1797, 5), (3, 64))
    """

    _parameter_constraints: dict = {
        "encoder": [nn.Module, callable],
        "decoder": [nn.Module, callable],
    }

    def __init__(self, encoder, decoder):
        self.encoder = encoder
        self.decoder = decoder

    def _encoder_body(self, n_features):
        return _fresh(self.encoder, n_features)

    # The user's decoder takes the code alone.
    _decoder_takes_conditions = False

    def _decoder(self, n_inputs, n_features):
        return _fresh(self.decoder, n_inputs, n_features)


def _fresh(module, *sizes):
    """A new module to train: built by a factory, or a reset deep copy of ``module``."""
    if not isinstance(module, nn.Module):
        return module(*sizes)
    module = copy.deepcopy(module)
    for submodule in module.modules():
        if hasattr(submodule, "reset_parameters"):
            submodule.reset_parameters()
    return module
