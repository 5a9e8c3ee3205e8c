"""The scikit-learn contract shared by every neural estimator."""

import copy
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping, ProgressBar
from skorch.helper import predefined_split

from ._net import (
    INFERENCE_BATCH_ROWS,
    BatchIterator,
    FiniteLossGuard,
    TensorDataset,
    UnsupervisedNet,
    batched_apply,
    to_tensor,
)
from ._utils import (
    check_sample_count,
    reject_labels,
    resolve_device,
    seed_from,
    torch_seeded,
    unfitted_on_error,
)
from .nn import ACTIVATIONS


class BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class of the neural transformers; not for direct use.

    A subclass supplies the torch module (:meth:`_module_params` and
    ``_module_class``) and, where it needs them, the hooks
    :meth:`_validate_training_data` (checks only, no state),
    :meth:`_fit_data_statistics` (what the training data implies before
    training: ranges, label encoding), :meth:`_training_inputs` (extra inputs
    such as a label), :meth:`_score_fn` (how a batch is scored),
    :meth:`_fit_model_statistics` (what the trained network implies: a
    density over the codes) and :meth:`_draw_observations` (``sample``'s
    ``noise``). Everything else, from validation and seeding to the skorch
    loop and batched inference, lives here once.
    """

    _module_class = None

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "callbacks": [list, None],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(256, 64),
        activation="relu",
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter=200,
        tol=1e-4,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ hooks
    def _module_params(self, X):
        """Keyword arguments of ``_module_class`` for the validated training data ``X``.

        Called after :meth:`_fit_data_statistics`, whose attributes it may read.
        """
        return {
            "n_features": X.shape[1],
            "n_components": self.n_components,
            "hidden_layer_sizes": self._hidden_sizes(),
            "activation": self.activation,
        }

    def _training_inputs(self, X, y, device):
        """What the module's ``forward`` receives during training: a tensor or a dict."""
        return to_tensor(X, device)

    def _validate_training_data(self, X, y):
        """Check the training data; sets nothing but what ``validate_data`` records."""
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        return X, None

    def _fit_data_statistics(self, X, y):
        """Fit what the validated training data implies, before training.

        Returns the targets the network trains with (for example ``y`` encoded
        as positions in ``classes_``).
        """
        return y

    def _score_fn(self):
        """``fn(module, X_batch) -> per-sample score`` used by :meth:`score_samples`."""
        return lambda module, x: module.score_samples(x)

    def _fit_model_statistics(self, X, y):
        """Fit what the trained network implies (e.g. a density over the codes)."""

    def _fit_extra_callbacks(self):
        """Model-specific skorch callbacks, as ``(name, callback)`` pairs."""
        return []

    # ---------------------------------------------------------------- fitting
    def _hidden_sizes(self):
        sizes = (
            [self.hidden_layer_sizes]
            if np.isscalar(self.hidden_layer_sizes)
            else list(self.hidden_layer_sizes)
        )
        if not all(isinstance(s, Integral) and s > 0 for s in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}."
            )
        return tuple(int(s) for s in sizes)

    def _batch_size(self, n_samples):
        size = min(200, n_samples) if self.batch_size == "auto" else self.batch_size
        return max(1, min(size, n_samples))

    def _split(self, X, y, seed):
        if not self.early_stopping:
            return (X, y), None
        n_valid = int(np.ceil(self.validation_fraction * len(X)))
        if len(X) - n_valid < 1 or n_valid < 1:
            raise ValueError(
                f"early_stopping needs at least one training and one validation sample; "
                f"n_samples={len(X)} with validation_fraction={self.validation_fraction}."
            )
        arrays = (X,) if y is None else (X, y)
        parts = train_test_split(*arrays, test_size=n_valid, random_state=seed)
        if y is None:
            return (parts[0], None), (parts[1], None)
        return (parts[0], parts[2]), (parts[1], parts[3])

    def _callbacks(self):
        monitor = "valid_loss" if self.early_stopping else "train_loss"
        callbacks = [
            ("finite_loss", FiniteLossGuard()),
            (
                "stop",
                _EarlyStopping(
                    monitor=monitor,
                    patience=self.n_iter_no_change,
                    threshold=self.tol,
                    threshold_mode="abs",
                    load_best=self.early_stopping,
                    sink=print if self.verbose else _silent,
                ),
            ),
            *self._fit_extra_callbacks(),
        ]
        if self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        # skorch stores state on callbacks, and scikit-learn forbids fit from
        # changing a parameter: train on copies of the user's callbacks.
        callbacks.extend(copy.deepcopy(self.callbacks or []))
        return callbacks

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the network on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        with unfitted_on_error(self):
            return self._fit(X, y)

    def _fit(self, X, y):
        X, y = self._validate_training_data(X, y)
        y = self._fit_data_statistics(X, y)
        device = resolve_device(self.device)
        seed = seed_from(self.random_state)
        (X_train, y_train), valid = self._split(X, y, seed)

        with torch_seeded(seed, device):
            train = TensorDataset(self._training_inputs(X_train, y_train, device))
            valid_ds = None
            if valid is not None:
                valid_ds = TensorDataset(self._training_inputs(*valid, device))
            batch_size = self._batch_size(len(X_train))
            net = UnsupervisedNet(
                module=self._module_class,
                criterion=torch.nn.Identity,
                optimizer=torch.optim.Adam,
                lr=self.learning_rate_init,
                # MLPRegressor's alpha: 0.5 * alpha * ||W||^2 per mini-batch on the
                # weights (not the biases), i.e. a decay of alpha / batch_size.
                optimizer__weight_decay=self.alpha / batch_size,
                optimizer__param_groups=[("*bias", {"weight_decay": 0.0})],
                max_epochs=self.max_iter,
                batch_size=batch_size,
                iterator_train=BatchIterator,
                iterator_train__shuffle=True,
                iterator_valid=BatchIterator,
                train_split=predefined_split(valid_ds) if valid_ds is not None else None,
                callbacks=self._callbacks(),
                verbose=int(self.verbose),
                device=str(device),
                # The pickled module is a class of ours, not bare tensors.
                torch_load_kwargs={"weights_only": False},
                **{f"module__{k}": v for k, v in self._module_params(X).items()},
            )
            net.fit(train, None)
        # The validation data is not needed any more: keep it out of pickles.
        net.train_split = None

        self.net_ = net
        self.device_ = device
        self.n_components_ = int(self.n_components)
        history = net.history
        self.n_iter_ = len(history)
        self.loss_curve_ = list(map(float, history[:, "train_loss"]))
        if self.early_stopping:
            self.validation_scores_ = [-float(v) for v in history[:, "valid_loss"]]
            self.best_validation_score_ = max(self.validation_scores_)
        if self.n_iter_ == self.max_iter:
            warnings.warn(
                f"{type(self).__name__}: maximum iterations ({self.max_iter}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self._fit_model_statistics(X, y)
        return self

    # --------------------------------------------------------------- inference
    @property
    def _module(self):
        """The fitted torch module."""
        return self.net_.module_

    def _apply(self, fn, X, batch_rows=INFERENCE_BATCH_ROWS):
        return batched_apply(self._module, fn, X, device=self.device_, batch_rows=batch_rows)

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def _check_codes(self, Z):
        check_is_fitted(self)
        Z = check_array(Z, dtype=[np.float64, np.float32])
        if Z.shape[1] != self._n_features_out:
            raise ValueError(
                f"X has {Z.shape[1]} features, but {type(self).__name__}.inverse_transform "
                f"is expecting {self._n_features_out} features (n_components) as input."
            )
        return Z

    def transform(self, X):
        """Encode ``X`` into the latent space (deterministic).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            Codes, in ``X``'s float dtype.
        """
        X = self._check_X(X)
        return self._apply(lambda module, x: module.encode(x), X)

    def inverse_transform(self, X):
        """Decode codes back to the data space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Reconstructions (the decoder's mean), in the codes' float dtype.
        """
        Z = self._check_codes(X)
        return self._apply(lambda module, z: module.decode(z), Z)

    def score_samples(self, X):
        """Per-sample score; higher means more typical of the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        X = self._check_X(X)
        return self._apply(self._score_fn(), X)

    def score(self, X, y=None):
        """Mean of :meth:`score_samples`, so that model selection maximises it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))

    def _sample_codes(self, n_samples, rng):
        raise NotImplementedError

    def _draw_observations(self, means, rng):
        """Draws of ``x`` around the decoded ``means``: what ``sample(noise=True)`` adds.

        Every model's loss is the negative log-likelihood of an observation
        model: Gaussian of scale ``noise_scale_``, or independent Bernoulli
        entries (``noise_scale_`` None) for the cross-entropy.
        """
        if self.noise_scale_ is None:
            return (rng.uniform(size=means.shape) < means).astype(means.dtype)
        noise = rng.standard_normal(means.shape) * self.noise_scale_
        return (means + noise).astype(means.dtype, copy=False)

    def sample(self, n_samples=1, *, y=None, random_state=None, noise=False):
        """Generate new data: draw codes, then decode them.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        y : None
            Only class-conditional models (:class:`ConditionalVAE`) take labels;
            anything else raises a ``ValueError``.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws; ``None`` uses NumPy's global random state.
        noise : bool, default=False
            If False, return the decoded codes: the mean of ``x`` given the
            code. If True, also draw the observation noise of the model around
            that mean (see the class's ``noise_scale_``), as every ``sample``
            of this package does.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        check_sample_count(n_samples)
        reject_labels(self, y)
        rng = check_random_state(random_state)
        means = self.inverse_transform(self._sample_codes(int(n_samples), rng))
        return self._draw_observations(means, rng) if noise else means

    @property
    def _n_features_out(self):
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _silent(*args, **kwargs):
    """A sink that discards skorch's messages when ``verbose=0``."""


class _EarlyStopping(EarlyStopping):
    """skorch's ``EarlyStopping``, letting the other callbacks finish the last epoch.

    skorch stops by raising ``KeyboardInterrupt`` from ``on_epoch_end`` and
    always runs ``PrintLog`` last, so the epoch that triggers the stop would
    never be printed, its progress bar never closed, and the callbacks after
    this one (the user's) would never see it. Run them first, then print why
    training stops, then stop.
    """

    _held = None

    def _sink(self, text, verbose):
        if self._held is not None:
            self._held.append((text, verbose))
        else:
            super()._sink(text, verbose)

    def on_epoch_end(self, net, **kwargs):
        self._held = []
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:
            position = next(i for i, (_, cb) in enumerate(net.callbacks_) if cb is self)
            for _, cb in net.callbacks_[position + 1 :]:
                cb.on_epoch_end(net, **kwargs)
            raise
        finally:
            held, self._held = self._held, None
            for text, verbose in held:
                super()._sink(text, verbose)
