"""The unit display: the input pattern that each unit of a network responds to most."""

# Authors: The sklearn_ae developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
import warnings
from math import ceil, sqrt
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._base import _draw_image_grid, _estimator_name, _get_ax, _image_shape, _rows

METHODS = ("weights", "gradient")

#: Units drawn when ``units`` is None: the first ones, at most this many.
MAX_DEFAULT_UNITS = 64

#: Norm of the gradient search's random start, relative to the sphere's radius.
START_SCALE = 1e-2


class UnitDisplay:
    """What each unit of a network learned: the input that activates it most.

    One image per unit, drawn on a grid and labelled with the unit's index.
    :meth:`from_estimator` computes the images from a fitted neural
    estimator in one of two ways (Erhan et al., 2009):

    - ``method="weights"``, for the hidden units of the encoder's first
      ``Linear`` layer: among inputs of a given norm, the pre-activation
      ``W_i . x + b_i`` of unit ``i`` is largest at ``x = W_i / ||W_i||``
      (times the norm), the unit's row of weights, normalised. The bias
      ``b_i`` shifts the pre-activation by the same amount for every input
      of the sphere, so it does not change the maximiser and is ignored. As
      the activation is increasing, this is also the input that maximises
      the unit's output.
    - ``method="gradient"``, for the code units, with any architecture:
      gradient ascent on the code unit ``z_i = encode(x)_i`` over inputs
      ``x`` of a fixed norm (for the VAEs the code is the posterior mean).
      It finds a local maximum, from a small seeded random input.

    Both images are defined up to the norm only, and are signed: the default
    colormap is diverging, centred at zero (red is positive).

    Parameters
    ----------
    images : array-like of shape (n_units, n_features)
        The input pattern of each unit, flattened.
    units : array-like of int of shape (n_units,)
        Index of the unit of each image, its label on the plot.
    image_shape : tuple of int, default=None
        Shape of one image; a square if None.
    estimator_name : str, default=None
        Title of the plot.

    Attributes
    ----------
    images_ : list of matplotlib AxesImage
        The images, one per unit, row by row.
    texts_ : list of matplotlib Text
        The labels (unit indices), one above each image.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    LatentTraversalDisplay : Images decoded along latent directions, the
        decoder's view of a code unit.

    References
    ----------
    .. [1] D. Erhan, Y. Bengio, A. Courville and P. Vincent, "Visualizing
       Higher-Layer Features of a Deep Network", Technical Report 1341,
       Université de Montréal, 2009.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.plotting import UnitDisplay
    >>> X = load_digits().data / 16
    >>> ae = AutoencoderTransformer(n_components=4, hidden_layer_sizes=(16,), max_iter=2,
    ...                             random_state=0).fit(X)
    >>> disp = UnitDisplay.from_estimator(ae, method="weights")  # the 16 hidden units
    >>> len(disp.images_)
    16
    >>> disp = UnitDisplay.from_estimator(ae, method="gradient", norm=3.0, random_state=0)
    >>> disp.units  # the 4 code units
    [0, 1, 2, 3]
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(self, images, *, units, image_shape=None, estimator_name=None):
        self.images = images
        self.units = units
        self.image_shape = image_shape
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, cmap="RdBu_r", n_cols=None, vmin=None, vmax=None, fontsize="small"):
        """Draw one image per unit, labelled with the unit's index.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.
        cmap : str or matplotlib Colormap, default="RdBu_r"
            Colormap of the images; a diverging one suits their signs.
        n_cols : int, default=None
            Images per row; about the square root of the number of units
            (a square grid) if None.
        vmin, vmax : float, default=None
            Colour limits, shared by all images. If both are None, symmetric
            around zero: ``-m`` and ``m`` for the largest absolute value
            ``m`` of the images; if one is None, the images' extreme value.
        fontsize : float or str, default="small"
            Size of the unit labels.

        Returns
        -------
        display : UnitDisplay
            The display, with ``ax_``, ``figure_``, ``images_`` and ``texts_`` set.
        """
        images = _rows(self.images)
        units = np.asarray(self.units).ravel()
        if len(units) != len(images):
            raise ValueError(
                f"units has {len(units)} entries but there are {len(images)} images; give "
                "the index of the unit of each image."
            )
        if not len(images):
            raise ValueError("There is no image to draw: images has no rows.")
        image_shape = _image_shape(images.shape[1], self.image_shape)
        if n_cols is None:
            n_cols = ceil(sqrt(len(images)))
        n_cols = max(1, min(int(n_cols), len(images)))
        finite = images[np.isfinite(images)]
        if vmin is None and vmax is None:
            vmax = float(np.abs(finite).max()) if finite.size else 1.0
            vmax = vmax if vmax > 0 else 1.0
            vmin = -vmax
        elif vmin is None:
            vmin = float(finite.min()) if finite.size else 0.0
        elif vmax is None:
            vmax = float(finite.max()) if finite.size else 1.0

        ax = _get_ax(ax, "UnitDisplay.plot")
        artists = _draw_image_grid(
            ax,
            images,
            n_cols=n_cols,
            image_shape=image_shape,
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            bad_color="tab:gray",
        )
        # Open a band above each row of images for the labels: every image of
        # row r moves down by (r + 1) bands.
        height = image_shape[0]
        band = 0.35 * height
        texts = []
        for k, (artist, unit) in enumerate(zip(artists, units, strict=True)):
            left, right, bottom, top = artist.get_extent()
            shift = (k // n_cols + 1) * band
            artist.set_extent((left, right, bottom + shift, top + shift))
            texts.append(
                ax.text(
                    (left + right) / 2,
                    top + shift - 0.05 * band,
                    str(unit),
                    ha="center",
                    va="bottom",
                    fontsize=fontsize,
                )
            )
        n_rows = ceil(len(images) / n_cols)
        low, high = ax.get_ylim()  # inverted: the first row is at the top
        ax.set_ylim(low + n_rows * band, high)
        if self.estimator_name is not None:
            ax.set_title(self.estimator_name)
        self.images_ = artists
        self.texts_ = texts
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        method="weights",
        units=None,
        image_shape=None,
        norm=None,
        n_steps=100,
        learning_rate=0.1,
        random_state=None,
        ax=None,
        **kwargs,
    ):
        """Compute the input pattern of each unit of a fitted network and plot them.

        Parameters
        ----------
        estimator : fitted estimator
            A neural estimator of this package (:class:`~sklearn_ae.AutoencoderTransformer`,
            :class:`~sklearn_ae.DenoisingAE`, :class:`~sklearn_ae.SparseAE`,
            :class:`~sklearn_ae.ContractiveAE`, :class:`~sklearn_ae.VAETransformer`,
            :class:`~sklearn_ae.ConditionalVAE`).
        method : {"weights", "gradient"}, default="weights"
            ``"weights"``: the hidden units of the encoder's first ``Linear``
            layer, each shown as its normalised row of weights
            ``W_i / ||W_i||`` (bias ignored: it does not move the maximiser).
            It needs an encoder that starts with a ``Linear`` layer on the
            input: the :class:`~sklearn_ae.architectures.MLP` architecture
            (the default), or :class:`~sklearn_ae.architectures.TorchModules`
            whose encoder starts with one. With ``hidden_layer_sizes=()``
            that layer is the code itself.

            ``"gradient"``: the code units (``n_components_`` of them), each
            shown as the input of norm ``norm`` found by ``n_steps`` steps of
            gradient ascent on the unit. The search starts at a small random
            input (of norm ``norm / 100``), so that its first step follows the
            gradient near the origin, and every step lands on the sphere
            ``||x|| = norm``. Works with any
            architecture (MLP, ConvNet, Conv1dNet, RecurrentNet, TorchModules);
            for the VAEs the code is the posterior mean, and for
            ``SparseAE(sparsity="kl")`` the sigmoid of the code.
        units : int or array-like of int, default=None
            Indices of the units to show: hidden units of the first layer for
            ``"weights"``, code units for ``"gradient"``. All of them if None,
            up to the first 64.
        image_shape : tuple of int, default=None
            Shape of one image. If None, ``(H, W)`` of an architecture with a
            single-channel ``input_shape=(1, H, W)``, otherwise a square.
        norm : float, default=None
            Euclidean norm of the images. For ``"weights"``, None means 1: the
            images are exactly ``W_i / ||W_i||``. For ``"gradient"``, the
            radius of the sphere the search runs on; None means
            ``sqrt(n_features)``, the typical norm of a row of standardised
            data (unit variance per feature). For data on another scale pass
            the typical norm of your training rows, e.g.
            ``np.linalg.norm(X, axis=1).mean()``: the units are non-linear,
            and what maximises them depends on how far from zero the input is.
        n_steps : int, default=100
            Gradient steps (``"gradient"`` only). ``0`` returns the random
            starting points, scaled to ``norm``.
        learning_rate : float, default=0.1
            Size of the first gradient step, in radians on the sphere
            (``"gradient"`` only). Each step moves ``x`` by
            ``learning_rate * norm`` along the part of the gradient tangent to
            the sphere, then projects it back onto the sphere; the step size
            decays linearly to zero over the ``n_steps`` steps. Following the
            gradient's direction only, not its length, makes the search
            independent of the scale of the unit. The image of a unit is the
            best point of the sphere the search visited.
        random_state : int, RandomState instance or None, default=None
            Seed of the starting points (``"gradient"`` only): the result is
            deterministic given it.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : UnitDisplay
        """
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
        check_is_fitted(estimator)
        name = _estimator_name(estimator)
        if not hasattr(estimator, "net_") or not hasattr(estimator, "device_"):
            raise ValueError(
                f"UnitDisplay needs a neural estimator of sklearn_ae (one that holds a fitted "
                f"torch network), got {name}."
            )
        if norm is not None and (not isinstance(norm, Real) or not norm > 0):
            raise ValueError(f"norm must be a positive number or None, got {norm!r}.")
        module = estimator._module
        if method == "weights":
            images, units = _first_layer_patterns(estimator, module, units)
            if norm is not None:
                images = images * float(norm)
        else:
            if not isinstance(n_steps, Integral) or n_steps < 0:
                raise ValueError(f"n_steps must be a non-negative integer, got {n_steps!r}.")
            if not isinstance(learning_rate, Real) or not learning_rate > 0:
                raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}.")
            n_features = int(estimator.n_features_in_)
            units = _check_units(units, int(estimator.n_components_), "code units")
            images = _gradient_ascent(
                module,
                units,
                n_features=n_features,
                norm=float(np.sqrt(n_features) if norm is None else norm),
                n_steps=int(n_steps),
                learning_rate=float(learning_rate),
                device=estimator.device_,
                random_state=random_state,
            )
        if image_shape is None:
            image_shape = _architecture_image_shape(estimator)
        return cls(images, units=units, image_shape=image_shape, estimator_name=name).plot(
            ax=ax, **kwargs
        )


def _check_units(units, n_units, what):
    """``units`` as a list of ints in ``[0, n_units)``; the first 64 if None."""
    if units is None:
        return list(range(min(n_units, MAX_DEFAULT_UNITS)))
    units = np.atleast_1d(np.asarray(units))
    if units.ndim != 1 or not units.size or not np.issubdtype(units.dtype, np.integer):
        raise ValueError(
            f"units must be a non-empty list of integer unit indices, got {units.tolist()!r}."
        )
    units = [int(u) for u in units]
    if any(not 0 <= u < n_units for u in units):
        raise ValueError(f"units={units} must list {what} in [0, {n_units}): out of range.")
    return units


def _first_linear(module):
    """The encoder's first layer if it is a ``Linear`` on the input, else None."""
    if hasattr(module, "mean_head"):  # a VAE: body, then the mean and log-variance heads
        layer = module.body
        if _is_empty_sequential(layer):  # no hidden layer: the mean head is the first
            layer = module.mean_head
    else:
        layer = getattr(module, "encoder", None)
    while isinstance(layer, torch.nn.Sequential) and len(layer):
        layer = layer[0]
    return layer if isinstance(layer, torch.nn.Linear) else None


