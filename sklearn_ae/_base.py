"""The scikit-learn contract shared by every neural estimator."""

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
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from ._lazy import LazyRows, block_rows, is_lazy, located, map_blocks, split_blocks
from ._net import (
    BlockDataset,
    batched_apply,
    fit_module,
    history_records,
    inference_batch_rows,
    make_net,
    move_net,
    net_state,
    restore_net,
    restored_on_error,
    split_validation,
    train_one_epoch,
    trained_module,
)
from ._utils import (
    check_sample_count,
    reject_labels,
    resolve_device,
    seed_from,
    seeded_init,
    seeded_training,
    torch_seeded,
    unfitted_on_error,
)
from .architectures import MLP, Architecture
from .nn import ACTIVATIONS


class BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class of the neural transformers; not for direct use.

    A subclass supplies the torch module (``_module_class``, built from the
    parts of the architecture's network that :meth:`_network_parts` picks and
    the keywords of :meth:`_module_params`) and, where it needs them, the hooks
    :meth:`_validate_training_data` (checks only, no state),
    :meth:`_fit_data_statistics` (what the training data implies before
    training: ranges, label encoding), :meth:`_training_inputs` (extra inputs
    such as a label), :meth:`_score_fn` (how a batch is scored),
    :meth:`_fit_model_statistics` (what the trained network implies: a
    density over the codes), :meth:`_check_fitted_model` (warnings about the
    trained model) and :meth:`_draw_observations` (``sample``'s ``noise``).
    The statistics hooks have counterparts that pool them over chunks of rows
    (:meth:`_update_data_statistics`, :meth:`_pool_model_statistics`), which
    ``partial_fit`` and ``fit`` on data read in blocks use. Everything else,
    from validation and seeding to the skorch loop and batched inference,
    lives here once.
    """

    _module_class = None

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        # Checked at fit, with advice for a bare torch module.
        "architecture": "no_validation",
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
        "compile": ["boolean"],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_components=2,
        *,
        architecture=None,
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
        compile=False,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.architecture = architecture
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
        self.compile = compile
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ hooks
    #: Number of code heads on the encoder's features (two for a VAE).
    _n_heads = 1

    def _network_parts(self, network):
        """The positional arguments of ``_module_class``: parts of the built network."""
        return (network.encoder(), network.decoder)

    def _module_params(self, X):
        """Keyword arguments of ``_module_class`` for the validated training data ``X``.

        Called after :meth:`_fit_data_statistics`, whose attributes it may read.
        """
        return {"n_features": X.shape[1], "n_components": self.n_components}

    def _n_conditions(self):
        """Width of the condition appended to the decoder's input (a one-hot label)."""
        return 0

    def _training_inputs(self, X, y):
        """The arrays the module's ``forward`` receives by keyword during training."""
        return {"x": X}

    def _validate_training_data(self, X, y, reset=True):
        """Check the training data; sets nothing but what ``validate_data`` records.

        ``reset=False`` (the later calls of :meth:`partial_fit`) checks ``X``
        against the features seen first.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=reset)
        return X, None

    def _fit_data_statistics(self, X, y):
        """Fit what the validated training data implies, before training.

        Returns the targets the network trains with (for example ``y`` encoded
        as positions in ``classes_``).
        """
        return y

    def _whole_data_params(self, y):
        """Keywords of :meth:`_fit_data_statistics` when it sees only the first block.

        ``fit`` on data read in blocks passes what needs all of ``y`` (the classes).
        """
        return {}

    def _score_fn(self):
        """``fn(module, x) -> per-sample score`` used by :meth:`score_samples`."""
        return lambda module, x: module.score_samples(x)

    def _update_data_statistics(self, X, y):
        """:meth:`_fit_data_statistics` for a later chunk of rows.

        Pools the new rows into the statistics of the rows seen before
        (``n_samples_seen_`` of them, this chunk's not counted yet).
        """
        return y

    def _push_data_statistics(self):
        """Hand updated data statistics to the trained module (``partial_fit``)."""

    def _fit_model_statistics(self, X, y):
        """Fit what the trained network implies (e.g. a density over the codes)."""

    def _check_fitted_model(self):
        """Warn about the model that ``fit`` trained (not after ``partial_fit``)."""

    def _pool_model_statistics(self, previous, n_previous, n_new):
        """Pool this call's model statistics with ``previous`` (a dict of them).

        Called after :meth:`_fit_model_statistics` ran on a chunk of ``n_new``
        rows, with the attributes it had set after the ``n_previous`` rows of
        the earlier chunks (calls of :meth:`partial_fit`, or blocks).
        """

    def _fit_extra_callbacks(self):
        """Model-specific skorch callbacks, as ``(name, callback)`` pairs."""
        return []

    # ---------------------------------------------------------------- fitting
    def _architecture(self):
        """The architecture to build: the parameter, or the MLP of the estimator's words."""
        if self.architecture is None:
            return MLP(self.hidden_layer_sizes, self.activation)
        if isinstance(self.architecture, torch.nn.Module):
            raise ValueError(
                f"architecture must describe the networks, not be one: got the torch module "
                f"{type(self.architecture).__name__}. Wrap your modules in "
                "sklearn_ae.architectures.TorchModules(encoder=..., decoder=...)."
            )
        if not isinstance(self.architecture, Architecture):
            raise ValueError(
                "architecture must be None or an architecture of sklearn_ae.architectures "
                "(MLP, ConvNet, Conv1dNet, RecurrentNet, TorchModules), got "
                f"{self.architecture!r}."
            )
        return self.architecture

    def _build_module(self, X):
        """The torch module to train, built from torch's (seeded) random generator."""
        network = self._architecture().build(
            X.shape[1],
            self.n_components,
            n_heads=self._n_heads,
            n_conditions=self._n_conditions(),
        )
        return self._module_class(*self._network_parts(network), **self._module_params(X))

    def _batch_size(self, n_samples):
        size = min(200, n_samples) if self.batch_size == "auto" else self.batch_size
        return max(1, min(size, n_samples))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the network on ``X``.

        ``X`` in memory is copied to the training device once. A
        :class:`numpy.memmap`, a dask, zarr or h5py array or a torch
        ``Dataset`` of rows is read in blocks instead, never whole (see
        :ref:`larger_than_memory`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or lazy source
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

    def _net_params(self, n_samples, device):
        """The training settings of :func:`make_net`, for ``n_samples`` training rows."""
        batch_size = self._batch_size(n_samples)
        return {
            "device": device,
            "batch_size": batch_size,
            "learning_rate": self.learning_rate_init,
            # MLPRegressor's alpha: 0.5 * alpha * ||W||^2 per mini-batch on the
            # weights (not the biases), i.e. a decay of alpha / batch_size.
            "weight_decay": self.alpha / batch_size,
            "max_epochs": self.max_iter,
            "tol": self.tol,
            "n_iter_no_change": self.n_iter_no_change,
            "verbose": self.verbose,
            "callbacks": self._fit_extra_callbacks(),
            "user_callbacks": self.callbacks,
            "compile": self.compile,
        }

    def _fit(self, X, y):
        if is_lazy(X):
            rows = LazyRows(X)
            batch_size = self._batch_size(len(rows))
            bounds = rows.bounds(block_rows(rows.shape[1], rows.dtype.itemsize, batch_size))
            if len(bounds) > 1:
                return self._fit_blocks(rows, y, bounds)
            # One block: the in-memory fit, with the same results.
            X = rows.read(0, len(rows), 0)
        with located(X):
            X, y = self._validate_training_data(X, y)
        y = self._fit_data_statistics(X, y)
        device = resolve_device(self.device)
        seed = seed_from(self.random_state)
        fraction = self.validation_fraction if self.early_stopping else None
        train, valid = split_validation(self._training_inputs(X, y), fraction, seed)
        net = self._train(X, train, valid, len(train["x"]), device, seed)
        self._set_fitted(net, device, len(X))
        self._fit_model_statistics(X, y)
        self._check_fitted_model()
        return self

    def _fit_blocks(self, rows, y, bounds):
        """:meth:`fit` on ``rows`` read block by block (``bounds``).

        Three passes: one checks every block and fits the data statistics
        (so that bad data fails before training), then training reads a
        seeded random order of the training blocks each epoch, then one pass
        fits the model statistics, pooled exactly over the blocks.
        """
        y = self._data_statistics_by_block(rows, y, bounds)
        device = resolve_device(self.device)
        seed = seed_from(self.random_state)
        fraction = self.validation_fraction if self.early_stopping else None
        numbered = [(block, start, stop) for block, (start, stop) in enumerate(bounds)]
        train, valid = split_blocks(numbered, fraction, seed)
        inputs = self._training_inputs(rows, y)
        train = BlockDataset(inputs, train, device)
        valid = None if valid is None else BlockDataset(inputs, valid, device)
        net = self._train(rows, train, valid, len(train), device, seed)
        self._set_fitted(net, device, len(rows))
        self._model_statistics_by_block(rows, y, bounds)
        self._check_fitted_model()
        return self

    def _data_statistics_by_block(self, rows, y, bounds):
        """Check each block and fit the data statistics; returns the training targets."""
        if y is not None:
            y = np.asarray(y)
            check_consistent_length(rows, y)
        data_params = self._whole_data_params(y)
        targets = []
        for block, start, stop, part in rows.blocks(bounds):
            with located(part, block, start, stop):
                part, part_y = self._validate_training_data(
                    part, None if y is None else y[start:stop], reset=block == 0
                )
            if block == 0:
                targets.append(self._fit_data_statistics(part, part_y, **data_params))
            else:
                targets.append(self._update_data_statistics(part, part_y))
            self.n_samples_seen_ = stop
            del part  # before the next block is read: one block in memory
        return None if targets[0] is None else np.concatenate(targets)

    def _model_statistics_by_block(self, rows, y, bounds):
        for block, start, stop, part in rows.blocks(bounds):
            with located(part, block, start, stop):
                part = self._check_X(part)
            previous = {key: value for key, value in vars(self).items() if key.endswith("_")}
            self._fit_model_statistics(part, None if y is None else y[start:stop])
            if block:
                self._pool_model_statistics(previous, start, stop - start)
            del part

    def _train(self, X, train, valid, n_train, device, seed):
        """A module built for ``X`` and trained on ``train`` (``valid``): the fitted net."""
        with seeded_init(seed, device):
            module = self._build_module(X)
        with seeded_training(seed, device):
            return fit_module(module, train, valid, **self._net_params(n_train, device))

    def _set_fitted(self, net, device, n_samples_seen):
        """The fitted state of :meth:`fit`'s training, warning if it did not converge."""
        self._set_trained(net, device, n_samples_seen)
        if self.early_stopping:
            self.validation_scores_ = [-float(epoch["valid_loss"]) for epoch in self.history_]
            self.best_validation_score_ = max(self.validation_scores_)
        if self.n_iter_ == self.max_iter:
            warnings.warn(
                f"{type(self).__name__}: maximum iterations ({self.max_iter}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=5,
            )

    def _set_trained(self, net, device, n_samples_seen):
        self.net_ = net
        self.device_ = device
        self.n_components_ = int(self.n_components)
        self.n_samples_seen_ = int(n_samples_seen)
        self.history_ = history_records(net)
        self.n_iter_ = len(self.history_)
        self.loss_curve_ = [float(epoch["train_loss"]) for epoch in self.history_]

    def _trains_incrementally(self):
        """Whether ``partial_fit`` exists: not with ``early_stopping=True``.

        Absent rather than failing, so that tools that look for it (scikit-learn's
        checks, dask-ml) take the estimator for what it is; the reason is
        chained to the ``AttributeError``.
        """
        if self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: it trains one epoch per "
                "call, on the rows it is given, with no validation split. Set "
                "early_stopping=False, and watch a validation score of your own between calls."
            )
        return True

    @available_if(_trains_incrementally)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """One pass of training over ``X``, continuing from the previous calls.

        As :class:`~sklearn.neural_network.MLPRegressor`'s ``partial_fit``:
        the first call builds the network (unless :meth:`fit` did); every
        call runs one epoch over the given rows,
        in seeded random mini-batches, keeping the optimizer's state, and
        adds one entry to ``n_iter_``, ``loss_curve_`` and ``history_``.
        ``max_iter``, ``tol`` and ``n_iter_no_change`` play no part, and no
        ``ConvergenceWarning`` is raised. After :meth:`fit`, it continues
        training that model.

        The statistics the model keeps after training (such as the Gaussian
        of the codes that ``sample`` draws from) pool every call's rows, each
        call's rows as the network encodes them at the end of that call:
        exact for a network that no longer changes, a running approximation
        while it still learns. :meth:`fit` computes them on all its rows with
        the final network.

        If a call fails (for instance the loss diverges), the model is left
        as it was before the call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data, in memory (a lazy source is read whole).
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The estimator, trained one more epoch.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from sklearn_ae import AutoencoderTransformer
        >>> X = load_digits().data / 16
        >>> ae = AutoencoderTransformer(n_components=2, random_state=0)
        >>> for chunk in (X[:600], X[600:1200], X[1200:]):
        ...     ae = ae.partial_fit(chunk)
        >>> ae.n_iter_, ae.n_samples_seen_, ae.transform(X[:3]).shape
        (3, 1797, (3, 2))
        """
        return self._partial_fit(X, y)

    def _partial_fit(self, X, y, **data_params):
        if is_lazy(X):
            # A chunk is trained on in memory: read it whole.
            rows = LazyRows(X)
            X = rows.read(0, len(rows), 0)
        if not hasattr(self, "net_"):
            with unfitted_on_error(self):
                return self._partial_fit_first(X, y, **data_params)
        fitted = {key: value for key, value in vars(self).items() if key.endswith("_")}
        try:
            with restored_on_error(self.net_):
                return self._partial_fit_more(X, y, fitted)
        except BaseException:
            # The attributes of the calls before this one, as they were.
            for key in [key for key in vars(self) if key.endswith("_")]:
                delattr(self, key)
            vars(self).update(fitted)
            raise

    def _partial_fit_first(self, X, y, **data_params):
        X, y = self._validate_training_data(X, y)
        y = self._fit_data_statistics(X, y, **data_params)
        device = resolve_device(self.device)
        seed = seed_from(self.random_state)
        with seeded_init(seed, device):
            module = self._build_module(X)
        net = make_net(module, **self._net_params(len(X), device), stop=False)
        with seeded_training(seed, device):
            train_one_epoch(net, self._training_inputs(X, y), device)
        self._set_trained(net, device, len(X))
        self._fit_model_statistics(X, y)
        return self

    def _partial_fit_more(self, X, y, previous):
        """A later call; ``previous`` holds the fitted attributes of the calls before."""
        X, y = self._validate_training_data(X, y, reset=False)
        y = self._update_data_statistics(X, y)
        self._push_data_statistics()
        # A new stream of shuffles for each call, reproducible from the seed.
        seed = (seed_from(self.random_state) + self.n_iter_) % np.iinfo(np.int32).max
        with seeded_training(seed, self.device_):
            train_one_epoch(self.net_, self._training_inputs(X, y), self.device_)
        n_previous = previous["n_samples_seen_"]
        self._set_trained(self.net_, self.device_, n_previous + len(X))
        self._fit_model_statistics(X, y)
        self._pool_model_statistics(previous, n_previous, len(X))
        return self

    # ------------------------------------------------------------ persistence
    def __getstate__(self):
        # The net as plain data (net_state): a pickle or skops file then
        # names no torch or skorch object, and loads on any device.
        # A copy: object.__getstate__ hands out the instance's own __dict__.
        state = dict(super().__getstate__())
        if "net_" in state:
            state["net_"] = net_state(state["net_"])
            state["device_"] = str(state["device_"])
        return state

    def __setstate__(self, state):
        state = dict(state)
        if "net_" in state:
            state["device_"], state["net_"] = self._restored_net(state)
        super().__setstate__(state)

    def _restored_net(self, state):
        """``(device, net)`` rebuilt from an unpickled ``state``, before any attribute is set.

        The network is built from the fitted attributes of ``state`` (on a
        bare instance, so that a failure leaves nothing half-built), then
        takes the saved weights. A model saved on a device this machine does
        not have (a GPU) loads on the CPU, with a warning.
        """
        saved = str(state["device_"])
        try:
            device = resolve_device(saved)
        except ValueError:
            warnings.warn(
                f"{type(self).__name__} was saved on {saved!r}, which this machine does not "
                "have: it is loaded on the CPU. Move it with .to(device).",
                UserWarning,
                stacklevel=3,
            )
            device = torch.device("cpu")
        bare = type(self).__new__(type(self))
        vars(bare).update({key: value for key, value in state.items() if key != "net_"})
        shape = (0, state["n_features_in_"])
        # Initial weights are overwritten: fork the RNG so loading draws nothing.
        with torch_seeded(0, "cpu"):
            module = bare._build_module(np.empty(shape, dtype=np.float32))
        net = restore_net(module, state["net_"], **bare._net_params(1, device), stop=False)
        return device, net

    def to(self, device):
        """Move the fitted model to ``device``, for inference or more training.

        The way to use a model trained on a GPU on the CPU, or the reverse,
        without touching the underlying net. ``partial_fit`` then continues
        on ``device``; ``fit`` trains afresh on the ``device`` parameter.

        Parameters
        ----------
        device : str or torch.device
            ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` or ``"auto"``.

        Returns
        -------
        self : object
            The estimator, on ``device``.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from sklearn_ae import AutoencoderTransformer
        >>> X = load_digits().data / 16
        >>> ae = AutoencoderTransformer(max_iter=2, random_state=0).fit(X)
        >>> ae.to("cpu").device_
        device(type='cpu')
        """
        check_is_fitted(self)
        self.device_ = resolve_device(device)
        move_net(self.net_, self.device_)
        return self

    # --------------------------------------------------------------- inference
    @property
    def _module(self):
        """The fitted torch module."""
        return trained_module(self.net_)

    def _apply(self, fn, inputs, batch_rows=None):
        """``fn(module, **batch)`` by row batches of ``inputs`` (an array ``x`` or a dict).

        ``batch_rows`` defaults to the device's (:func:`inference_batch_rows`).
        """
        if not isinstance(inputs, dict):
            inputs = {"x": inputs}
        return batched_apply(self._module, fn, inputs, device=self.device_, batch_rows=batch_rows)

    def _check_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def _by_block(self, fn, X):
        """``fn(rows, rows_slice)`` over the blocks of a lazy ``X``, outputs concatenated.

        Inference on a memmap, a dask, zarr or h5py array or a torch Dataset
        reads it in blocks; the blocks are whole inference batches, so the
        results are those of the same rows in memory.
        """
        check_is_fitted(self)
        return map_blocks(fn, X, multiple=inference_batch_rows(self.device_))

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
        X : array-like of shape (n_samples, n_features) or lazy source
            Data to encode; a source that :meth:`fit` reads in blocks is
            encoded block by block.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            Codes, in ``X``'s float dtype.
        """
        if is_lazy(X):
            return self._by_block(lambda rows, _: self.transform(rows), X)
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
        return self._apply(lambda module, x: module.decode(x), Z)

    def score_samples(self, X):
        """Per-sample score; higher means more typical of the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or lazy source
            Data to score, read block by block if lazy (as in :meth:`transform`).

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        if is_lazy(X):
            return self._by_block(lambda rows, _: self.score_samples(rows), X)
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
