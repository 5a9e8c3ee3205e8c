"""Each display draws on an Agg canvas, with the artists it promises."""

import copy
import sys

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from sklearn_ae import PPCA, AutoencoderTransformer, VAETransformer
from sklearn_ae.architectures import ConvNet
from sklearn_ae.plotting import (
    LatentSpaceDisplay,
    LatentTraversalDisplay,
    LossCurveDisplay,
    ReconstructionDisplay,
    SampleGridDisplay,
    UnitDisplay,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits(digits):
    X, y = digits
    return X[:300], y[:300]


@pytest.fixture(scope="module")
def ppca(digits):
    return PPCA(n_components=4).fit(digits[0])


@pytest.fixture(scope="module")
def tiny_ae(digits):
    return AutoencoderTransformer(
        n_components=2, hidden_layer_sizes=(8,), max_iter=3, early_stopping=True, random_state=0
    ).fit(digits[0])


class ConditionalStub(BaseEstimator):
    """The conditional-model API that SampleGridDisplay relies on."""

    def fit(self, X=None, y=None):
        self.classes_ = np.array([3, 5, 7])
        return self

    def sample(self, n_samples=1, *, y=None, random_state=None):
        assert len(y) == n_samples
        return np.repeat(np.asarray(y, dtype=float)[:, None], 64, axis=1)


def _redraw(disp):
    disp.figure_.canvas.draw()
    return disp


def _ticklabels(ax, axis="y"):
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in labels]


# ----------------------------------------------------------------- latent space
def test_latent_space_display_from_estimator_draws_classes(digits, ppca):
    X, y = digits
    fig, ax = plt.subplots()
    disp = _redraw(LatentSpaceDisplay.from_estimator(ppca, X, y, ax=ax))

    assert disp.ax_ is ax and disp.figure_ is fig
    assert len(ax.collections) == 1
    np.testing.assert_allclose(disp.scatter_.get_offsets(), ppca.transform(X)[:, :2])
    assert [t.get_text() for t in disp.legend_.get_texts()] == [str(c) for c in np.unique(y)]
    assert disp.colorbar_ is None
    assert ax.get_xlabel() == "latent 0" and ax.get_ylabel() == "latent 1"
    assert ax.get_title() == "PPCA"


def test_latent_space_display_dims_and_continuous_labels(digits, ppca):
    X, _ = digits
    Z = ppca.transform(X)
    disp = _redraw(LatentSpaceDisplay(Z, y=Z[:, 3], dims=(2, 0)).plot())

    np.testing.assert_allclose(disp.scatter_.get_offsets(), Z[:, [2, 0]])
    assert disp.colorbar_ is not None and disp.legend_ is None
    assert disp.ax_.get_xlabel() == "latent 2"
    # The colour bar adds an axes of its own.
    assert len(disp.figure_.axes) == 2


def test_latent_space_display_without_labels(digits, ppca):
    disp = _redraw(LatentSpaceDisplay.from_estimator(ppca, digits[0]))
    assert disp.legend_ is None and disp.colorbar_ is None
    assert disp.ax_.get_legend() is None


@pytest.mark.parametrize("dims", [(0, 4), (-1, 0)])
def test_latent_space_display_rejects_bad_dims(digits, ppca, dims):
    with pytest.raises(ValueError, match="must name two of the 4 latent dimensions"):
        LatentSpaceDisplay.from_estimator(ppca, digits[0], dims=dims)


def test_latent_space_display_rejects_one_component(digits):
    Z = np.zeros((5, 1))
    with pytest.raises(ValueError, match="n_components >= 2"):
        LatentSpaceDisplay(Z).plot()


# --------------------------------------------------------------- reconstruction
def test_reconstruction_display_from_estimator(digits, ppca):
    X, _ = digits
    disp = _redraw(ReconstructionDisplay.from_estimator(ppca, X, n_images=5))

    assert len(disp.images_) == 10 and len(disp.ax_.images) == 10
    assert _ticklabels(disp.ax_) == ["original", "reconstruction"]
    np.testing.assert_allclose(disp.images_[0].get_array(), X[0].reshape(8, 8))
    expected = ppca.inverse_transform(ppca.transform(X[:5]))
    np.testing.assert_allclose(disp.images_[5].get_array(), expected[0].reshape(8, 8))


