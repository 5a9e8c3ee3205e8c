"""The only module that knows skorch: the training engine of every estimator.

skorch runs the loop (history, callbacks, early stopping, progress); this
module adapts it to unsupervised models that compute their own loss, feeds it
batches sliced from tensors that already sit on the training device, splits
off the validation set of early stopping, and hands the estimators plain data
back (:func:`history_records`). Everything about the models themselves goes
through the contract of :mod:`sklearn_ae.nn` (``forward``, ``loss`` and the
inference maps), and inference (:func:`batched_apply`) needs no skorch.
"""

import copy
import functools
import math
from contextlib import contextmanager

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, PassthroughScoring, ProgressBar
from skorch.helper import predefined_split
from skorch.history import History

from ._lazy import LazyRows
from .nn._random import randperm

# Rows per inference batch: bounds the memory of ``transform`` and friends on
# large inputs while keeping per-batch Python overhead negligible. On the CPU
# smaller batches keep a network's activations in cache: the ConvNet of the
# overhead benchmark encodes 2x faster by 512 rows than by 4096, the MLP alike.
INFERENCE_BATCH_ROWS = 4096
CPU_INFERENCE_BATCH_ROWS = 512


def inference_batch_rows(device):
    """Rows per batch of inference on ``device``."""
    if torch.device(device).type == "cpu":
        return CPU_INFERENCE_BATCH_ROWS
    return INFERENCE_BATCH_ROWS


# Parameters that take no weight decay, as MLPRegressor's alpha spares the
# intercepts: every bias, including the recurrent cells' bias_ih_l0 and friends.
_NO_DECAY = ("*bias", "*bias_*")

#: Device types with a fused Adam kernel (torch >= 2.4): one kernel updates
#: every parameter, where the default takes a dozen per tensor. It made an
#: epoch of the overhead benchmark's MLP 30% faster on one CPU thread.
_FUSED_ADAM_DEVICES = ("cpu", "cuda", "mps", "xpu")


def adam_options(device):
    """Keywords of :class:`torch.optim.Adam` for the fastest exact update on ``device``."""
    return {"fused": True} if torch.device(device).type in _FUSED_ADAM_DEVICES else {}


class TrainingDivergedError(FloatingPointError):
    """Raised when the training loss or the weights stop being finite.

    The message says what to change: scale the input, or lower
    ``learning_rate_init``. The estimator is left unfitted.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import AutoencoderTransformer, TrainingDivergedError
    >>> X = np.random.RandomState(0).normal(scale=1e30, size=(20, 4))
    >>> try:
    ...     AutoencoderTransformer(max_iter=2, random_state=0).fit(X)
    ... except TrainingDivergedError:
    ...     print("diverged")
    diverged
    """


class TensorDataset(torch.utils.data.Dataset):
    """A dict of aligned tensors already on the training device, batched by slicing.

    Batches are ``(inputs, None)``: ``inputs`` is the dict of the batch's rows
    (``{"x": ...}``, plus ``"y"`` for conditional models), which skorch passes
    to the module as keywords; every model here is unsupervised from skorch's
    point of view. It is one block for :class:`BatchIterator`.
    """

    n_blocks = 1

    def __init__(self, inputs):
        self.inputs = inputs

    def __len__(self):
        return len(self.inputs["x"])

    @property
    def device(self):
        return self.inputs["x"].device

    def block_sizes(self):
        return [len(self)]

    def block(self, k):
        return self.inputs

    def take(self, index):
        return {key: value[index] for key, value in self.inputs.items()}, None

    def __getitem__(self, i):
        return self.take(i)


