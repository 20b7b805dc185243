//! Relative Rotation Graph: every series against its benchmark, all series at once.
//!
//! Each column of a `rows x cols` price matrix (axis 0 = time, already on the benchmark's
//! calendar) is compared with one benchmark column. The transform is built from the rolling
//! kernels of this crate (rolling z-score, mean, std; EWM), so a flat window gives NaN, never inf.

use rayon::prelude::*;

use crate::error::{KernelError, same_length};
use crate::ewm::{EwmSpec, ewm_mean};
use crate::excess::{ExcessMode, rolling_excess_return};
use crate::kernel::RollingSpec;
use crate::rolling::{UnaryStat, rolling_unary};
use crate::threads::{install, min_len};

/// Which open RRG definition to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RrgMethod {
    /// `RS = 100 P / B`; `rs_ratio = 100 + (RS - MA_w(RS)) / STD_w(RS)`;
    /// `ROC = 100 (rs_ratio_t / rs_ratio_{t-k} - 1)`; `rs_momentum = 100 + (ROC - MA_w(ROC)) / STD_w(ROC)`.
    /// With [`RrgNormalize::MaRatio`]: `rs_ratio = 100 EMA_w(RS) / SMA_w(EMA_w(RS))`,
    /// `ROC = (rs_ratio_t - rs_ratio_{t-k}) / rs_ratio_{t-k}`, `rs_momentum = 100 + 100 EMA_w(ROC)`.
    Jdk,
    /// RRG-Lite: `rs_ratio` as `Jdk`; its fixed-base ROC is a positive affine map of `rs_ratio`,
    /// so `rs_momentum = 100 + z_w(rs_ratio)`.
    RrgLite,
    /// RRGPy: as `RrgLite` with the momentum offset 101.
    RrgPy,
    /// Haitong: `rs_ratio = excess(P_t / P_{t-L}, B_t / B_{t-L})`, `rs_momentum = rs_ratio_t -
    /// rs_ratio_{t-k}`, centre 0.
    Haitong,
}

/// The moving average the RS line is measured against (`Jdk`'s z-score form).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RrgAverage {
    Sma,
    /// pandas `ewm(span=window, adjust=True, min_periods=window).mean()`
    Ema,
}

/// How `Jdk` normalises the RS line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RrgNormalize {
    Zscore,
    MaRatio,
}

option_names!(RrgMethod, "method", {
    "jdk" => Self::Jdk, "rrg_lite" => Self::RrgLite, "rrgpy" => Self::RrgPy, "haitong" => Self::Haitong,
});
option_names!(RrgAverage, "ma", { "sma" => Self::Sma, "ema" => Self::Ema });
option_names!(RrgNormalize, "normalize", { "zscore" => Self::Zscore, "ma_ratio" => Self::MaRatio });

/// Every option of the RRG transform, checked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RrgSpec {
    pub method: RrgMethod,
    pub window: usize,
    pub momentum_lag: usize,
    pub ddof: usize,
    pub average: RrgAverage,
    pub normalize: RrgNormalize,
    pub lookback: usize,
    pub excess: ExcessMode,
}

fn positive(name: &'static str, v: i64, least: i64) -> Result<usize, KernelError> {
    if v < least {
        return Err(KernelError::invalid(
            name,
            format!("{name} must be >= {least}, got {v}"),
        ));
    }
    usize::try_from(v).map_err(|_| KernelError::invalid(name, format!("{name} is too large")))
}

