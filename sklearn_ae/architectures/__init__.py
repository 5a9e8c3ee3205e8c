"""Architectures: the networks an estimator trains, as clonable parameters.

Every neural estimator takes ``architecture=``: None (an :class:`MLP` built
from the estimator's ``hidden_layer_sizes`` and ``activation``), or one of
these objects. They only hold their parameters, so ``clone``, pickling and
``GridSearchCV`` treat them like any scikit-learn object (search
``ae__architecture__channels`` like any nested parameter); the torch networks
are built at fit time for the data's width.
"""

from ._base import Architecture, Network
from ._conv import Conv1dNet, ConvNet
from ._mlp import MLP
from ._recurrent import RecurrentNet
from ._torch_modules import TorchModules

__all__ = [
    "MLP",
    "Architecture",
    "Conv1dNet",
    "ConvNet",
    "Network",
    "RecurrentNet",
    "TorchModules",
]
