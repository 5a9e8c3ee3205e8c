"""The deterministic autoencoder that the other models extend."""

import torch
from torch.nn import functional as F

from ._contract import AutoencoderModule, ForwardOutput, LossOutput

#: Reconstruction losses of the deterministic autoencoders.
LOSSES = ("squared_error", "binary_crossentropy")


class Autoencoder(AutoencoderModule):
    """Autoencoder ``x -> z -> x'`` built from any encoder and decoder.

    The hooks subclasses override are small on purpose:
    :meth:`corrupt_with_mask` (the training-time input path), :meth:`penalty`
    (extra loss terms computed from the batch and the forward outputs) and
    ``loss_terms`` (names of the terms to log).

    Parameters
    ----------
    encoder : torch.nn.Module
        Maps rows ``(batch, n_features)`` to codes ``(batch, n_components)``.
    decoder : torch.nn.Module
        Maps codes ``(batch, n_components)`` to ``(batch, n_features)``: the
        reconstruction, or its logits under cross-entropy.
    n_features : int
        Input width.
    n_components : int
        Code width.
    loss : {"squared_error", "binary_crossentropy"}, default="squared_error"
        Reconstruction loss. With cross-entropy the decoder emits logits and
        :meth:`decode` applies the sigmoid.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import Autoencoder, make_mlp
    >>> ae = Autoencoder(make_mlp([6, 4, 2]), make_mlp([2, 4, 6]), n_features=6, n_components=2)
    >>> out = ae(torch.zeros(3, 6))
    >>> tuple(out.z.shape), tuple(out.decoded.shape)
    ((3, 2), (3, 6))
    """

    # The loss is the reconstruction: nothing else to log.
    loss_terms = ()

    def __init__(self, encoder, decoder, *, n_features, n_components, loss="squared_error"):
        super().__init__()
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}.")
        self.encoder = encoder
        self.decoder = decoder
        self.n_features = n_features
        self.n_components = n_components
        self.loss_name = loss

    def encode(self, x):
        """The code of ``x`` (deterministic)."""
        return self.encoder(x)

    def decode(self, z, y=None):
        """The reconstruction, in data space, of the code ``z``."""
        out = self.decoder(z)
        return torch.sigmoid(out) if self.loss_name == "binary_crossentropy" else out

    def corrupt_with_mask(self, x):
        """Training-time input corruption ``(x_tilde, mask)``; the plain autoencoder has none.

        ``mask`` marks the corrupted entries (``None`` when there are none to
        mark); it reaches :meth:`loss` as ``outputs.mask``.
        """
        return x, None

    def corrupt(self, x):
        """The corrupted input alone."""
        return self.corrupt_with_mask(x)[0]

    def forward(self, x, y=None):
        x_in, mask = self.corrupt_with_mask(x) if self.training else (x, None)
        z = self.encode(x_in)
        # The decoder's raw output: logits under cross-entropy, so that the loss
        # can use the numerically stable ``*_with_logits`` form.
        return ForwardOutput(z=z, decoded=self.decoder(z), input=x_in, mask=mask)

    def entry_error(self, decoded, x):
        """Per-entry reconstruction error; ``decoded`` is the decoder's raw output."""
        if self.loss_name == "binary_crossentropy":
            return F.binary_cross_entropy_with_logits(decoded, x, reduction="none")
        return (decoded - x).square()

    def reconstruction_error(self, decoded, x):
        """Per-sample reconstruction error, averaged over features.

        ``decoded`` is the decoder's raw output (logits under cross-entropy).
        """
        return self.entry_error(decoded, x).mean(dim=1)

    def penalty(self, outputs, x):
        """Extra loss terms ``{name: scalar}``, added to the reconstruction loss."""
        return {}

    def loss(self, outputs, x, y=None):
        reconstruction = self.reconstruction_error(outputs.decoded, x).mean()
        terms = self.penalty(outputs, x)
        total = reconstruction
        for value in terms.values():
            total = total + value
        return LossOutput(total, reconstruction, terms)

    def score_samples(self, x, y=None):
        """Negative reconstruction error per sample (high means typical)."""
        return -self.reconstruction_error(self.decoder(self.encode(x)), x)
