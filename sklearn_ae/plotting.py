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

import inspect
from math import isqrt

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, check_is_fitted

__all__ = [
    "LatentSpaceDisplay",
    "LatentTraversalDisplay",
    "LossCurveDisplay",
    "ReconstructionDisplay",
    "SampleGridDisplay",
]


# --------------------------------------------------------------------- helpers
def _import_pyplot(caller):
    """``matplotlib.pyplot``, or an ImportError that says how to get it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised without matplotlib
        raise ImportError(
            f"{caller} requires matplotlib. Install it with "
            "`pip install sklearn-ae[plot]` (or `pip install matplotlib`)."
        ) from exc
    return plt


def _get_ax(ax, caller):
    plt = _import_pyplot(caller)
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _estimator_name(estimator):
    return type(estimator).__name__


def _image_shape(n_features, image_shape):
    """Validate ``image_shape`` against ``n_features``; infer a square if None."""
    if image_shape is None:
        side = isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"Cannot infer the image shape of {n_features} features (not a perfect "
                "square); pass image_shape=(height, width)."
            )
        return (side, side)
    image_shape = tuple(int(s) for s in image_shape)
    if len(image_shape) not in (2, 3) or int(np.prod(image_shape)) != n_features:
        raise ValueError(
            f"image_shape={image_shape} does not match {n_features} features: it must be "
            "(height, width) or (height, width, channels) with that many pixels."
        )
    return image_shape


def _rows(X, n_rows=None):
    X = check_array(X, dtype=[np.float64, np.float32], ensure_all_finite="allow-nan")
    return X[:n_rows] if n_rows is not None else X


def _sample_accepts_y(estimator):
    try:
        return "y" in inspect.signature(estimator.sample).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without signature
        return False


def _draw_image_grid(
    ax,
    images,
    *,
    n_cols,
    image_shape,
    cmap,
    vmin,
    vmax,
    bad_color,
    row_labels=None,
    col_labels=None,
):
    """Draw ``images`` (one per row of a 2-D array) row-major on one axes.

    Each image is its own :class:`~matplotlib.image.AxesImage`, placed with
    ``extent`` on a grid with a small gap; row labels go on the y ticks and
    column labels on the x ticks. Missing pixels (NaN) are shown in
    ``bad_color``; all images share the colour limits ``vmin``, ``vmax``.
    Returns the list of images.
    """
    import matplotlib as mpl

    images = np.asarray(images, dtype=float)
    if isinstance(cmap, str):
        cmap = mpl.colormaps[cmap]
    cmap = cmap.with_extremes(bad=bad_color)

    height, width = image_shape[:2]
    gap = 0.1 * max(height, width)
    n_rows = int(np.ceil(len(images) / n_cols))
    artists = []
    for k, image in enumerate(images):
        row, col = divmod(k, n_cols)
        left, top = col * (width + gap), row * (height + gap)
        artists.append(
            ax.imshow(
                image.reshape(image_shape),
                cmap=cmap,
                vmin=vmin,
                vmax=vmax,
                extent=(left, left + width, top + height, top),
                interpolation="nearest",
            )
        )
    ax.set_xlim(-gap / 2, n_cols * (width + gap) - gap / 2)
    # The y axis points down, so that the first row is drawn at the top.
    ax.set_ylim(n_rows * (height + gap) - gap / 2, -gap / 2)
    ax.set_aspect("equal")
    for spine in ax.spines.values():
        spine.set_visible(False)
    if row_labels is None:
        ax.set_yticks([])
    else:
        ax.set_yticks([r * (height + gap) + height / 2 for r in range(len(row_labels))])
        ax.set_yticklabels([str(label) for label in row_labels])
        ax.tick_params(axis="y", length=0)
    if col_labels is None:
        ax.set_xticks([])
    else:
        ax.set_xticks([c * (width + gap) + width / 2 for c in range(len(col_labels))])
        ax.set_xticklabels([str(label) for label in col_labels])
        ax.tick_params(axis="x", length=0)
    return artists


class _ImageGridPlotMixin:
    """``plot`` of the displays that show a grid of images."""

    def _grid(self):
        """``(images, n_cols, row_labels, col_labels, image_shape)`` to draw."""

    def _default_range(self, images):
        """The values whose range sets ``vmin``/``vmax`` when they are not given."""
        return images

    def plot(self, ax=None, *, cmap="gray_r", vmin=None, vmax=None, bad_color="tab:red"):
        """Draw the images.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.
        cmap : str or matplotlib Colormap, default="gray_r"
            Colormap of single-channel images.
        vmin, vmax : float, default=None
            Colour limits, shared by all images. If None, the range of the
            images (of the original images for :class:`ReconstructionDisplay`,
            so that noise and overshoot do not wash out the picture).
        bad_color : color, default="tab:red"
            Colour of missing (NaN) pixels.

        Returns
        -------
        display : object
            The display, with ``ax_``, ``figure_`` and ``images_`` set.
        """
        ax = _get_ax(ax, f"{type(self).__name__}.plot")
        images, n_cols, row_labels, col_labels, image_shape = self._grid()
        reference = np.asarray(self._default_range(images), dtype=float)
        finite = reference[np.isfinite(reference)]
        if not finite.size:
            finite = np.asarray(images, dtype=float)
            finite = finite[np.isfinite(finite)]
        if vmin is None:
            vmin = float(finite.min()) if finite.size else 0.0
        if vmax is None:
            vmax = float(finite.max()) if finite.size else 1.0
        self.images_ = _draw_image_grid(
            ax,
            images,
            n_cols=n_cols,
            image_shape=image_shape,
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            bad_color=bad_color,
            row_labels=row_labels,
            col_labels=col_labels,
        )
        if self.estimator_name is not None:
            ax.set_title(self.estimator_name)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


# -------------------------------------------------------------------- displays
class LatentSpaceDisplay:
    """Two latent dimensions as a scatter plot, coloured by label.

    Use :meth:`from_estimator` to encode data with a fitted transformer and
    plot it; or create the display from precomputed codes and call
    :meth:`plot`.

    Parameters
    ----------
    embedding : array-like of shape (n_samples, n_components)
        Codes of the samples (``n_components >= 2``).
    y : array-like of shape (n_samples,), default=None
        Labels colouring the points: classes get a legend, continuous values
        a colour bar.
    dims : tuple of two int, default=(0, 1)
        The latent dimensions on the x and y axes.
    estimator_name : str, default=None
        Title of the plot.

    Attributes
    ----------
    scatter_ : matplotlib PathCollection
        The points.
    legend_ : matplotlib Legend or None
        Legend of the classes, when ``y`` holds classes.
    colorbar_ : matplotlib Colorbar or None
        Colour bar, when ``y`` is continuous.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    ReconstructionDisplay : Inputs next to their reconstructions.
    LatentTraversalDisplay : Decoded images along latent directions.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import PPCA
    >>> from sklearn_ae.plotting import LatentSpaceDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> ppca = PPCA(n_components=2).fit(X)
    >>> disp = LatentSpaceDisplay.from_estimator(ppca, X, y)
    >>> disp.scatter_.get_offsets().shape
    (1797, 2)
    >>> len(disp.legend_.get_texts())
    10
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(self, embedding, *, y=None, dims=(0, 1), estimator_name=None):
        self.embedding = embedding
        self.y = y
        self.dims = dims
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, cmap=None, legend=True, s=10, alpha=0.8, **kwargs):
        """Draw the scatter plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.
        cmap : str or matplotlib Colormap, default=None
            Colormap; ``"tab10"`` (``"tab20"`` beyond ten classes) for
            classes and ``"viridis"`` for continuous labels if None.
        legend : bool, default=True
            Whether to add a legend of the classes (or a colour bar).
        s : float, default=10
            Marker size.
        alpha : float, default=0.8
            Marker opacity.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.scatter`.

        Returns
        -------
        display : LatentSpaceDisplay
            The display, with ``ax_``, ``figure_`` and ``scatter_`` set.
        """
        ax = _get_ax(ax, "LatentSpaceDisplay.plot")
        Z = check_array(self.embedding)
        i, j = self.dims
        if Z.shape[1] < 2 or not (0 <= i < Z.shape[1] and 0 <= j < Z.shape[1]):
            raise ValueError(
                f"dims={tuple(self.dims)} must name two of the {Z.shape[1]} latent "
                "dimensions; a latent space plot needs n_components >= 2."
            )
        self.legend_, self.colorbar_ = None, None
        if self.y is None:
            self.scatter_ = ax.scatter(Z[:, i], Z[:, j], s=s, alpha=alpha, **kwargs)
        else:
            y = np.asarray(self.y)
            if len(y) != len(Z):
                raise ValueError(f"y has {len(y)} labels for {len(Z)} samples.")
            if type_of_target(y) == "continuous":
                self.scatter_ = ax.scatter(
                    Z[:, i], Z[:, j], c=y, cmap=cmap or "viridis", s=s, alpha=alpha, **kwargs
                )
                if legend:
                    self.colorbar_ = ax.figure.colorbar(self.scatter_, ax=ax)
            else:
                classes, codes = np.unique(y, return_inverse=True)
                cmap = cmap or ("tab10" if len(classes) <= 10 else "tab20")
                self.scatter_ = ax.scatter(
                    Z[:, i],
                    Z[:, j],
                    c=codes,
                    cmap=cmap,
                    vmin=0,
                    vmax=max(len(classes) - 1, 1),
                    s=s,
                    alpha=alpha,
                    **kwargs,
                )
                if legend:
                    handles, _ = self.scatter_.legend_elements(num=None)
                    self.legend_ = ax.legend(
                        handles,
                        [str(c) for c in classes],
                        loc="best",
                        fontsize="small",
                        markerscale=0.8,
                    )
        ax.set_xlabel(f"latent {i}")
        ax.set_ylabel(f"latent {j}")
        if self.estimator_name is not None:
            ax.set_title(self.estimator_name)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, dims=(0, 1), ax=None, **kwargs):
        """Encode ``X`` with a fitted transformer and plot two latent dimensions.

        Parameters
        ----------
        estimator : fitted transformer
            Any fitted estimator with ``transform`` (a pipeline included).
        X : array-like of shape (n_samples, n_features)
            Data to encode.
        y : array-like of shape (n_samples,), default=None
            Labels colouring the points.
        dims : tuple of two int, default=(0, 1)
            Latent dimensions to plot; the first two unless told otherwise.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : LatentSpaceDisplay
        """
        check_is_fitted(estimator)
        return cls(
            estimator.transform(X), y=y, dims=dims, estimator_name=_estimator_name(estimator)
        ).plot(ax=ax, **kwargs)