def test_reconstruction_display_reconstructs_the_corrupted_input(digits, ppca):
    X, _ = digits
    X_noisy = X + np.random.RandomState(0).normal(scale=0.3, size=X.shape)
    disp = _redraw(ReconstructionDisplay.from_estimator(ppca, X, X_corrupted=X_noisy, n_images=4))

    assert len(disp.images_) == 12
    assert _ticklabels(disp.ax_) == ["original", "corrupted", "reconstruction"]
    expected = ppca.inverse_transform(ppca.transform(X_noisy[:4]))
    np.testing.assert_allclose(disp.images_[8].get_array(), expected[0].reshape(8, 8))
    # Colours span the originals, so the noise does not wash out the picture.
    assert disp.images_[4].get_clim() == pytest.approx((X[:4].min(), X[:4].max()))


def test_reconstruction_display_from_predictions_shows_missing_pixels(digits):
    X, _ = digits
    X_missing = X[:3].copy()
    X_missing[:, :10] = np.nan
    disp = _redraw(
        ReconstructionDisplay.from_predictions(
            X[:3], X[:3], X_corrupted=X_missing, image_shape=(8, 8), estimator_name="impute"
        )
    )
    assert len(disp.images_) == 9
    # NaN pixels become masked entries, drawn in the colormap's "bad" colour.
    assert np.ma.getmaskarray(disp.images_[3].get_array()).sum() == 10
    assert disp.images_[3].get_cmap().get_bad()[:3] == pytest.approx(
        matplotlib.colors.to_rgb("tab:red")
    )
    assert disp.ax_.get_title() == "impute"


def test_reconstruction_display_checks_image_shape():
    X = np.zeros((2, 10))
    with pytest.raises(ValueError, match="not a perfect square"):
        ReconstructionDisplay(X, X).plot()
    with pytest.raises(ValueError, match="does not match 10 features"):
        ReconstructionDisplay(X, X, image_shape=(3, 3)).plot()
    disp = ReconstructionDisplay(X, X, image_shape=(2, 5)).plot()
    assert disp.images_[0].get_array().shape == (2, 5)
    with pytest.raises(ValueError, match="same shape"):
        ReconstructionDisplay(X, X[:1], image_shape=(2, 5)).plot()


# ------------------------------------------------------------------ sample grid
def test_sample_grid_display_unconditional(ppca):
    disp = _redraw(SampleGridDisplay.from_estimator(ppca, n_samples=10, n_cols=5, random_state=0))
    assert len(disp.images_) == 10
    np.testing.assert_allclose(
        disp.images_[0].get_array(), ppca.sample(10, random_state=0)[0].reshape(8, 8)
    )
    # Two rows of five images: the second row starts below the first one.
    assert disp.images_[5].get_extent()[3] > disp.images_[0].get_extent()[3]
    assert disp.images_[5].get_extent()[0] == disp.images_[0].get_extent()[0]


def test_sample_grid_display_one_row_per_class():
    disp = _redraw(SampleGridDisplay.from_estimator(ConditionalStub().fit(), n_cols=4))
    assert len(disp.images_) == 12
    assert _ticklabels(disp.ax_) == ["3", "5", "7"]
    # Row r holds samples generated for class r.
    assert np.all(disp.images_[4].get_array() == 5)

    disp = SampleGridDisplay.from_estimator(ConditionalStub().fit(), n_cols=2, y=[7])
    assert len(disp.images_) == 2 and _ticklabels(disp.ax_) == ["7"]


def test_sample_grid_display_rejects_labels_for_unconditional_model(ppca):
    with pytest.raises(ValueError, match="does not take labels"):
        SampleGridDisplay.from_estimator(ppca, y=[1])


# ------------------------------------------------------------ latent traversal
def test_latent_traversal_display_moves_one_unit_per_row(digits, ppca):
    X, _ = digits
    disp = _redraw(
        LatentTraversalDisplay.from_estimator(ppca, X, components=[0, 2], n_steps=5, span=1.0)
    )
    assert len(disp.images_) == 10
    assert _ticklabels(disp.ax_) == ["latent 0", "latent 2"]
    assert _ticklabels(disp.ax_, "x") == ["-1", "-0.5", "+0", "+0.5", "+1"]

    Z = ppca.transform(X)
    centre = ppca.inverse_transform(Z[:1])[0].reshape(8, 8)
    np.testing.assert_allclose(disp.images_[2].get_array(), centre)
    moved = Z[:1].copy()
    moved[0, 2] += Z[:, 2].std()
    np.testing.assert_allclose(
        disp.images_[9].get_array(), ppca.inverse_transform(moved)[0].reshape(8, 8)
    )


