"""Quality of AutoencoderTransformer on real MNIST digits (slow)."""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from sklearn_ae import AutoencoderTransformer
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