class ReconstructionDisplay(_ImageGridPlotMixin):
    """Original images above their reconstructions.

    With ``X_corrupted``, a middle row shows the corrupted inputs the model
    saw (noisy or with missing pixels), for denoising and imputation.

    Parameters
    ----------
    X : array-like of shape (n_images, n_features)
        Original images, flattened.
    X_reconstructed : array-like of shape (n_images, n_features)
        Their reconstructions.
    X_corrupted : array-like of shape (n_images, n_features), default=None
        Corrupted inputs; NaN marks missing pixels.
    image_shape : tuple of int, default=None
        Shape of one image, e.g. ``(8, 8)`` for the digits; a square if None.
    estimator_name : str, default=None
        Title of the plot.

    Attributes
    ----------
    images_ : list of matplotlib AxesImage
        The images, row by row.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    SampleGridDisplay : A grid of generated images.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import PPCA
    >>> from sklearn_ae.plotting import ReconstructionDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> ppca = PPCA(n_components=8).fit(X)
    >>> disp = ReconstructionDisplay.from_estimator(ppca, X, n_images=6, image_shape=(8, 8))
    >>> len(disp.images_)
    12
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(
        self, X, X_reconstructed, *, X_corrupted=None, image_shape=None, estimator_name=None
    ):
        self.X = X
        self.X_reconstructed = X_reconstructed
        self.X_corrupted = X_corrupted
        self.image_shape = image_shape
        self.estimator_name = estimator_name

    def _grid(self):
        rows = [("original", self.X)]
        if self.X_corrupted is not None:
            rows.append(("corrupted", self.X_corrupted))
        rows.append(("reconstruction", self.X_reconstructed))
        arrays = [_rows(A) for _, A in rows]
        n_images, n_features = arrays[0].shape
        if any(A.shape != (n_images, n_features) for A in arrays):
            raise ValueError(
                "X, X_corrupted and X_reconstructed must have the same shape; got "
                + ", ".join(f"{name}: {A.shape}" for (name, _), A in zip(rows, arrays, strict=True))
                + "."
            )
        image_shape = _image_shape(n_features, self.image_shape)
        return np.concatenate(arrays), n_images, [name for name, _ in rows], None, image_shape

    def _default_range(self, images):
        # The originals come first: their range, not the noise's.
        return images[: len(images) // (3 if self.X_corrupted is not None else 2)]

    @classmethod
    def from_estimator(
        cls, estimator, X, *, X_corrupted=None, n_images=10, image_shape=None, ax=None, **kwargs
    ):
        """Reconstruct images with a fitted model and plot them under the originals.

        Parameters
        ----------
        estimator : fitted transformer
            An estimator with ``transform`` and ``inverse_transform``.
        X : array-like of shape (n_samples, n_features)
            Original images; the first ``n_images`` are shown.
        X_corrupted : array-like of shape (n_samples, n_features), default=None
            Corrupted versions of ``X``. If given, the model reconstructs them
            (showing how well it denoises) and they are drawn in a middle row.
        n_images : int, default=10
            Number of images per row.
        image_shape : tuple of int, default=None
            Shape of one image; a square if None.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : ReconstructionDisplay
        """
        check_is_fitted(estimator)
        X = _rows(X, n_images)
        inputs = X if X_corrupted is None else _rows(X_corrupted, n_images)
        X_reconstructed = estimator.inverse_transform(estimator.transform(inputs))
        return cls(
            X,
            X_reconstructed,
            X_corrupted=None if X_corrupted is None else inputs,
            image_shape=image_shape,
            estimator_name=_estimator_name(estimator),
        ).plot(ax=ax, **kwargs)

    @classmethod
    def from_predictions(
        cls,
        X,
        X_reconstructed,
        *,
        X_corrupted=None,
        n_images=10,
        image_shape=None,
        estimator_name=None,
        ax=None,
        **kwargs,
    ):
        """Plot precomputed reconstructions, e.g. the output of ``impute``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Original images.
        X_reconstructed : array-like of shape (n_samples, n_features)
            Reconstructed (or imputed) images.
        X_corrupted : array-like of shape (n_samples, n_features), default=None
            The corrupted inputs; NaN marks missing pixels.
        n_images : int, default=10
            Number of images per row (the first rows of the arrays).
        image_shape : tuple of int, default=None
            Shape of one image; a square if None.
        estimator_name : str, default=None
            Title of the plot.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : ReconstructionDisplay
        """
        return cls(
            _rows(X, n_images),
            _rows(X_reconstructed, n_images),
            X_corrupted=None if X_corrupted is None else _rows(X_corrupted, n_images),
            image_shape=image_shape,
            estimator_name=estimator_name,
        ).plot(ax=ax, **kwargs)


class SampleGridDisplay(_ImageGridPlotMixin):
    """A grid of generated images.

    For a conditional model (one whose ``sample`` accepts ``y``, such as
    :class:`~sklearn_ae.ConditionalVAE`), :meth:`from_estimator` draws one
    row per class.

    Parameters
    ----------
    samples : array-like of shape (n_samples, n_features)
        Images, flattened, drawn row-major.
    image_shape : tuple of int, default=None
        Shape of one image; a square if None.
    n_cols : int, default=8
        Images per row.
    row_labels : list of str, default=None
        Labels of the rows (e.g. the classes of a conditional model).
    estimator_name : str, default=None
        Title of the plot.

    Attributes
    ----------
    images_ : list of matplotlib AxesImage
        The images, row by row.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    LatentTraversalDisplay : Images decoded along latent directions.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import PPCA
    >>> from sklearn_ae.plotting import SampleGridDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> ppca = PPCA(n_components=10).fit(X)
    >>> disp = SampleGridDisplay.from_estimator(ppca, n_samples=16, random_state=0)
    >>> len(disp.images_)
    16
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(
        self, samples, *, image_shape=None, n_cols=8, row_labels=None, estimator_name=None
    ):
        self.samples = samples
        self.image_shape = image_shape
        self.n_cols = n_cols
        self.row_labels = row_labels
        self.estimator_name = estimator_name

    def _grid(self):
        samples = _rows(self.samples)
        image_shape = _image_shape(samples.shape[1], self.image_shape)
        n_cols = max(1, min(int(self.n_cols), len(samples)))
        return samples, n_cols, self.row_labels, None, image_shape

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        n_samples=32,
        n_cols=8,
        y=None,
        image_shape=None,
        random_state=None,
        ax=None,
        **kwargs,
    ):
        """Generate images with ``estimator.sample`` and plot them.

        Parameters
        ----------
        estimator : fitted estimator
            A generative model with ``sample(n_samples, random_state=...)``.
            If its ``sample`` also takes ``y`` (a conditional model), one row
            of ``n_cols`` images is drawn per class.
        n_samples : int, default=32
            Number of images of an unconditional model (ignored for a
            conditional one).
        n_cols : int, default=8
            Images per row.
        y : array-like, default=None
            Classes to generate, one row each, for a conditional model;
            ``estimator.classes_`` if None.
        image_shape : tuple of int, default=None
            Shape of one image; a square if None.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : SampleGridDisplay
        """
        check_is_fitted(estimator)
        row_labels = None
        if _sample_accepts_y(estimator):
            classes = np.asarray(estimator.classes_ if y is None else y)
            labels = np.repeat(classes, n_cols)
            samples = estimator.sample(len(labels), y=labels, random_state=random_state)
            row_labels = [str(c) for c in classes]
        else:
            if y is not None:
                raise ValueError(
                    f"y was given but {_estimator_name(estimator)}.sample does not take "
                    "labels; y is for conditional models such as ConditionalVAE."
                )
            samples = estimator.sample(n_samples, random_state=random_state)
        return cls(
            samples,
            image_shape=image_shape,
            n_cols=n_cols,
            row_labels=row_labels,
            estimator_name=_estimator_name(estimator),
        ).plot(ax=ax, **kwargs)


