"""Export to ONNX: the estimators, alone or inside scikit-learn pipelines.

:func:`to_onnx` converts a fitted estimator of this package, or a whole
scikit-learn pipeline that contains some, into one ONNX model that
onnxruntime (or any ONNX runtime) runs without Python, PyTorch or pickle.
Pipelines go through `skl2onnx <https://onnx.ai/sklearn-onnx/>`__, which
converts scikit-learn's own steps; :func:`register_converters` teaches it
ours, whose graphs are the fitted networks exported by ``torch.onnx``
(PPCA's, its matrices). Needs the ``onnx`` extra:
``pip install "sklearn-ae[onnx]"`` (``onnx``, ``skl2onnx``, and
``onnxruntime`` to run the result).
"""

import copy
import logging
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ._base import BaseAutoencoder
from ._ppca import PPCA

__all__ = ["register_converters", "to_onnx"]

#: The ONNX opset of the main domain unless ``target_opset`` says otherwise:
#: the lowest that torch's exporter writes, which skl2onnx writes too.
DEFAULT_OPSET = 18

_INSTALL = 'pip install "sklearn-ae[onnx]"'


def _require(module):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as exc:
        raise ImportError(
            f"Exporting to ONNX needs the optional package {module.split('.')[0]!r}, which "
            f"is not installed: {_INSTALL} (onnx, skl2onnx and onnxruntime)."
        ) from exc


class _Map(torch.nn.Module):
    """One method of a fitted estimator as a torch module, for ``torch.onnx``."""

    def __init__(self, module, method):
        super().__init__()
        self.module = module
        self.method = method

    def forward(self, x):
        if self.method == "transform":
            return self.module.encode(x)
        return self.module.decode(x, None)


def _torch_map(estimator, method):
    """``(module, n_inputs, n_outputs)``: ``estimator.<method>`` on float32 rows."""
    check_is_fitted(estimator)
    if isinstance(estimator, PPCA):
        # transform: M^-1 W^T (x - mu); inverse_transform: W z + mu.
        W = estimator.components_.T
        M = W.T @ W + estimator.noise_variance_ * np.eye(W.shape[1])
        if method == "transform":
            weight = np.linalg.solve(M, W.T)
            bias = -weight @ estimator.mean_
        else:
            weight, bias = W, estimator.mean_
        linear = torch.nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weight))
            linear.bias.copy_(torch.from_numpy(bias))
        return linear.eval(), weight.shape[1], weight.shape[0]
    if isinstance(estimator, BaseAutoencoder):
        # A CPU float32 copy: exporting changes nothing of the fitted model.
        module = copy.deepcopy(estimator._module).to("cpu").float().eval()
        n_in, n_out = estimator.n_features_in_, estimator.n_components_
        if method != "transform":
            n_in, n_out = n_out, n_in
        return _Map(module, method).eval(), n_in, n_out
    raise TypeError(
        f"to_onnx exports the estimators of sklearn_ae (and pipelines of them), not "
        f"{type(estimator).__name__}."
    )


def _export(estimator, method, opset):
    """The ONNX model of ``estimator.<method>``: input ``X``, output ``y``, batch dynamic."""
    onnx = _require("onnx")
    module, n_in, _ = _torch_map(estimator, method)
    # torch's exporter logs, once, which torchvision operators it skips.
    logger = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # Notes from torch's tracer about its own internals (recurrent
            # layers' weight lists, deprecated helpers): nothing to act on.
            warnings.filterwarnings("ignore", message=".*(_check_is_size|LeafSpec)")
            warnings.filterwarnings("ignore", message=".*were assigned during export")
            program = torch.onnx.export(
                module,
                (torch.zeros(2, n_in),),
                input_names=["X"],
                output_names=["y"],
                dynamic_shapes=({0: torch.export.Dim("n")},),
                opset_version=opset,
                dynamo=True,
                verbose=False,
            )
    finally:
        logger.setLevel(level)
    model = onnx.load_model_from_string(program.model_proto.SerializeToString())
    # torch.onnx falls back to a fixed batch size when its code asks for one:
    # a model that takes only two rows is an error, not an export.
    if model.graph.input[0].type.tensor_type.shape.dim[0].dim_value:
        raise ValueError(
            f"{type(estimator).__name__}.{method} could not be exported for any number of "
            "rows: its network's code fixes the batch size (for example with len(x); use "
            "x.shape[0])."
        )
    return model


