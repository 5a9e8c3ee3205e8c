"""
=========================================
A linear autoencoder finds PCA's subspace
=========================================

An autoencoder with linear encoder and decoder, trained on the squared
reconstruction error, learns the subspace spanned by the leading principal
components: the best rank-``q`` reconstruction is PCA's, whichever network
reaches it. It does not learn PCA's basis (any invertible mix of the
components reconstructs as well), so we compare subspaces through their
principal angles, which are all zero when the subspaces coincide.

A small skorch callback records the largest angle after every epoch, which
also shows how to watch a quantity of your own during training.
"""

# %%
# PCA, and the subspace of a decoder
# ----------------------------------
# The decoder maps a code ``z`` to ``W z + b``; its subspace is spanned by the
# columns of ``W``, which we read off by decoding the unit vectors.
import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.linalg import subspace_angles
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from skorch.callbacks import Callback, LRScheduler

from sklearn_ae import AutoencoderTransformer
from sklearn_ae.plotting import LossCurveDisplay, SampleGridDisplay

X, y = load_digits(return_X_y=True)
X = X / 16
n_components = 4
pca = PCA(n_components=n_components).fit(X)


def decoder_directions(decode, n_components):
    """Rows: the decoder's image of each unit vector, minus its offset."""
    with torch.no_grad():
        codes = torch.cat([torch.zeros(1, n_components), torch.eye(n_components)])
        out = decode(codes).double().numpy()
    return out[1:] - out[0]


class SubspaceAngle(Callback):
    """Record the largest principal angle to PCA's subspace, in degrees."""

    def on_epoch_end(self, net, **kwargs):
        W = decoder_directions(net.module_.decode, n_components)
        angles = subspace_angles(W.T, pca.components_.T)
        net.history.record("max_angle", float(np.degrees(angles.max())))


# %%
# The linear autoencoder
# ----------------------
# ``hidden_layer_sizes=()`` and ``activation="identity"`` make a single
# linear layer each way; ``alpha=0`` turns off the weight penalty, which
# would otherwise shrink the solution. Mini-batch noise keeps Adam hovering
# around the optimum, so a second callback, skorch's ``LRScheduler``, anneals
# the learning rate to zero over the 300 epochs, and ``n_iter_no_change``
# is set so that the whole schedule runs. (Had we passed ``verbose=1``, the
# recorded angle would appear in the epoch table, next to the loss.)
max_iter = 300
ae = AutoencoderTransformer(
    n_components=n_components,
    hidden_layer_sizes=(),
    activation="identity",
    alpha=0.0,
    learning_rate_init=2e-2,
    max_iter=max_iter,
    n_iter_no_change=max_iter,
    callbacks=[
        ("angle", SubspaceAngle()),
        ("lr", LRScheduler(policy="CosineAnnealingLR", T_max=max_iter)),
    ],
    random_state=0,
).fit(X)

history = ae.net_.history
angle = np.array(history[:, "max_angle"])
print(
    f"{ae.n_iter_} epochs; largest principal angle: {angle[0]:.1f} degrees after "
    f"epoch 1, {angle[-1]:.3f} degrees at the end"
)

# %%
# Training converges to PCA
# -------------------------
# The loss falls to PCA's reconstruction error (the mean squared error per
# pixel, dashed), while the largest principal angle between the two
# subspaces goes to zero. The directions are learned roughly in order of
# their variance, and a direction whose variance is close to the next one's
# is learned slowly: on the digits, the 5th and 6th principal variances
# differ by 15%, and a fifth component would take many more epochs.
pca_mse = np.mean((X - pca.inverse_transform(pca.transform(X))) ** 2)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
LossCurveDisplay.from_estimator(ae, ax=ax1, logy=True)
ax1.axhline(pca_mse, color="k", linestyle="--", label="PCA")
ax1.legend()
ax2.semilogy(np.arange(1, len(angle) + 1), angle)
ax2.set_xlabel("epoch")
ax2.set_ylabel("largest principal angle (degrees)")
ax2.set_title("distance to PCA's subspace")

# %%
# Same subspace, different basis
# ------------------------------
# PCA's components are orthonormal and ordered by variance; the decoder's
# directions are an arbitrary basis of the same subspace. Drawn as images,
# they look nothing alike, yet every digit is reconstructed the same way.
W = decoder_directions(ae.net_.module_.decode, n_components)
fig, ax = plt.subplots(figsize=(6, 2.6), layout="constrained")
SampleGridDisplay(
    np.vstack([pca.components_, W / np.linalg.norm(W, axis=1, keepdims=True)]),
    n_cols=n_components,
    row_labels=["PCA", "autoencoder"],
    estimator_name="basis vectors of the two subspaces",
).plot(ax=ax, cmap="RdBu_r", vmin=-0.4, vmax=0.4)
X_pca = pca.inverse_transform(pca.transform(X))
X_ae = ae.inverse_transform(ae.transform(X))
print(f"largest difference between the two reconstructions: {np.abs(X_pca - X_ae).max():.4f}")
plt.show()