class LatentTraversalDisplay(_ImageGridPlotMixin):
    """Images decoded along paths in the latent space.

    :meth:`from_estimator` moves one latent unit at a time around the code of
    a sample, the others held fixed (one row per unit);
    :meth:`from_interpolation` decodes the straight line between the codes
    of two inputs (one row per pair).

    Parameters
    ----------
    images : array-like of shape (n_rows, n_steps, n_features)
        Decoded images, one row per path.
    image_shape : tuple of int, default=None
        Shape of one image; a square if None.
    row_labels : list of str, default=None
        Labels of the rows.
    col_labels : list of str, default=None
        Labels of the columns (offsets or interpolation weights).
    estimator_name : str, default=None
        Title of the plot.

    Attributes
    ----------
    images_ : list of matplotlib AxesImage
        The images, row by row.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    LatentSpaceDisplay : The codes of the data as a scatter plot.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import PPCA
    >>> from sklearn_ae.plotting import LatentTraversalDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> ppca = PPCA(n_components=4).fit(X)
    >>> disp = LatentTraversalDisplay.from_estimator(ppca, X, n_steps=5)
    >>> len(disp.images_)  # 4 units x 5 steps
    20
    >>> disp = LatentTraversalDisplay.from_interpolation(ppca, X[:2], X[2:4], n_steps=6)
    >>> len(disp.images_)  # 2 pairs x 6 steps
    12
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(
        self, images, *, image_shape=None, row_labels=None, col_labels=None, estimator_name=None
    ):
        self.images = images
        self.image_shape = image_shape
        self.row_labels = row_labels
        self.col_labels = col_labels
        self.estimator_name = estimator_name

    def _grid(self):
        images = np.asarray(self.images, dtype=float)
        if images.ndim != 3:
            raise ValueError(
                f"images must have shape (n_rows, n_steps, n_features), got {images.shape}."
            )
        n_rows, n_steps, n_features = images.shape
        image_shape = _image_shape(n_features, self.image_shape)
        flat = images.reshape(n_rows * n_steps, n_features)
        return flat, n_steps, self.row_labels, self.col_labels, image_shape

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        components=None,
        n_steps=7,
        span=2.0,
        image_shape=None,
        ax=None,
        **kwargs,
    ):
        """Traverse latent units one at a time around the code of ``X[0]``.

        Parameters
        ----------
        estimator : fitted transformer
            An estimator with ``transform`` and ``inverse_transform``.
        X : array-like of shape (n_samples, n_features)
            The traversal is centred on the code of ``X[0]``. Steps are in
            standard deviations of the codes of ``X`` (in code units when
            ``X`` has a single row).
        components : list of int, default=None
            Latent units to traverse, one row each; the first ten if None.
        n_steps : int, default=7
            Images per row.
        span : float, default=2.0
            The offsets run from ``-span`` to ``+span``.
        image_shape : tuple of int, default=None
            Shape of one image; a square if None.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : LatentTraversalDisplay
        """
        check_is_fitted(estimator)
        Z = np.asarray(estimator.transform(X), dtype=np.float64)
        n_components = Z.shape[1]
        if components is None:
            components = list(range(min(n_components, 10)))
        components = [int(c) for c in components]
        if not components or any(not 0 <= c < n_components for c in components):
            raise ValueError(
                f"components={components} must list latent units in [0, {n_components})."
            )
        scale = Z.std(axis=0) if len(Z) > 1 else np.ones(n_components)
        offsets = np.linspace(-span, span, n_steps)
        codes = np.repeat(Z[:1], len(components) * n_steps, axis=0)
        for row, unit in enumerate(components):
            codes[row * n_steps : (row + 1) * n_steps, unit] += offsets * scale[unit]
        images = estimator.inverse_transform(codes.astype(Z.dtype))
        return cls(
            images.reshape(len(components), n_steps, -1),
            image_shape=image_shape,
            row_labels=[f"latent {c}" for c in components],
            col_labels=[f"{o:+.2g}" for o in offsets],
            estimator_name=_estimator_name(estimator),
        ).plot(ax=ax, **kwargs)

    @classmethod
    def from_interpolation(
        cls, estimator, X_start, X_end, *, n_steps=8, image_shape=None, ax=None, **kwargs
    ):
        """Decode the straight line between the codes of two inputs.

        Parameters
        ----------
        estimator : fitted transformer
            An estimator with ``transform`` and ``inverse_transform``.
        X_start : array-like of shape (n_pairs, n_features) or (n_features,)
            Start images, one row per path.
        X_end : array-like of shape (n_pairs, n_features) or (n_features,)
            End images.
        n_steps : int, default=8
            Images per row, from the start code (weight 0) to the end code
            (weight 1).
        image_shape : tuple of int, default=None
            Shape of one image; a square if None.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : LatentTraversalDisplay
        """
        check_is_fitted(estimator)
        X_start = np.atleast_2d(X_start)
        X_end = np.atleast_2d(X_end)
        if X_start.shape != X_end.shape:
            raise ValueError(
                f"X_start and X_end must have the same shape, got {X_start.shape} and "
                f"{X_end.shape}."
            )
        Z_start = np.asarray(estimator.transform(X_start), dtype=np.float64)
        Z_end = np.asarray(estimator.transform(X_end), dtype=np.float64)
        weights = np.linspace(0, 1, n_steps)
        # (n_pairs, n_steps, n_components): each row a straight path in code space.
        paths = Z_start[:, None, :] + weights[None, :, None] * (Z_end - Z_start)[:, None, :]
        n_pairs = len(X_start)
        images = estimator.inverse_transform(paths.reshape(n_pairs * n_steps, -1))
        return cls(
            images.reshape(n_pairs, n_steps, -1),
            image_shape=image_shape,
            row_labels=[f"pair {p}" for p in range(n_pairs)],
            col_labels=[f"{w:.2g}" for w in weights],
            estimator_name=_estimator_name(estimator),
        ).plot(ax=ax, **kwargs)


class LossCurveDisplay:
    """Training (and validation) loss per epoch.

    For models whose loss has named parts (the reconstruction and KL terms of
    a VAE, a sparsity penalty), :meth:`from_estimator` also draws each part
    as recorded in ``net_.history``.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss per epoch.
    validation_loss : array-like of shape (n_epochs,), default=None
        Validation loss per epoch.
    loss_terms : dict of str to array-like, default=None
        Further curves, e.g. ``{"train_kl": [...]}``.
    best_epoch : int, default=None
        Epoch (1-based) whose weights were kept by early stopping; marked
        with a vertical line.
    estimator_name : str, default=None
        Title of the plot.

    Attributes
    ----------
    lines_ : dict of str to matplotlib Line2D
        The curves: ``"train_loss"``, ``"valid_loss"`` and the loss terms.
    best_epoch_line_ : matplotlib Line2D or None
        The marker of the best epoch.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.plotting import LossCurveDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(
    ...     hidden_layer_sizes=(16,), max_iter=2, early_stopping=True, random_state=0
    ... ).fit(X[:300] / 16)
    >>> disp = LossCurveDisplay.from_estimator(ae)
    >>> sorted(disp.lines_)
    ['train_loss', 'valid_loss']
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(
        self,
        loss_curve,
        *,
        validation_loss=None,
        loss_terms=None,
        best_epoch=None,
        estimator_name=None,
    ):
        self.loss_curve = loss_curve
        self.validation_loss = validation_loss
        self.loss_terms = loss_terms
        self.best_epoch = best_epoch
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, logy=False, legend=True):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.
        logy : bool, default=False
            Whether to use a logarithmic loss axis.
        legend : bool, default=True
            Whether to add a legend.

        Returns
        -------
        display : LossCurveDisplay
            The display, with ``ax_``, ``figure_`` and ``lines_`` set.
        """
        ax = _get_ax(ax, "LossCurveDisplay.plot")
        curves = {"train_loss": self.loss_curve}
        if self.validation_loss is not None:
            curves["valid_loss"] = self.validation_loss
        curves.update(self.loss_terms or {})
        self.lines_ = {}
        # A training curve and its validation twin share a colour; validation
        # is dashed.
        colors = {}
        for name, values in curves.items():
            values = np.asarray(values, dtype=float)
            epochs = np.arange(1, len(values) + 1)
            phase, _, term = name.partition("_")
            color = colors.setdefault(term, f"C{len(colors)}")
            label = {"train": "training", "valid": "validation"}.get(phase, phase)
            label = f"{label} {'KL' if term == 'kl' else term.replace('_', ' ')}"
            (self.lines_[name],) = ax.plot(
                epochs,
                values,
                label=label,
                color=color,
                linestyle="--" if phase == "valid" else "-",
                linewidth=2 if term == "loss" else 1.2,
            )
        self.best_epoch_line_ = None
        if self.best_epoch is not None:
            self.best_epoch_line_ = ax.axvline(
                self.best_epoch, color="0.5", linestyle=":", label="best epoch"
            )
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        if legend:
            ax.legend()
        if self.estimator_name is not None:
            ax.set_title(self.estimator_name)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, loss_terms=True, ax=None, **kwargs):
        """Plot the loss curves of a fitted neural estimator.

        Parameters
        ----------
        estimator : fitted estimator
            A neural estimator of this package (it has ``loss_curve_``).
        loss_terms : bool, default=True
            Whether to draw the named parts of the loss recorded in
            ``net_.history`` (``train_reconstruction``, ``train_kl``, ...).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is created if None.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : LossCurveDisplay
        """
        check_is_fitted(estimator)
        if not hasattr(estimator, "loss_curve_"):
            raise ValueError(
                f"{_estimator_name(estimator)} has no loss_curve_: it is not trained "
                "iteratively (PPCA, for instance, is fitted in closed form)."
            )
        validation_loss, best_epoch = None, None
        scores = getattr(estimator, "validation_scores_", None)
        if scores is not None:
            validation_loss = [-s for s in scores]
            best_epoch = int(np.argmax(scores)) + 1
        terms = {}
        history = getattr(getattr(estimator, "net_", None), "history", None)
        if loss_terms and history is not None and len(history):
            module = getattr(estimator.net_, "module_", None)
            names = list(getattr(module, "loss_terms", ()))
            names += [n for n in ("reconstruction", "kl") if n not in names]
            for name in names:
                for key in (f"train_{name}", f"valid_{name}"):
                    if key in history[0]:
                        terms[key] = [float(v) for v in history[:, key]]
        return cls(
            estimator.loss_curve_,
            validation_loss=validation_loss,
            loss_terms=terms,
            best_epoch=best_epoch,
            estimator_name=_estimator_name(estimator),
        ).plot(ax=ax, **kwargs)
