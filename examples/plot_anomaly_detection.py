"""
========================================
Anomaly detection with ``score_samples``
========================================

Every estimator of sklearn_ae scores how typical a row is of its training
data with ``score_samples`` (higher is more typical): the exact
log-likelihood for :class:`~sklearn_ae.PPCA`, an importance-weighted estimate
of it for :class:`~sklearn_ae.VAETransformer`, and minus the reconstruction
error for an :class:`~sklearn_ae.AutoencoderTransformer`.

We train on the digits 0 to 4 only and ask each model to tell held-out digits
0 to 4 from digits 5 to 9, which it has never seen: novelty detection.
"""

# %%
# Normal and novel digits
# -----------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import RocCurveDisplay, roc_auc_score
from sklearn.model_selection import train_test_split

from sklearn_ae import PPCA, AutoencoderTransformer, VAETransformer
from sklearn_ae.plotting import SampleGridDisplay

X, y = load_digits(return_X_y=True)
X = X / 16
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)

normal = y_train < 5
X_train = X_train[normal]  # the models see digits 0-4 only
is_novel = y_test >= 5  # the test set mixes held-out 0-4 with unseen 5-9
print(f"{len(X_train)} training digits; {len(X_test)} test digits, {is_novel.sum()} novel")

# %%
# Three models, three scores
# --------------------------
models = {
    "PPCA": PPCA(n_components=10),
    "Autoencoder": AutoencoderTransformer(
        n_components=10, hidden_layer_sizes=(128,), max_iter=200, random_state=0
    ),
    "VAE": VAETransformer(n_components=10, hidden_layer_sizes=(128,), max_iter=200, random_state=0),
}
scores = {name: model.fit(X_train).score_samples(X_test) for name, model in models.items()}

# %%
# ROC curves
# ----------
# A low score means "anomalous", so the anomaly score is minus
# ``score_samples``. Every model ranks most novel digits below the normal
# ones. The linear PPCA does worst: the unseen digits are not far from its
# 10-dimensional subspace. The two nonlinear models capture the shapes of
# the digits 0-4 more tightly.
fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
for name, score in scores.items():
    RocCurveDisplay.from_predictions(is_novel, -score, name=name, ax=ax)
    print(f"{name:12s} ROC AUC: {roc_auc_score(is_novel, -score):.3f}")
ax.plot([0, 1], [0, 1], color="0.7", linestyle=":")
ax.set_title("Telling unseen digits 5-9 from digits 0-4")

# %%
# The distribution of the VAE's scores
# ------------------------------------
# The novel digits spread into a long tail of low log-likelihoods. A natural
# threshold is a low quantile of the scores of normal data. Taken on the
# training digits, as here, it flags more than 5% of new normal digits: the
# model fits the digits it was trained on better than new ones. Take the
# quantile on held-out normal data when the false-alarm rate matters.
vae = models["VAE"]
threshold = np.quantile(vae.score_samples(X_train), 0.05)
fig, ax = plt.subplots(figsize=(6.5, 3.8), layout="constrained")
bins = np.linspace(np.percentile(scores["VAE"], 1), scores["VAE"].max(), 50)
ax.hist(scores["VAE"][~is_novel], bins=bins, alpha=0.6, label="held-out digits 0-4")
ax.hist(scores["VAE"][is_novel], bins=bins, alpha=0.6, label="unseen digits 5-9")
ax.axvline(threshold, color="k", linestyle="--", label="5% quantile of training scores")
ax.set_xlabel("VAE score_samples: log-likelihood (nats)")
ax.set_ylabel("digits")
ax.legend(loc="upper left")
flagged = scores["VAE"] < threshold
print(
    f"flagged: {flagged[is_novel].mean():.0%} of the novel digits, "
    f"{flagged[~is_novel].mean():.0%} of the normal ones"
)

# %%
# The most and the least typical test digits
# ------------------------------------------
# According to the VAE. The least typical are digits it never saw. The most
# typical are ones: simple images with little ink get the highest
# likelihoods, a known trait of likelihood models (and one to keep in mind
# when a "too typical" input can also be a problem).
order = np.argsort(scores["VAE"])
fig, axes = plt.subplots(2, 1, figsize=(7, 2.8), layout="constrained")
SampleGridDisplay(X_test[order[-10:]], n_cols=10, estimator_name="most typical").plot(
    ax=axes[0], vmin=0, vmax=1
)
SampleGridDisplay(X_test[order[:10]], n_cols=10, estimator_name="least typical").plot(
    ax=axes[1], vmin=0, vmax=1
)
plt.show()