impl RrgSpec {
    /// Parses the names the Python API takes.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        method: &str,
        window: i64,
        momentum_lag: i64,
        ddof: Option<i64>,
        average: &str,
        normalize: &str,
        lookback: i64,
        excess: &str,
    ) -> Result<Self, KernelError> {
        let method: RrgMethod = method.parse()?;
        let average: RrgAverage = average.parse()?;
        let normalize: RrgNormalize = normalize.parse()?;
        // The one excess-return option, under the name the RRG takes it by.
        let excess: ExcessMode = excess.parse().map_err(|e: KernelError| {
            KernelError::invalid(
                "excess_mode",
                e.to_string().replacen("mode", "excess_mode", 1),
            )
        })?;
        let window = positive("window", window, 2)?;
        let default_ddof = if method == RrgMethod::RrgPy { 0 } else { 1 };
        let ddof = positive("ddof", ddof.unwrap_or(default_ddof), 0)?;
        if ddof >= window {
            return Err(KernelError::invalid(
                "ddof",
                format!("ddof must be < window ({window}), got {ddof}"),
            ));
        }
        Ok(Self {
            method,
            window,
            momentum_lag: positive("momentum_lag", momentum_lag, 1)?,
            ddof,
            average,
            normalize,
            lookback: positive("lookback", lookback, 1)?,
            excess,
        })
    }

    /// The point both axes are centred on: (100, 100), or (0, 0) for Haitong.
    pub fn centre(&self) -> f64 {
        if self.method == RrgMethod::Haitong {
            0.0
        } else {
            100.0
        }
    }
}

/// Quadrant codes written by [`rrg`]: `-1` where a point is missing.
pub const LEADING: i8 = 0;
pub const WEAKENING: i8 = 1;
pub const LAGGING: i8 = 2;
pub const IMPROVING: i8 = 3;

/// The output columns, each `rows x cols` in column-major order.
pub struct RrgOut<'a> {
    pub rs_ratio: &'a mut [f64],
    pub rs_momentum: &'a mut [f64],
    pub distance: &'a mut [f64],
    /// Direction of travel from the previous row's point, degrees in [0, 360) counter-clockwise
    /// from the +x axis.
    pub heading: &'a mut [f64],
    /// Length of the step from the previous row's point.
    pub velocity: &'a mut [f64],
    pub quadrant: &'a mut [i8],
}

/// Owned output columns of `n` values each, for callers that allocate them here.
pub struct RrgColumns {
    pub rs_ratio: Vec<f64>,
    pub rs_momentum: Vec<f64>,
    pub distance: Vec<f64>,
    pub heading: Vec<f64>,
    pub velocity: Vec<f64>,
    pub quadrant: Vec<i8>,
}

impl RrgColumns {
    /// Zeroed columns: [`rrg`] writes every value, and zeroed memory comes from the allocator
    /// untouched, so its pages are first written by the worker threads rather than here.
    pub fn new(n: usize) -> Self {
        Self {
            rs_ratio: vec![0.0; n],
            rs_momentum: vec![0.0; n],
            distance: vec![0.0; n],
            heading: vec![0.0; n],
            velocity: vec![0.0; n],
            quadrant: vec![0; n],
        }
    }

    /// The columns as [`rrg`]'s output.
    pub fn out(&mut self) -> RrgOut<'_> {
        RrgOut {
            rs_ratio: &mut self.rs_ratio,
            rs_momentum: &mut self.rs_momentum,
            distance: &mut self.distance,
            heading: &mut self.heading,
            velocity: &mut self.velocity,
            quadrant: &mut self.quadrant,
        }
    }
}

