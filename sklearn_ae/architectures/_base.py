"""What every architecture shares: building, shape checks, the dry run."""

import math
from dataclasses import dataclass
from numbers import Integral

import torch
from sklearn.base import BaseEstimator
from torch import nn


@dataclass
class Network:
    """The torch parts an architecture builds for a model.

    Attributes
    ----------
    body : torch.nn.Module
        Rows ``(batch, n_features)`` to features ``(batch, width)``.
    heads : list of torch.nn.Linear
        One ``Linear(width, n_components)`` per code head (two for a VAE).
    decoder : torch.nn.Module
        Codes ``(batch, n_components + n_conditions)`` to ``(batch, n_features)``.

    Examples
    --------
    >>> from sklearn_ae.architectures import ConvNet
    >>> net = ConvNet(input_shape=(1, 8, 8)).build(n_features=64, n_components=3, n_heads=2)
    >>> len(net.heads), net.heads[0].out_features
    (2, 3)
    """

    body: nn.Module
    heads: list
    decoder: nn.Module

    def encoder(self):
        """The body followed by the one code head, flat when the body is a plain stack."""
        (head,) = self.heads
        layers = list(self.body) if type(self.body) is nn.Sequential else [self.body]
        return nn.Sequential(*layers, head)


class Architecture(BaseEstimator):
    """Base class of the architectures: a clonable description of two networks.

    An architecture only stores its parameters (so that ``clone`` and
    ``GridSearchCV`` treat it like any scikit-learn object and
    ``ae__architecture__<param>`` searches it); the estimator asks it to
    :meth:`build` the torch networks at fit time, for the data's width. The
    estimator then adds what the model needs: the code head(s) go on the
    encoder's features, the output link (a sigmoid for a cross-entropy or
    Bernoulli loss) after the decoder.

    Subclasses implement ``_encoder_body(n_features)`` and
    ``_decoder(n_inputs, n_features)``, and may check the width with
    ``_check_n_features(n_features)``.

    Examples
    --------
    >>> from sklearn_ae.architectures import MLP
    >>> net = MLP(hidden_layer_sizes=(8,)).build(n_features=6, n_components=2)
    >>> len(net.heads)
    1
    """

    def build(self, n_features, n_components, *, n_heads=1, n_conditions=0):
        """Build the networks for rows of ``n_features`` and codes of ``n_components``.

        Parameters
        ----------
        n_features : int
            Width of the flattened rows.
        n_components : int
            Width of the code.
        n_heads : int, default=1
            Number of ``Linear(width, n_components)`` heads on the encoder's
            features (a VAE has two: mean and log-variance).
        n_conditions : int, default=0
            Width of a condition (a one-hot label) appended to the decoder's input.

        Returns
        -------
        network : Network
            Its parts, built in a fixed order (body, heads, decoder) from
            torch's random generator.
        """
        self._validate_params()
        self._check_n_features(n_features)
        body = self._encoder_body(n_features)
        features = _dry_run(body, n_features, "encoder", self)
        if features.dim() != 2:
            body = nn.Sequential(body, nn.Flatten())
        width = math.prod(features.shape[1:])
        heads = [nn.Linear(width, n_components) for _ in range(n_heads)]
        n_inputs = n_components + n_conditions
        if self._decoder_takes_conditions or not n_conditions:
            decoder = self._decoder(n_inputs, n_features)
        else:
            # The condition enters through a linear map to the code's width.
            decoder = nn.Sequential(
                nn.Linear(n_inputs, n_components), self._decoder(n_components, n_features)
            )
        out = _dry_run(decoder, n_inputs, "decoder", self)
        if tuple(out.shape) != (2, n_features):
            raise ValueError(
                f"The decoder of {self!r} returns shape {tuple(out.shape)} for codes of shape "
                f"(2, {n_inputs}); expected (2, {n_features}), the width of the rows."
            )
        return Network(body, heads, decoder)

    # Whether _decoder(n_inputs, ...) takes the condition appended to the code.
    _decoder_takes_conditions = True

    def _check_n_features(self, n_features):
        """Raise a ``ValueError`` naming both shapes when rows of this width do not fit."""

    def _input_shape(self, n_features, n_dims):
        """``self.input_shape`` resolved for rows of ``n_features``, with ``n_dims`` axes."""
        shape = resolve_shape(self.input_shape, n_features, self)
        if len(shape) != n_dims:
            raise ValueError(
                f"{type(self).__name__} takes an input_shape of {n_dims} numbers, "
                f"got {self.input_shape!r}."
            )
        return shape

    def _encoder_body(self, n_features):
        raise NotImplementedError

    def _decoder(self, n_inputs, n_features):
        raise NotImplementedError


def _dry_run(module, n_inputs, what, architecture):
    """The output of ``module`` for a zero batch of two rows, or a clear error."""
    training = module.training
    module.eval()
    try:
        with torch.no_grad():
            return module(torch.zeros(2, n_inputs))
    except Exception as exc:
        raise ValueError(
            f"The {what} of {architecture!r} failed on a batch of shape (2, {n_inputs}): {exc}"
        ) from exc
    finally:
        module.train(training)


def resolve_shape(input_shape, n_features, architecture):
    """``input_shape`` with its one ``-1`` (if any) inferred from ``n_features``.

    A ``ValueError`` names the expected and the actual width when the rows
    do not hold ``input_shape``.
    """
    shape = tuple(input_shape)
    if not shape or not all(isinstance(s, Integral) and (s >= 1 or s == -1) for s in shape):
        raise ValueError(
            f"input_shape must hold positive integers (and at most one -1), got {input_shape!r}."
        )
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1:
        raise ValueError(f"input_shape may hold at most one -1, got {input_shape!r}.")
    if shape.count(-1) == 1:
        if n_features % known:
            raise ValueError(
                f"{type(architecture).__name__}(input_shape={input_shape!r}) needs rows whose "
                f"width is a multiple of {known}, but X has {n_features} features."
            )
        return tuple(n_features // known if s == -1 else s for s in shape)
    if known != n_features:
        raise ValueError(
            f"{type(architecture).__name__}(input_shape={input_shape!r}) expects rows of "
            f"{' x '.join(map(str, shape))} = {known} features, but X has {n_features} "
            "features. Flatten each sample in this order, or fix input_shape."
        )
    return shape
