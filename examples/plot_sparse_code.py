"""
=================================
A sparse code and its activations
=================================

A :class:`~sklearn_ae.SparseAE` may have a code as wide as its input, or
wider: a penalty, not a narrow bottleneck, keeps it from copying the input.
With ``sparsity="l1"`` the penalty is ``sparsity_weight`` times the sum of the
absolute code values, and most of them become (nearly) zero for each digit;
with ``sparsity="kl"`` the code units are sigmoids whose mean activation is
pulled towards ``sparsity_target``.
"""

# %%
# A 64-unit code for 64 pixels
# ----------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from sklearn_ae import AutoencoderTransformer, SparseAE
from sklearn_ae.plotting import UnitDisplay

X, y = load_digits(return_X_y=True)
X = X / 16
params = dict(n_components=64, hidden_layer_sizes=(128,), max_iter=60, random_state=0)

plain = AutoencoderTransformer(**params).fit(X)
sparse = SparseAE(sparsity="l1", sparsity_weight=1e-2, **params).fit(X)

# %%
# The codes of a few digits
# -------------------------
# Each row is the code of one digit (absolute values, darker is larger). The
# plain autoencoder spreads every digit over all its units; the sparse one
# describes each digit with a few units, and different digits use different
# units.
order = np.concatenate([np.flatnonzero(y == digit)[:2] for digit in range(10)])
fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained", sharey=True)
panels = {"plain autoencoder": plain, "SparseAE (L1)": sparse}
for ax, (name, model) in zip(axes, panels.items(), strict=True):
    Z = np.abs(model.transform(X[order]))
    ax.imshow(Z / Z.max(), cmap="Greys", aspect="auto", interpolation="nearest")
    ax.set_title(name)
    ax.set_xlabel("code unit")
axes[0].set_yticks(range(len(order)), labels=y[order])
axes[0].set_ylabel("digit")

# %%
# What the code units respond to
# ------------------------------
# :class:`~sklearn_ae.plotting.UnitDisplay` shows, for each unit, the input
# that activates it most among inputs of a fixed norm (Erhan et al., 2009).
# With ``method="gradient"`` it finds that input for the code units by
# gradient ascent on the input, held at the norm of a typical digit; red
# pixels excite the unit, blue ones inhibit it. (``method="weights"`` shows
# the hidden units of the first layer instead, as their normalised weights.)
# We draw the 16 units each model uses most, by mean absolute code value.
#
# A unit of the plain autoencoder responds to broad strokes of ink. A unit of
# the sparse code is pickier: it wants ink at a few pixels and none almost
# everywhere else, so that few digits turn it on. Pixels at the left and
# right edges are blank in nearly every digit, so their weights hardly train:
# read the images where the digits have ink.
norm = np.linalg.norm(X, axis=1).mean()
fig, axes = plt.subplots(1, 2, figsize=(10, 5.5), layout="constrained")
for ax, (name, model) in zip(axes, panels.items(), strict=True):
    most_used = np.argsort(-np.abs(model.transform(X)).mean(axis=0))[:16]
    UnitDisplay.from_estimator(
        model, method="gradient", units=most_used, norm=norm, random_state=0, ax=ax
    )
    ax.set_title(name)

# %%
# How sparse, at what cost?
# -------------------------
# ``code_zero_fraction_`` is the share of training code entries that are near
# zero (below 1% of the largest magnitude). A larger ``sparsity_weight`` gives
# a sparser code and a worse reconstruction: the weight sets the trade-off.
weights = [1e-3, 3e-3, 1e-2, 3e-2]
models = [SparseAE(sparsity="l1", sparsity_weight=w, **params).fit(X) for w in weights]


def reconstruction_error(model):
    return np.mean((model.inverse_transform(model.transform(X)) - X) ** 2)


fig, ax1 = plt.subplots(figsize=(6.5, 4), layout="constrained")
ax1.semilogx(weights, [m.code_zero_fraction_ for m in models], "o-", color="C0")
ax1.set_xlabel("sparsity_weight")
ax1.set_ylabel("fraction of near-zero code entries", color="C0")
ax2 = ax1.twinx()
ax2.semilogx(weights, [reconstruction_error(m) for m in models], "s--", color="C1")
ax2.axhline(reconstruction_error(plain), color="C1", linestyle=":", label="plain autoencoder")
ax2.set_ylabel("reconstruction error (MSE)", color="C1")
ax2.legend(loc="lower right")
for w, m in zip(weights, models, strict=True):
    print(
        f"sparsity_weight={w:g}: {m.code_zero_fraction_:.0%} near-zero entries, "
        f"MSE {reconstruction_error(m):.4f}"
    )

# %%
# The KL form: a target mean activation
# -------------------------------------
# With ``sparsity="kl"`` every unit's mean activation over a batch is pulled
# to ``sparsity_target``, and ``code_mean_activation_`` reports where each one
# ended up: on target. But the KL penalty constrains the mean only, and a
# unit can meet it by firing rarely and strongly or weakly all the time. The
# histogram of all activations shows which: here the units stay weakly
# active for every digit, with no spike at zero. The KL form is sparse on
# average; for codes with many exact near-zeros per digit, use the L1 form.
kl = SparseAE(sparsity="kl", sparsity_target=0.05, sparsity_weight=0.1, **params).fit(X)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained")
ax1.hist(kl.code_mean_activation_, bins=20)
ax1.ticklabel_format(axis="x", useOffset=False)
ax1.locator_params(axis="x", nbins=4)
ax1.axvline(0.05, color="k", linestyle="--", label="sparsity_target")
ax1.set_xlabel("mean activation of a unit")
ax1.set_ylabel("units")
ax1.legend()
activations = kl.transform(X)
ax2.hist(activations.ravel(), bins=50, log=True)
ax2.set_xlabel("activation (all units, all digits)")
ax2.set_ylabel("count")
plt.show()
