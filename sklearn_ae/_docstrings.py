"""Docstring entries shared by the neural estimators, written once.

Every network-based estimator takes the same training parameters and sets the
same fitted attributes. Their numpydoc entries live here, and
:func:`fill_docstring` copies them into a class docstring where a line holds
only a marker:

- ``{{name}}`` inserts the entry ``name``;
- ``{{first..last}}`` inserts the entries from ``first`` to ``last``, in the
  order in which they are listed below (parameters and attributes are listed
  separately; a range stays within one list).

The entries are inserted at the marker's indentation. Indented lines right
after a marker extend the description of its last entry. An estimator whose
entry says something else (another default, what its loss curve measures)
writes that entry itself instead, between the markers.
"""

import re

_PARAMETERS = """\
architecture : Architecture or None, default=None
    The networks: None for an MLP built from ``hidden_layer_sizes`` and
    ``activation``, or an object of :mod:`sklearn_ae.architectures`
    (``MLP``, ``ConvNet`` for images, ``RecurrentNet`` and ``Conv1dNet`` for
    windows of a series, ``TorchModules`` for your own torch modules). Its
    parameters are searchable as ``architecture__<param>``.
hidden_layer_sizes : tuple of int, default=(256, 64)
    Widths of the encoder's hidden layers; the decoder mirrors them. Used
    when ``architecture`` is None.
activation : {"relu", "tanh", "logistic", "identity", "elu", "gelu", "silu"}, \
default="relu"
    Activation of the hidden layers, when ``architecture`` is None.
loss : {"squared_error", "binary_crossentropy"}, default="squared_error"
    Reconstruction loss. Cross-entropy suits data in [0, 1], such as
    min-max scaled pixels; it requires inputs in that range.
alpha : float, default=1e-4
    Strength of the L2 penalty on the weights (not the biases), with
    :class:`~sklearn.neural_network.MLPRegressor`'s scaling: the term
    ``0.5 * alpha * ||W||^2`` joins each mini-batch's loss, i.e. Adam's
    weight decay is ``alpha / batch_size``.
batch_size : int or "auto", default="auto"
    Mini-batch size; ``"auto"`` means ``min(200, n_samples)``.
learning_rate_init : float, default=1e-3
    Adam's learning rate.
max_iter : int, default=200
    Maximum number of epochs.
tol : float, default=1e-4
    Training stops when the monitored loss (the training loss, or the
    validation loss with ``early_stopping``) has not improved by at least
    ``tol`` for ``n_iter_no_change`` consecutive epochs.
early_stopping : bool, default=False
    Hold out ``validation_fraction`` of the data, monitor its loss, and
    restore the weights of the best epoch at the end.
validation_fraction : float, default=0.1
    Share of the training data held out when ``early_stopping`` is on.
n_iter_no_change : int, default=10
    Patience, in epochs, of the stopping rule.
callbacks : list of skorch callbacks or (name, callback) pairs, default=None
    Extra skorch callbacks (learning-rate schedules, checkpoints, ...).
    Copies are trained, so the list passed in is never modified.
compile : bool, default=False
    Compile the training step (forward pass, loss and their backward) with
    :func:`torch.compile`. The first epoch pays the compilation (seconds to
    tens of seconds); it can pay back on a GPU or in long trainings, not in
    short CPU ones (see :ref:`training_speed`). Results match the uncompiled
    step to float32 rounding, not bit for bit.
device : str or torch.device, default="cpu"
    ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` or ``"auto"`` (CUDA if
    available). Resolved at fit; outputs are always NumPy arrays.
random_state : int, RandomState instance or None, default=None
    Seeds weight initialisation, shuffling and the validation split.
    The same integer gives the same model, bit for bit on the CPU at a
    fixed number of threads. The global torch RNG is left untouched.
verbose : int, default=0
    0 prints nothing, 1 one line per epoch, 2 adds a progress bar.
"""

