"""Progress output while training: silent, one line per epoch, or a progress bar."""

import re

import numpy as np
import pytest
from skorch.callbacks import Callback

from sklearn_ae import AutoencoderTransformer

# A data line of skorch's epoch table: the epoch number, then numbers
# (possibly wrapped in colour codes that mark the best value so far).
EPOCH_LINE = re.compile(r"^\s*(\d+)\s+(\S+\s+)*\S*\d\.\d+\S*\s*$")


@pytest.fixture(scope="module")
def X():
    return np.random.RandomState(0).uniform(size=(60, 6))


def _fit(X, **params):
    params = {"hidden_layer_sizes": (4,), "max_iter": 3, "random_state": 0, **params}
    return AutoencoderTransformer(**params).fit(X)


def _epoch_lines(out):
    return [line for line in out.splitlines() if EPOCH_LINE.match(line)]


def test_verbose_0_prints_nothing(X, capsys):
    _fit(X, verbose=0, early_stopping=True, n_iter_no_change=1, tol=1e9)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_verbose_1_prints_one_line_per_epoch_with_losses_and_time(X, capsys):
    _fit(X, verbose=1)
    captured = capsys.readouterr()
    header = captured.out.splitlines()[0].split()
    assert header == ["epoch", "train_loss", "dur"]
    lines = _epoch_lines(captured.out)
    assert [int(line.split()[0]) for line in lines] == [1, 2, 3]
    # No progress bar at verbose=1.
    assert "it/s" not in captured.err and "%|" not in captured.err


def test_verbose_1_shows_the_validation_loss_and_why_training_stopped(X, capsys):
    est = _fit(X, verbose=1, max_iter=20, early_stopping=True, n_iter_no_change=1, tol=1e9)
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["epoch", "train_loss", "valid_loss", "dur"]
    assert len(_epoch_lines(out)) == est.n_iter_ == 2
    assert "Stopping since valid_loss has not improved" in out


def test_verbose_2_adds_a_progress_bar(X, capsys):
    est = _fit(X, verbose=2, batch_size=20)
    captured = capsys.readouterr()
    assert len(_epoch_lines(captured.out)) == 3
    # tqdm writes to stderr, a bar per epoch of 3 batches (how often it redraws
    # depends on the speed of the machine, so only the first draw is certain).
    assert len(re.findall(r"\b0/3 \[", captured.err)) == 3
    # The bar shows the batch's loss, although the history gets it only when
    # the epoch ends: the last one shown is the last batch's.
    bar = dict(est.net_.callbacks_)["progress_bar"]
    shown = float(bar.pbar_.postfix.removeprefix("train_loss="))
    assert shown == pytest.approx(est.net_.history[-1, "batches", -1, "train_loss"], rel=1e-2)


def test_verbose_2_closes_the_last_progress_bar_before_the_stop_message(X, capsys):
    _fit(X, verbose=2, max_iter=20, early_stopping=True, n_iter_no_change=1, tol=1e9)
    captured = capsys.readouterr()
    assert len(_epoch_lines(captured.out)) == 2
    lines = captured.out.splitlines()
    assert lines[-2].startswith("Stopping since valid_loss")
    assert lines[-1] == "Restoring best model from epoch 1."


class EpochCounter(Callback):
    def initialize(self):
        self.epochs_seen_ = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        self.epochs_seen_ += 1


def test_user_callbacks_see_the_epoch_that_stops_training(X):
    est = _fit(
        X,
        max_iter=20,
        early_stopping=True,
        n_iter_no_change=1,
        tol=1e9,
        callbacks=[("counter", EpochCounter())],
    )
    assert dict(est.net_.callbacks_)["counter"].epochs_seen_ == est.n_iter_ == 2
