"""ONNX export: every estimator, its decoder, and whole pipelines, run by onnxruntime."""

import sys
import warnings

# onnx, skl2onnx, onnxscript and onnxruntime are test extras: without them this
# module fails to import, a failure and not a skip.
import numpy as np
import onnxruntime as ort
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import DoubleTensorType
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sklearn_ae import PPCA, ConditionalVAE, VAETransformer
from sklearn_ae.architectures import Conv1dNet, ConvNet, RecurrentNet
from sklearn_ae.export import register_converters, to_onnx

from _helpers import NEURAL

SMALL = {"n_components": 3, "hidden_layer_sizes": (16,), "max_iter": 2, "random_state": 0}


def _run(onnx_model, X):
    session = ort.InferenceSession(onnx_model.SerializeToString())
    name = session.get_inputs()[0].name
    return session.run(None, {name: X})


def _fitted(cls, X, y, **params):
    est = cls(**{**SMALL, **params})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return est.fit(X, y) if cls is ConditionalVAE else est.fit(X)


@pytest.fixture(scope="module")
def X1000(digits):
    X = digits[0][:1000].astype(np.float32)
    return X, digits[1][:1000]


CASES = [
    *[pytest.param(cls, {}, id=cls.__name__) for cls in NEURAL],
    *[
        pytest.param(NEURAL[0], {"architecture": arch}, id=type(arch).__name__)
        for arch in (
            ConvNet((1, 8, 8), channels=(4, 8), hidden_layer_sizes=(16,)),
            Conv1dNet((8, 8), channels=(4,)),
            RecurrentNet((8, 8), hidden_size=8),
        )
    ],
    pytest.param(NEURAL[4], {"architecture": ConvNet((1, 8, 8), channels=(4,))}, id="ConvVAE"),
]


@pytest.mark.parametrize(("cls", "params"), CASES)
def test_exported_transform_matches_on_one_and_a_thousand_rows(cls, params, X1000):
    X, y = X1000
    est = _fitted(cls, X, y, **params)
    onnx_model = to_onnx(est, X[:5])
    for rows in (X[:1], X):
        (codes,) = _run(onnx_model, rows)
        assert codes.shape == (len(rows), 3)
        assert_allclose(codes, est.transform(rows), atol=1e-4)


def test_exported_ppca_matches(X1000):
    X = X1000[0]
    ppca = PPCA(n_components=5).fit(X)
    for rows in (X[:1], X):
        assert_allclose(_run(to_onnx(ppca, X), rows)[0], ppca.transform(rows), atol=1e-4)
    decoder = to_onnx(ppca, X, method="inverse_transform")
    Z = ppca.transform(X)
    assert_allclose(_run(decoder, Z)[0], ppca.inverse_transform(Z), atol=1e-4)


@pytest.mark.parametrize("cls", [NEURAL[0], NEURAL[4], NEURAL[5]], ids=lambda c: c.__name__)
def test_exported_decoder_matches_inverse_transform(cls, X1000):
    X, y = X1000
    est = _fitted(cls, X, y)
    Z = est.transform(X)
    decoder = to_onnx(est, X[:5], method="inverse_transform")
    assert [i.name for i in decoder.graph.input] == ["X"]
    for rows in (Z[:1], Z):
        assert_allclose(_run(decoder, rows)[0], est.inverse_transform(rows), atol=1e-4)


def test_a_whole_pipeline_predicts_the_same_labels(digits):
    X, y = digits
    pipe = Pipeline(
        [
            ("scale", MinMaxScaler()),
            ("vae", VAETransformer(n_components=8, max_iter=30, random_state=0)),
            ("clf", LogisticRegression(max_iter=1000)),
        ]
    ).fit(X, y)
    onnx_model = to_onnx(pipe, X[:5])
    labels, probabilities = _run(onnx_model, X.astype(np.float32))
    assert_array_equal(labels, pipe.predict(X))
    assert len(probabilities) == len(X)


def test_our_steps_mix_with_scikit_learn_transformers_and_double_input(digits):
    # skl2onnx itself, on float64 input: our step casts to float32 and back.
    X = digits[0]
    register_converters()
    pipe = make_pipeline(StandardScaler(), PPCA(n_components=4), PCA(n_components=2)).fit(X)
    onnx_model = convert_sklearn(
        pipe, initial_types=[("X", DoubleTensorType([None, 64]))], target_opset=18
    )
    assert_allclose(_run(onnx_model, X)[0], pipe.transform(X), atol=1e-4)


def test_bad_requests_are_named(digits):
    X = digits[0]
    ppca = PPCA(n_components=2).fit(X)
    with pytest.raises(ValueError, match="method must be 'transform' or 'inverse_transform'"):
        to_onnx(ppca, X[:5], method="score_samples")
    with pytest.raises(TypeError, match="not of a Pipeline"):
        to_onnx(make_pipeline(ppca), X[:5], method="inverse_transform")
    with pytest.raises(TypeError, match="converts fitted estimators"):
        to_onnx(lambda x: x, X[:5])
    with pytest.raises(ValueError, match=r"X_sample must be 2-D"):
        to_onnx(ppca, X[0])
    with pytest.raises(Exception, match="not fitted"):
        to_onnx(VAETransformer(), X[:5])


def test_a_missing_optional_package_says_what_to_install(digits, monkeypatch):
    ppca = PPCA(n_components=2).fit(digits[0])
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    with pytest.raises(ImportError, match=r"pip install \"sklearn-ae\[onnx\]\""):
        to_onnx(ppca, digits[0][:5])