/// The RRG of every column of `prices` (`rows x cols`, column-major) against column
/// `bench_of[j]` of `benchmarks` (`rows x bench_cols`, column-major).
pub fn rrg(
    prices: &[f64],
    rows: usize,
    benchmarks: &[f64],
    bench_of: &[usize],
    spec: &RrgSpec,
    out: RrgOut<'_>,
) -> Result<(), KernelError> {
    let cols = bench_of.len();
    same_length("prices", rows.saturating_mul(cols), prices.len())?;
    if rows > 0 && !benchmarks.len().is_multiple_of(rows) {
        return Err(KernelError::invalid(
            "benchmark",
            format!(
                "benchmark must hold whole columns of {rows} rows, got {} values",
                benchmarks.len()
            ),
        ));
    }
    let bench_cols = benchmarks.len().checked_div(rows).unwrap_or(0);
    if let Some(&bad) = bench_of.iter().find(|&&b| b >= bench_cols) {
        return Err(KernelError::invalid(
            "benchmark",
            format!("benchmark column {bad} does not exist ({bench_cols} columns)"),
        ));
    }
    let n = rows * cols;
    for (name, len) in [
        ("rs_ratio", out.rs_ratio.len()),
        ("rs_momentum", out.rs_momentum.len()),
        ("distance", out.distance.len()),
        ("heading", out.heading.len()),
        ("velocity", out.velocity.len()),
        ("quadrant", out.quadrant.len()),
    ] {
        same_length(name, n, len)?;
    }
    if n == 0 {
        return Ok(());
    }
    let RrgOut {
        rs_ratio,
        rs_momentum,
        distance,
        heading,
        velocity,
        quadrant,
    } = out;
    install(|| {
        rs_ratio
            .par_chunks_mut(rows)
            .zip(rs_momentum.par_chunks_mut(rows))
            .zip(distance.par_chunks_mut(rows))
            .zip(heading.par_chunks_mut(rows))
            .zip(velocity.par_chunks_mut(rows))
            .zip(quadrant.par_chunks_mut(rows))
            .enumerate()
            .with_min_len(min_len())
            .try_for_each(|(j, (((((x, y), d), h), v), q))| {
                let b = bench_of[j] * rows;
                series(
                    &prices[j * rows..(j + 1) * rows],
                    &benchmarks[b..b + rows],
                    spec,
                    x,
                    y,
                )?;
                geometry(x, y, spec.centre(), d, h, v, q);
                Ok(())
            })
    })?
}

/// `x` if finite, else NaN.
fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { f64::NAN }
}

/// `f(x_t, x_{t-lag})`, NaN where not finite or before `lag` rows.
fn lagged(x: &[f64], lag: usize, f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    (0..x.len())
        .map(|t| {
            t.checked_sub(lag)
                .map_or(f64::NAN, |s| finite(f(x[t], x[s])))
        })
        .collect()
}

fn rolling(
    stat: UnaryStat,
    x: &[f64],
    window: usize,
    ddof: usize,
) -> Result<Vec<f64>, KernelError> {
    let w = i64::try_from(window).unwrap_or(i64::MAX);
    let spec = RollingSpec::new(w, None, i64::try_from(ddof).unwrap_or(i64::MAX))?;
    let mut out = vec![f64::NAN; x.len()];
    rolling_unary(stat, x, &spec, &mut out)?;
    Ok(out)
}

fn ema(x: &[f64], window: usize) -> Result<Vec<f64>, KernelError> {
    let spec = EwmSpec::new(
        None,
        Some(window as f64),
        None,
        None,
        true,
        i64::try_from(window).unwrap_or(i64::MAX),
    )?;
    let mut out = vec![f64::NAN; x.len()];
    ewm_mean(x, &spec, &mut out)?;
    Ok(out)
}

/// `centre + (x - MA_w(x)) / STD_w(x)`; NaN where the window's deviation is zero.
fn normalised(x: &[f64], spec: &RrgSpec, offset: f64) -> Result<Vec<f64>, KernelError> {
    let (w, ddof) = (spec.window, spec.ddof);
    let z = match spec.average {
        RrgAverage::Sma => rolling(UnaryStat::Zscore, x, w, ddof)?,
        RrgAverage::Ema => {
            let centre = ema(x, w)?;
            let sd = rolling(UnaryStat::Std, x, w, ddof)?;
            x.iter()
                .zip(centre)
                .zip(sd)
                .map(|((&v, c), s)| {
                    if s > 0.0 {
                        finite((v - c) / s)
                    } else {
                        f64::NAN
                    }
                })
                .collect()
        }
    };
    Ok(z.into_iter().map(|v| offset + v).collect())
}

