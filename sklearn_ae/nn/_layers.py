"""Multilayer perceptrons with scikit-learn's activation vocabulary."""

import itertools

from torch import nn

#: Activation names accepted by the estimators (scikit-learn's four, plus
#: three common in deep autoencoders).
ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
}


def make_mlp(sizes, activation="relu", *, activate_last=False):
    """Build a stack of Linear layers with activations between them.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first, output last (at least two entries).
    activation : str, default="relu"
        A key of :data:`ACTIVATIONS`, applied after every hidden layer.
    activate_last : bool, default=False
        Whether the activation also follows the last layer.

    Returns
    -------
    torch.nn.Sequential

    Examples
    --------
    >>> from sklearn_ae.nn import make_mlp
    >>> make_mlp([4, 3, 2], "tanh")
    Sequential(
      (0): Linear(in_features=4, out_features=3, bias=True)
      (1): Tanh()
      (2): Linear(in_features=3, out_features=2, bias=True)
    )
    """
    sizes = list(sizes)
    act = ACTIVATIONS[activation]
    layers = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out))
        if activate_last or i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)
