"""The latent space display: two latent dimensions as a scatter plot."""

# Authors: The sklearn_ae developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, check_is_fitted

from ._base import _estimator_name, _get_ax


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
