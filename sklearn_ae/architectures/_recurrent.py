"""Recurrent networks (LSTM, GRU) for windows of a series."""

from numbers import Integral

from sklearn.utils._param_validation import Interval, StrOptions

from ..nn import CELLS, RecurrentDecoder, RecurrentEncoder
from ._base import Architecture


class RecurrentNet(Architecture):
    """Recurrent encoder and decoder (sequence-to-sequence), for windows of a series.

    Each row is a window of ``T`` time steps of ``C`` channels, flattened in
    ``(T, C)`` order (see :func:`sklearn_ae.series.sliding_windows`). The
    encoder reads the window and its last hidden state feeds the code head;
    the decoder maps the code to the cell's width, repeats it at every time
    step, and a second recurrent network followed by a linear map gives the
    channels of each step back (the "repeat vector" LSTM autoencoder of
    Srivastava et al., 2015, used for anomaly detection in sensor series by
    Malhotra et al., 2016).

    Parameters
    ----------
    input_shape : tuple of int
        ``(T, C)``; one entry may be ``-1`` (``(-1, 1)``: any univariate window).
    cell : {"lstm", "gru"}, default="lstm"
        The recurrent cell.
    hidden_size : int, default=64
        Hidden width of the cells.
    num_layers : int, default=1
        Stacked recurrent layers, in the encoder and in the decoder.
    bidirectional : bool, default=False
        Read the windows in both directions.

    References
    ----------
    .. [1] N. Srivastava, E. Mansimov and R. Salakhutdinov, "Unsupervised
       Learning of Video Representations using LSTMs", ICML, 2015.
    .. [2] P. Malhotra et al., "LSTM-based Encoder-Decoder for Multi-sensor
       Anomaly Detection", ICML Anomaly Detection Workshop, 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.architectures import RecurrentNet
    >>> from sklearn_ae.series import sliding_windows
    >>> series = np.sin(np.linspace(0, 40, 300))[:, None]
    >>> X = sliding_windows(series, window=16)
    >>> net = RecurrentNet(input_shape=(16, 1), cell="gru", hidden_size=8)
    >>> ae = AutoencoderTransformer(n_components=2, architecture=net, max_iter=2,
    ...                             random_state=0).fit(X)
    >>> ae.transform(X).shape
    (285, 2)
    """

    _parameter_constraints: dict = {
        "input_shape": ["array-like"],
        "cell": [StrOptions(set(CELLS))],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
    }

    def __init__(self, input_shape, cell="lstm", hidden_size=64, num_layers=1, bidirectional=False):
        self.input_shape = input_shape
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional

    def _shape(self, n_features):
        return self._input_shape(n_features, 2)

    def _check_n_features(self, n_features):
        self._shape(n_features)

    def _encoder_body(self, n_features):
        return RecurrentEncoder(
            self._shape(n_features),
            self.cell,
            self.hidden_size,
            self.num_layers,
            self.bidirectional,
        )

    def _decoder(self, n_inputs, n_features):
        return RecurrentDecoder(
            n_inputs,
            self._shape(n_features),
            self.cell,
            self.hidden_size,
            self.num_layers,
            self.bidirectional,
        )