def test_latent_traversal_display_defaults_to_every_unit(digits, ppca):
    disp = LatentTraversalDisplay.from_estimator(ppca, digits[0][:1], n_steps=3)
    assert len(disp.images_) == 4 * 3
    with pytest.raises(ValueError, match="must list latent units"):
        LatentTraversalDisplay.from_estimator(ppca, digits[0], components=[4])


def test_latent_traversal_display_interpolation_ends_at_the_inputs(digits, ppca):
    X, _ = digits
    disp = _redraw(LatentTraversalDisplay.from_interpolation(ppca, X[:2], X[2:4], n_steps=6))
    assert len(disp.images_) == 12
    assert _ticklabels(disp.ax_) == ["pair 0", "pair 1"]
    decoded = ppca.inverse_transform(ppca.transform(X[:4]))
    np.testing.assert_allclose(disp.images_[6].get_array(), decoded[1].reshape(8, 8))
    np.testing.assert_allclose(disp.images_[11].get_array(), decoded[3].reshape(8, 8))
    with pytest.raises(ValueError, match="same shape"):
        LatentTraversalDisplay.from_interpolation(ppca, X[:2], X[:3])


# ------------------------------------------------------------------ loss curve
def test_loss_curve_display_with_validation(tiny_ae):
    disp = _redraw(LossCurveDisplay.from_estimator(tiny_ae))
    ax = disp.ax_
    assert set(disp.lines_) == {"train_loss", "valid_loss"}
    np.testing.assert_allclose(disp.lines_["train_loss"].get_ydata(), tiny_ae.loss_curve_)
    np.testing.assert_allclose(
        disp.lines_["valid_loss"].get_ydata(), -np.asarray(tiny_ae.validation_scores_)
    )
    np.testing.assert_array_equal(disp.lines_["train_loss"].get_xdata(), [1, 2, 3])
    # Validation is dashed, in the colour of its training curve.
    assert disp.lines_["valid_loss"].get_linestyle() == "--"
    assert disp.lines_["train_loss"].get_linestyle() == "-"
    assert disp.lines_["valid_loss"].get_color() == disp.lines_["train_loss"].get_color()
    assert disp.best_epoch_line_ is not None
    assert len(ax.lines) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "training loss",
        "validation loss",
        "best epoch",
    ]
    assert ax.get_xlabel() == "epoch"


def test_loss_curve_display_draws_the_parts_of_the_loss():
    # A VAE-like history: the loss and its reconstruction and KL parts.
    history = [
        {"epoch": e + 1, "train_loss": 10.0 - e, "train_reconstruction": 8.0 - e, "train_kl": 2.0}
        for e in range(4)
    ]

    class VAELike(BaseEstimator):
        def fit(self, X=None, y=None):
            self.loss_curve_ = [10.0, 9.0, 8.0, 7.0]
            self.history_ = history
            return self

    disp = _redraw(LossCurveDisplay.from_estimator(VAELike().fit(), logy=True))
    assert list(disp.lines_) == ["train_loss", "train_reconstruction", "train_kl"]
    np.testing.assert_allclose(disp.lines_["train_kl"].get_ydata(), [2, 2, 2, 2])
    assert disp.best_epoch_line_ is None
    assert disp.ax_.get_yscale() == "log"

    disp = LossCurveDisplay.from_estimator(VAELike().fit(), loss_terms=False)
    assert list(disp.lines_) == ["train_loss"]


def test_loss_curve_display_needs_an_iterative_model(ppca):
    with pytest.raises(ValueError, match="no loss_curve_"):
        LossCurveDisplay.from_estimator(ppca)


# ------------------------------------------------------------------------ units
def _unit_values(estimator, disp):
    """The value of each displayed code unit at its own image."""
    Z = estimator.transform(disp.images.astype(np.float32))
    return Z[np.arange(len(disp.units)), disp.units]


def test_unit_display_weights_are_the_normalised_first_layer(tiny_ae):
    W = tiny_ae._module.encoder[0].weight.detach().numpy().astype(np.float64)
    expected = W / np.linalg.norm(W, axis=1, keepdims=True)
    disp = _redraw(UnitDisplay.from_estimator(tiny_ae, method="weights"))

    assert disp.units == list(range(8))
    np.testing.assert_allclose(disp.images, expected, rtol=1e-12)
    np.testing.assert_allclose(disp.images_[5].get_array(), expected[5].reshape(8, 8))
    assert disp.ax_.get_title() == "AutoencoderTransformer"

    disp = UnitDisplay.from_estimator(tiny_ae, method="weights", units=[6, 1], norm=2.0)
    np.testing.assert_allclose(disp.images, 2 * expected[[6, 1]], rtol=1e-12)
    assert [t.get_text() for t in disp.texts_] == ["6", "1"]


