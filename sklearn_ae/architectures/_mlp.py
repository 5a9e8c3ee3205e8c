"""The multilayer perceptron: the default architecture of every estimator."""

from numbers import Integral

from sklearn.utils._param_validation import Interval, StrOptions

from ..nn import ACTIVATIONS, make_mlp
from ._base import Architecture


class MLP(Architecture):
    """Fully connected encoder and mirrored decoder, for flat feature vectors.

    The encoder is ``n_features -> hidden_layer_sizes -> n_components`` with
    ``activation`` after every hidden layer; the decoder runs the same widths
    back. This is the network every estimator builds when ``architecture`` is
    None, from its own ``hidden_layer_sizes`` and ``activation``.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(256, 64)
        Widths of the encoder's hidden layers (scikit-learn's ``MLPRegressor``
        word); the decoder uses them in reverse. ``()`` gives a linear
        autoencoder with ``activation="identity"``.
    activation : {"identity", "logistic", "tanh", "relu", "elu", "gelu", "silu"}, \
            default="relu"
        Activation of the hidden layers.

    See Also
    --------
    ConvNet : For images.
    TorchModules : For networks of your own.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.architectures import MLP
    >>> X = load_digits().data / 16
    >>> ae = AutoencoderTransformer(n_components=4, architecture=MLP((32,), "tanh"),
    ...                             max_iter=2, random_state=0).fit(X)
    >>> ae.transform(X).shape
    (1797, 4)
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
    }

    def __init__(self, hidden_layer_sizes=(256, 64), activation="relu"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation

    def _hidden(self):
        sizes = (
            [self.hidden_layer_sizes]
            if isinstance(self.hidden_layer_sizes, Integral)
            else list(self.hidden_layer_sizes)
        )
        if not all(isinstance(s, Integral) and s > 0 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}."
            )
        return [int(s) for s in sizes]

    def _encoder_body(self, n_features):
        return make_mlp([n_features, *self._hidden()], self.activation, activate_last=True)

    def _decoder(self, n_inputs, n_features):
        return make_mlp([n_inputs, *self._hidden()[::-1], n_features], self.activation)
