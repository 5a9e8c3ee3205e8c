"""The deterministic MLP autoencoder that the other models extend."""

import torch
from torch import nn
from torch.nn import functional as F

from ._layers import make_mlp


class Autoencoder(nn.Module):
    """Undercomplete MLP autoencoder ``x -> z -> x'`` with a mirrored decoder.

    The hooks subclasses override are small on purpose: ``corrupt_with_mask``
    (the training-time input path), ``penalty`` (extra loss terms computed from
    the batch and the forward outputs), and ``loss_terms`` (names of the
    extra terms to log).

    Parameters
    ----------
    n_features : int
        Input width.
    n_components : int
        Code width.
    hidden_layer_sizes : sequence of int, default=()
        Encoder hidden widths; the decoder uses them in reverse.
    activation : str, default="relu"
        Hidden activation, see :data:`sklearn_ae.nn.ACTIVATIONS`.
    loss : {"squared_error", "binary_crossentropy"}, default="squared_error"
        Reconstruction loss. With cross-entropy the decoder emits logits and
        :meth:`decode` applies the sigmoid.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import Autoencoder
    >>> ae = Autoencoder(n_features=6, n_components=2, hidden_layer_sizes=(4,))
    >>> out = ae(torch.zeros(3, 6))
    >>> tuple(out["z"].shape), tuple(out["recon"].shape)
    ((3, 2), (3, 6))
    """

    #: names of the loss entries, besides ``"loss"``, that training logs.
    loss_terms = ()

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes=(),
        activation="relu",
        loss="squared_error",
    ):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        self.loss_name = loss
        self.encoder = make_mlp([n_features, *hidden, n_components], activation)
        self.decoder = make_mlp([n_components, *hidden[::-1], n_features], activation)

    def encode(self, x):
        """The code of ``x`` (deterministic)."""
        return self.encoder(x)

    def decode(self, z):
        """The reconstruction, in data space, of the code ``z``."""
        out = self.decoder(z)
        return torch.sigmoid(out) if self.loss_name == "binary_crossentropy" else out

    def corrupt_with_mask(self, x):
        """Training-time input corruption ``(x_tilde, mask)``; the plain autoencoder has none.

        ``mask`` marks the corrupted entries (``None`` when there are none to
        mark); it reaches :meth:`loss` as ``outputs["mask"]``.
        """
        return x, None

    def corrupt(self, x):
        """The corrupted input alone."""
        return self.corrupt_with_mask(x)[0]

    def forward(self, x):
        x_in, mask = self.corrupt_with_mask(x) if self.training else (x, None)
        z = self.encode(x_in)
        # The decoder's raw output: logits under cross-entropy, so that the loss
        # can use the numerically stable ``*_with_logits`` form.
        return {"z": z, "recon": self.decoder(z), "input": x_in, "mask": mask}

    def entry_error(self, recon, x):
        """Per-entry reconstruction error; ``recon`` is the decoder's raw output."""
        if self.loss_name == "binary_crossentropy":
            return F.binary_cross_entropy_with_logits(recon, x, reduction="none")
        return (recon - x).square()

    def reconstruction_error(self, recon, x):
        """Per-sample reconstruction error, averaged over features.

        ``recon`` is the decoder's raw output (logits under cross-entropy).
        """
        return self.entry_error(recon, x).mean(dim=1)

    def penalty(self, outputs, x):
        """Extra loss terms ``{name: scalar}``, added to the reconstruction loss."""
        return {}

    def loss(self, outputs, x):
        recon = self.reconstruction_error(outputs["recon"], x).mean()
        terms = self.penalty(outputs, x)
        total = recon
        for value in terms.values():
            total = total + value
        return {"loss": total, "reconstruction": recon, **terms}

    def score_samples(self, x):
        """Negative reconstruction error per sample (high means typical)."""
        return -self.reconstruction_error(self.decoder(self.encode(x)), x)
