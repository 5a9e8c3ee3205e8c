"""Convolutional networks: 2-D for images, 1-D for windows of a series."""

from numbers import Integral

from sklearn.utils._param_validation import Interval, StrOptions

from ..nn import ACTIVATIONS, ConvDecoder, ConvEncoder
from ._base import Architecture

_CONSTRAINTS = {
    "input_shape": ["array-like"],
    "channels": ["array-like"],
    "kernel_size": [Interval(Integral, 1, None, closed="left")],
    "stride": [Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "hidden_layer_sizes": ["array-like"],
}


class _Convolutional(Architecture):
    _n_dims = None

    _parameter_constraints: dict = dict(_CONSTRAINTS)

    def __init__(self, input_shape, channels, kernel_size, stride, activation, hidden_layer_sizes):
        self.input_shape = input_shape
        self.channels = channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.activation = activation
        self.hidden_layer_sizes = hidden_layer_sizes

    def _shape(self, n_features):
        shape = self._input_shape(n_features, self._n_dims + 1)
        channels = list(self.channels)
        if not channels or not all(isinstance(c, Integral) and c >= 1 for c in channels):
            raise ValueError(f"channels must be positive integers, got {self.channels!r}.")
        return shape

    def _check_n_features(self, n_features):
        self._shape(n_features)

    def _layers(self, n_features):
        """The arguments that ConvEncoder and ConvDecoder share."""
        return (
            self._shape(n_features),
            self.channels,
            self.kernel_size,
            self.stride,
            self.activation,
            self.hidden_layer_sizes,
        )

    def _encoder_body(self, n_features):
        return ConvEncoder(*self._layers(n_features))

    def _decoder(self, n_inputs, n_features):
        return ConvDecoder(n_inputs, *self._layers(n_features))


class ConvNet(_Convolutional):
    """2-D convolutional encoder and transposed-convolution decoder, for images.

    Images are given as flattened rows (``X`` stays 2-D, so scalers and
    pipelines keep working); the network reshapes each row to
    ``input_shape = (C, H, W)``, in torch's channel-first order (a grey
    28 x 28 digit flattened row by row is ``(1, 28, 28)``). The encoder is a
    stack of strided convolutions, each followed by ``activation``, whose
    last feature map is flattened for the code head; the decoder maps the
    code linearly to that feature map and runs transposed convolutions back
    to ``(C, H, W)``, any size included.

    Parameters
    ----------
    input_shape : tuple of int
        ``(C, H, W)``. One entry may be ``-1``, inferred from the width of
        the rows (``(1, 1, -1)`` reads any row as a one-pixel-high image).
    channels : tuple of int, default=(16, 32)
        Output channels of each convolution; the decoder runs them back.
    kernel_size : int, default=3
        Kernel size (odd sizes keep the grid centred; padding is
        ``kernel_size // 2``).
    stride : int, default=2
        Stride of every convolution: each layer halves the image with 2.
    activation : str, default="relu"
        Activation after every convolution and dense layer (see ``MLP``).
    hidden_layer_sizes : tuple of int, default=(256,)
        Widths of fully connected layers between the last feature map and the
        code (the decoder runs them back). Convolutions see local strokes; a
        dense layer combines them into the image-wide patterns a short code
        can describe. ``()`` maps the feature map to the code directly.

    See Also
    --------
    Conv1dNet : The same for windows of a series.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.architectures import ConvNet
    >>> X = load_digits().data / 16  # 8 x 8 images, flattened
    >>> ae = AutoencoderTransformer(n_components=4, architecture=ConvNet(input_shape=(1, 8, 8)),
    ...                             max_iter=2, random_state=0).fit(X)
    >>> ae.transform(X).shape, ae.inverse_transform(ae.transform(X[:3])).shape
    ((1797, 4), (3, 64))
    """

    _n_dims = 2

    def __init__(
        self,
        input_shape,
        channels=(16, 32),
        kernel_size=3,
        stride=2,
        activation="relu",
        hidden_layer_sizes=(256,),
    ):
        super().__init__(input_shape, channels, kernel_size, stride, activation, hidden_layer_sizes)


class Conv1dNet(_Convolutional):
    """1-D convolutional encoder and transposed-convolution decoder, for windows of a series.

    Each row is a window of ``T`` time steps of ``C`` channels, flattened in
    ``(T, C)`` order: the channels of one time step side by side, as
    :func:`sklearn_ae.series.sliding_windows` makes them. The convolutions
    run along time.

    Parameters
    ----------
    input_shape : tuple of int
        ``(T, C)``; one entry may be ``-1`` (``(-1, 1)``: any univariate window).
    channels : tuple of int, default=(16, 32)
        Output channels of each convolution; the decoder runs them back.
    kernel_size : int, default=5
        Kernel size along time (padding ``kernel_size // 2``).
    stride : int, default=2
        Stride along time.
    activation : str, default="relu"
        Activation after every convolution and dense layer.
    hidden_layer_sizes : tuple of int, default=()
        Widths of fully connected layers between the last feature map and the
        code (the decoder runs them back).

    See Also
    --------
    RecurrentNet : A recurrent network for the same windows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.architectures import Conv1dNet
    >>> from sklearn_ae.series import sliding_windows
    >>> series = np.sin(np.linspace(0, 40, 500))[:, None]
    >>> X = sliding_windows(series, window=32)
    >>> ae = AutoencoderTransformer(n_components=3, architecture=Conv1dNet(input_shape=(32, 1)),
    ...                             max_iter=2, random_state=0).fit(X)
    >>> ae.transform(X).shape
    (469, 3)
    """

    _n_dims = 1

    def __init__(
        self,
        input_shape,
        channels=(16, 32),
        kernel_size=5,
        stride=2,
        activation="relu",
        hidden_layer_sizes=(),
    ):
        super().__init__(input_shape, channels, kernel_size, stride, activation, hidden_layer_sizes)
