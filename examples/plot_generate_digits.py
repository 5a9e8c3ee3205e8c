"""
===========================
Generating digits with VAEs
===========================

A variational autoencoder is a generative model: decoding draws from its
standard normal prior gives new data. :class:`~sklearn_ae.VAETransformer`
does this with :meth:`~sklearn_ae.VAETransformer.sample`;
:class:`~sklearn_ae.ConditionalVAE` is trained with the labels and generates
digits of the class you ask for. Walking through the latent space, one unit
at a time or from one digit to another, shows what the code has learned.
"""

# %%
# New digits from a VAE
# ---------------------
# Pixels are scaled to [0, 1]; ``vmin`` and ``vmax`` fix the colour scale to
# that range.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from sklearn_ae import ConditionalVAE, VAETransformer
from sklearn_ae.plotting import LatentTraversalDisplay, SampleGridDisplay

X, y = load_digits(return_X_y=True)
X = X / 16

params = dict(n_components=8, hidden_layer_sizes=(256, 64), max_iter=200, random_state=0)
vae = VAETransformer(**params).fit(X)

fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
SampleGridDisplay.from_estimator(
    vae, n_samples=40, n_cols=10, random_state=0, ax=ax, vmin=0, vmax=1
)

# %%
# Digits of a chosen class
# ------------------------
# The conditional VAE learns ``p(x | digit)``: ``sample(n, y=...)`` decodes
# prior draws together with the requested label.
# :class:`~sklearn_ae.plotting.SampleGridDisplay` recognises a conditional
# model and draws one row per class.
cvae = ConditionalVAE(**params).fit(X, y)

fig, ax = plt.subplots(figsize=(6, 6), layout="constrained")
SampleGridDisplay.from_estimator(cvae, n_cols=10, random_state=0, ax=ax, vmin=0, vmax=1)
ax.set_ylabel("requested digit")

# %%
# One latent unit at a time
# -------------------------
# A VAE switches off the latent units it does not need: ``kl_per_unit_`` is
# the information each unit carries, in nats, and ``active_units_`` counts
# the units in use.
print(f"active units: {vae.active_units_} of {vae.n_components}")
print("KL per unit (nats):", np.round(vae.kl_per_unit_, 2))

# %%
# Starting from the code of one digit, each row moves one of the five most
# informative units from -2 to +2 standard deviations of the codes, the
# other units fixed: some change the slant or the width of the stroke,
# others morph the digit into another one.
units = np.argsort(vae.kl_per_unit_)[::-1][:5]
fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
LatentTraversalDisplay.from_estimator(vae, X, components=units, n_steps=9, ax=ax, vmin=0, vmax=1)
ax.set_xlabel("offset (standard deviations of the codes)")

# %%
# From one digit to another
# -------------------------
# Decoding the straight line between the codes of two digits gives a smooth
# morph: the points in between decode to plausible images, because the
# prior leaves no large holes in the latent space.
starts, ends = X[[0, 3, 4]], X[[6, 8, 9]]
fig, ax = plt.subplots(figsize=(6, 2.6), layout="constrained")
LatentTraversalDisplay.from_interpolation(vae, starts, ends, n_steps=9, ax=ax, vmin=0, vmax=1)
ax.set_xlabel("interpolation weight")
plt.show()
