"""The only module that knows skorch: the training engine of every estimator.

skorch runs the loop (history, callbacks, early stopping, progress); this
module adapts it to unsupervised models that compute their own loss and feeds
it batches sliced from tensors that already sit on the training device.
"""

import copy
import math

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, PassthroughScoring

# Rows per inference batch: bounds the memory of ``transform`` and friends on
# large inputs while keeping per-batch Python overhead negligible.
INFERENCE_BATCH_ROWS = 4096


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
    """Tensors already on the training device, batched by slicing.

    ``X`` is a tensor, or a dict of tensors (for modules whose ``forward``
    takes several inputs, such as a label); batches are ``(X_batch, None)``
    because every model here is unsupervised from skorch's point of view.
    """

    def __init__(self, X):
        self.X = X

    def __len__(self):
        first = next(iter(self.X.values())) if isinstance(self.X, dict) else self.X
        return len(first)

    def take(self, index):
        if isinstance(self.X, dict):
            return {key: value[index] for key, value in self.X.items()}, None
        return self.X[index], None

    def __getitem__(self, i):
        return self.take(i)


class BatchIterator:
    """Mini-batches of a :class:`TensorDataset`, drawn by tensor indexing.

    skorch's default ``DataLoader`` fetches and collates rows one by one, which
    costs about a quarter of an MNIST-sized epoch; indexing whole tensors with
    a permutation made on the data's own device costs almost nothing and moves
    no data between host and device.
    """

    def __init__(self, dataset, batch_size=128, shuffle=False):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        n, size = len(self.dataset), self.batch_size
        if self.shuffle:
            order = torch.randperm(n, device=_device_of(self.dataset.X))
            for start in range(0, n, size):
                yield self.dataset.take(order[start : start + size])
        else:
            for start in range(0, n, size):
                yield self.dataset.take(slice(start, start + size))


def _device_of(X):
    return next(iter(X.values())).device if isinstance(X, dict) else X.device


class FiniteLossGuard(Callback):
    """Stop training with a clear error as soon as the loss is not finite."""

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        key = "train_loss" if training else "valid_loss"
        value = net.history[-1, "batches", -1, key]
        if not math.isfinite(value):
            raise TrainingDivergedError(
                f"Training diverged: the {key.replace('_', ' ')} became {value} in epoch "
                f"{len(net.history)}. Scale the input (for example with StandardScaler "
                f"or MinMaxScaler) or lower learning_rate_init (now {net.lr:g})."
            )

    def on_train_end(self, net, **kwargs):
        # A last step can turn weights into NaN/inf without any loss showing it.
        for name, param in net.module_.named_parameters():
            if not torch.isfinite(param).all():
                raise TrainingDivergedError(
                    f"Training diverged: parameter {name!r} is not finite. Scale the "
                    f"input or lower learning_rate_init (now {net.lr:g})."
                )


class UnsupervisedNet(NeuralNet):
    """A :class:`skorch.NeuralNet` whose module computes its own loss from ``X``.

    The module's ``loss(outputs, X)`` needs the model itself (the encoder for a
    Jacobian penalty, a learned decoder variance, a corruption mask), so the
    criterion is a placeholder and ``get_loss`` asks the module. Extra loss
    terms named in ``module.loss_terms`` are recorded per batch and averaged
    per epoch (``train_<term>``, ``valid_<term>``) in ``history``.
    """

    def get_default_callbacks(self):
        callbacks = list(super().get_default_callbacks())
        terms = getattr(self.module, "loss_terms", ())
        for term in terms:
            callbacks.append((f"train_{term}", PassthroughScoring(f"train_{term}", on_train=True)))
            callbacks.append((f"valid_{term}", PassthroughScoring(f"valid_{term}")))
        return callbacks

    def get_loss(self, y_pred, y_true, X=None, training=False):
        losses = self.module_.loss(y_pred, X)
        prefix = "train" if training else "valid"
        for term in self.module_.loss_terms:
            self.history.record_batch(f"{prefix}_{term}", losses[term].item())
        return losses["loss"]


def to_tensor(X, device, dtype=torch.float32):
    """Copy an array to a tensor (copying also avoids torch's warning on read-only arrays)."""
    return torch.tensor(np.asarray(X), dtype=dtype, device=device)


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


def batched_apply(module, fn, X, *, device, batch_rows=INFERENCE_BATCH_ROWS):
    """Apply ``fn(module, X_batch)`` by row batches; NumPy out, in ``X``'s dtype.

    ``X`` is a validated float32/float64 array; ``fn`` returns a tensor whose
    first axis is the batch.
    """
    dtype = torch.float64 if X.dtype == np.float64 else torch.float32
    module = inference_copy(module, dtype, device)
    if torch.device(device).type == "mps":
        dtype = torch.float32
    parts = []
    with torch.inference_mode():
        for start in range(0, max(len(X), 1), batch_rows):
            batch = to_tensor(X[start : start + batch_rows], device, dtype)
            parts.append(fn(module, batch).cpu().numpy())
    return np.concatenate(parts).astype(X.dtype, copy=False)
