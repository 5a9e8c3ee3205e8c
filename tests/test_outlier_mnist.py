"""OutlierDetector on MNIST novelty, its hardest digits (slow: about two minutes).

The split of ``benchmarks/bench_anomaly.py``: train on the first 8,000 digits of
the MNIST test set without digit d, score the last 2,000, d is the anomaly. The
digits 1 and 9 are the hard ones: a 1 has so few ink pixels that every
likelihood finds it more normal than the digits it was trained on, and a 9 looks
like a 4 or a 7. The benchmark runs all ten digits and the other detectors.
"""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from sklearn_ae import OutlierDetector, VAETransformer
from sklearn_ae.datasets import mnist_split

pytestmark = pytest.mark.slow


def test_default_score_beats_the_raw_likelihood_on_the_hard_digits():
    X_train, X_test, y_train, y_test = mnist_split()
    default, raw = [], []
    for digit in (1, 9):
        # OutlierDetector()'s model, seeded.
        detector = OutlierDetector(VAETransformer(n_components=10, random_state=0))
        detector.fit(X_train[y_train != digit])
        is_new = y_test == digit
        default.append(roc_auc_score(is_new, -detector.score_samples(X_test)))
        raw.append(roc_auc_score(is_new, -detector.estimator_.score_samples(X_test)))
    print(f"ROC-AUC on digits 1 and 9: default {default}, raw log-likelihood {raw}")
    # Measured with one torch thread: raw 0.45 and 0.68 (below chance on the 1s),
    # default 0.69 and 0.80 (bench_anomaly.py, two threads: 0.67 and 0.79).
    assert np.mean(default) >= 0.70
    assert np.mean(default) >= np.mean(raw) + 0.1
