"""Visualisations of fitted autoencoders, in scikit-learn's Display style.

Each display is built with ``Display.from_estimator(...)`` (which computes what
it shows from a fitted estimator and draws it) or with its constructor from
precomputed arrays followed by ``.plot()``. After plotting, a display holds the
matplotlib objects it drew on: ``ax_``, ``figure_`` and the artists
(``scatter_``, ``images_``, ``lines_``) for further styling.

matplotlib is an optional dependency, imported only when something is drawn:
``pip install sklearn-ae[plot]``.

Image displays draw a whole grid of images on a single axes (one
:class:`~matplotlib.image.AxesImage` per image, rows labelled on the y axis),
so that each display accepts one ``ax`` like every scikit-learn display.
"""

# Authors: The sklearn_ae developers
# SPDX-License-Identifier: BSD-3-Clause

from ._latent_space import LatentSpaceDisplay
from ._latent_traversal import LatentTraversalDisplay
from ._loss_curve import LossCurveDisplay
from ._reconstruction import ReconstructionDisplay
from ._sample_grid import SampleGridDisplay
from ._units import UnitDisplay

__all__ = [
    "LatentSpaceDisplay",
    "LatentTraversalDisplay",
    "LossCurveDisplay",
    "ReconstructionDisplay",
    "SampleGridDisplay",
    "UnitDisplay",
]
