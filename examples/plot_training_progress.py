"""
================================================
Watching a model train: progress and loss curves
================================================

``verbose=1`` prints one line per epoch while a model trains: the training
loss, the validation loss when ``early_stopping=True``, the parts of the loss
of models that have them, and the time per epoch. (``verbose=2`` adds a
progress bar over the mini-batches of each epoch.) Everything printed is also
recorded in the fitted estimator, and
:class:`~sklearn_ae.plotting.LossCurveDisplay` draws it.

Here a :class:`~sklearn_ae.VAETransformer` trains with a KL warm-up and early
stopping.
"""

# %%
# Training with progress output
# -----------------------------
# ``early_stopping=True`` holds out 10% of the digits and stops when their
# loss has not improved for ``n_iter_no_change`` epochs; the weights of the
# best epoch are restored. ``kl_warmup=10`` raises the weight of the KL term
# from 0 to ``beta`` over the first 10 epochs (the ``kl_weight`` column). The
# loss is reported at the target ``beta`` throughout, so all epochs compare
# on one scale. Colours in a terminal mark each new best value.
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits

from sklearn_ae import VAETransformer
from sklearn_ae.plotting import LossCurveDisplay

X, y = load_digits(return_X_y=True)
X = X / 16

vae = VAETransformer(
    n_components=4,
    hidden_layer_sizes=(128,),
    kl_warmup=10,
    early_stopping=True,
    n_iter_no_change=5,
    max_iter=150,
    verbose=1,
    random_state=0,
).fit(X)

# %%
# What was recorded
# -----------------
# The fitted estimator keeps the curves (``loss_curve_``,
# ``validation_scores_``, and for a VAE ``reconstruction_curve_`` and
# ``kl_curve_``) and the number of epochs run, ``n_iter_``. The complete
# per-epoch record, including the KL weight of the warm-up, is skorch's
# ``net_.history``.
print(f"{vae.n_iter_} epochs; best validation loss {-vae.best_validation_score_:.2f}")
print("KL weight, first epochs:", [round(w, 2) for w in vae.net_.history[:12, "kl_weight"]])

# %%
# The loss curves
# ---------------
# The negative ELBO is the sum of the reconstruction term and the KL term
# (both in nats per digit); the dotted line marks the epoch whose weights
# early stopping kept. The KL term grows as the codes start to carry
# information and levels off after the warm-up, while the reconstruction term
# keeps improving. The widening gap between the training and validation
# curves is the overfitting that early stopping guards against.
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
LossCurveDisplay.from_estimator(vae, ax=ax)
ax.axvspan(1, 10, color="0.9", zorder=0, label="KL warm-up")
ax.legend()
plt.show()
