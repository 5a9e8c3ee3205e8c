"""Quality of the autoencoders on real MNIST digits, MLP and convolutional (slow)."""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from sklearn_ae import PPCA, AutoencoderTransformer, VAETransformer
from sklearn_ae.architectures import ConvNet
from sklearn_ae.datasets import mnist_split

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mnist():
    return mnist_split()


def _heldout_error(model, X_train, X_test):
    model.fit(X_train)
    return float(np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2))


def test_autoencoder_default_beats_pca_on_mnist(mnist):
    X_train, X_test, _, _ = mnist
    pca_error = _heldout_error(PCA(10), X_train, X_test)
    ae_error = _heldout_error(
        AutoencoderTransformer(n_components=10, random_state=0), X_train, X_test
    )
    ratio = ae_error / pca_error
    print(f"held-out MSE: autoencoder {ae_error:.5f}, PCA(10) {pca_error:.5f}, ratio {ratio:.3f}")
    assert ratio <= 0.6


def test_conv_autoencoder_default_halves_pca_error_on_mnist(mnist):
    X_train, X_test, _, _ = mnist
    pca_error = _heldout_error(PCA(10), X_train, X_test)
    conv = ConvNet(input_shape=(1, 28, 28))
    ae = AutoencoderTransformer(n_components=10, architecture=conv, random_state=0)
    ae_error = _heldout_error(ae, X_train, X_test)
    ratio = ae_error / pca_error
    print(
        f"held-out MSE: conv autoencoder {ae_error:.5f} ({ae.n_iter_} epochs), "
        f"PCA(10) {pca_error:.5f}, ratio {ratio:.3f}"
    )
    assert ratio <= 0.5


def test_conv_vae_default_beats_ppca_likelihood_on_mnist(mnist):
    X_train, X_test, _, _ = mnist
    X_train, X_test = X_train.astype(np.float64), X_test.astype(np.float64)
    ppca = PPCA(10).fit(X_train).score(X_test)
    conv = ConvNet(input_shape=(1, 28, 28))
    vae = VAETransformer(n_components=10, architecture=conv, random_state=0).fit(X_train)
    score = vae.score(X_test)
    print(f"held-out log-likelihood: conv VAE {score:.1f} ({vae.n_iter_} epochs), PPCA {ppca:.1f}")
    assert score > ppca
