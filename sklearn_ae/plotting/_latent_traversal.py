"""The latent traversal display: images decoded along paths in the latent space."""

# Authors: The sklearn_ae developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import _estimator_name, _image_shape, _ImageGridPlotMixin


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