/// Fills `x` (RS-Ratio) and `y` (RS-Momentum) for one series.
fn series(
    p: &[f64],
    b: &[f64],
    spec: &RrgSpec,
    x: &mut [f64],
    y: &mut [f64],
) -> Result<(), KernelError> {
    let k = spec.momentum_lag;
    let (ratio, momentum) = match spec.method {
        RrgMethod::Haitong => {
            let mut ratio = vec![f64::NAN; p.len()];
            rolling_excess_return(p, b, spec.lookback, spec.excess, &mut ratio)?;
            let momentum = lagged(&ratio, k, |a, b| a - b);
            (ratio, momentum)
        }
        method => {
            let rs: Vec<f64> = p
                .iter()
                .zip(b)
                .map(|(&p, &b)| finite(100.0 * (p / b)))
                .collect();
            match (method, spec.normalize) {
                (RrgMethod::Jdk, RrgNormalize::MaRatio) => {
                    let smooth = ema(&rs, spec.window)?;
                    let long = rolling(UnaryStat::Mean, &smooth, spec.window, 0)?;
                    let ratio: Vec<f64> = smooth
                        .iter()
                        .zip(&long)
                        .map(|(&s, &l)| finite(100.0 * s / l))
                        .collect();
                    let roc = lagged(&ratio, k, |a, b| (a - b) / b);
                    let momentum = ema(&roc, spec.window)?
                        .into_iter()
                        .map(|v| 100.0 + 100.0 * v)
                        .collect();
                    (ratio, momentum)
                }
                (RrgMethod::Jdk, RrgNormalize::Zscore) => {
                    let ratio = normalised(&rs, spec, 100.0)?;
                    let roc = lagged(&ratio, k, |a, b| 100.0 * (a / b - 1.0));
                    let momentum = normalised(&roc, spec, 100.0)?;
                    (ratio, momentum)
                }
                (_, _) => {
                    let offset = if method == RrgMethod::RrgPy {
                        101.0
                    } else {
                        100.0
                    };
                    let ratio = normalised(&rs, spec, 100.0)?;
                    let momentum = normalised(&ratio, spec, offset)?;
                    (ratio, momentum)
                }
            }
        }
    };
    x.copy_from_slice(&ratio);
    y.copy_from_slice(&momentum);
    Ok(())
}

/// `sqrt(dx^2 + dy^2)`: the plain form where its squares neither overflow nor underflow
/// (libm's `hypot` costs a third of the whole transform), `hypot` elsewhere.
fn length(dx: f64, dy: f64) -> f64 {
    let squares = dx * dx + dy * dy;
    if squares.is_finite() && squares >= f64::MIN_POSITIVE {
        squares.sqrt()
    } else {
        dx.hypot(dy)
    }
}