def _is_empty_sequential(layer):
    return isinstance(layer, torch.nn.Sequential) and not len(layer)


def _first_layer_patterns(estimator, module, units):
    """``W_i / ||W_i||`` for the hidden units ``units`` of the first Linear layer."""
    layer = _first_linear(module)
    if layer is None or layer.in_features != estimator.n_features_in_:
        architecture = getattr(estimator, "architecture", None)
        described = "None" if architecture is None else type(architecture).__name__
        raise ValueError(
            f"method='weights' shows the rows of the weights of the encoder's first Linear "
            f"layer, but the encoder of this {_estimator_name(estimator)} (architecture="
            f"{described}) does not start with a Linear layer on the input. Use "
            "method='gradient', which works for any architecture."
        )
    W = layer.weight.detach().cpu().numpy().astype(np.float64)
    units = _check_units(units, W.shape[0], f"the {W.shape[0]} units of the first layer")
    W = W[units]
    norms = np.linalg.norm(W, axis=1, keepdims=True)
    # A unit with all-zero weights has no preferred input: draw it as zeros.
    return W / np.where(norms > 0, norms, 1.0), units


def _gradient_ascent(
    module, units, *, n_features, norm, n_steps, learning_rate, device, random_state
):
    """Inputs on the sphere ``||x|| = norm`` that maximise ``encode(x)[:, units]``, row by row.

    All units are searched at once, one row each: the objective is the sum
    over rows ``k`` of ``encode(x)[k, units[k]]``, and as ``encode`` is
    row-wise, row ``k`` of its gradient is the gradient of unit ``units[k]``
    at ``x[k]``. The search starts at a small random input (norm
    ``START_SCALE * norm``), so that the first step follows the gradient near
    the origin; every step lands on the sphere.
    """
    rng = check_random_state(random_state)
    start = rng.standard_normal((len(units), n_features))
    start /= np.linalg.norm(start, axis=1, keepdims=True)
    if not n_steps:
        return start * norm

    # A private copy in eval mode (dropout off, batch norm frozen) whose weights
    # need no gradient: the fitted module is left as it is.
    module = copy.deepcopy(module).eval()
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    dtype = next(module.parameters(), torch.empty(0)).dtype
    dtype = dtype if dtype.is_floating_point else torch.float32
    x = torch.as_tensor(start * (START_SCALE * norm), dtype=dtype, device=device)
    rows = torch.arange(len(units), device=device)
    cols = torch.as_tensor(units, device=device)
    best = x.clone()
    best_value = torch.full((len(units),), -torch.inf, dtype=dtype, device=device)
    moved = torch.zeros(len(units), dtype=torch.bool, device=device)
    # cuDNN's recurrent layers only differentiate in training mode; torch's own
    # kernels do in eval mode too.
    with torch.backends.cudnn.flags(enabled=False), torch.enable_grad():
        for step in range(n_steps + 1):
            x.requires_grad_(True)
            value = module.encode(x)[rows, cols]
            (grad,) = torch.autograd.grad(value.sum(), x)
            with torch.no_grad():
                x, value = x.detach(), value.detach()
                if step:  # x is on the sphere: a candidate
                    better = value > best_value
                    best[better] = x[better]
                    best_value = torch.where(better, value, best_value)
                if step == n_steps:
                    break
                # The part of the gradient along the sphere through x: the
                # radial part would be undone by the projection.
                radial = (grad * x).sum(dim=1, keepdim=True) / x.square().sum(dim=1, keepdim=True)
                tangent = grad - radial * x
                length = tangent.norm(dim=1, keepdim=True)
                moved |= length[:, 0] > 0
                direction = tangent / length.clamp_min(torch.finfo(dtype).tiny)
                size = learning_rate * norm * (1 - step / n_steps)
                x = x + size * direction
                x = x * (norm / x.norm(dim=1, keepdim=True))
    if not bool(moved.all()):
        stuck = [u for u, m in zip(units, moved.tolist(), strict=True) if not m]
        warnings.warn(
            f"The code units {stuck} had a zero gradient at every input the search "
            "visited (dead units): their images are random inputs. Try another "
            "random_state or norm.",
            UserWarning,
            stacklevel=3,
        )
    return best.cpu().numpy().astype(np.float64)


def _architecture_image_shape(estimator):
    """``(H, W)`` of a single-channel ``input_shape=(1, H, W)``, else None."""
    shape = getattr(getattr(estimator, "architecture", None), "input_shape", None)
    try:
        shape = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        return None
    if len(shape) == 3 and shape[0] == 1 and min(shape[1:]) > 0:
        if shape[1] * shape[2] == estimator.n_features_in_:
            return shape[1:]
    return None
