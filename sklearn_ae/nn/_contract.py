"""The contract every torch module of this package fulfils, written once.

The estimators and the training engine drive any model through these names
only, whatever the model and whatever the architecture of its networks:

- ``forward(x, y=None)`` returns a :class:`ForwardOutput` (it may corrupt or
  sample: it is only used to compute the loss in training);
- ``loss(outputs, x, y=None)`` returns a :class:`LossOutput`: the scalar to
  minimise and the named terms that training logs (``loss_terms``);
- ``encode(x)``, ``decode(z, y=None)`` and ``score_samples(x, y=None)`` are
  the deterministic, row-wise maps behind ``transform``,
  ``inverse_transform`` and ``score_samples``.

``x`` is always a batch of flattened rows ``(batch, n_features)``; ``y``, for
conditional models, a batch of class indices ``(batch,)``. Everything a model
returns has the batch as its first axis, so that inference can cut any input
into row batches and put the results back together.
"""

import abc
from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass
class ForwardOutput:
    """What a module's training-time ``forward`` returns: one set of names for every model.

    Attributes
    ----------
    z : torch.Tensor of shape (batch, n_components)
        The code the decoder received (a posterior draw for a VAE).
    decoded : torch.Tensor of shape (batch, n_features)
        The decoder's raw output: the reconstruction itself, or its logits
        under a cross-entropy (Bernoulli) loss.
    input : torch.Tensor of shape (batch, n_features)
        What the encoder saw: the corrupted batch in a denoising model's
        training, the batch itself otherwise.
    mask : torch.Tensor of shape (batch, n_features) or None
        The entries a corruption hit, where it marks them.
    mean, logvar : torch.Tensor of shape (batch, n_components) or None
        Parameters of a variational posterior ``q(z | x)``.
    jacobian_sq_norm : torch.Tensor of shape (batch,) or None
        Squared Frobenius norm of the encoder's Jacobian at each row, for a
        contractive penalty.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import ForwardOutput
    >>> out = ForwardOutput(z=torch.zeros(2, 1), decoded=torch.zeros(2, 3), input=torch.zeros(2, 3))
    >>> out.mask is None
    True
    """

    z: torch.Tensor
    decoded: torch.Tensor
    input: torch.Tensor
    mask: torch.Tensor | None = None
    mean: torch.Tensor | None = None
    logvar: torch.Tensor | None = None
    jacobian_sq_norm: torch.Tensor | None = None


@dataclass
class LossOutput:
    """A batch's loss: the scalar to minimise and the named terms that training logs.

    Attributes
    ----------
    loss : torch.Tensor
        Scalar, the batch mean of the per-sample objective.
    reconstruction : torch.Tensor
        Scalar, the batch mean of the reconstruction term.
    extra : dict of str to torch.Tensor
        Further scalar terms (``"kl"``, ``"sparsity"``, ``"contractive"``).

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import LossOutput
    >>> out = LossOutput(torch.tensor(1.5), torch.tensor(1.0), {"kl": torch.tensor(0.5)})
    >>> sorted(out.terms())
    ['kl', 'reconstruction']
    """

    loss: torch.Tensor
    reconstruction: torch.Tensor
    extra: dict = field(default_factory=dict)

    def terms(self):
        """The logged terms by name: ``reconstruction`` and the ``extra`` ones."""
        return {"reconstruction": self.reconstruction, **self.extra}


class AutoencoderModule(nn.Module, abc.ABC):
    """Abstract base of every torch model of this package (see the module docstring).

    Attributes
    ----------
    n_features : int
        Width of the flattened rows.
    n_components : int
        Width of the code.
    loss_terms : tuple of str
        Names of the terms of :meth:`loss` that training logs per epoch.

    Examples
    --------
    >>> from sklearn_ae.nn import Autoencoder, AutoencoderModule
    >>> issubclass(Autoencoder, AutoencoderModule)
    True
    """

    loss_terms = ("reconstruction",)

    @abc.abstractmethod
    def forward(self, x, y=None):
        """Training-time outputs of a batch, a :class:`ForwardOutput`."""

    @abc.abstractmethod
    def loss(self, outputs, x, y=None):
        """The :class:`LossOutput` of a batch, from :meth:`forward`'s outputs."""

    @abc.abstractmethod
    def encode(self, x):
        """The deterministic code of each row, ``(batch, n_components)``."""

    @abc.abstractmethod
    def decode(self, z, y=None):
        """The data-space mean of ``x`` given each code, ``(batch, n_features)``."""

    @abc.abstractmethod
    def score_samples(self, x, y=None):
        """Per-row score, higher for rows more typical of the training data."""
