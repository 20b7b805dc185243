"""The GRU factor: qlib's GRU over feature sequences, trained walk-forward, out of sample only.

The network (qlib ``pytorch_gru``): a ``GRU(F, hidden=64, layers=2)`` over each sample's
``[T, F]`` input (:class:`~sectorflow.models.sequences.Sequences`), a linear head on the last
step's hidden state. Loss ``mse`` against the rank-normalised label, or ``ic``: minus the
Pearson correlation of scores and labels within each batch. Adam, gradient values clipped
at 3, early stopping on the last ``valid_fraction`` of the training days (in time order).

:func:`walk_forward` retrains at each cut (every year, or every ``k`` weeks) on the days whose
labels are known by the cut (``t + 1 + horizon <= cut``: the label's last close is at or before
the cut), expanding from the first day or over a rolling window, and scores the days up to the
next cut with that model only. Seeded: the same seed gives the same scores on CPU.

PyTorch is the ``gru`` extra (``pip install 'sectorflow[gru]'``); it is imported here only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

if TYPE_CHECKING:
    import torch

    from sectorflow.models.sequences import Sequences

__all__ = ["GruConfig", "GruFactor", "WalkForward", "train_gru", "walk_forward", "windows_tensor"]

#: Samples scored per forward pass in :meth:`GruFactor.predict`.
_PREDICT_BATCH = 4096


def _torch() -> Any:
    try:
        import torch
    except ImportError as e:  # pragma: no cover (CI installs the extra)
        msg = "the GRU factor needs PyTorch: pip install 'sectorflow[gru]'"
        raise ImportError(msg) from e
    return torch


def windows_tensor(seq: Sequences) -> torch.Tensor:
    """:meth:`Sequences.windows` as a torch tensor on the same memory (no copy).

    ``[entities, days - lookback + 1, lookback * bars_per_day, F]``, a strided view of
    ``torch.from_numpy(seq.features)``.
    """
    torch = _torch()
    view = seq.windows()
    size = view.itemsize
    block = torch.from_numpy(seq.features)
    return block.as_strided(view.shape, tuple(s // size for s in view.strides))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class GruConfig:
    """Network and training settings (qlib's GRU defaults where it has them)."""

    hidden: int = 64
    layers: int = 2
    dropout: float = 0.0
    loss: Literal["mse", "ic"] = "mse"
    lr: float = 1e-3
    batch: int = 800
    epochs: int = 30
    patience: int = 5
    clip: float = 3.0
    valid_fraction: float = 0.2
    seed: int = 0
    #: ``"cpu"``, ``"cuda"``; None takes a GPU when one is present.
    device: str | None = None


def _network(torch: Any, features: int, config: GruConfig) -> Any:
    class Gru(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.rnn = torch.nn.GRU(
                features,
                config.hidden,
                num_layers=config.layers,
                dropout=config.dropout,
                batch_first=True,
            )
            self.head = torch.nn.Linear(config.hidden, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.rnn(x)
            return self.head(out[:, -1, :]).squeeze(-1)

    return Gru()


@dataclass
class GruFactor:
    """A trained GRU with what it needs to score sequences: the features, lookback and bars."""

    config: GruConfig
    names: list[str]
    lookback: int
    bars_per_day: int
    network: Any

    def predict(self, seq: Sequences, days: np.ndarray) -> np.ndarray:
        """Scores ``[entities, len(days)]`` of calendar ``days`` (each >= ``seq.first_day``)."""
        self._check(seq)
        torch = _torch()
        windows = seq.windows()
        entities = len(seq.entities)
        e = np.repeat(np.arange(entities), len(days))
        t = np.tile(np.asarray(days) - seq.first_day, entities)
        device = next(self.network.parameters()).device
        out = np.empty(e.size, dtype=np.float32)
        self.network.eval()
        with torch.no_grad():
            for a in range(0, e.size, 4096):
                x = torch.from_numpy(
                    np.ascontiguousarray(windows[e[a : a + 4096], t[a : a + 4096]])
                )
                out[a : a + 4096] = self.network(x.to(device)).cpu().numpy()
        return out.reshape(entities, len(days))

    def _check(self, seq: Sequences) -> None:
        if (seq.names, seq.lookback, seq.bars_per_day) != (
            self.names,
            self.lookback,
            self.bars_per_day,
        ):
            msg = (
                "the sequences do not match the model's features, lookback or bars per day "
                f"(model: {self.names}, {self.lookback} days of {self.bars_per_day} bars)"
            )
            raise ValueError(msg)

    def save(self, path: str | Path) -> None:
        """The weights and the feature spec in one file (``torch.save``)."""
        torch = _torch()
        spec = {
            "config": dataclasses.asdict(self.config),
            "names": self.names,
            "lookback": self.lookback,
            "bars_per_day": self.bars_per_day,
        }
        torch.save({"spec": json.dumps(spec), "state": self.network.state_dict()}, path)

    @classmethod
    def load(cls, path: str | Path, device: str | None = None) -> GruFactor:
        """A model saved by :meth:`save`."""
        torch = _torch()
        saved = torch.load(path, map_location="cpu", weights_only=True)
        spec = json.loads(saved["spec"])
        config = GruConfig(**{**spec["config"], "device": device})
        network = _network(torch, len(spec["names"]), config)
        network.load_state_dict(saved["state"])
        network.to(_device(torch, config))
        return cls(config, spec["names"], spec["lookback"], spec["bars_per_day"], network)


def _device(torch: Any, config: GruConfig) -> Any:
    if config.device is not None:
        return torch.device(config.device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _loss(torch: Any, kind: str) -> Callable[[Any, Any], Any]:
    if kind == "mse":
        return lambda score, label: torch.mean((score - label) ** 2)
    if kind == "ic":

        def negative_ic(score: Any, label: Any) -> Any:
            s, y = score - score.mean(), label - label.mean()
            return -(s * y).sum() / (s.norm() * y.norm() + 1e-12)

        return negative_ic
    msg = f"loss must be 'mse' or 'ic', got {kind!r}"
    raise ValueError(msg)


def _samples(seq: Sequences, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(entity, window) index pairs of ``days`` whose label is known, in day order."""
    e, k = np.nonzero(np.isfinite(seq.label[:, days]))
    order = np.lexsort((e, k))
    return e[order], days[k[order]] - seq.first_day


def train_gru(seq: Sequences, days: np.ndarray, config: GruConfig | None = None) -> GruFactor:
    """A GRU trained on the samples of calendar ``days`` (labels known); see the module."""
    config = config or GruConfig()
    torch = _torch()
    _loss(torch, config.loss)  # the name checked before any work
    days = np.asarray(days, dtype=np.int64)
    days = days[days >= seq.first_day]
    if days.size < 2:  # noqa: PLR2004 (a training and a validation day at least)
        msg = f"training needs at least 2 days with a full lookback, got {days.size}"
        raise ValueError(msg)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    device = _device(torch, config)
    network = _network(torch, len(seq.names), config).to(device)
    # The last valid_fraction of the days validate; each side keeps a day at least.
    cut = min(max(round(days.size * (1 - config.valid_fraction)), 1), days.size - 1)
    fit, valid = days[:cut], days[cut:]
    windows, loss = seq.windows(), _loss(torch, config.loss)
    label = seq.label

    def batch(e: np.ndarray, w: np.ndarray) -> tuple[Any, Any]:
        x = torch.from_numpy(np.ascontiguousarray(windows[e, w])).to(device)
        y = torch.from_numpy(label[e, w + seq.first_day]).to(device)
        return x, y

    fit_e, fit_w = _samples(seq, fit)
    valid_e, valid_w = _samples(seq, valid)
    optimizer = torch.optim.Adam(network.parameters(), lr=config.lr)
    best, best_state, waited = np.inf, None, 0
    for _ in range(config.epochs):
        network.train()
        order = rng.permutation(fit_e.size)
        for a in range(0, order.size, config.batch):
            pick = order[a : a + config.batch]
            if pick.size < 2:  # noqa: PLR2004 (a correlation needs two samples)
                continue
            x, y = batch(fit_e[pick], fit_w[pick])
            optimizer.zero_grad()
            value = loss(network(x), y)
            value.backward()
            torch.nn.utils.clip_grad_value_(network.parameters(), config.clip)
            optimizer.step()
        network.eval()
        with torch.no_grad():
            x, y = batch(valid_e, valid_w)
            score = float(loss(network(x), y)) if valid_e.size > 1 else 0.0
        if score < best:
            best, waited = score, 0
            best_state = {k: v.detach().clone() for k, v in network.state_dict().items()}
        else:
            waited += 1
            if waited >= config.patience:
                break
    if best_state is not None:
        network.load_state_dict(best_state)
    return GruFactor(config, list(seq.names), seq.lookback, seq.bars_per_day, network)


@dataclass
class WalkForward:
    """Out-of-sample scores (``date, entity, score``) and each training window's days."""

    scores: pl.DataFrame
    windows: pl.DataFrame
    models: list[GruFactor]


def _cuts(dates: list[dt.date], first: int, retrain: str | int) -> list[int]:
    """Calendar indices where a model is retrained: each new year, or every ``k`` weeks."""
    if retrain == "year":
        return [
            i for i in range(first, len(dates)) if i == first or dates[i].year != dates[i - 1].year
        ]
    if isinstance(retrain, int) and retrain >= 1:
        weeks = [dates[i].isocalendar()[:2] for i in range(first, len(dates))]
        starts = [first + j for j in range(len(weeks)) if j == 0 or weeks[j] != weeks[j - 1]]
        return starts[::retrain]
    msg = f"retrain must be 'year' or a number of weeks >= 1, got {retrain!r}"
    raise ValueError(msg)


def walk_forward(
    seq: Sequences,
    *,
    start: dt.date,
    retrain: str | int = "year",
    window: str | int = "expanding",
    config: GruConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> WalkForward:
    """Scores of every day from ``start``, each by a model trained only before it.

    ``retrain``: ``"year"`` or a number of weeks; ``window``: ``"expanding"`` (from the first
    day with a full lookback) or a number of days before the cut. ``progress(i, n)`` is called
    after training window ``i`` of ``n``.
    """
    config = config or GruConfig()
    first = next((i for i, d in enumerate(seq.dates) if d >= start), len(seq.dates))
    first = max(first, seq.first_day)
    cuts = _cuts(seq.dates, first, retrain)
    if not cuts:
        msg = f"no day to score from {start}"
        raise ValueError(msg)
    if window != "expanding" and not (isinstance(window, int) and window >= 1):
        msg = f"window must be 'expanding' or a number of days >= 1, got {window!r}"
        raise ValueError(msg)
    ends = [*cuts[1:], len(seq.dates)]
    dates = pl.Series("date", seq.dates, dtype=pl.Date)
    frames, spans, models = [], [], []
    for i, (cut, end) in enumerate(zip(cuts, ends, strict=True)):
        # Train on days whose label's last close (day t + 1 + horizon) is at or before the cut.
        last = cut - 1 - seq.horizon
        lo = seq.first_day if window == "expanding" else max(seq.first_day, cut - int(window))
        model = train_gru(seq, np.arange(lo, last + 1), config)
        days = np.arange(cut, end)
        score = model.predict(seq, days)
        frames.append(
            pl.DataFrame(
                {
                    "date": dates.gather(np.repeat(days, len(seq.entities))),
                    "entity": np.tile(seq.entities, days.size),
                    "score": score.T.ravel(),
                }
            )
        )
        spans.append((seq.dates[lo], seq.dates[last], seq.dates[cut], seq.dates[end - 1]))
        models.append(model)
        if progress is not None:
            progress(i + 1, len(cuts))
    windows = pl.DataFrame(
        spans, schema=["train_start", "train_end", "predict_start", "predict_end"], orient="row"
    )
    return WalkForward(pl.concat(frames), windows, models)