/// Quadrant, distance from the centre, and the heading and length of each step.
fn geometry(
    x: &[f64],
    y: &[f64],
    c: f64,
    distance: &mut [f64],
    heading: &mut [f64],
    velocity: &mut [f64],
    quadrant: &mut [i8],
) {
    for t in 0..x.len() {
        let (dx, dy) = (x[t] - c, y[t] - c);
        let present = !(dx.is_nan() || dy.is_nan());
        distance[t] = length(dx, dy);
        quadrant[t] = match (present, dx >= 0.0, dy >= 0.0) {
            (false, ..) => -1,
            (true, true, true) => LEADING,
            (true, true, false) => WEAKENING,
            (true, false, false) => LAGGING,
            (true, false, true) => IMPROVING,
        };
        let (sx, sy) = match t.checked_sub(1) {
            Some(s) => (x[t] - x[s], y[t] - y[s]),
            None => (f64::NAN, f64::NAN),
        };
        velocity[t] = length(sx, sy);
        let angle = sy.atan2(sx).to_degrees();
        heading[t] = if sx.is_nan() || sy.is_nan() {
            f64::NAN
        } else if angle < 0.0 {
            (angle + 360.0) % 360.0
        } else {
            angle
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(p: &[f64], b: &[f64], spec: &RrgSpec) -> RrgColumns {
        let mut cols = RrgColumns::new(p.len());
        rrg(p, p.len(), b, &[0], spec, cols.out()).unwrap();
        cols
    }

    fn spec(method: &str) -> RrgSpec {
        RrgSpec::parse(method, 3, 1, None, "sma", "zscore", 2, "ratio").unwrap()
    }

    #[test]
    fn flat_relative_strength_gives_nan_never_inf() {
        let b: Vec<f64> = (0..20).map(|i| 100.0 + i as f64).collect();
        let p: Vec<f64> = b.iter().map(|v| 2.0 * v).collect();
        let RrgColumns {
            rs_ratio: x,
            rs_momentum: y,
            distance: d,
            quadrant: q,
            ..
        } = run(&p, &b, &spec("jdk"));
        assert!(x.iter().chain(&y).chain(&d).all(|v| v.is_nan()));
        assert!(q.iter().all(|&c| c == -1));
    }

    #[test]
    fn haitong_ratio_and_step() {
        let b = [100.0, 100.0, 110.0, 121.0, 121.0];
        let p = [50.0, 50.0, 60.0, 66.0, 60.0];
        let RrgColumns {
            rs_ratio: x,
            rs_momentum: y,
            ..
        } = run(&p, &b, &spec("haitong"));
        assert!(x[0].is_nan() && x[1].is_nan());
        assert!((x[2] - (1.2 / 1.1 - 1.0)).abs() < 1e-15);
        assert!((x[3] - ((66.0 / 50.0) / (121.0 / 100.0) - 1.0)).abs() < 1e-15);
        assert!((y[3] - (x[3] - x[2])).abs() < 1e-15);
    }

    #[test]
    fn geometry_of_a_clockwise_step() {
        let x = [101.0, 102.0, 101.0, 99.0];
        let y = [101.0, 99.0, 98.0, 101.0];
        let n = x.len();
        let (mut d, mut h, mut v, mut q) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0; n]);
        geometry(&x, &y, 100.0, &mut d, &mut h, &mut v, &mut q);
        assert_eq!(q, [LEADING, WEAKENING, WEAKENING, IMPROVING]);
        assert!((d[0] - 2f64.sqrt()).abs() < 1e-15);
        assert!(h[0].is_nan() && v[0].is_nan());
        // (+1, -2): south-east, 296.57 degrees
        assert!((h[1] - (360.0 + (-2f64).atan2(1.0).to_degrees())).abs() < 1e-12);
        assert!((v[1] - 5f64.sqrt()).abs() < 1e-15);
        assert!((h[2] - 225.0).abs() < 1e-12);
        assert!((0.0..360.0).contains(&h[3]));
    }

    #[test]
    fn arguments_are_checked_by_name() {
        let err = |r: Result<RrgSpec, KernelError>| r.unwrap_err().argument();
        assert_eq!(
            err(RrgSpec::parse("x", 3, 1, None, "sma", "zscore", 2, "ratio")),
            "method"
        );
        assert_eq!(
            err(RrgSpec::parse(
                "jdk", 1, 1, None, "sma", "zscore", 2, "ratio"
            )),
            "window"
        );
        assert_eq!(
            err(RrgSpec::parse(
                "jdk", 3, 0, None, "sma", "zscore", 2, "ratio"
            )),
            "momentum_lag"
        );
        assert_eq!(
            err(RrgSpec::parse(
                "jdk",
                3,
                1,
                Some(3),
                "sma",
                "zscore",
                2,
                "ratio"
            )),
            "ddof"
        );
        assert_eq!(
            err(RrgSpec::parse(
                "jdk", 3, 1, None, "wma", "zscore", 2, "ratio"
            )),
            "ma"
        );
        assert_eq!(
            err(RrgSpec::parse("jdk", 3, 1, None, "sma", "zz", 2, "ratio")),
            "normalize"
        );
        assert_eq!(
            err(RrgSpec::parse(
                "haitong", 3, 1, None, "sma", "zscore", 0, "ratio"
            )),
            "lookback"
        );
        assert_eq!(
            err(RrgSpec::parse(
                "haitong", 3, 1, None, "sma", "zscore", 2, "pct"
            )),
            "excess_mode"
        );
    }
}