def _shape_calculator(operator):
    data_types = _require("skl2onnx.common.data_types")
    estimator = operator.raw_operator
    n_rows = operator.inputs[0].get_first_dimension()
    width = estimator.n_components_
    kind = type(operator.inputs[0].type)
    if kind not in (data_types.FloatTensorType, data_types.DoubleTensorType):
        kind = data_types.FloatTensorType
    operator.outputs[0].type = kind([n_rows, width])


def _converter(scope, operator, container):
    """Embed the exported graph of ``operator.raw_operator.transform`` in ``container``."""
    onnx = _require("onnx")
    numpy_helper = _require("onnx.numpy_helper")
    data_types = _require("skl2onnx.common.data_types")
    opset = container.target_opset
    if isinstance(opset, dict):
        opset = opset.get("", DEFAULT_OPSET)
    graph = _export(operator.raw_operator, "transform", opset).graph
    _fill_sequence_lengths(graph)
    source, target = operator.inputs[0].full_name, operator.outputs[0].full_name
    double = isinstance(operator.inputs[0].type, data_types.DoubleTensorType)
    names = {}
    if double:
        # The networks compute in float32, as in training.
        names["X"] = scope.get_unique_variable_name("x_float")
        container.add_node("Cast", [source], [names["X"]], to=onnx.TensorProto.FLOAT)
        names["y"] = scope.get_unique_variable_name("y_float")
    else:
        names["X"], names["y"] = source, target

    def renamed(name):
        if name == "":
            return ""
        if name not in names:
            names[name] = scope.get_unique_variable_name(name.replace(".", "_").strip("/"))
        return names[name]

    for tensor in graph.initializer:
        array = numpy_helper.to_array(tensor)
        container.add_initializer(
            renamed(tensor.name), tensor.data_type, list(array.shape), array.ravel().tolist()
        )
    for node in graph.node:
        attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        container.add_node(
            node.op_type,
            [renamed(name) for name in node.input],
            [renamed(name) for name in node.output],
            op_domain=node.domain,
            name=scope.get_unique_operator_name(node.op_type),
            **attributes,
        )
    if double:
        container.add_node("Cast", [names["y"]], [target], to=onnx.TensorProto.DOUBLE)


def _fill_sequence_lengths(graph):
    """Give recurrent nodes an explicit ``sequence_lens`` (every sequence whole).

    torch leaves that optional input empty and passes the initial states
    after it; skl2onnx cannot place a node with an empty input in its
    graph. The lengths are the time dimension of the node's input, one per
    row, which is what an empty input means.
    """
    onnx = _require("onnx")
    numpy_helper = _require("onnx.numpy_helper")
    nodes = []
    for position, node in enumerate(graph.node):
        inputs = list(node.input)
        if node.op_type in ("LSTM", "GRU", "RNN") and len(inputs) > 5 and inputs[4] == "":
            prefix = f"seqlen{position}_"
            for name, value in (("time", 0), ("batch", 1)):
                graph.initializer.append(
                    numpy_helper.from_array(np.array(value, dtype=np.int64), prefix + name)
                )
            graph.initializer.append(
                numpy_helper.from_array(np.array([1], dtype=np.int64), prefix + "one")
            )
            make = onnx.helper.make_node
            nodes += [
                make("Shape", [inputs[0]], [prefix + "shape"]),
                make("Gather", [prefix + "shape", prefix + "time"], [prefix + "t"]),
                make("Gather", [prefix + "shape", prefix + "batch"], [prefix + "b"]),
                make("Cast", [prefix + "t"], [prefix + "t32"], to=onnx.TensorProto.INT32),
                make("Reshape", [prefix + "b", prefix + "one"], [prefix + "size"]),
                make("Expand", [prefix + "t32", prefix + "size"], [prefix + "lens"]),
            ]
            inputs[4] = prefix + "lens"
            del node.input[:]
            node.input.extend(inputs)
        nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)