class BlockDataset(torch.utils.data.Dataset):
    """Some blocks of rows of a lazy source, read and moved to the device one at a time.

    ``inputs`` maps names to a :class:`~sklearn_ae._lazy.LazyRows` (``"x"``)
    or to in-memory arrays aligned with it (labels); ``bounds`` are the
    ``(block, start, stop)`` of the blocks it holds. Only one block is in
    memory at a time, on the host and on the device.
    """

    def __init__(self, inputs, bounds, device):
        self.inputs = inputs
        self.bounds = bounds
        self.device = device

    @property
    def n_blocks(self):
        return len(self.bounds)

    def __len__(self):
        return sum(self.block_sizes())

    def block_sizes(self):
        return [stop - start for _, start, stop in self.bounds]

    def block(self, k):
        block, start, stop = self.bounds[k]
        out = {}
        for key, value in self.inputs.items():
            if isinstance(value, LazyRows):
                # A fresh array of ours: on the CPU, the tensor can share its memory.
                rows = value.read(start, stop, block)
                cpu = torch.device(self.device).type == "cpu" and rows.dtype == np.float32
                out[key] = torch.from_numpy(rows) if cpu else to_tensor(rows, self.device)
            else:
                out[key] = to_tensor(value[start:stop], self.device)
        return out

    def __getitem__(self, i):
        raise TypeError("A BlockDataset is read by blocks, through BatchIterator.")


def as_dataset(data, device):
    """A dataset to train on: ``data`` itself, or a :class:`TensorDataset` of a dict of arrays."""
    if isinstance(data, torch.utils.data.Dataset):
        return data
    return TensorDataset({key: to_tensor(value, device) for key, value in data.items()})


class BatchIterator:
    """Mini-batches of a :class:`TensorDataset` or :class:`BlockDataset`, by tensor indexing.

    skorch's default ``DataLoader`` fetches and collates rows one by one, which
    costs about a quarter of an MNIST-sized epoch; indexing whole tensors with
    a permutation made on the data's own device costs almost nothing and moves
    no data between host and device. Data in blocks is shuffled by block (a
    random order of blocks each epoch) and within each block; batches do not
    cross blocks. Permutations come from the training generator
    (:func:`~sklearn_ae.nn.training_generator`).
    """

    def __init__(self, dataset, batch_size=128, shuffle=False):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return sum(math.ceil(n / self.batch_size) for n in self.dataset.block_sizes())

    def __iter__(self):
        size = self.batch_size
        blocks = range(self.dataset.n_blocks)
        if self.shuffle and self.dataset.n_blocks > 1:
            blocks = randperm(self.dataset.n_blocks, self.dataset.device).tolist()
        for k in blocks:
            block = TensorDataset(self.dataset.block(k))
            n = len(block)
            if self.shuffle:
                order = randperm(n, block.device)
                for start in range(0, n, size):
                    yield block.take(order[start : start + size])
            else:
                for start in range(0, n, size):
                    yield block.take(slice(start, start + size))
            # Let this block go before the next one is read: one block in memory.
            del block


def check_finite_losses(values, keys, epoch, lr):
    """Raise :class:`TrainingDivergedError` on the first batch whose loss is not finite.

    ``values`` holds one row per batch of the epoch (loss and logged terms, in
    the order of ``keys``); the message names the epoch, the batch and what to
    change.
    """
    for batch, row in enumerate(values, start=1):
        for key, value in zip(keys, row, strict=True):
            if not math.isfinite(value):
                raise TrainingDivergedError(
                    f"Training diverged: the {key.replace('_', ' ')} became {value} in epoch "
                    f"{epoch} (batch {batch}). Scale the input (for example with "
                    f"StandardScaler or MinMaxScaler) or lower learning_rate_init "
                    f"(now {lr:g})."
                )


class FiniteWeightsGuard(Callback):
    """Stop with a clear error if training leaves a weight that is not finite.

    A last step can turn weights into NaN/inf without any loss showing it;
    the losses themselves are checked once per epoch by :class:`UnsupervisedNet`.
    """

    def on_train_end(self, net, **kwargs):
        for name, param in net.module_.named_parameters():
            if not torch.isfinite(param).all():
                raise TrainingDivergedError(
                    f"Training diverged: parameter {name!r} is not finite. Scale the "
                    f"input or lower learning_rate_init (now {net.lr:g})."
                )


