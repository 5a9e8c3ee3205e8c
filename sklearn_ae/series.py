"""Time series as rows: sliding windows in, one score per time point out.

The estimators of sklearn_ae take a 2-D ``X``. A series becomes one with
:func:`sliding_windows`: each row is one window of ``window`` consecutive time
steps, its channels flattened in ``(T, C)`` order (the channels of step 0, then
those of step 1, ...), which is the order
:class:`~sklearn_ae.architectures.RecurrentNet` and
:class:`~sklearn_ae.architectures.Conv1dNet` read with
``input_shape=(window, n_channels)``. A model then scores every window (for
instance ``-est.score_samples(windows)``, an anomaly score), and
:func:`window_scores_to_points` spreads those scores back over the time points
of the series. :class:`SeriesOutlierDetector` does all three, from a raw series
to a label per time point.
"""

from numbers import Integral, Real

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, MetaEstimatorMixin, OutlierMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._outlier import OutlierDetector, ThresholdMixin, outlier_threshold

__all__ = ["SeriesOutlierDetector", "sliding_windows", "window_scores_to_points"]

# The reductions window_scores_to_points knows, by name.
_REDUCTIONS = ("mean", "max", "min", "median")

# Tukey's far-out fence, in interquartile ranges above the third quartile, for
# the "auto" threshold on time points. Overlapping windows make the training
# points' scores a few strongly correlated values, whose spread understates
# that of new normal stretches, and with reduce="max" one window above the
# threshold labels all its points. With the 1.5 of OutlierDetector, the
# default detector labelled 136 to 762 of the 6,301 points of KDD-TSAD 135
# over seeds 0-4 (float32 rounding alone moved one seed from 266 to 762); at 3
# it labels 134 to 137: the anomaly and the windows that hold it, which score
# 12 to 48 interquartile ranges above the quartile.
SERIES_FENCE = 3.0


def _check_positive_int(value, name, hint):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}. {hint}")
    return int(value)


def _n_windows(n_timepoints, window, stride):
    return (n_timepoints - window) // stride + 1


def sliding_windows(series, window, *, stride=1):
    """Cut a series into overlapping windows, one flattened window per row.

    Parameters
    ----------
    series : array-like of shape (n_timepoints,) or (n_timepoints, n_channels)
        The series, time along the first axis (a pandas Series or DataFrame
        works too). A 1-D series has one channel. It must be finite: fill or
        interpolate missing values first.
    window : int
        Time steps per window, at least 1 and at most ``n_timepoints``.
    stride : int, default=1
        Time steps between the starts of two consecutive windows. With
        ``stride > 1`` a tail of fewer than ``stride`` points may lie in no
        window (see :func:`window_scores_to_points`).

    Returns
    -------
    windows : ndarray of shape (n_windows, window * n_channels)
        Row ``i`` holds time steps ``i * stride`` to ``i * stride + window - 1``,
        flattened in ``(T, C)`` order: the ``n_channels`` values of its first
        step, then those of the next, and so on. ``n_windows`` is
        ``(n_timepoints - window) // stride + 1``. A C-contiguous copy (about
        ``window / stride`` times the size of the series), of the series'
        dtype for float32 and float64, else float64.

    Raises
    ------
    ValueError
        If ``window`` or ``stride`` is not a positive integer, the window is
        longer than the series, the series holds NaN or infinite values, or
        it has more than two dimensions.

    See Also
    --------
    window_scores_to_points : One score per time point from one per window.
    sklearn_ae.architectures.RecurrentNet : An architecture for these rows.
    sklearn_ae.architectures.Conv1dNet : Another one.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae.series import sliding_windows
    >>> sliding_windows(np.arange(6), window=3, stride=2)
    array([[0., 1., 2.],
           [2., 3., 4.]])

    Two channels, flattened time step by time step:

    >>> series = np.array([[0, 10], [1, 11], [2, 12], [3, 13]], dtype=np.float32)
    >>> sliding_windows(series, window=2)
    array([[ 0., 10.,  1., 11.],
           [ 1., 11.,  2., 12.],
           [ 2., 12.,  3., 13.]], dtype=float32)
    """
    window = _check_positive_int(
        window, "window", "Pass the number of time steps per window, e.g. window=32."
    )
    stride = _check_positive_int(
        stride, "stride", "Pass the step between window starts, e.g. stride=1 for every window."
    )
    arr = np.asarray(series)
    if arr.ndim == 0 or arr.ndim > 2:
        raise ValueError(
            f"series must have shape (n_timepoints,) or (n_timepoints, n_channels), got an "
            f"array of shape {arr.shape}. To window several series, window each one and stack "
            "the rows (np.vstack); for one multichannel series put time on the first axis."
        )
    if arr.dtype not in (np.float32, np.float64):
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"series must hold numbers, got dtype {arr.dtype}: {exc}. Convert it to floats."
            ) from exc
    if arr.ndim == 1:
        arr = arr[:, None]
    n_timepoints, n_channels = arr.shape
    if n_channels == 0:
        raise ValueError(
            f"series has shape {arr.shape}: no channels. Pass at least one channel, "
            "with time on the first axis."
        )
    if window > n_timepoints:
        raise ValueError(
            f"window={window} is longer than the series, which has {n_timepoints} time points. "
            f"Use a window of at most {n_timepoints} time steps, or a longer series."
        )
    finite = np.isfinite(arr)
    if not finite.all():
        bad = np.flatnonzero(~finite.all(axis=1))
        shown = ", ".join(map(str, bad[:5])) + (", ..." if len(bad) > 5 else "")
        raise ValueError(
            f"series holds NaN or infinite values at {len(bad)} time point(s) (index {shown}). "
            "Fill or interpolate them first (e.g. pandas' interpolate or ffill), or cut the "
            "series into finite pieces and window each one."
        )
    # (n_timepoints - window + 1, n_channels, window): time moved to the last axis.
    view = sliding_window_view(arr, window, axis=0)[::stride]
    # Copy in (T, C) order: step 0's channels, then step 1's, ...
    return np.ascontiguousarray(view.transpose(0, 2, 1)).reshape(len(view), window * n_channels)