@pytest.mark.filterwarnings("ignore:.*posterior collapse")
def test_unit_display_weights_of_a_vae_and_the_default_cap(digits):
    X = digits[0][:100]
    vae = VAETransformer(n_components=2, hidden_layer_sizes=(70,), max_iter=1, random_state=0)
    vae.fit(X)
    disp = UnitDisplay.from_estimator(vae, method="weights")
    # Only the first 64 of the 70 hidden units unless asked for.
    assert disp.units == list(range(64)) and len(disp.images_) == 64
    W = vae._module.body[0].weight.detach().numpy().astype(np.float64)[:64]
    np.testing.assert_allclose(disp.images, W / np.linalg.norm(W, axis=1, keepdims=True))
    assert len(UnitDisplay.from_estimator(vae, units=[69]).images_) == 1


def test_unit_display_gradient_increases_the_unit_on_the_sphere(tiny_ae):
    module = tiny_ae._module
    training = module.training
    state = {k: v.clone() for k, v in module.state_dict().items()}
    kwargs = dict(method="gradient", norm=3.0, random_state=0)
    start = UnitDisplay.from_estimator(tiny_ae, n_steps=0, **kwargs)
    end = UnitDisplay.from_estimator(tiny_ae, n_steps=60, **kwargs)

    assert start.units == end.units == [0, 1]
    np.testing.assert_allclose(np.linalg.norm(start.images, axis=1), 3.0, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(end.images, axis=1), 3.0, rtol=1e-5)
    assert np.all(_unit_values(tiny_ae, end) > _unit_values(tiny_ae, start) + 0.1)
    # Deterministic given random_state, and another seed starts elsewhere.
    again = UnitDisplay.from_estimator(tiny_ae, n_steps=60, **kwargs)
    np.testing.assert_array_equal(again.images, end.images)
    other = UnitDisplay.from_estimator(tiny_ae, n_steps=0, method="gradient", random_state=1)
    assert not np.allclose(other.images, start.images)
    # The default norm is sqrt(n_features).
    np.testing.assert_allclose(np.linalg.norm(other.images, axis=1), 8.0, rtol=1e-6)
    # The fitted network is left as it was.
    assert module.training == training
    for key, value in module.state_dict().items():
        assert torch.equal(value, state[key])


def test_unit_display_gradient_finds_the_weights_of_a_linear_code(digits):
    # A linear code z = W x + b is largest on the sphere at norm * W_i / ||W_i||:
    # the two methods must agree.
    linear = AutoencoderTransformer(
        n_components=3, hidden_layer_sizes=(), activation="identity", max_iter=1, random_state=0
    ).fit(digits[0][:100])
    weights = UnitDisplay.from_estimator(linear, method="weights", norm=2.0)
    gradient = UnitDisplay.from_estimator(linear, method="gradient", norm=2.0, random_state=0)
    assert weights.units == gradient.units == [0, 1, 2]
    np.testing.assert_allclose(gradient.images, weights.images, atol=2e-3)


@pytest.mark.filterwarnings("ignore:.*posterior collapse")
@pytest.mark.parametrize(
    "estimator",
    [
        AutoencoderTransformer(
            n_components=2, architecture=ConvNet((1, 8, 8), channels=(4,)), max_iter=1
        ),
        VAETransformer(n_components=2, hidden_layer_sizes=(8,), max_iter=1),
    ],
    ids=["convnet", "vae"],
)
def test_unit_display_gradient_with_any_architecture(digits, estimator):
    estimator.set_params(random_state=0).fit(digits[0][:100])
    kwargs = dict(method="gradient", norm=3.0, random_state=0)
    start = UnitDisplay.from_estimator(estimator, n_steps=0, **kwargs)
    end = _redraw(UnitDisplay.from_estimator(estimator, n_steps=40, **kwargs))

    assert len(end.images_) == 2
    assert end.images_[0].get_array().shape == (8, 8)
    np.testing.assert_allclose(np.linalg.norm(end.images, axis=1), 3.0, rtol=1e-5)
    # For the VAE, transform is the posterior mean: the code the search maximised.
    assert np.all(_unit_values(estimator, end) > _unit_values(estimator, start) + 0.05)