class UnsupervisedNet(NeuralNet):
    """A :class:`skorch.NeuralNet` whose module computes its own loss from its inputs.

    The module's ``loss(outputs, x, y=None)`` needs the model itself (the
    encoder for a Jacobian penalty, a learned decoder variance, a corruption
    mask), so the criterion is a placeholder and both steps call
    :func:`forward_loss` (compiled with ``compile_step=True``). The terms of
    its :class:`~sklearn_ae.nn.LossOutput` named in ``module.loss_terms`` are
    recorded per batch and averaged per epoch (``train_<term>``,
    ``valid_<term>``) in ``history``, read from the device once per epoch
    (:meth:`run_single_epoch`).
    """

    def __init__(self, *args, compile_step=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.compile_step = compile_step

    def get_default_callbacks(self):
        callbacks = list(super().get_default_callbacks())
        for term in self.module.loss_terms:
            callbacks.append((f"train_{term}", PassthroughScoring(f"train_{term}", on_train=True)))
            callbacks.append((f"valid_{term}", PassthroughScoring(f"valid_{term}")))
        return callbacks

    def _forward_loss(self, inputs):
        """The batch's forward outputs and loss; the terms to log are kept on the device."""
        step = compiled_step if self.compile_step else forward_loss
        outputs, losses = step(self.module_, inputs)
        terms = losses.terms()
        # Read by run_single_epoch, once per epoch.
        self._batch_terms = [terms[term].detach() for term in self.module_.loss_terms]
        return outputs, losses.loss

    # skorch's two steps, with the module's forward and loss as one function
    # (:func:`forward_loss`) that torch.compile can take whole.
    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        outputs, loss = self._forward_loss(batch[0])
        loss.backward()
        return {"loss": loss, "y_pred": outputs}

    def validation_step(self, batch, **fit_params):
        self._set_training(False)
        with torch.no_grad():
            outputs, loss = self._forward_loss(batch[0])
        return {"loss": loss, "y_pred": outputs}

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """skorch's epoch, reading the batch losses from the device once, at its end.

        skorch calls ``.item()`` on every batch's loss, which makes the host wait
        for the device each step. Here the losses and logged terms stay on the
        device until the epoch is over; then they are copied in one transfer,
        written into ``history`` per batch as skorch would have, and checked:
        a loss that is not finite stops training in the epoch it happened in,
        before the epoch's callbacks see it. In ``on_batch_end`` the batch's
        loss is the ``loss`` tensor passed to the callback.
        """
        if iterator is None:
            return
        keys = [f"{prefix}_{name}" for name in ("loss", *self.module_.loss_terms)]
        losses = []
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            losses.append(step["loss"].detach())
            losses.extend(self._batch_terms)
            self.history.record_batch(f"{prefix}_batch_size", len(batch[0]["x"]))
            self.notify("on_batch_end", batch=batch, training=training, **step)
        n_batches = len(losses) // len(keys)
        values = torch.stack(losses).view(n_batches, len(keys)).tolist() if losses else []
        batches = self.history[-1]["batches"]
        for record, row in zip(batches[len(batches) - n_batches :], values, strict=True):
            record.update(zip(keys, row, strict=True))
        check_finite_losses(values, keys, len(self.history), self.lr)
        self.history.record(f"{prefix}_batch_count", n_batches)


def forward_loss(module, inputs):
    """``(outputs, LossOutput)`` of ``module`` on the batch ``inputs`` (a dict of tensors)."""
    outputs = module(**inputs)
    return outputs, module.loss(outputs, **inputs)


@functools.cache
def compiled_forward_loss():
    """:func:`forward_loss` through :func:`torch.compile`, made on first use.

    One compiled function for every net: torch.compile lifts a module's
    parameters to graph inputs, so nets of the same architecture share the
    compiled code instead of compiling again.
    """
    return torch.compile(forward_loss)


def compiled_step(module, inputs):
    """:func:`compiled_forward_loss`, with a clear error when torch cannot compile."""
    try:
        return compiled_forward_loss()(module, inputs)
    except torch._dynamo.exc.BackendCompilerFailed as exc:
        cause = getattr(exc, "inner_exception", exc)
        raise RuntimeError(
            "compile=True: torch.compile could not compile the training step "
            f"({type(cause).__name__}: {cause}). On the CPU it needs a C++ compiler (gcc or "
            "clang), on a GPU Triton; install what is missing, or set compile=False."
        ) from exc


class _ProgressBar(ProgressBar):
    """skorch's progress bar, showing each batch's loss from the ``loss`` tensor.

    The history receives the batch losses when the epoch ends; reading the
    tensor here makes the host wait for the device every batch, a cost only
    worth paying for a progress bar that someone watches (``verbose=2``).
    """

    def on_batch_end(self, net, training=False, loss=None, **kwargs):
        self.pbar_.set_postfix(
            {f"{'train' if training else 'valid'}_loss": loss.item()}, refresh=False
        )
        self.pbar_.update()


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


def _silent(*args, **kwargs):
    """A sink that discards skorch's messages when ``verbose=0``."""


def split_validation(inputs, fraction, seed):
    """``(train, valid)`` dicts of aligned arrays; ``valid`` is None when ``fraction`` is None.

    The validation rows are a seeded random ``ceil(fraction * n)`` of them.
    """
    if fraction is None:
        return inputs, None
    n = len(inputs["x"])
    n_valid = int(np.ceil(fraction * n))
    if n - n_valid < 1 or n_valid < 1:
        raise ValueError(
            f"early_stopping needs at least one training and one validation sample; "
            f"n_samples={n} with validation_fraction={fraction}."
        )
    keys = list(inputs)
    parts = train_test_split(*(inputs[k] for k in keys), test_size=n_valid, random_state=seed)
    return dict(zip(keys, parts[::2], strict=True)), dict(zip(keys, parts[1::2], strict=True))


def to_tensor(X, device, dtype=torch.float32):
    """Copy an array to a tensor (copying also avoids torch's warning on read-only arrays).

    Integer arrays (labels) become int64 whatever ``dtype`` says.
    """
    X = np.asarray(X)
    if np.issubdtype(X.dtype, np.integer):
        dtype = torch.long
    return torch.tensor(X, dtype=dtype, device=device)


def make_net(
    module,
    valid=None,
    *,
    device,
    batch_size,
    learning_rate,
    weight_decay,
    max_epochs,
    tol,
    n_iter_no_change,
    verbose=0,
    callbacks=(),
    user_callbacks=None,
    stop=True,
    compile=False,
):
    """An unfitted net that trains ``module`` as :func:`fit_module` describes.

    ``stop=False`` leaves early stopping out: for nets trained one epoch per
    call (:func:`train_one_epoch`), where no run lasts long enough to stall.
    """
    valid_ds = None if valid is None else as_dataset(valid, device)
    all_callbacks = [("finite_weights", FiniteWeightsGuard())]
    if stop:
        stopping = _EarlyStopping(
            monitor="valid_loss" if valid is not None else "train_loss",
            patience=n_iter_no_change,
            threshold=tol,
            threshold_mode="abs",
            load_best=valid is not None,
            sink=print if verbose else _silent,
        )
        all_callbacks.append(("stop", stopping))
    all_callbacks.extend(callbacks)
    if verbose >= 2:
        all_callbacks.append(("progress_bar", _ProgressBar()))
    # skorch stores state on callbacks, and scikit-learn forbids fit from
    # changing a parameter: train on copies of the user's callbacks.
    all_callbacks.extend(copy.deepcopy(user_callbacks or []))
    return UnsupervisedNet(
        module=module,
        criterion=torch.nn.Identity,
        optimizer=torch.optim.Adam,
        lr=learning_rate,
        optimizer__weight_decay=weight_decay,
        **{f"optimizer__{key}": value for key, value in adam_options(device).items()},
        optimizer__param_groups=[(pattern, {"weight_decay": 0.0}) for pattern in _NO_DECAY],
        max_epochs=max_epochs,
        batch_size=batch_size,
        iterator_train=BatchIterator,
        iterator_train__shuffle=True,
        iterator_valid=BatchIterator,
        train_split=predefined_split(valid_ds) if valid_ds is not None else None,
        callbacks=all_callbacks,
        verbose=int(verbose),
        device=str(device),
        compile_step=compile,
    )


def flushing_denormals():
    """Whether float arithmetic on the CPU flushes denormal numbers to zero now.

    torch can set the mode (:func:`torch.set_flush_denormal`) but not tell it;
    a denormal float32 survives a multiplication by one only when it is off.
    """
    return bool(torch.tensor(1e-39) * 1.0 == 0)


@contextmanager
def denormals_flushed():
    """Flush denormal floats to zero while training on the CPU, then restore the mode.

    Adam's moving averages of a parameter whose gradient stays zero (a dead
    ReLU unit) decay geometrically through the denormal range, where x86
    arithmetic is a hundred times slower: the second epoch of the scaling
    benchmark at 100,000 rows took 38 s instead of 5 s. Values that small
    change nothing in training.
    """
    previous = flushing_denormals()
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(previous)


def fit_module(module, train, valid=None, **net_params):
    """Train ``module`` with skorch on ``train`` (and ``valid``): dicts of aligned
    arrays, or :class:`BlockDataset` s.

    Adam with a weight decay on the weights (not the biases); training stops
    after ``max_epochs`` epochs, or when the monitored loss (validation loss
    if ``valid`` is given, training loss otherwise) has not improved by
    ``tol`` for ``n_iter_no_change`` epochs, and then the best epoch's weights
    are restored if there is a validation set. ``callbacks`` are
    ``(name, callback)`` pairs of the model; ``user_callbacks`` the user's,
    trained on copies. ``net_params`` are those of :func:`make_net`. Returns
    the fitted net.
    """
    net = make_net(module, valid, **net_params)
    device = net_params["device"]
    with denormals_flushed():
        net.fit(as_dataset(train, device), None)
    # The validation data is not needed any more: keep it out of pickles.
    net.train_split = None
    return net


def train_one_epoch(net, train, device):
    """One more epoch of ``net`` (fitted or not) over ``train`` (as in :func:`fit_module`).

    The optimizer's state and the history carry over from earlier calls, as
    in scikit-learn's ``partial_fit``.
    """
    with denormals_flushed():
        net.partial_fit(as_dataset(train, device), None, epochs=1)
    return net


@contextmanager
def restored_on_error(net):
    """Put ``net`` back as it was (weights, optimizer, history) if the block raises.

    A ``partial_fit`` that diverges, or is interrupted, in the middle of its
    epoch must not leave half an epoch's updates behind.
    """
    module = copy.deepcopy(net.module_.state_dict())
    optimizer = copy.deepcopy(net.optimizer_.state_dict())
    n_epochs = len(net.history)
    try:
        yield
    except BaseException:
        net.module_.load_state_dict(module)
        net.optimizer_.load_state_dict(optimizer)
        del net.history[n_epochs:]
        raise


#: Version of the layout :func:`net_state` writes; :func:`restore_net` reads
#: this one and the ones before it.
NET_STATE_FORMAT = 1


def _to_numpy(value):
    """Tensors (nested in dicts, lists and tuples) as NumPy arrays on the host."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy().copy()
    if isinstance(value, dict):
        return {key: _to_numpy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_numpy(item) for item in value)
    return value


def net_state(net):
    """A fitted net as plain data: NumPy arrays, numbers, strings, lists and dicts.

    What :func:`restore_net` rebuilds it from, and all that the estimators
    pickle or hand to ``skops``: no torch object, so that loading runs no
    code of torch's or skorch's choosing.
    """
    optimizer = net.optimizer_.state_dict()
    return {
        "format": NET_STATE_FORMAT,
        "module": _to_numpy(dict(net.module_.state_dict())),
        # The per-parameter state is keyed by position: string keys, for skops.
        "optimizer_state": {
            str(key): _to_numpy(value) for key, value in optimizer["state"].items()
        },
        "optimizer_param_groups": _to_numpy(optimizer["param_groups"]),
        "history": [dict(epoch) for epoch in net.history],
        "batch_size": int(net.batch_size),
    }


def restore_net(module, state, **net_params):
    """The net of :func:`net_state`'s ``state`` around ``module``, built afresh.

    ``net_params`` are those of :func:`make_net` (``batch_size`` is the saved
    one). A state from a newer version of the format, or weights that do not
    fit ``module``, are a ``ValueError`` that says so.
    """
    if not isinstance(state, dict) or "module" not in state:
        raise ValueError("The saved model holds no network state; the file is damaged.")
    if state.get("format", NET_STATE_FORMAT + 1) > NET_STATE_FORMAT:
        raise ValueError(
            f"The saved network has format {state.get('format')}, newer than this version "
            f"of sklearn_ae reads (up to {NET_STATE_FORMAT}): it was written by a newer "
            "sklearn_ae. Upgrade sklearn_ae to load it."
        )
    device = net_params["device"]
    weights = {key: torch.as_tensor(np.asarray(value)) for key, value in state["module"].items()}
    try:
        module.load_state_dict(weights, strict=True)
    except RuntimeError as exc:
        raise ValueError(
            f"The saved network's weights do not fit the model its parameters describe "
            f"(the file is damaged or was edited): {exc}"
        ) from None
    net = make_net(module.to(device), **{**net_params, "batch_size": state["batch_size"]})
    net.initialize()
    optimizer = {
        "state": {
            int(key): {name: torch.as_tensor(np.asarray(v)) for name, v in value.items()}
            for key, value in state["optimizer_state"].items()
        },
        "param_groups": state["optimizer_param_groups"],
    }
    try:
        net.optimizer_.load_state_dict(optimizer)
    except (ValueError, KeyError, RuntimeError) as exc:
        raise ValueError(f"The saved optimizer state does not fit the network: {exc}") from None
    net.history_ = History(dict(epoch) for epoch in state["history"])
    return net


def move_net(net, device):
    """Move a fitted net (its weights and optimizer state) to ``device``.

    The optimizer's state follows its parameters: ``load_state_dict`` puts each
    tensor where its parameter now is, and a fused Adam's step counter with them.
    """
    net.module_.to(device)
    net.optimizer_.load_state_dict(net.optimizer_.state_dict())
    net.device = str(device)
    return net


def history_records(net):
    """The net's per-epoch history as plain dicts, without skorch's bookkeeping.

    Kept: ``epoch``, ``dur``, the losses and their logged terms (``train_*``,
    ``valid_*``) and what callbacks record (``kl_weight``); dropped: the
    per-batch records, batch counts and skorch's ``*_best`` flags.
    """
    return [
        {
            key: value
            for key, value in epoch.items()
            if key != "batches" and not key.endswith(("_best", "_batch_count"))
        }
        for epoch in net.history
    ]


def trained_module(net):
    """The torch module a net trained."""
    return net.module_


def inference_copy(module, dtype, device):
    """The fitted module in eval mode, in the dtype inference runs in.

    Float64 inputs are computed with a float64 copy of the (float32-trained)
    weights: float32 matrix kernels round differently depending on the batch
    around a row, and scikit-learn requires row-wise results to ~1e-7. The
    copy is cheap next to any real inference and leaves the fitted net as it is.
    """
    if dtype == torch.float64 and torch.device(device).type != "mps":
        module = copy.deepcopy(module).to(torch.float64)
    return module.eval()


def batched_apply(module, fn, inputs, *, device, batch_rows=None):
    """Apply ``fn(module, **batch)`` by row batches of the dict of aligned arrays ``inputs``.

    The float arrays of ``inputs`` are validated float32/float64 arrays of one
    dtype (``inputs["x"]``'s), the integer ones labels; ``fn`` returns a tensor
    whose first axis is the batch, or a dict of them. NumPy comes out, in
    ``inputs["x"]``'s dtype: an array, or a dict of arrays. ``batch_rows``
    defaults to :func:`inference_batch_rows`.
    """
    X = inputs["x"]
    batch_rows = batch_rows or inference_batch_rows(device)
    dtype = torch.float64 if X.dtype == np.float64 else torch.float32
    module = inference_copy(module, dtype, device)
    if torch.device(device).type == "mps":
        dtype = torch.float32
    parts = []
    with torch.inference_mode():
        for start in range(0, max(len(X), 1), batch_rows):
            batch = {
                key: to_tensor(value[start : start + batch_rows], device, dtype)
                for key, value in inputs.items()
            }
            out = fn(module, **batch)
            if isinstance(out, dict):
                parts.append({key: value.cpu().numpy() for key, value in out.items()})
            else:
                parts.append(out.cpu().numpy())
    if isinstance(parts[0], dict):
        return {
            key: np.concatenate([part[key] for part in parts]).astype(X.dtype, copy=False)
            for key in parts[0]
        }
    return np.concatenate(parts).astype(X.dtype, copy=False)
