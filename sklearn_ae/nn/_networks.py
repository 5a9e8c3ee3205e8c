"""Encoders and decoders for images and sequences given as flattened rows.

Every network here maps flattened rows to flattened rows: an encoder takes
``(batch, n_features)`` and returns features ``(batch, width)``; a decoder
takes codes ``(batch, n_inputs)`` and returns ``(batch, n_features)``. The
reshaping to images ``(C, H, W)`` or sequences ``(T, C)`` happens inside, so
that the estimators, scalers and pipelines around them only ever see 2-D
arrays. Images are rows in ``(C, H, W)`` order (torch's); sequences are rows
in ``(T, C)`` order, each time step's channels side by side.
"""

import math

from torch import nn

from ._layers import ACTIVATIONS, make_mlp

#: Recurrent cells understood by :class:`RecurrentEncoder` and :class:`RecurrentDecoder`.
CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


def _conv_sizes(size, n_layers, kernel_size, stride):
    """Spatial sizes after each of ``n_layers`` convolutions, input first."""
    padding = kernel_size // 2
    sizes = [size]
    for _ in range(n_layers):
        sizes.append((sizes[-1] + 2 * padding - kernel_size) // stride + 1)
    return sizes


def _conv_classes(n_dims):
    if n_dims == 1:
        return nn.Conv1d, nn.ConvTranspose1d
    return nn.Conv2d, nn.ConvTranspose2d


class ConvEncoder(nn.Module):
    """Strided convolutions of flattened images or sequences, flattened, then dense layers.

    Parameters
    ----------
    input_shape : tuple of int
        ``(C, H, W)`` for images, ``(T, C)`` for sequences (see the module
        docstring for the order of a row).
    channels : sequence of int
        Output channels of each convolution.
    kernel_size : int
        Kernel size of every convolution (``kernel_size // 2`` padding).
    stride : int
        Stride of every convolution.
    activation : str
        A key of :data:`sklearn_ae.nn.ACTIVATIONS`, after every convolution
        and dense layer.
    hidden_layer_sizes : sequence of int, default=()
        Widths of fully connected layers after the flattened feature map.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import ConvEncoder
    >>> enc = ConvEncoder((1, 8, 8), (4, 8), kernel_size=3, stride=2, activation="relu")
    >>> tuple(enc(torch.zeros(5, 64)).shape)
    (5, 32)
    """

    def __init__(
        self, input_shape, channels, kernel_size, stride, activation, hidden_layer_sizes=()
    ):
        super().__init__()
        self.input_shape = tuple(input_shape)
        self.sequence = len(self.input_shape) == 2
        conv, _ = _conv_classes(len(self.input_shape) - 1)
        in_channels = self.input_shape[-1] if self.sequence else self.input_shape[0]
        layers = []
        for out_channels in channels:
            layers += [
                conv(in_channels, out_channels, kernel_size, stride, padding=kernel_size // 2),
                ACTIVATIONS[activation](),
            ]
            in_channels = out_channels
        self.convs = nn.Sequential(*layers)
        spatial = self.input_shape[:1] if self.sequence else self.input_shape[1:]
        flat = in_channels * math.prod(
            _conv_sizes(s, len(channels), kernel_size, stride)[-1] for s in spatial
        )
        self.dense = make_mlp([flat, *hidden_layer_sizes], activation, activate_last=True)

    def forward(self, x):
        # unflatten, not reshape(len(x), ...): the batch size stays symbolic in exports.
        h = x.unflatten(1, self.input_shape)
        if self.sequence:
            # (batch, T, C) rows to the (batch, C, T) layout of Conv1d.
            h = h.transpose(1, 2)
        return self.dense(self.convs(h).flatten(1))


class ConvDecoder(nn.Module):
    """The mirror of :class:`ConvEncoder`: dense layers to its last feature map, then
    transposed convolutions back to the input's shape, flattened.

    Output paddings are chosen so that every transposed convolution gives back
    exactly the size its convolution started from, for any input size.

    Parameters
    ----------
    n_inputs : int
        Width of the codes (with any conditioning appended).
    input_shape, channels, kernel_size, stride, activation, hidden_layer_sizes
        Those of the :class:`ConvEncoder` to mirror.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import ConvDecoder
    >>> dec = ConvDecoder(3, (1, 9, 7), (4, 8), kernel_size=3, stride=2, activation="relu")
    >>> tuple(dec(torch.zeros(5, 3)).shape)
    (5, 63)
    """

    def __init__(
        self,
        n_inputs,
        input_shape,
        channels,
        kernel_size,
        stride,
        activation,
        hidden_layer_sizes=(),
    ):
        super().__init__()
        self.input_shape = tuple(input_shape)
        self.sequence = len(self.input_shape) == 2
        spatial = self.input_shape[:1] if self.sequence else self.input_shape[1:]
        out_channels = self.input_shape[-1] if self.sequence else self.input_shape[0]
        channels = list(channels)
        sizes = [_conv_sizes(s, len(channels), kernel_size, stride) for s in spatial]
        self.start_shape = (channels[-1], *(s[-1] for s in sizes))
        self.project = make_mlp(
            [n_inputs, *list(hidden_layer_sizes)[::-1], math.prod(self.start_shape)],
            activation,
            activate_last=True,
        )
        _, conv_t = _conv_classes(len(spatial))
        padding = kernel_size // 2
        layers = []
        targets = [*channels[-2::-1], out_channels]
        for i, (c_in, c_out) in enumerate(zip(channels[::-1], targets, strict=True)):
            level = len(channels) - i
            output_padding = tuple(
                s[level - 1] - ((s[level] - 1) * stride - 2 * padding + kernel_size) for s in sizes
            )
            layers.append(
                conv_t(c_in, c_out, kernel_size, stride, padding, output_padding=output_padding)
            )
            if i < len(channels) - 1:
                layers.append(ACTIVATIONS[activation]())
        self.convs = nn.Sequential(*layers)

    def forward(self, z):
        h = self.project(z).unflatten(1, self.start_shape)
        h = self.convs(h)
        if self.sequence:
            h = h.transpose(1, 2)
        return h.flatten(1)


def _last_hidden(rnn, h_n):
    """The last layer's final hidden state, both directions side by side."""
    if isinstance(h_n, tuple):  # an LSTM's (h_n, c_n)
        h_n = h_n[0]
    directions = 2 if rnn.bidirectional else 1
    return h_n[-directions:].transpose(0, 1).flatten(1)


class RecurrentEncoder(nn.Module):
    """A recurrent network read over a sequence; its last hidden state is the feature.

    Parameters
    ----------
    input_shape : tuple of int
        ``(T, C)``: time steps and channels of a row.
    cell : {"lstm", "gru"}
        The recurrent cell.
    hidden_size : int
        Hidden width of the cell.
    num_layers : int
        Stacked recurrent layers.
    bidirectional : bool
        Read the sequence in both directions.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import RecurrentEncoder
    >>> enc = RecurrentEncoder((10, 2), "gru", hidden_size=6, num_layers=1, bidirectional=True)
    >>> tuple(enc(torch.zeros(4, 20)).shape)
    (4, 12)
    """

    def __init__(self, input_shape, cell, hidden_size, num_layers, bidirectional):
        super().__init__()
        self.input_shape = tuple(input_shape)
        self.rnn = CELLS[cell](
            self.input_shape[1],
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
        )

    def forward(self, x):
        _, h_n = self.rnn(x.unflatten(1, self.input_shape))
        return _last_hidden(self.rnn, h_n)


class RecurrentDecoder(nn.Module):
    """The code, mapped to the cell's width and repeated at every time step, read by a
    recurrent network whose outputs are mapped to the channels of each step.

    Parameters
    ----------
    n_inputs : int
        Width of the codes (with any conditioning appended).
    input_shape, cell, hidden_size, num_layers, bidirectional
        As in :class:`RecurrentEncoder`.

    Examples
    --------
    >>> import torch
    >>> from sklearn_ae.nn import RecurrentDecoder
    >>> dec = RecurrentDecoder(3, (10, 2), "lstm", hidden_size=6, num_layers=2,
    ...                        bidirectional=False)
    >>> tuple(dec(torch.zeros(4, 3)).shape)
    (4, 20)
    """

    def __init__(self, n_inputs, input_shape, cell, hidden_size, num_layers, bidirectional):
        super().__init__()
        self.input_shape = tuple(input_shape)
        self.project = nn.Linear(n_inputs, hidden_size)
        self.rnn = CELLS[cell](
            hidden_size,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
        )
        directions = 2 if bidirectional else 1
        self.out = nn.Linear(directions * hidden_size, self.input_shape[1])

    def forward(self, z):
        steps = self.input_shape[0]
        h = self.project(z).unsqueeze(1).expand(-1, steps, -1)
        out, _ = self.rnn(h.contiguous())
        return self.out(out).flatten(1)
