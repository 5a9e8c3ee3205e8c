"""Saving and loading: pickle, skops without pickle, and moving models between devices."""

import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import skops.io as sio
import torch
from numpy.testing import assert_array_equal

import sklearn_ae._net
from sklearn_ae import PPCA, AutoencoderTransformer, ConditionalVAE, OutlierDetector
from sklearn_ae.architectures import ConvNet

from _helpers import NEURAL

SMALL = {"n_components": 2, "hidden_layer_sizes": (16,), "max_iter": 3, "random_state": 0}


def _fitted(cls, digits, **params):
    X, y = digits
    est = cls(**{**SMALL, **params}) if cls is not PPCA else PPCA(n_components=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return est.fit(X, y) if cls is ConditionalVAE else est.fit(X)


def _outputs(est, X):
    out = {"transform": est.transform(X), "score_samples": est.score_samples(X)}
    out["sample"] = est.sample(5, random_state=0)
    return out


def _assert_same_outputs(a, b, X):
    for key, value in _outputs(a, X).items():
        assert_array_equal(_outputs(b, X)[key], value, err_msg=key)


ESTIMATORS = [
    *[pytest.param(cls, {}, id=cls.__name__) for cls in NEURAL],
    pytest.param(
        AutoencoderTransformer,
        {"architecture": ConvNet((1, 8, 8), channels=(4,), hidden_layer_sizes=())},
        id="ConvNet",
    ),
    pytest.param(PPCA, {}, id="PPCA"),
]


@pytest.mark.parametrize(("cls", "params"), ESTIMATORS)
def test_skops_loads_without_pickle_and_trusts_only_this_package(cls, params, digits, monkeypatch):
    est = _fitted(cls, digits, **params)
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    assert untrusted and all(name.startswith("sklearn_ae.") for name in untrusted)

    def refuse(*args, **kwargs):
        raise AssertionError("a pickle was loaded")

    with monkeypatch.context() as patched:
        for name in ("loads", "load", "Unpickler"):
            patched.setattr(pickle, name, refuse)
        patched.setattr(torch, "load", refuse)
        loaded = sio.loads(data, trusted=untrusted)
    _assert_same_outputs(est, loaded, digits[0])


@pytest.mark.parametrize(("cls", "params"), ESTIMATORS)
def test_pickle_round_trip_holds_no_torch_object(cls, params, digits):
    est = _fitted(cls, digits, **params)
    state = est.__getstate__()
    leaves = []

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        else:
            leaves.append(value)

    walk(state)
    assert not [leaf for leaf in leaves if type(leaf).__module__.startswith(("torch", "skorch"))]
    _assert_same_outputs(est, pickle.loads(pickle.dumps(est)), digits[0])


def test_a_loaded_model_trains_on_as_the_original(digits):
    X = digits[0]
    est = AutoencoderTransformer(**SMALL).partial_fit(X[:900])
    loaded = pickle.loads(pickle.dumps(est))
    est.partial_fit(X[900:])
    loaded.partial_fit(X[900:])
    assert loaded.n_iter_ == est.n_iter_ == 2
    assert loaded.loss_curve_ == est.loss_curve_
    assert_array_equal(loaded.transform(X), est.transform(X))


def test_a_file_from_a_newer_format_is_refused(digits, monkeypatch):
    est = _fitted(AutoencoderTransformer, digits)
    monkeypatch.setattr(sklearn_ae._net, "NET_STATE_FORMAT", sklearn_ae._net.NET_STATE_FORMAT + 1)
    data = pickle.dumps(est)
    monkeypatch.undo()
    with pytest.raises(ValueError, match=r"written by a newer sklearn_ae\. Upgrade"):
        pickle.loads(data)


def test_tampered_weights_are_refused_before_anything_is_built(digits):
    est = _fitted(AutoencoderTransformer, digits)
    state = est.__getstate__()
    name = next(iter(state["net_"]["module"]))
    state["net_"]["module"][name] = np.zeros((3, 3), dtype=np.float32)
    bare = AutoencoderTransformer.__new__(AutoencoderTransformer)
    with pytest.raises(ValueError, match=r"weights do not fit.*damaged or was edited"):
        bare.__setstate__(state)
    assert vars(bare) == {}
    del state["net_"]["module"]
    with pytest.raises(ValueError, match="no network state"):
        bare.__setstate__(state)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_model_saved_on_a_gpu_loads_on_the_cpu(digits):
    est = _fitted(AutoencoderTransformer, digits)
    state = est.__getstate__()
    state["device_"] = "cuda:0"
    loaded = AutoencoderTransformer.__new__(AutoencoderTransformer)
    with pytest.warns(UserWarning, match=r"saved on 'cuda:0'.*loaded on the CPU"):
        loaded.__setstate__(state)
    assert loaded.device_ == torch.device("cpu")
    assert_array_equal(loaded.transform(digits[0]), est.transform(digits[0]))


def test_to_moves_the_model_and_names_a_missing_device(digits):
    est = _fitted(AutoencoderTransformer, digits)
    codes = est.transform(digits[0])
    assert est.to("cpu") is est and est.device_ == torch.device("cpu")
    assert_array_equal(est.transform(digits[0]), codes)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            est.to("cuda")
    with pytest.raises(Exception, match="not fitted"):
        AutoencoderTransformer().to("cpu")


def test_outlier_detector_round_trips_through_skops(digits):
    detector = OutlierDetector(AutoencoderTransformer(**SMALL)).fit(digits[0])
    data = sio.dumps(detector)
    untrusted = sio.get_untrusted_types(data=data)
    # Beside ours, the KD-tree of scikit-learn's LocalOutlierFactor on the codes.
    assert all(
        name.startswith(("sklearn_ae.", "sklearn.neighbors.", "sklearn.metrics."))
        for name in untrusted
    )
    loaded = sio.loads(data, trusted=untrusted)
    assert_array_equal(loaded.score_samples(digits[0]), detector.score_samples(digits[0]))


_LOAD_ELSEWHERE = """
import json, pickle, sys
import numpy as np
import torch
with open(sys.argv[1], "rb") as f:
    est = pickle.load(f)
X = np.load(sys.argv[2])
print(json.dumps({"device": str(est.device_), "cuda": torch.cuda.is_available(),
                  "codes": est.transform(X).tolist()}))
"""


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_a_saved_model_loads_in_a_process_without_a_gpu(device, digits, tmp_path):
    X = digits[0][:50]
    est = AutoencoderTransformer(**SMALL, device=device).fit(digits[0])
    with open(tmp_path / "model.pkl", "wb") as f:
        pickle.dump(est, f)
    np.save(tmp_path / "X.npy", X)
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(_LOAD_ELSEWHERE),
            str(tmp_path / "model.pkl"),
            str(tmp_path / "X.npy"),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result == {**result, "device": "cpu", "cuda": False}
    if device == "cpu":
        assert_array_equal(np.asarray(result["codes"]), est.transform(X))
    else:
        assert "loaded on the CPU" in run.stderr
        np.testing.assert_allclose(np.asarray(result["codes"]), est.transform(X), atol=1e-5)
