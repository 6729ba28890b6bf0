"""MLflow: the only module that imports it. Runs, the model registry and its aliases.

Tracking defaults to SQLite inside mlruns/ with artifacts under mlruns/artifacts;
MLFLOW_TRACKING_URI points it at a team's server instead.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd

from features import paths
from model.estimator import Calibration, ChurnModel, LinearPart
from model.settings import load_settings

CHAMPION, CHALLENGER = "champion", "challenger"


def _mlflow():
    import logging
    import os

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    uri = paths.tracking_uri()
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    return mlflow


def _client():
    from mlflow import MlflowClient
    _mlflow()
    return MlflowClient()


def experiment_id(name: str) -> str:
    mlflow = _mlflow()
    exp = mlflow.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    uri = paths.tracking_uri()
    location = None
    if uri.startswith("sqlite:///"):  # artifacts beside the local store: mlruns/artifacts by default
        location = (Path(uri.removeprefix("sqlite:///")).parent / "artifacts").resolve().as_uri()
    return mlflow.create_experiment(name, artifact_location=location)


def log_training_run(*, run_name: str, params: dict, metrics: dict, features: list[dict],
                     figures: dict, model: ChurnModel, train_frame: pd.DataFrame,
                     example: pd.DataFrame, tags: dict, artifacts: dict[str, dict] | None = None) -> dict:
    """Log one training run (with `artifacts`: file name -> JSON-ready dict) and register `model`
    (the artifact scoring will use, with its calibration, hyperparameters and, when it has one,
    the peer profile explanations compare with). Returns run_id, version and the alias set:
    @champion for the first version, @challenger after that."""
    mlflow = _mlflow()
    import lightgbm
    from mlflow.models import infer_signature
    s = load_settings()
    with mlflow.start_run(experiment_id=experiment_id(s.experiment), run_name=run_name) as run:
        mlflow.set_tags(tags)
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        mlflow.log_input(mlflow.data.from_pandas(train_frame, name="training_snapshots"), context="training")
        mlflow.log_dict({"features": features}, "features.json")
        for file, content in (artifacts or {}).items():
            mlflow.log_dict(content, file)
        for name, fig in figures.items():
            mlflow.log_figure(fig, f"plots/{name}.png")
        with tempfile.TemporaryDirectory() as tmp:
            extra = {"calibration.json": model.calibration_.to_dict(), "features.json": features,
                     "estimator.json": model.hyperparameters_}
            if getattr(model, "reference_", None):
                extra["reference.json"] = model.reference_
            if getattr(model, "linear_", None) is not None:
                extra["linear.json"] = model.linear_.to_dict() | {"mix": list(model.mix_)}
            for file, content in extra.items():
                (Path(tmp) / file).write_text(json.dumps(content))
            info = mlflow.lightgbm.log_model(
                model.booster_, name="model", registered_model_name=s.registered_model,
                signature=infer_signature(example, model.predict_proba(example)[:, 1]),
                extra_files=[str(Path(tmp) / file) for file in extra],
                pip_requirements=[f"lightgbm=={lightgbm.__version__}"])
    version = str(info.registered_model_version)
    client = _client()
    # an error reading the champion propagates: only a store that has none makes this one champion
    alias = CHALLENGER if _alias_version(client, s.registered_model, CHAMPION) else CHAMPION
    client.set_registered_model_alias(s.registered_model, alias, version)
    return {"run_id": run.info.run_id, "version": version, "alias": alias}


def _missing(e: Exception) -> bool:
    """True for MLflow's "does not exist" (local store or REST server); anything else is a real failure."""
    from mlflow.exceptions import MlflowException
    return isinstance(e, MlflowException) and e.error_code == "RESOURCE_DOES_NOT_EXIST"


def _alias_version(client, name: str, alias: str) -> str | None:
    """The version `alias` points at; None when the model or the alias does not exist. Read from the
    registered model's alias map, because stores report a missing alias as an invalid parameter."""
    try:
        aliases = client.get_registered_model(name).aliases or {}
    except Exception as e:
        if _missing(e):
            return None
        raise
    return str(aliases[alias]) if alias in aliases else None


def champion_version() -> str | None:
    """The @champion version; None when there is none. A store that cannot be read raises."""
    return _alias_version(_client(), load_settings().registered_model, CHAMPION)


def _model_version(client, name: str, version: str):
    if not str(version).isdigit():
        raise LookupError(f"no version {version} of registered model {name}: versions are numbers")
    try:
        return client.get_model_version(name, str(version))
    except Exception as e:
        if _missing(e):
            raise LookupError(f"no version {version} of registered model {name}; "
                              "see `mlflow ui` or the Models page") from None
        raise


def promote(version: str) -> None:
    """Move @champion to `version`; a challenger alias on it is dropped. LookupError if no such version."""
    client, name = _client(), load_settings().registered_model
    _model_version(client, name, version)
    if _alias_version(client, name, CHALLENGER) == str(version):
        client.delete_registered_model_alias(name, CHALLENGER)
    client.set_registered_model_alias(name, CHAMPION, str(version))