def window_scores_to_points(window_scores, n_timepoints, window, *, stride=1, reduce="mean"):
    """Spread one score per window over the time points of the series.

    Each time point gets a reduction (the mean by default) of the scores of
    all the windows that contain it, so that ``window_scores`` of the rows
    of :func:`sliding_windows` become one score per time point of the series
    the windows were cut from (pass the same ``window`` and ``stride``).

    Parameters
    ----------
    window_scores : array-like of shape (n_windows,)
        One score per window, in the order of :func:`sliding_windows`'s rows,
        e.g. the anomaly scores ``-est.score_samples(windows)``. NaN is not
        allowed.
    n_timepoints : int
        Length of the series the windows were cut from.
    window : int
        Time steps per window, as given to :func:`sliding_windows`.
    stride : int, default=1
        Step between window starts, as given to :func:`sliding_windows`.
    reduce : {"mean", "max", "min", "median"}, default="mean"
        How the scores of the windows that contain a time point are combined.
        "mean" smooths the score over ``window`` steps; "max" marks every
        point of any window that scores high (an alarm stays up for the
        whole window); "median" needs memory for
        ``n_timepoints * ceil(window / stride)`` numbers.

    Returns
    -------
    point_scores : ndarray of shape (n_timepoints,)
        One float64 score per time point. The points that no window covers
        get the score of the nearest window: the last
        ``(n_timepoints - window) % stride`` points (when ``stride`` does not
        divide ``n_timepoints - window``) take the last window's score, and
        the points in the gaps that a ``stride`` longer than ``window`` leaves
        take the score of the nearer neighbouring window (the earlier one on
        a tie).

    Raises
    ------
    ValueError
        If ``window_scores`` is not 1-D, holds NaN, or does not hold the
        ``(n_timepoints - window) // stride + 1`` scores that the series,
        ``window`` and ``stride`` give; if ``reduce`` is unknown.

    See Also
    --------
    sliding_windows : The windows these scores are of.

    Notes
    -----
    With stride 1, a point lies in ``window`` windows, except within
    ``window - 1`` steps of either end of the series: the first and the last
    point lie in one window each. Their scores rest on fewer windows, so they
    are noisier; with ``reduce="mean"`` a high score at the very ends of the
    series deserves a second look before it is read as an anomaly.

    Examples
    --------
    Four windows of 2 steps over 5 points: each inner point is in two windows.

    >>> from sklearn_ae.series import window_scores_to_points
    >>> window_scores_to_points([1.0, 3.0, 0.0, 2.0], n_timepoints=5, window=2)
    array([1. , 2. , 1.5, 1. , 2. ])
    >>> window_scores_to_points([1.0, 3.0, 0.0, 2.0], n_timepoints=5, window=2, reduce="max")
    array([1., 3., 3., 2., 2.])

    With ``stride=2`` the last of these 6 points lies in no window: it takes
    the score of the last window.

    >>> window_scores_to_points([1.0, 4.0], n_timepoints=6, window=3, stride=2)
    array([1. , 1. , 2.5, 4. , 4. , 4. ])
    """
    n_timepoints = _check_positive_int(
        n_timepoints, "n_timepoints", "Pass the length of the series the windows were cut from."
    )
    window = _check_positive_int(
        window, "window", "Pass the window given to sliding_windows, e.g. window=32."
    )
    stride = _check_positive_int(stride, "stride", "Pass the stride given to sliding_windows.")
    if reduce not in _REDUCTIONS:
        raise ValueError(
            f"reduce must be one of {', '.join(map(repr, _REDUCTIONS))}; got {reduce!r}."
        )
    if window > n_timepoints:
        raise ValueError(
            f"window={window} is longer than the series of n_timepoints={n_timepoints}: "
            "no window fits. Pass the window and series length given to sliding_windows."
        )
    scores = np.asarray(window_scores, dtype=np.float64)
    if scores.ndim != 1:
        raise ValueError(
            f"window_scores must be 1-D, one score per window, got shape {scores.shape}. "
            "Pass e.g. -est.score_samples(windows)."
        )
    expected = _n_windows(n_timepoints, window, stride)
    if len(scores) != expected:
        raise ValueError(
            f"Expected {expected} window scores for a series of {n_timepoints} time points cut "
            f"into windows of {window} with stride {stride}, got {len(scores)}. Pass the "
            "n_timepoints, window and stride that sliding_windows was given."
        )
    if np.isnan(scores).any():
        raise ValueError(
            f"window_scores holds {int(np.isnan(scores).sum())} NaN value(s); "
            "every window needs a score."
        )

    starts = np.arange(expected) * stride
    n_covered = starts[-1] + window  # points n_covered, ... lie in no window
    count = np.zeros(n_covered)
    for k in range(window):  # window starts are distinct: no index repeats within a step
        count[starts + k] += 1
    inside = count > 0  # all True unless stride > window leaves gaps between windows
    if reduce == "median":
        # Point t lies in consecutive windows j; j % n_slots tells them apart.
        n_slots = -(-window // stride)
        table = np.full((n_covered, n_slots), np.nan)
        slots = np.arange(expected) % n_slots
        for k in range(window):
            table[starts + k, slots] = scores
        covered = np.full(n_covered, np.nan)
        covered[inside] = np.nanmedian(table[inside], axis=1)
    elif reduce == "mean":
        total = np.zeros(n_covered)
        for k in range(window):
            total[starts + k] += scores
        covered = np.divide(total, count, out=np.full(n_covered, np.nan), where=inside)
    else:
        fill, combine = (-np.inf, np.maximum) if reduce == "max" else (np.inf, np.minimum)
        covered = np.full(n_covered, fill)
        for k in range(window):
            idx = starts + k
            covered[idx] = combine(covered[idx], scores)
    out = np.empty(n_timepoints)
    out[:n_covered] = covered
    outside = np.flatnonzero(np.concatenate([~inside, np.ones(n_timepoints - n_covered, bool)]))
    if len(outside):
        # The nearest window: the last one starting before the point, or the next one
        # when it is strictly nearer.
        before = np.minimum(outside // stride, expected - 1)
        after = np.minimum(before + 1, expected - 1)
        gap_before = outside - (starts[before] + window - 1)
        gap_after = starts[after] - outside
        nearest = np.where((after > before) & (gap_after < gap_before), after, before)
        out[outside] = scores[nearest]
    return out


class SeriesOutlierDetector(ThresholdMixin, OutlierMixin, MetaEstimatorMixin, BaseEstimator):
    """Anomalous time points of a series, from a detector of anomalous windows.

    The path from a raw series to per-point labels in one estimator:
    :func:`sliding_windows` cuts the series into windows, an
    :class:`~sklearn_ae.OutlierDetector` scores each window, and
    :func:`window_scores_to_points` gives every time point the highest
    (by default) anomaly score of the windows that hold it. The threshold
    ``offset_`` is set on the points of the training series, as
    ``contamination`` says.

    Unlike the other estimators, its ``X`` is one series, time along the
    first axis; rows are time points, not independent samples. Read more in
    the :ref:`User Guide <series_anomalies>`.

    Parameters
    ----------
    detector : OutlierDetector or None, default=None
        The detector of anomalous windows, cloned at fit; its model sees rows
        of ``window * n_channels`` features in ``(T, C)`` order (see
        :func:`sliding_windows`). None uses
        ``OutlierDetector(latent_neighbors=None)``: the codes of overlapping
        windows trace a curve, along which a window's nearest neighbours are
        its own shifts in time, so their local outlier factor says little
        about novelty (on KDD-TSAD 135 it scores 0.58 ROC-AUC alone and pulls
        the default score down; see the anomaly-detection benchmark).
        Searchable as ``detector__<param>``
        (``detector__estimator__n_components``).
    window : int, default=32
        Time steps per window.
    stride : int, default=1
        Time steps between window starts, when training and scoring.
    reduce : {"max", "mean"}, default="max"
        How a point's anomaly score comes from those of the windows that hold
        it. "max": the most anomalous of them, so that an alarm covers every
        window that saw the anomaly. "mean": their mean, a smoother score
        (a good ranking), but the points near either end of the series lie
        in few windows, and their noisier means raise false alarms there.
    contamination : "auto" or float, default="auto"
        The share of anomalous time points expected in the training series:
        a float in (0, 0.5] is that quantile of the training points' scores.
        ``"auto"`` is Tukey's far-out fence: a point is anomalous when its
        anomaly score lies more than 3 interquartile ranges above the third
        quartile of the training points': twice the 1.5 of
        :class:`~sklearn_ae.OutlierDetector`, because overlapping windows
        give the training points strongly correlated scores whose spread
        understates that of new normal stretches.

    Attributes
    ----------
    detector_ : OutlierDetector
        The fitted detector of windows.
    offset_ : float
        Threshold on :meth:`score_samples`: points below it are anomalies.
    n_features_in_ : int
        Number of channels of the training series.

    See Also
    --------
    sklearn_ae.OutlierDetector : The detector of windows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import OutlierDetector, PPCA
    >>> from sklearn_ae.series import SeriesOutlierDetector
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(1200)
    >>> series = np.sin(2 * np.pi * t / 50) + 0.05 * rng.standard_normal(1200)
    >>> series[1000:1020] = 0.0  # the sine stops for 20 steps
    >>> detector = SeriesOutlierDetector(OutlierDetector(PPCA(n_components=2)), window=25)
    >>> labels = detector.fit(series[:800]).predict(series)
    >>> labels.shape
    (1200,)

    In the unseen part, the points flagged are those within a window of the stretch:

    >>> flagged = np.flatnonzero(labels[800:] == -1) + 800
    >>> int(flagged.min()), int(flagged.max())
    (979, 1043)
    """

    _parameter_constraints: dict = {
        "detector": [HasMethods(["fit", "score_samples"]), None],
        "window": [Interval(Integral, 1, None, closed="left")],
        "stride": [Interval(Integral, 1, None, closed="left")],
        "reduce": [StrOptions({"mean", "max"})],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
    }

    def __init__(self, detector=None, *, window=32, stride=1, reduce="max", contamination="auto"):
        self.detector = detector
        self.window = window
        self.stride = stride
        self.reduce = reduce
        self.contamination = contamination

    def _windows(self, series, *, reset):
        ndim = getattr(series, "ndim", None)
        if ndim is None:
            ndim = np.asarray(series).ndim
        # A 1-D series is one channel; scikit-learn's validation then names
        # sparse, complex or empty input and a change of channels, and
        # sliding_windows names the time points that are not finite.
        series = validate_data(
            self,
            np.reshape(series, (-1, 1)) if ndim == 1 else series,
            dtype=[np.float64, np.float32],
            ensure_all_finite=False,
            reset=reset,
        )
        return sliding_windows(series, self.window, stride=self.stride), len(series)

    def _point_scores(self, windows, n_timepoints):
        anomaly = -self.detector_.score_samples(windows)
        points = window_scores_to_points(
            anomaly, n_timepoints, self.window, stride=self.stride, reduce=self.reduce
        )
        return -points

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit the detector on the windows of the series, and the threshold on its points.

        Parameters
        ----------
        X : array-like of shape (n_timepoints,) or (n_timepoints, n_channels)
            The training series, mostly normal.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted detector.
        """
        windows, n_timepoints = self._windows(X, reset=True)
        detector = self.detector
        if detector is None:
            detector = OutlierDetector(latent_neighbors=None)
        self.detector_ = clone(detector).fit(windows)
        self.offset_ = outlier_threshold(
            self._point_scores(windows, n_timepoints), self.contamination, fence=SERIES_FENCE
        )
        return self

    def score_samples(self, X):
        """How normal each time point is: higher is more normal.

        Parameters
        ----------
        X : array-like of shape (n_timepoints,) or (n_timepoints, n_channels)
            The series, at least ``window`` time points long.

        Returns
        -------
        scores : ndarray of shape (n_timepoints,)
            Minus the point's anomaly score (see ``reduce``).
        """
        check_is_fitted(self)
        return self._point_scores(*self._windows(X, reset=False))
