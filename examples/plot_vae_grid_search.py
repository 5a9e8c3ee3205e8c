"""
=====================================================
Tuning a VAE in a pipeline: a grid over beta and size
=====================================================

A :class:`~sklearn_ae.VAETransformer` is a scikit-learn estimator, so it goes
into a :class:`~sklearn.pipeline.Pipeline` and
:class:`~sklearn.model_selection.GridSearchCV` tunes it like any other. Its
``score`` is the mean held-out log-likelihood of the data (an importance-
weighted estimate, in nats per digit), always for the plain ``beta = 1``
model: models trained with different ``beta`` and ``n_components`` are
compared on one scale, and no labels are needed.
"""

# %%
# The pipeline and the grid
# -------------------------
# The scaler is part of the pipeline, so each cross-validation fold scales
# with statistics of its own training part.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_ae import VAETransformer

X, y = load_digits(return_X_y=True)

pipe = make_pipeline(
    MinMaxScaler(),
    VAETransformer(hidden_layer_sizes=(64,), max_iter=40, random_state=0),
)
param_grid = {
    "vaetransformer__n_components": [2, 5, 10],
    "vaetransformer__beta": [0.5, 1.0, 2.0, 4.0],
}
search = GridSearchCV(pipe, param_grid, cv=3).fit(X)
print("best parameters:", search.best_params_)
print(f"best held-out log-likelihood: {search.best_score_:.1f} nats per digit")

# %%
# The search results
# ------------------
# ``cv_results_`` holds one row per candidate. The score measures the plain
# ELBO's target, ``log p(x)``, so ``beta`` near 1 tends to win; a large
# ``beta`` pulls the codes onto the prior and costs likelihood, and costs
# most to the larger codes, whose extra units it switches off. Two latent
# dimensions are too few for the digits whatever ``beta``. (Each fit here
# trains for 40 epochs only, to keep the example fast; a real search would
# train longer, or use ``early_stopping=True``.)
results = pd.DataFrame(search.cv_results_)
fig, ax = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
for n_components, group in results.groupby("param_vaetransformer__n_components"):
    group = group.sort_values("param_vaetransformer__beta")
    ax.errorbar(
        group["param_vaetransformer__beta"],
        group["mean_test_score"],
        yerr=group["std_test_score"],
        marker="o",
        capsize=3,
        label=f"n_components={n_components}",
    )
ax.set_xscale("log", base=2)
ax.set_xticks(param_grid["vaetransformer__beta"], labels=["0.5", "1", "2", "4"])
ax.set_xlabel("beta")
ax.set_ylabel("held-out log-likelihood (nats per digit)")
ax.set_title("3-fold cross-validation of the pipeline")
ax.legend()

# %%
# What the best model does with its latent units
# ----------------------------------------------
# The refitted best pipeline is ready to use. Its VAE reports how much
# information each latent unit carries (its mean KL divergence from the
# prior) and how many units are active: units with a KL near zero are
# switched off, a sign that ``n_components`` could be smaller.
vae = search.best_estimator_[-1]
fig, ax = plt.subplots(figsize=(6.5, 3), layout="constrained")
order = np.argsort(vae.kl_per_unit_)[::-1]
ax.bar(np.arange(vae.n_components), vae.kl_per_unit_[order])
ax.set_xlabel("latent unit (sorted)")
ax.set_ylabel("KL (nats)")
ax.set_title(f"{vae.active_units_} active units out of {vae.n_components}")
plt.show()
