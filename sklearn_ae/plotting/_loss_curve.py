"""The loss curve display: training (and validation) loss per epoch."""

# Authors: The sklearn_ae developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import _estimator_name, _get_ax


class LossCurveDisplay:
    """Training (and validation) loss per epoch.

    For models whose loss has named parts (the reconstruction and KL terms of
    a VAE, a sparsity penalty), :meth:`from_estimator` also draws each part
    as recorded in ``history_``.

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
            ``history_`` (``train_reconstruction``, ``train_kl``, ...).
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
        history = getattr(estimator, "history_", None)
        if loss_terms and history:
            # Every logged part of the loss, in training and validation.
            for key in history[0]:
                if key.startswith(("train_", "valid_")) and key not in ("train_loss", "valid_loss"):
                    terms[key] = [float(epoch[key]) for epoch in history]
        return cls(
            estimator.loss_curve_,
            validation_loss=validation_loss,
            loss_terms=terms,
            best_epoch=best_epoch,
            estimator_name=_estimator_name(estimator),
        ).plot(ax=ax, **kwargs)