_REGISTERED = set()


def register_converters():
    """Teach skl2onnx to convert this package's transformers, in pipelines too.

    :func:`to_onnx` calls it; call it yourself to use ``skl2onnx.to_onnx``
    or ``skl2onnx.convert_sklearn`` directly. Every neural estimator and
    :class:`~sklearn_ae.PPCA` convert their ``transform``.

    Examples
    --------
    >>> from sklearn_ae.export import register_converters
    >>> register_converters()
    """
    skl2onnx = _require("skl2onnx")
    classes = [PPCA, *_subclasses(BaseAutoencoder)]
    for cls in classes:
        if cls in _REGISTERED:
            continue
        skl2onnx.update_registered_converter(
            cls, f"SklearnAe{cls.__name__}", _shape_calculator, _converter
        )
        _REGISTERED.add(cls)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def to_onnx(model, X_sample, *, method="transform", target_opset=None, options=None):
    """Convert a fitted estimator of this package, or a pipeline with some, to ONNX.

    The ONNX model takes float32 rows (named ``X``) and returns what
    ``model`` returns: codes for one of our transformers, or, for a
    pipeline, the outputs of its last step (for a classifier, the labels
    and the probabilities). Our steps compute in float32, as they trained.

    Parameters
    ----------
    model : estimator or Pipeline
        A fitted estimator of :mod:`sklearn_ae` (not :class:`~sklearn_ae.ConditionalVAE`
        with labels), or a fitted scikit-learn pipeline whose steps skl2onnx
        converts or are ours.
    X_sample : array-like of shape (n_samples, n_features)
        A few input rows: their width sets the model's input.
    method : {"transform", "inverse_transform"}, default="transform"
        Which map of an estimator of ours to export; ``"inverse_transform"``
        exports the decoder (input: codes), for an estimator, not a pipeline.
    target_opset : int or dict, default=None
        ONNX opset of the main domain (at least 18, torch's exporter's
        lowest), or skl2onnx's dict of opsets per domain; None uses 18.
    options : dict, default=None
        skl2onnx's conversion options (for example
        ``{LogisticRegression: {"zipmap": False}}``).

    Returns
    -------
    onnx_model : onnx.ModelProto

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import PPCA
    >>> from sklearn_ae.export import to_onnx
    >>> X = load_digits().data.astype(np.float32)
    >>> onnx_model = to_onnx(PPCA(n_components=2).fit(X), X[:5])
    >>> session = ort.InferenceSession(onnx_model.SerializeToString())
    >>> session.run(None, {"X": X[:3]})[0].shape
    (3, 2)
    """
    skl2onnx = _require("skl2onnx")
    if method not in ("transform", "inverse_transform"):
        raise ValueError(f"method must be 'transform' or 'inverse_transform', got {method!r}.")
    if not isinstance(model, BaseEstimator):
        raise TypeError(f"to_onnx converts fitted estimators, got {type(model).__name__}.")
    check_is_fitted(model)
    X_sample = np.asarray(X_sample, dtype=np.float32)
    if X_sample.ndim != 2:
        raise ValueError(
            f"X_sample must be 2-D rows of shape (n_samples, n_features), got shape "
            f"{X_sample.shape}."
        )
    opset = DEFAULT_OPSET if target_opset is None else target_opset
    if method == "inverse_transform":
        return _decoder_model(model, opset)
    register_converters()
    if isinstance(opset, int):
        opset = {"": opset, "ai.onnx.ml": 3}
    initial = [
        ("X", _require("skl2onnx.common.data_types").FloatTensorType([None, X_sample.shape[1]]))
    ]
    return skl2onnx.convert_sklearn(
        model, initial_types=initial, target_opset=opset, options=options
    )


def _decoder_model(estimator, opset):
    if not isinstance(estimator, (BaseAutoencoder, PPCA)):
        raise TypeError(
            "method='inverse_transform' exports the decoder of one estimator of sklearn_ae, "
            f"not of a {type(estimator).__name__}."
        )
    main = opset.get("", DEFAULT_OPSET) if isinstance(opset, dict) else opset
    return _export(estimator, "inverse_transform", main)
