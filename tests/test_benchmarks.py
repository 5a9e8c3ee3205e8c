"""Smoke tests of the benchmark scripts: tiny data, one or two epochs, no timed assertions."""

import csv
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_limits

import sklearn_ae

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import _common  # noqa: E402
import bench_contractive_cost  # noqa: E402
import bench_gpu  # noqa: E402
import bench_overhead  # noqa: E402
import bench_pca  # noqa: E402
import bench_scaling  # noqa: E402

pytest.importorskip("matplotlib")


@pytest.fixture(autouse=True)
def _one_thread():
    # Tiny networks run fastest on one thread, and far steadier on a busy machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(threads)


def _read(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


@pytest.fixture(scope="module")
def tiny_digits():
    return bench_pca.load_data("digits", n_train=100)


def test_bench_pca_writes_csv_markdown_and_plot(tiny_digits, tmp_path):
    rows = bench_pca.run_benchmark(
        tiny_digits,
        ["pca", "PPCA", "ae"],
        (2, 5, 10),
        max_iter=2,
        hidden_layer_sizes=(16,),
        show_progress=False,
        log=lambda *a: None,
        min_seconds=0,
        memory="here",
    )
    paths = bench_pca.write_results(rows, tmp_path, tiny_digits, raw_acc=0.9)

    header, written = _read(paths["csv"])
    assert header == bench_pca.COLUMNS
    assert {(r["model"], int(r["n_components"])) for r in written} == {
        (m, q) for m in ("PCA", "PPCA", "AutoencoderTransformer") for q in (2, 5, 10)
    }
    by_model = {}
    for r in rows:
        by_model.setdefault(r["model"], []).append(r)
        assert 0 <= r["accuracy"] <= 1
        assert r["recon_mse"] > 0 and r["fit_s"] >= 0 and r["transform_rows_per_s"] > 0
        assert r["fit_peak_python_MB"] > 0 and r["transform_peak_python_MB"] > 0
    pca_errors = [r["recon_mse"] for r in sorted(by_model["PCA"], key=lambda r: r["n_components"])]
    assert pca_errors == sorted(pca_errors, reverse=True)
    assert all(np.isfinite(r["loglik"]) for r in by_model["PCA"] + by_model["PPCA"])
    # PCA's score is the PPCA likelihood: the two must agree.
    for pca_row, ppca_row in zip(by_model["PCA"], by_model["PPCA"], strict=True):
        assert pca_row["loglik"] == pytest.approx(ppca_row["loglik"], rel=1e-3, abs=1e-2)
    assert all(r["loglik"] is None for r in by_model["AutoencoderTransformer"])

    markdown = paths["md"].read_text()
    assert "| model | n_components |" in markdown
    assert markdown.count("| PCA |") == 3
    assert paths["png"].stat().st_size > 0


def test_bench_pca_skips_impossible_sizes(tiny_digits):
    notes = []
    rows = bench_pca.run_benchmark(
        tiny_digits, ["ppca"], (2, 64), show_progress=False, log=notes.append, memory=None
    )
    assert [(r["model"], r["n_components"]) for r in rows] == [("PPCA", 2)]
    assert any("n_components=64" in n and "skipped" in n for n in notes)


def test_bench_pca_models_are_the_exported_estimators():
    # Every estimator of the package is benchmarked, under its own name, beside PCA.
    exported = {
        name for name in sklearn_ae.__all__ if hasattr(getattr(sklearn_ae, name), "transform")
    }
    assert set(bench_pca.MODELS) == exported | {"PCA"}
    for name, (cls, _, _) in bench_pca.MODELS.items():
        assert cls.__name__ == name
        assert cls is (PCA if name == "PCA" else getattr(sklearn_ae, name))
    assert bench_pca.resolve_model_names(["AE", "pca", "ae"]) == ["AutoencoderTransformer", "PCA"]
    with pytest.raises(SystemExit, match="unknown model"):
        bench_pca.resolve_model_names(["nope"])


def test_bench_pca_main_on_user_array(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 12)) * 5 + 3
    y = (X[:, 0] > 3).astype(int)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)

    data = bench_pca.load_data(str(tmp_path / "X.npy"), labels=str(tmp_path / "y.npy"))
    assert data.X_train.dtype == np.float32
    assert data.X_train.min() >= 0 and data.X_train.max() <= 1  # min-max scaled
    assert len(data.X_train) + len(data.X_test) == 120

    rows = bench_pca.main(
        [
            "--data",
            str(tmp_path / "X.npy"),
            "--labels",
            str(tmp_path / "y.npy"),
            "--models",
            "pca",
            "ae",
            "--n-components",
            "2",
            "3",
            "--max-iter",
            "1",
            "--hidden-layer-sizes",
            "8",
            "--threads",
            "0",
            "--memory",
            "off",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert len(rows) == 4
    assert (tmp_path / "out" / "bench_pca_X.csv").exists()
    assert "| AutoencoderTransformer | 3 |" in capsys.readouterr().out


def test_bench_overhead_smoke(tmp_path):
    X = np.random.default_rng(0).random((256, 20), dtype=np.float32)
    network = {"hidden": (16, 8), "n_components": 2, "batch_size": 64}
    rows = bench_overhead.run(X, epochs=2, repeats=2, warmup=False, log=lambda *a: None, **network)
    summary = bench_overhead.summarize(rows)
    assert summary["median_ratio"] > 0
    for row in rows:
        assert np.isfinite(row["estimator_final_loss"]) and np.isfinite(row["loop_final_loss"])
    path = bench_overhead.write_report(
        rows, summary, tmp_path, source="random", epochs=2, device="cpu", n_samples=len(X)
    )
    header, written = _read(tmp_path / "overhead.csv")
    assert header == bench_overhead.COLUMNS and len(written) == 2
    assert "Median ratio" in path.read_text()


def test_bench_scaling_smoke(tmp_path):
    rows, source = bench_scaling.run(
        (100, 300),
        epochs=1,
        n_features=20,
        hidden=(8,),
        n_components=2,
        batch_size=50,
        show_progress=False,
        memory="here",
    )
    assert [r["n_samples"] for r in rows] == [100, 300]
    for row in rows:
        assert row["epoch_s"] > 0 and row["epochs"] == 1
        assert row["ae_transform_rows_per_s"] > 0 and row["pca_transform_rows_per_s"] > 0
        assert row["ae_transform_peak_python_MB"] > 0 and row["ppca_fit_peak_python_MB"] > 0
    paths = bench_scaling.write_report(rows, tmp_path, source=source)
    header, written = _read(paths["csv"])
    assert header == bench_scaling.COLUMNS and len(written) == 2
    assert "s / epoch" in paths["md"].read_text()
    assert paths["png"].stat().st_size > 0


def test_bench_contractive_cost_smoke(tmp_path):
    out = tmp_path / "contractive_cost.csv"
    options = "--data random --n-samples 64 --hidden 8 4 --n-components 2 --batch-size 32 "
    options += "--epochs 1 --repeats 1 --threads 0 --reference"
    rows = bench_contractive_cost.main([*options.split(), "--out", str(out)])
    assert {r["model"] for r in rows} == set(bench_contractive_cost.MODELS)
    header, written = _read(out)
    assert header[:2] == ["repeat", "model"] and len(written) == 4
    assert all(r["data"] == "random uniform [0, 1]" and r["n_samples"] == "64" for r in written)
    assert all(float(r["epoch_seconds"]) > 0 for r in written)


def test_resolve_device_uses_the_package_and_exits_with_its_message():
    assert _common.resolve_device("cpu") == "cpu"
    assert _common.resolve_device("auto") in ("cpu", "cuda", "mps")
    with pytest.raises(SystemExit, match="Unknown device 'nonsense'"):
        _common.resolve_device("nonsense")


def test_peak_memory_sees_numpy_allocations():
    with _common.peak_memory() as mem:
        a = np.ones(2**20)  # 8 MiB
        del a
    assert mem["python_MB"] >= 7.9
    assert np.isnan(mem["cuda_MB"])


def test_memory_probe_counts_what_is_allocated():
    measured = _common.run_probe("_common", "probe_self_check", {"n_bytes": 32 * 2**20})
    assert 31 <= measured["python_MB"] <= 33
    if not np.isnan(measured["rss_MB"]):  # Linux: the resident peak sees it once
        assert 31 <= measured["rss_MB"] <= 40


def test_markdown_table_formats_missing_values():
    text = _common.markdown_table(
        [{"a": "x", "b": 1.23456}, {"a": "y", "b": float("nan")}],
        ["a", "b"],
        formats={"b": "{:.2f}"},
    )
    assert "| x | 1.23 |" in text and "| y | — |" in text


def test_bench_series_smoke(tmp_path):
    import bench_series

    data = bench_series.load_series("synthetic", n_train=200, n_test=300)
    assert data.train.shape == (200,) and data.test.shape == data.labels.shape == (300,)
    assert data.anomaly_span() == (150, 174)
    X_train, X_test = bench_series.make_windows(data, 16)
    assert X_train.shape == (185, 16) and X_test.shape == (285, 16)
    assert abs(X_train.mean()) < 0.05  # standardised with the training part's statistics

    options = "--data synthetic --n-train 200 --n-test 300 --window 16 --n-components 2 "
    options += "--max-iter 1 --hidden-size 4 --batch-size 64 --threads 0"
    rows = bench_series.main([*options.split(), "--out", str(tmp_path)])
    assert [r["model"] for r in rows] == list(bench_series.MODELS)
    header, written = _read(tmp_path / "bench_series_synthetic.csv")
    assert header == bench_series.COLUMNS and len(written) == 4
    for r in rows:
        assert 0 <= r["roc_auc"] <= 1 and r["heldout_mse"] > 0 and r["fit_s"] >= 0
        assert r["top_in_anomaly"] == (r["top_distance"] == 0)
    pca = rows[-1]
    assert pca["model"] == "PCA" and pca["top_in_anomaly"] and pca["roc_auc"] > 0.9
    markdown = (tmp_path / "bench_series_synthetic.md").read_text()
    assert "| RecurrentNet | 2 | 1 |" in markdown and "| PCA | 2 | — |" in markdown
    assert (tmp_path / "bench_series_synthetic.png").stat().st_size > 0
    assert bench_series.resolve_model_names(["PCA", "rnn"]) == ["RecurrentNet", "PCA"]
    with pytest.raises(SystemExit, match="unknown model"):
        bench_series.resolve_model_names(["nope"])


def test_bench_anomaly_smoke(tmp_path):
    import bench_anomaly

    options = "--quick --tasks mnist --digits 1 --models vae_ratio ppca pca --threads 0"
    rows = bench_anomaly.main([*options.split(), "--out", str(tmp_path)])
    # The derived rows bring the default detector they are scores of.
    assert [r["model"] for r in rows] == ["default", "vae_ratio", "ppca", "pca"]
    header, written = _read(tmp_path / "bench_anomaly.csv")
    assert header == bench_anomaly.COLUMNS and len(written) == 4
    for r in rows:
        assert r["task"] == "mnist" and r["target"] == "1"
        assert 0 <= r["roc_auc"] <= 1 and 0 < r["average_precision"] <= 1 and r["fit_s"] >= 0
    # The derived row shares its fit with the default's.
    assert rows[1]["fit_s"] == rows[0]["fit_s"]
    # PCA's reconstruction error scores the digit 1 as more normal than the rest
    # (few ink pixels): the novelty benchmark's hard case (measured 0.32).
    assert rows[-1]["roc_auc"] < 0.5
    markdown = (tmp_path / "bench_anomaly.md").read_text()
    assert "| MNIST mean ROC-AUC |" in markdown and "digit 1" in markdown
    assert (tmp_path / "bench_anomaly.png").stat().st_size > 0


def test_bench_out_of_core_smoke(tmp_path):
    import bench_out_of_core

    # Three fresh processes (one per source), each importing torch: ~15 s on 2 cores.
    data = tmp_path / "data"
    rows = bench_out_of_core.main(["--quick", "--tmpdir", str(data), "--out", str(tmp_path)])
    header, written = _read(tmp_path / "out_of_core.csv")
    assert header == bench_out_of_core.COLUMNS
    assert [r["source"] for r in written] == list(bench_out_of_core.SOURCES)
    assert [r["n_samples"] for r in written] == ["20000", "20000", "5000"]
    for r in written:
        assert float(r["fit_rows_per_s"]) > 0 and float(r["transform_rows_per_s"]) > 0
        assert float(r["peak_rss_MB"]) > 0
        assert float(r["peak_rss_MB"]) >= float(r["baseline_rss_MB"])
        assert r["under_budget"] in ("True", "False")
    assert [r["source"] for r in rows] == list(bench_out_of_core.SOURCES)
    markdown = (tmp_path / "out_of_core.md").read_text()
    assert "| memmap | 20,000 |" in markdown and "| in-memory | 5,000 |" in markdown
    assert "relative to the in-memory array" in markdown
    # The memmap file was written under --tmpdir, in a folder deleted at the end.
    assert data.is_dir() and not any(data.iterdir())


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message without CUDA")
def test_bench_gpu_says_there_is_no_gpu_and_exits_0(capsys):
    assert bench_gpu.main([]) == 0
    assert "no CUDA device" in capsys.readouterr().out


def test_bench_gpu_smoke(tmp_path):
    # The GPU script's parts, on the CPU and tiny: what only a GPU machine runs for
    # real must at least run here.
    X = np.random.default_rng(0).random((192, 784), dtype=np.float32)
    training = bench_gpu.measure_training(
        X,
        device="cpu",
        epochs=1,
        repeats=1,
        batch_sizes=(64,),
        compiles=(False,),
        log=lambda *a: None,
    )
    assert [(r["network"], r["batch_size"]) for r in training] == [("mlp", 64), ("conv", 64)]
    transform = bench_gpu.measure_transform(
        X, device="cpu", repeats=1, n_rows=500, log=lambda *a: None
    )
    assert all(r["estimator_rows_per_s"] > 0 and r["loop_rows_per_s"] > 0 for r in transform)
    path = bench_gpu.write_report(
        tmp_path,
        tests="not run",
        training=training,
        transform=transform,
        source="random",
        epochs=1,
        device="cpu",
    )
    assert "| mlp | 64 | False |" in path.read_text()
    header, written = _read(tmp_path / "gpu_training.csv")
    assert header == bench_gpu.TRAINING_COLUMNS and len(written) == 2


def test_bench_gpu_runs_the_cuda_tests():
    status, summary = bench_gpu.run_cuda_tests([Path(__file__).parent / "test_autoencoder.py"])
    expected = "passed" if torch.cuda.is_available() else "skipped"
    assert status == 0 and expected in summary, summary