def load(version: str | None = None) -> tuple[ChurnModel, str, str]:
    """The champion (or a given version): (model, version, run_id). LookupError if there is none."""
    mlflow = _mlflow()
    client, name = _client(), load_settings().registered_model
    if version is None:
        version = _alias_version(client, name, CHAMPION)
        if version is None:
            raise LookupError(f"no @{CHAMPION} model registered as {name}; run `radar train` first")
    mv = _model_version(client, name, version)
    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}/{version}"))
    booster = mlflow.lightgbm.load_model(str(local))
    cal = json.loads(next(local.rglob("calibration.json")).read_text())
    saved = next(local.rglob("estimator.json"), None)  # absent in versions logged before it was recorded
    hyper = json.loads(saved.read_text()) if saved else None
    linear = next(local.rglob("linear.json"), None)  # absent in versions logged before the blend
    part = json.loads(linear.read_text()) if linear else None
    weights = tuple(part.pop("mix")) if part else (1.0, 0.0)
    model = ChurnModel.from_parts(booster, Calibration.from_dict(cal), hyper,
                                  LinearPart.from_dict(part) if part else None, weights)
    reference = next(local.rglob("reference.json"), None)  # absent in versions logged before peers
    model.reference_ = json.loads(reference.read_text()) if reference else None
    return model, str(version), mv.run_id


def runs() -> pd.DataFrame:
    """Every training run of the experiment, newest first, with params, metrics and tags."""
    mlflow = _mlflow()
    exp = mlflow.get_experiment_by_name(load_settings().experiment)
    if exp is None:
        return pd.DataFrame()
    return mlflow.search_runs(experiment_ids=[exp.experiment_id], order_by=["start_time DESC"])


def versions() -> pd.DataFrame:
    """Registered versions with their aliases and runs, newest first (none: an empty frame)."""
    client, name = _client(), load_settings().registered_model
    columns = ["version", "run_id", "aliases", "created"]
    try:
        rm = client.get_registered_model(name)
    except Exception as e:
        if _missing(e):
            return pd.DataFrame(columns=columns)
        raise
    aliases = {}
    for alias, v in (rm.aliases or {}).items():
        aliases.setdefault(str(v), []).append(alias)
    rows = [{"version": str(v.version), "run_id": v.run_id, "aliases": ", ".join(aliases.get(str(v.version), [])),
             "created": pd.to_datetime(v.creation_timestamp, unit="ms")}
            for v in client.search_model_versions(f"name = '{name}'")]
    return pd.DataFrame(rows, columns=columns).sort_values("version", key=lambda s: s.astype(int), ascending=False)


def artifact(run_id: str, path: str) -> Path:
    """Download one artifact of a run (e.g. plots/roc.png) and return its local path."""
    return Path(_mlflow().artifacts.download_artifacts(run_id=run_id, artifact_path=path))


def log_backtest(*, run_name: str, params: dict, metrics: dict, step_metrics: dict[str, list[float]],
                 tables: dict[str, pd.DataFrame], record: dict, figures: dict, tags: dict) -> str:
    """One MLflow run per backtest, in the backtest experiment (apart from training runs): params,
    pooled metrics, per-cutoff metrics as steps, each table as CSV and `record` as backtest.json
    under backtest/, and the figures under plots/. Returns the run id."""
    mlflow = _mlflow()
    s = load_settings()
    with mlflow.start_run(experiment_id=experiment_id(s.backtest_experiment), run_name=run_name) as run:
        mlflow.set_tags(tags)
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        for name, values in step_metrics.items():
            for step, value in enumerate(values):
                if value == value:  # NaN is not logged
                    mlflow.log_metric(name, float(value), step=step)
        with tempfile.TemporaryDirectory() as tmp:
            for name, frame in tables.items():
                path = Path(tmp) / f"{name}.csv"
                frame.to_csv(path, index=False)
                mlflow.log_artifact(str(path), "backtest")
        mlflow.log_dict(record, "backtest/backtest.json")
        for name, fig in figures.items():
            mlflow.log_figure(fig, f"plots/{name}.png")
    return run.info.run_id


def latest_backtest() -> dict | None:
    """The newest finished backtest: run_id, start_time, params, metrics, its tables (per_cutoff,
    pooled) as frames and its record (backtest.json: skipped cutoffs, training per cutoff,
    settings). None when no backtest has been logged."""
    mlflow = _mlflow()
    exp = mlflow.get_experiment_by_name(load_settings().backtest_experiment)
    if exp is None:
        return None
    found = mlflow.search_runs(experiment_ids=[exp.experiment_id], filter_string="attributes.status = 'FINISHED'",
                               order_by=["start_time DESC"], max_results=1)
    if found.empty:
        return None
    r = found.iloc[0]
    run_id = r["run_id"]
    out = {"run_id": run_id, "start_time": r["start_time"],
           "params": {k[len("params."):]: v for k, v in r.items() if k.startswith("params.")},
           "metrics": {k[len("metrics."):]: v for k, v in r.items() if k.startswith("metrics.")}}
    for name in ("per_cutoff", "pooled"):
        out[name] = pd.read_csv(artifact(run_id, f"backtest/{name}.csv"), dtype={"cutoff": str})
    out["record"] = json.loads(artifact(run_id, "backtest/backtest.json").read_text())
    return out
