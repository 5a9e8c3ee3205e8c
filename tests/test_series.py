"""sklearn_ae.series: sliding windows of a series, and window scores back to time points."""

import numpy as np
import pandas as pd
import pytest

from sklearn_ae import PPCA, AutoencoderTransformer, OutlierDetector
from sklearn_ae.architectures import RecurrentNet
from sklearn_ae.series import SeriesOutlierDetector, sliding_windows, window_scores_to_points


def _points_by_hand(scores, n_timepoints, window, stride, reduce):
    """The definition, one time point at a time (gaps and tail: the nearest window)."""
    reducer = {"mean": np.mean, "max": np.max, "min": np.min, "median": np.median}[reduce]
    starts = np.arange(len(scores)) * stride
    out = []
    for t in range(n_timepoints):
        inside = [s for j, s in enumerate(scores) if starts[j] <= t < starts[j] + window]
        if inside:
            out.append(reducer(inside))
        else:
            distance = np.maximum(starts - t, t - (starts + window - 1))
            out.append(scores[np.argmin(distance)])  # argmin: the earlier one on a tie
    return np.array(out)


# ------------------------------------------------------------ sliding_windows
def test_sliding_windows_univariate_by_hand():
    X = sliding_windows([0, 1, 2, 3, 4], window=3)
    np.testing.assert_array_equal(X, [[0, 1, 2], [1, 2, 3], [2, 3, 4]])
    assert X.dtype == np.float64 and X.flags.c_contiguous

    np.testing.assert_array_equal(
        sliding_windows(np.arange(7.0), 3, stride=2), [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    )
    # stride 3: (8 - 3) // 3 + 1 = 2 windows, the last 2 points in none
    np.testing.assert_array_equal(
        sliding_windows(np.arange(8.0), 3, stride=3), [[0, 1, 2], [3, 4, 5]]
    )
    np.testing.assert_array_equal(sliding_windows([5.0, 6.0], 2), [[5, 6]])
    np.testing.assert_array_equal(sliding_windows([5.0, 6.0], 1), [[5], [6]])


def test_sliding_windows_multichannel_is_flattened_time_major():
    # channel c of time step t holds 10 * c + t
    series = np.array([[t, 10 + t, 20 + t] for t in range(5)], dtype=np.float32)
    X = sliding_windows(series, window=2, stride=2)
    np.testing.assert_array_equal(X, [[0, 10, 20, 1, 11, 21], [2, 12, 22, 3, 13, 23]])
    assert X.dtype == np.float32 and X.flags.c_contiguous
    # Each row, read as (T, C), is the window of the series: the order the networks read.
    windows = sliding_windows(series, window=3)
    for i, row in enumerate(windows):
        np.testing.assert_array_equal(row.reshape(3, 3), series[i : i + 3])


def test_sliding_windows_shape_formula_and_the_conv1dnet_docstring_case():
    series = np.sin(np.linspace(0, 40, 500))[:, None]
    assert sliding_windows(series, window=32).shape == (469, 32)
    rng = np.random.default_rng(0)
    for n, c, w, s in [(10, 1, 10, 1), (11, 2, 4, 3), (100, 3, 7, 5), (9, 1, 2, 9)]:
        X = sliding_windows(rng.random((n, c)), w, stride=s)
        assert X.shape == ((n - w) // s + 1, w * c)


def test_sliding_windows_dtypes_and_inputs():
    assert sliding_windows(np.arange(5, dtype=np.int32), 2).dtype == np.float64
    assert sliding_windows(np.arange(5) > 2, 2).dtype == np.float64
    assert sliding_windows(np.arange(5, dtype=np.float32), 2).dtype == np.float32
    assert sliding_windows(np.arange(5, dtype=np.float16), 2).dtype == np.float64
    frame = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [3.0, 4.0, 5.0]})
    np.testing.assert_array_equal(sliding_windows(frame, 2), [[0, 3, 1, 4], [1, 4, 2, 5]])
    np.testing.assert_array_equal(sliding_windows(pd.Series([1, 2, 3]), 3), [[1, 2, 3]])


