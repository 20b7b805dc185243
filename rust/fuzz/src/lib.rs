//! What the fuzz targets share: values drawn to hit the kernels' corners, and slow, obviously
//! correct references written from the definitions (pandas' semantics), one loop per result.

use arbitrary::Arbitrary;

/// One input value: mostly quarter-integers (exact sums, many ties), with NaN, ±inf, huge,
/// subnormal and signed-zero values mixed in.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Value {
    Quarter(i8),
    Quarter2(i8),
    Quarter3(i8),
    Nan,
    Inf,
    NegInf,
    Huge(bool),
    Subnormal(bool),
    NegZero,
    Raw(f64),
}

impl Value {
    pub fn get(self) -> f64 {
        match self {
            Self::Quarter(v) | Self::Quarter2(v) | Self::Quarter3(v) => f64::from(v) / 4.0,
            Self::Nan => f64::NAN,
            Self::Inf => f64::INFINITY,
            Self::NegInf => f64::NEG_INFINITY,
            Self::Huge(neg) => {
                if neg {
                    -1e300
                } else {
                    1e300
                }
            }
            Self::Subnormal(neg) => {
                if neg {
                    -5e-324
                } else {
                    5e-324
                }
            }
            Self::NegZero => -0.0,
            Self::Raw(v) => v,
        }
    }

    /// Whether the value is a quarter-integer, a zero or missing: sums and squares of windows
    /// stay exact, so a reference computed another way must agree closely (and a variance of
    /// unequal values cannot round to 0, as it may for subnormals).
    pub fn is_tame(self) -> bool {
        matches!(
            self,
            Self::Quarter(_) | Self::Quarter2(_) | Self::Quarter3(_) | Self::NegZero
        ) || !self.get().is_finite()
    }
}

pub fn values(raw: &[Value]) -> Vec<f64> {
    raw.iter().map(|v| v.get()).collect()
}

/// Whether all of `xs` are tame (see [`Value::is_tame`]).
pub fn tame(raw: &[Value]) -> bool {
    raw.iter().all(|v| v.is_tame())
}

/// The finite values of the window of `w` rows ending at row `i`.
pub fn window(x: &[f64], i: usize, w: usize) -> Vec<f64> {
    x[(i + 1).saturating_sub(w)..=i]
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect()
}

pub fn sum(v: &[f64]) -> f64 {
    v.iter().sum()
}

pub fn mean(v: &[f64]) -> f64 {
    sum(v) / v.len() as f64
}

/// Σ (x - mean)^k, two-pass.
pub fn central(v: &[f64], k: i32) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m).powi(k)).sum()
}

/// Sample variance with `ddof`; NaN when `n <= ddof`.
pub fn var(v: &[f64], ddof: usize) -> f64 {
    if v.len() <= ddof {
        f64::NAN
    } else {
        central(v, 2) / (v.len() - ddof) as f64
    }
}

/// pandas' bias-corrected skewness; NaN below 3 values or with zero variance.
pub fn skew(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let m2 = central(v, 2);
    if v.len() < 3 || m2 == 0.0 {
        return f64::NAN;
    }
    let (b, c) = (m2 / n, central(v, 3) / n);
    (n * (n - 1.0)).sqrt() * c / ((n - 2.0) * b.powf(1.5))
}

/// pandas' bias-corrected excess kurtosis; NaN below 4 values or with zero variance.
pub fn kurt(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let m2 = central(v, 2);
    if v.len() < 4 || m2 == 0.0 {
        return f64::NAN;
    }
    let (b, d) = (m2 / n, central(v, 4) / n);
    ((n * n - 1.0) * d / (b * b) - 3.0 * (n - 1.0) * (n - 1.0)) / ((n - 2.0) * (n - 3.0))
}

/// pandas' rank of `x` among `v` (which holds it): `method` 0 average, 1 min, 2 max.
pub fn rank_of(x: f64, v: &[f64], method: u8, pct: bool, ascending: bool) -> f64 {
    let (less, eq) = v.iter().fold((0usize, 0usize), |(l, e), &y| {
        let below = if ascending { y < x } else { y > x };
        (l + usize::from(below), e + usize::from(y == x))
    });
    let r = match method {
        0 => less as f64 + (eq as f64 + 1.0) / 2.0,
        1 => less as f64 + 1.0,
        _ => (less + eq) as f64,
    };
    if pct { r / v.len() as f64 } else { r }
}

/// pandas' quantile `q` of `v` with `interpolation` 0 linear, 1 lower, 2 higher, 3 nearest
/// (an exact half to the even index), 4 midpoint.
pub fn quantile(v: &[f64], q: f64, interpolation: u8) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let pos = q * (s.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let frac = pos - lo as f64;
    match interpolation {
        0 => s[lo] + (s[hi] - s[lo]) * frac,
        1 => s[lo],
        2 => s[hi],
        3 => {
            let i = if frac == 0.5 {
                if lo % 2 == 0 { lo } else { hi }
            } else if frac < 0.5 {
                lo
            } else {
                hi
            };
            s[i]
        }
        _ => s[lo] + (s[hi] - s[lo]) * 0.5,
    }
}

/// `got` equals `want` (both NaN, or within `rel` of the larger magnitude, or `abs`).
pub fn close(got: f64, want: f64, rel: f64, abs: f64) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if want.is_infinite() || got.is_infinite() {
        return want == got;
    }
    (got - want).abs() <= abs + rel * got.abs().max(want.abs())
}

/// Asserts [`close`], naming the case.
#[track_caller]
pub fn check(got: f64, want: f64, rel: f64, abs: f64, what: impl std::fmt::Debug) {
    assert!(
        close(got, want, rel, abs),
        "{what:?}: got {got:e}, want {want:e}"
    );
}

/// Bitwise equality, NaN equal to NaN.
#[track_caller]
pub fn same(got: &[f64], want: &[f64], what: impl std::fmt::Debug) {
    assert_eq!(got.len(), want.len(), "{what:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
            "{what:?} row {i}: {g:e} != {w:e}"
        );
    }
}
