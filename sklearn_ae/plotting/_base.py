"""Helpers shared by the displays of :mod:`sklearn_ae.plotting`."""

# Authors: The sklearn_ae developers
# SPDX-License-Identifier: BSD-3-Clause

from math import isqrt

import numpy as np
from sklearn.utils.validation import check_array


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
