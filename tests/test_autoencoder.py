"""AutoencoderTransformer, and through it the contract of the shared base."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from skorch.callbacks import Callback, LRScheduler

from sklearn_ae import AutoencoderTransformer, TrainingDivergedError

FAST = {"hidden_layer_sizes": (16,), "max_iter": 5, "random_state": 0}


@pytest.fixture(scope="module")
def digits(digits):
    X, y = digits
    return X[:400], y[:400]


def test_autoencoder_shapes_and_dtypes(digits):
    X, _ = digits
    for dtype in (np.float64, np.float32):
        ae = AutoencoderTransformer(n_components=3, **FAST).fit(X.astype(dtype))
        Z = ae.transform(X.astype(dtype))
        assert Z.shape == (len(X), 3) and Z.dtype == dtype
        assert ae.inverse_transform(Z).shape == X.shape
        assert ae.inverse_transform(Z).dtype == dtype
        assert ae.score_samples(X.astype(dtype)).shape == (len(X),)
        assert ae.sample(7, random_state=0).shape == (7, X.shape[1])
    names = ae.get_feature_names_out()
    assert list(names) == [f"autoencodertransformer{i}" for i in range(3)]


def test_autoencoder_score_is_negative_reconstruction_error(digits):
    X, _ = digits
    ae = AutoencoderTransformer(n_components=4, **FAST).fit(X)
    recon = ae.inverse_transform(ae.transform(X))
    expected = -np.mean((recon - X) ** 2, axis=1)
    np.testing.assert_allclose(ae.score_samples(X), expected, rtol=1e-10, atol=1e-12)
    assert ae.score(X) == pytest.approx(expected.mean())


def test_autoencoder_training_reduces_loss(digits):
    X, _ = digits
    ae = AutoencoderTransformer(
        n_components=4, hidden_layer_sizes=(32,), max_iter=30, random_state=0
    ).fit(X)
    assert ae.n_iter_ == len(ae.loss_curve_)
    assert ae.loss_curve_[-1] < 0.5 * ae.loss_curve_[0]


def test_autoencoder_beats_pca_on_digits(digits):
    # A small nonlinear code must reconstruct better than the linear one it generalises.
    X, _ = digits
    ae = AutoencoderTransformer(
        n_components=2, hidden_layer_sizes=(64,), max_iter=100, batch_size=32, tol=0, random_state=0
    ).fit(X)
    pca = PCA(2).fit(X)
    err_ae = np.mean((ae.inverse_transform(ae.transform(X)) - X) ** 2)
    err_pca = np.mean((pca.inverse_transform(pca.transform(X)) - X) ** 2)
    assert err_ae < err_pca


def test_linear_autoencoder_learns_pca_subspace():
    # Data with a clear 3-D principal subspace; a linear AE must find that subspace.
    rng = np.random.RandomState(0)
    basis = np.linalg.qr(rng.randn(10, 3))[0]
    X = rng.randn(600, 3) * [3.0, 2.0, 1.5] @ basis.T + 0.05 * rng.randn(600, 10)
    ae = AutoencoderTransformer(
        n_components=3,
        hidden_layer_sizes=(),
        activation="identity",
        alpha=0.0,
        learning_rate_init=1e-2,
        max_iter=300,
        tol=0,
        random_state=0,
    ).fit(X)
    decoder = ae.net_.module_.decoder[0].weight.detach().numpy().astype(np.float64)
    pca = PCA(3).fit(X)
    angles = subspace_angles(decoder, pca.components_.T)
    assert np.max(angles) < 0.05, np.degrees(angles)


def test_autoencoder_same_seed_same_model_and_global_rng_untouched(digits):
    X, _ = digits
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    a = AutoencoderTransformer(n_components=3, **FAST).fit(X)
    # Fitting must not consume or reseed the user's global torch RNG.
    assert torch.equal(torch.rand(3), expected_next)
    b = AutoencoderTransformer(n_components=3, **FAST).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    c = AutoencoderTransformer(n_components=3, **{**FAST, "random_state": 1}).fit(X)
    assert not np.allclose(a.transform(X), c.transform(X))


def test_autoencoder_sample_draws_from_code_density(digits):
    X, _ = digits
    ae = AutoencoderTransformer(n_components=3, **FAST).fit(X)
    np.testing.assert_allclose(ae.latent_mean_, ae.transform(X).mean(axis=0), atol=1e-6)
    np.testing.assert_array_equal(ae.sample(5, random_state=3), ae.sample(5, random_state=3))
    codes = ae._sample_codes(20000, np.random.RandomState(0))
    np.testing.assert_allclose(
        np.cov(codes, rowvar=False),
        ae.latent_covariance_,
        atol=0.05 * np.abs(ae.latent_covariance_).max(),
    )


def test_autoencoder_early_stopping_records_validation(digits):
    X, _ = digits
    ae = AutoencoderTransformer(
        n_components=3,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=2,
        tol=10.0,
        max_iter=50,
        hidden_layer_sizes=(16,),
        random_state=0,
    ).fit(X)
    # A huge tol means no epoch counts as an improvement: stop after the patience.
    assert ae.n_iter_ == 3
    assert len(ae.validation_scores_) == ae.n_iter_
    assert ae.best_validation_score_ == max(ae.validation_scores_)


def test_autoencoder_user_callbacks_run_on_copies(digits):
    X, _ = digits

    class Count(Callback):
        def initialize(self):
            self.epochs = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs += 1

    counter = Count()
    scheduler = ("lr", LRScheduler(policy="StepLR", step_size=1, gamma=0.5))
    ae = AutoencoderTransformer(n_components=2, callbacks=[counter, scheduler], **FAST).fit(X)
    trained = dict(ae.net_.callbacks_)
    assert trained["Count"].epochs == ae.n_iter_
    assert not hasattr(counter, "epochs")  # the user's object is untouched
    assert ae.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.5**ae.n_iter_)


def test_autoencoder_pickle_roundtrip(digits):
    X, _ = digits
    ae = AutoencoderTransformer(n_components=3, **FAST).fit(X)
    clone = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(clone.transform(X), ae.transform(X))
    np.testing.assert_array_equal(clone.sample(3, random_state=0), ae.sample(3, random_state=0))


def test_autoencoder_binary_crossentropy(digits):
    X, _ = digits
    ae = AutoencoderTransformer(n_components=3, loss="binary_crossentropy", **FAST).fit(X)
    recon = ae.inverse_transform(ae.transform(X))
    assert recon.min() >= 0 and recon.max() <= 1
    with pytest.raises(ValueError, match=r"needs data in \[0, 1\]"):
        AutoencoderTransformer(loss="binary_crossentropy", **FAST).fit(X * 16)


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.array([[0.0, np.nan], [1.0, 2.0]]), "NaN"),
        (np.array([[0.0, np.inf], [1.0, 2.0]]), "infinity"),
        (np.empty((0, 3)), "0 sample"),
        (np.arange(5.0), "Expected 2D array"),
        (np.array([["a", "b"], ["c", "d"]]), "could not convert|dtype"),
    ],
)
def test_autoencoder_bad_training_input(X, match):
    with pytest.raises(ValueError, match=match):
        AutoencoderTransformer(**FAST).fit(X)


def test_autoencoder_sparse_input_is_a_clear_error():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="Sparse data"):
        AutoencoderTransformer(**FAST).fit(sparse.random(20, 5, format="csr"))


def test_autoencoder_bad_input_fit_model_statistics(digits):
    X, _ = digits
    ae = AutoencoderTransformer(n_components=3, **FAST).fit(X)
    with pytest.raises(ValueError, match="features, but AutoencoderTransformer is expecting 64"):
        ae.transform(X[:, :10])
    with pytest.raises(ValueError, match="expecting 3 features"):
        ae.inverse_transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="NaN"):
        ae.score_samples(np.full((2, 64), np.nan))
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        ae.sample(0)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_components": 0}, "n_components"),
        ({"activation": "softmax"}, "activation"),
        ({"hidden_layer_sizes": (8, 0)}, "hidden_layer_sizes"),
        ({"learning_rate_init": 0.0}, "learning_rate_init"),
        ({"device": "tpu"}, "Unknown device 'tpu'"),
    ],
)
def test_autoencoder_bad_parameters(digits, params, match):
    with pytest.raises(ValueError, match=match):
        AutoencoderTransformer(**{**FAST, **params}).fit(digits[0])


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without CUDA")
def test_autoencoder_unavailable_device_is_named(digits):
    with pytest.raises(ValueError, match="device='cuda:1' was requested but CUDA"):
        AutoencoderTransformer(**{**FAST, "device": "cuda:1"}).fit(digits[0])


def test_autoencoder_device_is_resolved_not_written_back(digits):
    ae = AutoencoderTransformer(**{**FAST, "device": "auto"}).fit(digits[0])
    assert ae.device == "auto"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert ae.device_.type in (expected, "mps")


def test_autoencoder_divergence_is_a_clear_error(digits):
    X, _ = digits
    ae = AutoencoderTransformer(
        n_components=2,
        learning_rate_init=1e6,
        max_iter=20,
        hidden_layer_sizes=(16,),
        random_state=0,
    )
    with pytest.raises(TrainingDivergedError, match="lower learning_rate_init"):
        ae.fit(X * 1e4)
    assert not hasattr(ae, "net_")


def test_autoencoder_pipeline_grid_search_in_parallel(digits):
    X, y = digits
    pipe = Pipeline(
        [
            ("scale", MinMaxScaler()),
            ("ae", AutoencoderTransformer(n_components=8, **FAST)),
            ("clf", LogisticRegression(max_iter=300)),
        ]
    )
    search = GridSearchCV(pipe, {"ae__n_components": [2, 8]}, cv=2, n_jobs=2).fit(X, y)
    assert search.best_params_["ae__n_components"] in (2, 8)
    assert search.score(X, y) > 0.5


def test_autoencoder_grid_search_through_own_score(digits):
    X, _ = digits
    search = GridSearchCV(
        AutoencoderTransformer(**{**FAST, "max_iter": 40, "batch_size": 32}),
        {"n_components": [1, 8]},
        cv=2,
    ).fit(X)
    # More components reconstruct better, and score is the negative error.
    assert search.best_params_ == {"n_components": 8}


def test_autoencoder_set_output_pandas(digits):
    pd = pytest.importorskip("pandas")
    X, _ = digits
    ae = AutoencoderTransformer(n_components=2, **FAST).set_output(transform="pandas")
    out = ae.fit_transform(pd.DataFrame(X, columns=[f"px{i}" for i in range(64)]))
    assert list(out.columns) == ["autoencodertransformer0", "autoencodertransformer1"]


def test_autoencoder_convergence_warning_when_max_iter_reached(digits):
    X, _ = digits
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AutoencoderTransformer(n_components=2, **FAST).fit(X)
    assert any("maximum iterations (5) reached" in str(w.message) for w in caught)


@pytest.mark.cuda
def test_autoencoder_trained_on_cuda_transforms_on_cpu(digits):
    X, _ = digits
    ae = AutoencoderTransformer(n_components=3, **{**FAST, "device": "cuda"}).fit(X)
    Z = ae.transform(X)
    assert isinstance(Z, np.ndarray)
    cpu = pickle.loads(pickle.dumps(ae))
    cpu.net_.module_.to("cpu")
    cpu.net_.device = "cpu"
    np.testing.assert_allclose(cpu.transform(X), Z, rtol=1e-5, atol=1e-6)
