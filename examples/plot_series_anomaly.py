"""
===========================================================
Anomalies in a time series with a convolutional autoencoder
===========================================================

An autoencoder trained on windows of a normal stretch of a series learns its
shapes; windows it reconstructs badly are anomalous. The steps:

1. cut the series into overlapping windows with
   :func:`~sklearn_ae.series.sliding_windows`, one flattened window per row;
2. train an :class:`~sklearn_ae.AutoencoderTransformer` whose
   :class:`~sklearn_ae.architectures.Conv1dNet` convolves along time, on the
   windows of the normal part only;
3. score every window by its reconstruction error (minus ``score_samples``);
4. spread the window scores back over the time points with
   :func:`~sklearn_ae.series.window_scores_to_points`, for one anomaly score
   per time point.

The series is generated here so that the example needs nothing beyond
sklearn_ae; ``benchmarks/bench_series.py`` runs the same steps on a real
labelled series (KDD-TSAD 135 of the UCR anomaly archive, through aeon), with
recurrent, convolutional and dense autoencoders and PCA side by side.
"""

# %%
# A rhythmic series with one anomaly
# ----------------------------------
# A waveform of two harmonics whose period drifts slowly between 35 and 45
# steps, plus noise. The first 1,500 points are the normal training part. In
# the test part, 30 points are replaced by a faster, weaker oscillation: its
# values stay within the normal range, so no threshold on the values finds
# it, only a model of the shape.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import roc_auc_score

from sklearn_ae import AutoencoderTransformer, OutlierDetector
from sklearn_ae.architectures import Conv1dNet
from sklearn_ae.series import SeriesOutlierDetector, sliding_windows, window_scores_to_points

rng = np.random.default_rng(0)
n_timepoints, n_train = 4000, 1500
period = 40 + 5 * np.sin(2 * np.pi * np.arange(n_timepoints) / 1500)
phase = np.cumsum(2 * np.pi / period)
series = np.sin(phase) + 0.5 * np.sin(2 * phase + 1) + 0.05 * rng.standard_normal(n_timepoints)

anomaly = slice(2900, 2930)
series[anomaly] = 0.6 * np.sin(4 * phase[anomaly]) + 0.05 * rng.standard_normal(30)
labels = np.zeros(n_timepoints, dtype=bool)
labels[anomaly] = True


def shade(ax):
    """The training part in grey, the labelled anomaly in orange."""
    ax.axvspan(0, n_train, color="0.9", linewidth=0, label="training part")
    ax.axvspan(
        anomaly.start,
        anomaly.stop,
        color="tab:orange",
        alpha=0.4,
        linewidth=0,
        label="labelled anomaly",
    )


fig, (whole, zoom) = plt.subplots(2, 1, figsize=(9, 4.5), layout="constrained")
for ax, span in [(whole, (0, n_timepoints)), (zoom, (2750, 3080))]:
    shade(ax)
    ax.plot(np.arange(*span), series[slice(*span)], color="0.2", linewidth=0.7)
    ax.set_xlim(*span)
whole.set_title("The series")
zoom.set_title("Around the anomaly")
zoom.set_xlabel("time point")
fig.legend(*whole.get_legend_handles_labels(), loc="outside right upper")

# %%
# Windows
# -------
# Each row of ``X`` is one window of 48 consecutive points (about a period).
# The series is standardised with the training part's mean and standard
# deviation only: the test part must not leak into the model.
window = 48
mean, std = series[:n_train].mean(), series[:n_train].std()
scaled = (series - mean) / std
X_train = sliding_windows(scaled[:n_train], window)
X = sliding_windows(scaled, window)  # every window of the whole series, to score
print(f"training windows {X_train.shape}, all windows {X.shape}")

# %%
# A convolutional autoencoder
# ---------------------------
# ``Conv1dNet(input_shape=(window, 1))`` reads each row as 48 time steps of
# one channel: two strided convolutions along time, then a code of 4
# numbers, and transposed convolutions back. Training stops when the loss
# stalls for ``n_iter_no_change`` epochs. A recurrent network,
# ``RecurrentNet(input_shape=(window, 1))``, is a drop-in alternative; it is
# slower to train.
ae = AutoencoderTransformer(
    n_components=4,
    architecture=Conv1dNet(input_shape=(window, 1)),
    max_iter=60,
    learning_rate_init=0.003,
    batch_size=32,
    random_state=0,
).fit(X_train)
print(f"trained for {ae.n_iter_} epochs")