def test_unit_display_weights_need_a_linear_first_layer(digits):
    conv = AutoencoderTransformer(
        n_components=2, architecture=ConvNet((1, 8, 8), channels=(4,)), max_iter=1, random_state=0
    ).fit(digits[0][:50])
    with pytest.raises(ValueError, match=r"architecture=ConvNet.*method='gradient'"):
        UnitDisplay.from_estimator(conv, method="weights")


def test_unit_display_errors(tiny_ae, ppca):
    with pytest.raises(NotFittedError):
        UnitDisplay.from_estimator(AutoencoderTransformer(), method="weights")
    with pytest.raises(ValueError, match="method must be one of"):
        UnitDisplay.from_estimator(tiny_ae, method="deconvolution")
    with pytest.raises(ValueError, match=r"units=\[8\] must list the 8 units of the first layer"):
        UnitDisplay.from_estimator(tiny_ae, method="weights", units=[8])
    with pytest.raises(ValueError, match=r"units=\[-1\] must list code units in \[0, 2\)"):
        UnitDisplay.from_estimator(tiny_ae, method="gradient", units=[-1])
    with pytest.raises(ValueError, match="non-empty list of integer"):
        UnitDisplay.from_estimator(tiny_ae, method="gradient", units=[])
    with pytest.raises(ValueError, match="norm must be a positive number"):
        UnitDisplay.from_estimator(tiny_ae, method="gradient", norm=0)
    with pytest.raises(ValueError, match="needs a neural estimator of sklearn_ae"):
        UnitDisplay.from_estimator(ppca)
    with pytest.raises(ValueError, match="units has 1 entries but there are 2 images"):
        UnitDisplay(np.zeros((2, 64)), units=[0]).plot()


def test_unit_display_warns_about_dead_units(tiny_ae):
    dead = copy.deepcopy(tiny_ae)
    with torch.no_grad():
        dead._module.encoder[-1].weight[1] = 0.0  # code unit 1 is a constant
    with pytest.warns(UserWarning, match=r"code units \[1\] had a zero gradient"):
        UnitDisplay.from_estimator(dead, method="gradient", n_steps=5, random_state=0)


def test_unit_display_plot_labels_each_image_above_it():
    rng = np.random.RandomState(0)
    images = rng.normal(size=(7, 12))
    units = [3, 1, 4, 15, 9, 2, 6]
    fig, ax = plt.subplots()
    disp = _redraw(UnitDisplay(images, units=units, image_shape=(3, 4)).plot(ax=ax))

    assert disp.ax_ is ax and disp.figure_ is fig
    assert len(disp.images_) == len(ax.images) == 7
    assert [t.get_text() for t in disp.texts_] == [str(u) for u in units]
    np.testing.assert_allclose(disp.images_[3].get_array(), images[3].reshape(3, 4))
    # Colours are symmetric around zero, shared by all images.
    m = np.abs(images).max()
    assert disp.images_[0].get_clim() == pytest.approx((-m, m))
    # Three columns by default (about a square grid); labels sit above their
    # image (the y axis points down), below the row above.
    lefts = [im.get_extent()[0] for im in disp.images_]
    assert lefts[0] == lefts[3] == lefts[6] < lefts[1] < lefts[2]
    for k, (image, text) in enumerate(zip(disp.images_, disp.texts_, strict=True)):
        left, right, _, top = image.get_extent()
        x, y = text.get_position()
        assert left < x < right and y <= top
        if k >= 3:
            assert y > disp.images_[k - 3].get_extent()[2]
    # Everything is in view.
    low, high = ax.get_ylim()
    assert low >= disp.images_[-1].get_extent()[2] and high <= disp.texts_[0].get_position()[1]

    disp = UnitDisplay(images, units=units, image_shape=(3, 4)).plot(n_cols=7, vmin=0, vmax=1)
    assert len({im.get_extent()[3] for im in disp.images_}) == 1
    assert disp.images_[0].get_clim() == (0, 1)


# --------------------------------------------------------------- optional deps
def test_displays_say_how_to_install_matplotlib(monkeypatch, digits, ppca):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install sklearn-ae\[plot\]"):
        LatentSpaceDisplay.from_estimator(ppca, digits[0])