def test_sliding_windows_returns_a_copy():
    series = np.arange(6.0)
    X = sliding_windows(series, 3)
    X[0, 0] = -1
    assert series[0] == 0 and X[1, 0] == 1  # neither the series nor the overlapping row moved


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"window": 0}, r"window must be a positive integer, got 0\. Pass the number"),
        ({"window": 2.5}, "window must be a positive integer, got 2.5"),
        ({"window": True}, "window must be a positive integer, got True"),
        ({"window": 3, "stride": 0}, r"stride must be a positive integer, got 0\. Pass the step"),
        (
            {"window": 11},
            r"window=11 is longer than the series, which has 10 time points\. "
            r"Use a window of at most 10",
        ),
    ],
)
def test_sliding_windows_bad_window_or_stride(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sliding_windows(np.arange(10.0), **kwargs)


def test_sliding_windows_rejects_bad_series():
    bad = np.arange(10.0)
    bad[[3, 7]] = [np.nan, np.inf]
    with pytest.raises(
        ValueError,
        match=r"NaN or infinite values at 2 time point\(s\) \(index 3, 7\)\. Fill or interpolate",
    ):
        sliding_windows(bad, 3)
    with pytest.raises(
        ValueError, match=r"got an array of shape \(4, 5, 2\)\. To window several series"
    ):
        sliding_windows(np.zeros((4, 5, 2)), 2)
    with pytest.raises(ValueError, match=r"got an array of shape \(\)"):
        sliding_windows(3.0, 1)
    with pytest.raises(ValueError, match="no channels"):
        sliding_windows(np.zeros((5, 0)), 2)
    with pytest.raises(ValueError, match="must hold numbers, got dtype <U1"):
        sliding_windows(["a", "b", "c"], 2)


# ---------------------------------------------------- window_scores_to_points
def test_window_scores_to_points_by_hand():
    # n=6, window=3: windows [0-2], [1-3], [2-4], [3-5] score 1, 2, 3, 6
    scores = [1.0, 2.0, 3.0, 6.0]
    mean = window_scores_to_points(scores, 6, 3)
    np.testing.assert_allclose(mean, [1, 1.5, 2, 11 / 3, 4.5, 6])
    np.testing.assert_array_equal(
        window_scores_to_points(scores, 6, 3, reduce="max"), [1, 2, 3, 6, 6, 6]
    )
    np.testing.assert_array_equal(
        window_scores_to_points(scores, 6, 3, reduce="min"), [1, 1, 1, 2, 3, 6]
    )
    np.testing.assert_array_equal(
        window_scores_to_points(scores, 6, 3, reduce="median"), [1, 1.5, 2, 3, 4.5, 6]
    )
    assert mean.dtype == np.float64 and mean.shape == (6,)


def test_window_scores_to_points_tail_and_gaps_take_the_nearest_window():
    # n=8, window=3, stride=2: windows [0-2], [2-4], [4-6]; point 7 is in none
    np.testing.assert_allclose(
        window_scores_to_points([1.0, 3.0, 5.0], 8, 3, stride=2), [1, 1, 2, 3, 4, 5, 5, 5]
    )
    # n=11, window=2, stride=4: windows [0-1], [4-5], [8-9], point 10 in none; in the gaps,
    # 2 is nearer window 0, 3 and 6 nearer window 1, 7 nearer window 2
    out = window_scores_to_points([1.0, 2.0, 3.0], 11, 2, stride=4, reduce="median")
    np.testing.assert_array_equal(out, [1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
    # window=1, stride=3: a gap of two between the windows, split between the neighbours
    np.testing.assert_array_equal(
        window_scores_to_points([1.0, 2.0], 5, 1, stride=3), [1, 1, 2, 2, 2]
    )
    # window=1, stride=4: the middle point of the gap of three ties: the earlier window
    np.testing.assert_array_equal(
        window_scores_to_points([1.0, 2.0], 5, 1, stride=4), [1, 1, 1, 2, 2]
    )


@pytest.mark.parametrize("reduce", ["mean", "max", "min", "median"])
def test_window_scores_to_points_matches_the_definition(reduce):
    rng = np.random.default_rng(0)
    for n, w, s in [(20, 5, 1), (21, 4, 3), (17, 3, 5), (9, 9, 1), (30, 7, 7), (12, 1, 1)]:
        scores = rng.standard_normal((n - w) // s + 1)
        np.testing.assert_allclose(
            window_scores_to_points(scores, n, w, stride=s, reduce=reduce),
            _points_by_hand(scores, n, w, s, reduce),
            err_msg=f"n={n}, window={w}, stride={s}",
        )


def test_round_trip_with_sliding_windows():
    # Score each window of a step function by its maximum, spread with "min": a point
    # whose neighbourhood (a window's width on both sides) is flat gets its own value back.
    series = np.repeat([0.0, 5.0, 1.0], 10)
    X = sliding_windows(series, window=4)
    points = window_scores_to_points(X.max(axis=1), len(series), 4, reduce="min")
    np.testing.assert_array_equal(points[[3, 13, 26]], [0, 5, 1])
    # Constant scores stay constant, for every stride (tail included).
    for stride in (1, 2, 3, 5):
        X = sliding_windows(series, window=4, stride=stride)
        out = window_scores_to_points(np.full(len(X), 2.5), len(series), 4, stride=stride)
        np.testing.assert_array_equal(out, np.full(len(series), 2.5))
    # The mean of each window of a ramp, spread by "mean", gives the ramp back wherever a
    # point lies in a full set of windows (its windows' centres average to it).
    ramp = np.arange(50.0)
    X = sliding_windows(ramp, window=5)
    np.testing.assert_allclose(window_scores_to_points(X.mean(axis=1), 50, 5)[4:-4], ramp[4:-4])


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (
            ([1.0] * 5, 10, 3),
            {},
            r"Expected 8 window scores for a series of 10 time points cut into windows of 3 "
            r"with stride 1, got 5",
        ),
        (([1.0] * 8, 10, 3), {"stride": 2}, r"Expected 4 window scores .* with stride 2, got 8"),
        (
            ([1.0] * 8, 10, 3),
            {"reduce": "sum"},
            r"reduce must be one of 'mean', 'max', 'min', 'median'; got 'sum'",
        ),
        (
            (np.ones((8, 1)), 10, 3),
            {},
            r"window_scores must be 1-D, one score per window, got shape \(8, 1\)",
        ),
        (([1.0, np.nan, 1.0], 4, 2), {}, r"window_scores holds 1 NaN"),
        (([1.0], 4, 5), {}, r"window=5 is longer than the series of n_timepoints=4"),
        (([1.0], 4, 0), {}, "window must be a positive integer, got 0"),
        (([1.0], 0, 1), {}, "n_timepoints must be a positive integer, got 0"),
        (([1.0], 4, 2), {"stride": -1}, "stride must be a positive integer, got -1"),
    ],
)
def test_window_scores_to_points_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        window_scores_to_points(*args, **kwargs)


# ------------------------------------------------------------------ end to end
def test_recurrent_autoencoder_finds_an_injected_anomaly():
    # A noisy sine; the model sees only the first 600 points. A 10-point level shift of
    # +3 later on: every window over it reconstructs badly, and the point-wise mean of
    # the window scores peaks where the most such windows overlap, inside the shift. A
    # score mapped back with an offset (to the window's start or end) would peak up to
    # half a window (10 points) away, outside it.
    rng = np.random.default_rng(0)
    n, window, anomaly = 1000, 20, slice(775, 785)
    series = np.sin(2 * np.pi * np.arange(n) / 20) + 0.05 * rng.standard_normal(n)
    series[anomaly] += 3
    X_train = sliding_windows(series[:600], window)
    X = sliding_windows(series, window)
    est = AutoencoderTransformer(
        n_components=2,
        architecture=RecurrentNet(input_shape=(window, 1), hidden_size=8),
        max_iter=5,
        learning_rate_init=0.01,
        batch_size=16,
        random_state=0,
    ).fit(X_train)
    points = window_scores_to_points(-est.score_samples(X), n, window)
    assert points.shape == (n,)
    assert anomaly.start <= np.argmax(points) < anomaly.stop
    # and the shift stands out of the normal part, not only by a hair
    assert points[anomaly].mean() > 3 * points[:600].max()


# ------------------------------------------------------- SeriesOutlierDetector
def _sine(n=1200, *, channels=1, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None] + 7 * np.arange(channels)
    series = np.sin(2 * np.pi * t / 50) + 0.05 * rng.standard_normal((n, channels))
    return series[:, 0] if channels == 1 else series


def _ppca_detector(**kwargs):
    return SeriesOutlierDetector(OutlierDetector(PPCA(n_components=2)), window=25, **kwargs)


def test_series_detector_labels_an_unseen_stretch():
    series = _sine()
    series[1000:1020] = 0.0
    detector = _ppca_detector().fit(series[:800])
    labels = detector.predict(series)
    assert labels.shape == (1200,) and set(np.unique(labels)) <= {-1, 1}
    assert (labels[1000:1020] == -1).all()
    # In the unseen normal part, only points within a window of the stretch are flagged.
    flagged = np.flatnonzero(labels[800:] == -1) + 800
    assert flagged.min() >= 1000 - 25 and flagged.max() < 1020 + 25


def test_series_detector_scores_are_the_window_scores_spread_over_points():
    series = _sine(600)
    for reduce in ("mean", "max"):
        detector = _ppca_detector(reduce=reduce, stride=3).fit(series)
        windows = sliding_windows(series, 25, stride=3)
        anomaly = -detector.detector_.score_samples(windows)
        expected = -window_scores_to_points(anomaly, 600, 25, stride=3, reduce=reduce)
        np.testing.assert_allclose(detector.score_samples(series), expected)
        np.testing.assert_allclose(detector.decision_function(series), expected - detector.offset_)


def test_series_detector_contamination_is_a_share_of_training_points():
    series = _sine(1000)
    detector = _ppca_detector(contamination=0.05, reduce="mean").fit(series)
    assert abs(np.mean(detector.predict(series) == -1) - 0.05) <= 0.01
    np.testing.assert_array_equal(detector.fit_predict(series), detector.predict(series))
    # The highest window score holds over runs of points: ties at the threshold
    # count as normal, so the share can only fall short.
    detector.set_params(reduce="max").fit(series)
    assert 0.02 <= np.mean(detector.predict(series) == -1) <= 0.05


def test_series_detector_multichannel_and_searchable():
    series = _sine(500, channels=3)
    detector = SeriesOutlierDetector(window=10).set_params(
        detector=OutlierDetector(PPCA(n_components=4)), detector__estimator__n_components=3
    )
    detector.fit(series)
    assert detector.n_features_in_ == 3
    assert detector.detector_.estimator_.n_features_in_ == 30
    assert detector.detector_.estimator_.n_components_ == 3
    with pytest.raises(
        ValueError, match="X has 2 features, but SeriesOutlierDetector is expecting 3"
    ):
        detector.predict(series[:, :2])
    with pytest.raises(ValueError, match="longer than the series"):
        detector.predict(series[:5])
    bad = series.copy()
    bad[7, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite values at 1 time point"):
        detector.predict(bad)


def test_series_detector_default_is_the_default_outlier_detector():
    series = _sine(300)
    detector = SeriesOutlierDetector(window=20)
    assert detector.detector is None
    detector.set_params(detector=None).fit(series[:60])
    assert isinstance(detector.detector_, OutlierDetector)
    assert detector.detector_.get_params()["estimator"] is None
    assert detector.detector_.latent_neighbors is None


@pytest.mark.parametrize(
    "params, match",
    [
        ({"window": 0}, "window"),
        ({"reduce": "median"}, "reduce"),
        ({"contamination": 0.7}, "contamination"),
    ],
)
def test_series_detector_rejects_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        _ppca_detector().set_params(**params).fit(_sine(200))