# %%
# The model reconstructs the shapes it was trained on: a normal window of the
# test part comes back closely, the window centred on the anomaly does not.
# The mean squared difference, minus ``score_samples``, is the window's
# anomaly score.
centred = anomaly.start + 15 - window // 2
normal = 3500
reconstructed = ae.inverse_transform(ae.transform(X[[normal, centred]]))
window_errors = -ae.score_samples(X[[normal, centred]])
fig, axes = plt.subplots(1, 2, figsize=(9, 2.6), sharey=True, layout="constrained")
titles = ["a normal window", "the anomalous window"]
for ax, row, rec, error, title in zip(
    axes, [normal, centred], reconstructed, window_errors, titles, strict=True
):
    ax.plot(X[row], color="0.2", label="window")
    ax.plot(rec, color="tab:blue", linestyle="--", label="reconstruction")
    ax.set_title(f"{title}: anomaly score {error:.3f}")
    ax.set_xlabel("time step in the window")
axes[0].legend(loc="lower left")

# %%
# One anomaly score per time point
# --------------------------------
# ``-ae.score_samples(X)`` is each window's reconstruction error;
# :func:`~sklearn_ae.series.window_scores_to_points` gives every time point the
# mean score of the windows that contain it, 48 away from the ends (``reduce="max"`` keeps
# the worst instead). The score rises only where the windows overlap the
# anomaly, and peaks inside it.
point_scores = window_scores_to_points(-ae.score_samples(X), n_timepoints, window)
test = slice(n_train, None)
top = int(np.argmax(point_scores[test])) + n_train
print(f"top-scored time point: {top} (labelled anomaly: {anomaly.start}-{anomaly.stop - 1})")
print(f"point-wise ROC-AUC on the test part: {roc_auc_score(labels[test], point_scores[test]):.3f}")

fig, (top_ax, bottom_ax) = plt.subplots(
    2, 1, figsize=(9, 4.5), sharex=True, height_ratios=[1, 1], layout="constrained"
)
for ax in (top_ax, bottom_ax):
    shade(ax)
top_ax.plot(series, color="0.2", linewidth=0.6)
top_ax.set_ylabel("series")
bottom_ax.plot(point_scores, color="tab:red", linewidth=0.8)
bottom_ax.set_ylabel("anomaly score")
bottom_ax.set_xlabel("time point")
bottom_ax.set_xlim(0, n_timepoints)
top_ax.set_title("The series and its anomaly score per time point")

# %%
# From the series to labels in one estimator
# ------------------------------------------
# :class:`~sklearn_ae.series.SeriesOutlierDetector` does the steps above in
# one estimator and adds the threshold: it windows the series it is given,
# scores the windows with an :class:`~sklearn_ae.OutlierDetector` around the
# same autoencoder (its reconstruction error alone, ``latent_neighbors=None``,
# the score used above), gives each point the highest anomaly score of its
# windows (``reduce="max"``) and sets ``offset_`` on the training part's
# points (Tukey's far-out fence by default). ``predict`` then labels every time point.
series_detector = SeriesOutlierDetector(OutlierDetector(ae, latent_neighbors=None), window=window)
point_labels = series_detector.fit(scaled[:n_train]).predict(scaled)
flagged = np.flatnonzero(point_labels == -1)
starts = flagged[np.r_[0, np.flatnonzero(np.diff(flagged) > 1) + 1]]
ends = flagged[np.r_[np.flatnonzero(np.diff(flagged) > 1), len(flagged) - 1]]
print("stretches labelled -1:", ", ".join(f"{a}-{b}" for a, b in zip(starts, ends, strict=True)))
print(f"share of the anomaly labelled -1: {np.mean(point_labels[anomaly] == -1):.0%}")

# %%
# The whole anomaly is labelled, with the windows around it, and nothing else.
# The threshold is set on the training part's own scores, which a model fits
# better than new normal data, and the scores of overlapping windows vary
# together; so the default is Tukey's far-out fence, 3 interquartile ranges
# above the third quartile (twice that of a row detector), which leaves out
# windows made only a little unusual by the drifting period. A float
# ``contamination``, or a threshold taken on a held-out normal stretch
# (``series_detector.offset_ =
# np.quantile(series_detector.score_samples(held_out), 0.001)``), trades
# alarms against misses.
fig, ax = plt.subplots(figsize=(9, 2.6), layout="constrained")
shade(ax)
ax.plot(series, color="0.2", linewidth=0.6)
ax.fill_between(
    np.arange(n_timepoints),
    series.min(),
    series.max(),
    where=point_labels == -1,
    color="tab:red",
    alpha=0.3,
    linewidth=0,
)
ax.set_title("Time points labelled -1 by SeriesOutlierDetector (red)")
ax.set_xlabel("time point")
plt.show()