_ATTRIBUTES = """\
net_ : skorch.NeuralNet
    The fitted skorch net, for skorch users; what it records is also in
    ``history_``, ``loss_curve_`` and the other curves as plain data.
device_ : torch.device
    The device the model was trained on, and on which it runs.
n_components_ : int
    Width of the fitted code: what ``transform`` returns, whatever
    ``n_components`` is set to after fit.
n_features_in_ : int
    Number of features seen during fit.
feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of features seen during fit, when ``X`` has string column names.
history_ : list of dict
    One dict per epoch, as recorded in training: ``train_loss`` and the
    loss terms (``train_reconstruction``, ``train_kl``, ...), their
    ``valid_`` counterparts with ``early_stopping``, ``dur`` (seconds).
n_samples_seen_ : int
    Number of training rows: those of ``fit``, plus those of every
    ``partial_fit`` call after it.
n_iter_ : int
    Number of epochs run (by ``fit``, plus one per ``partial_fit`` call).
loss_curve_ : list of float
    Training loss per epoch.
validation_scores_ : list of float
    Negative validation loss per epoch (only with ``early_stopping``).
best_validation_score_ : float
    Best of ``validation_scores_`` (only with ``early_stopping``).
latent_mean_ : ndarray of shape (n_components,)
    Mean of the training codes, used by :meth:`sample`.
latent_covariance_ : ndarray of shape (n_components, n_components)
    Covariance of the training codes, used by :meth:`sample`.
noise_scale_ : float or None
    Root mean squared error per entry of the training reconstructions
    (estimated on at most 2,048 evenly spaced training rows): the
    standard deviation of the Gaussian observation noise that
    ``sample(noise=True)`` adds. None with ``loss="binary_crossentropy"``,
    whose observations are Bernoulli draws.
"""


def _parse(section):
    """The entries of a numpydoc section written at indentation 0, by name."""
    entries = {}
    for line in section.splitlines():
        if not line.startswith(" "):
            name = line.split(" : ", 1)[0]
            entries[name] = []
        entries[name].append(line)
    return entries


_SECTIONS = (_parse(_PARAMETERS), _parse(_ATTRIBUTES))

# A line holding only ``{{name}}`` or ``{{first..last}}``.
_MARKER = re.compile(r"^(?P<indent>[ ]*)\{\{(?P<first>\w+)(?:\.\.(?P<last>\w+))?\}\}$", re.M)


def _entries(first, last):
    for entries in _SECTIONS:
        if first in entries:
            names = list(entries)
            start, stop = names.index(first), names.index(last or first)
            if stop < start:
                raise ValueError(f"{{{{{first}..{last}}}}}: {last!r} comes before {first!r}.")
            return [line for name in names[start : stop + 1] for line in entries[name]]
    raise KeyError(f"No shared docstring entry {first!r}.")


def _expand(match):
    lines = _entries(match["first"], match["last"])
    return "\n".join(match["indent"] + line for line in lines)


def fill_docstring(cls):
    """Class decorator: replace the markers of ``cls.__doc__`` by the shared entries.

    Parameters
    ----------
    cls : type
        The class whose docstring holds markers (see the module docstring).

    Returns
    -------
    cls : type
        The same class, its docstring completed. A class without a docstring
        (``python -OO``) is returned as it is.

    Examples
    --------
    >>> from sklearn_ae._docstrings import fill_docstring
    >>> @fill_docstring
    ... class Model:
    ...     '''A model.
    ...
    ...     Parameters
    ...     ----------
    ...     {{max_iter}}
    ...     '''
    >>> print(Model.__doc__.splitlines()[4])
        max_iter : int, default=200
    """
    if cls.__doc__ is not None:
        cls.__doc__ = _MARKER.sub(_expand, cls.__doc__)
        if "{{" in cls.__doc__:
            raise ValueError(f"Unexpanded docstring marker in {cls.__name__}.")
    return cls
