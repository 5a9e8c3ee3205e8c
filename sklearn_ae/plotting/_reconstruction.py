"""The reconstruction display: original images above their reconstructions."""

# Authors: The sklearn_ae developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import _estimator_name, _image_shape, _ImageGridPlotMixin, _rows


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
