//! Rolling moments, extrema and co-moments against two-pass sums over each window.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use reference::{Value, central, check, kurt, mean, skew, sum, tame, values, var, window};
use sectorflow_core::{BinaryStat, RollingSpec, UnaryStat, rolling_binary, rolling_unary};

#[derive(Arbitrary, Debug)]
struct Input {
    x: Vec<Value>,
    y: Vec<Value>,
    window: u8,
    min_periods: u8,
    ddof: u8,
}

const UNARY: [UnaryStat; 9] = [
    UnaryStat::Sum,
    UnaryStat::Mean,
    UnaryStat::Var,
    UnaryStat::Std,
    UnaryStat::Zscore,
    UnaryStat::Skew,
    UnaryStat::Kurt,
    UnaryStat::Min,
    UnaryStat::Max,
];

fuzz_target!(|input: Input| {
    let w = usize::from(input.window.max(1));
    let minp = usize::from(input.min_periods) % (w + 1);
    let ddof = usize::from(input.ddof % 4);
    let Ok(spec) = RollingSpec::new(w as i64, Some(minp as i64), ddof as i64) else {
        panic!("valid arguments refused: {w} {minp} {ddof}");
    };
    let x = values(&input.x);
    let exact = tame(&input.x);
    let scale = 1.0
        + x.iter()
            .filter(|v| v.is_finite())
            .fold(0.0f64, |m, v| m.max(v.abs()));
    for stat in UNARY {
        let mut out = vec![0.0; x.len()];
        rolling_unary(stat, &x, &spec, &mut out).expect("a valid call");
        for (i, &got) in out.iter().enumerate() {
            let v = window(&x, i, w);
            let case = (stat, i, w, minp, ddof);
            if v.len() < minp {
                assert!(got.is_nan(), "{case:?}: {got} with {} values", v.len());
                continue;
            }
            if v.is_empty() {
                // min_periods=0 on an empty window: pandas' sum is 0, every other statistic NaN.
                let want_zero = stat == UnaryStat::Sum;
                assert!(
                    if want_zero { got == 0.0 } else { got.is_nan() },
                    "{case:?}: {got}"
                );
                continue;
            }
            // Invariants that hold for any input.
            if matches!(stat, UnaryStat::Var | UnaryStat::Std) {
                assert!(!(got < 0.0), "{case:?}: negative {got}");
                let flat = !v.is_empty() && v.iter().all(|&a| a == v[0]);
                if flat && v.len() > ddof {
                    assert_eq!(got, 0.0, "{case:?}: flat window");
                }
                if !flat && got == 0.0 && exact {
                    panic!("{case:?}: zero variance of unequal values {v:?}");
                }
            }
            if matches!(stat, UnaryStat::Min | UnaryStat::Max) && !v.is_empty() {
                let want = if stat == UnaryStat::Min {
                    v.iter().copied().fold(f64::INFINITY, f64::min)
                } else {
                    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                };
                assert_eq!(got, want, "{case:?}");
            }
            if !exact {
                continue;
            }
            let s2 = scale * scale;
            let want = match stat {
                UnaryStat::Sum => sum(&v),
                UnaryStat::Mean => mean(&v),
                UnaryStat::Var => var(&v, ddof),
                UnaryStat::Std => var(&v, ddof).sqrt(),
                UnaryStat::Zscore => {
                    let sd = var(&v, ddof).sqrt();
                    if x[i].is_finite() && sd > 0.0 {
                        (x[i] - mean(&v)) / sd
                    } else {
                        f64::NAN
                    }
                }
                UnaryStat::Skew => skew(&v),
                UnaryStat::Kurt => kurt(&v),
                UnaryStat::Min | UnaryStat::Max => continue,
            };
            let (rel, abs) = match stat {
                UnaryStat::Sum | UnaryStat::Mean => (1e-12, 1e-12 * scale),
                UnaryStat::Var => (1e-9, 1e-12 * s2),
                UnaryStat::Std | UnaryStat::Zscore => (1e-9, 1e-9 * scale),
                _ => (1e-6, 1e-6),
            };
            check(got, want, rel, abs, case);
        }
    }
    let n = x.len().min(input.y.len());
    let (a, b) = (&x[..n], &values(&input.y)[..n]);
    let exact = exact && tame(&input.y);
    for stat in [BinaryStat::Cov, BinaryStat::Corr, BinaryStat::Beta] {
        let mut out = vec![0.0; n];
        rolling_binary(stat, a, b, &spec, &mut out).expect("a valid call");
        for (i, &got) in out.iter().enumerate() {
            let rows: Vec<(f64, f64)> = (i.saturating_sub(w - 1)..=i)
                .filter(|&j| a[j].is_finite() && b[j].is_finite())
                .map(|j| (a[j], b[j]))
                .collect();
            let case = (stat, i, w, minp, ddof);
            if rows.len() < minp.max(1) {
                assert!(got.is_nan(), "{case:?}: {got} with {} pairs", rows.len());
                continue;
            }
            if stat == BinaryStat::Corr {
                assert!(
                    got.is_nan() || (-1.0..=1.0).contains(&got),
                    "{case:?}: corr {got}"
                );
            }
            if !exact {
                continue;
            }
            let xs: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let ys: Vec<f64> = rows.iter().map(|r| r.1).collect();
            let (mx, my) = (mean(&xs), mean(&ys));
            let cxy: f64 = rows.iter().map(|(p, q)| (p - mx) * (q - my)).sum();
            let (cxx, cyy) = (central(&xs, 2), central(&ys, 2));
            let enough = rows.len() > ddof;
            let want = match stat {
                BinaryStat::Cov if enough => cxy / (rows.len() - ddof) as f64,
                BinaryStat::Corr if enough && cxx > 0.0 && cyy > 0.0 => {
                    (cxy / (cxx.sqrt() * cyy.sqrt())).clamp(-1.0, 1.0)
                }
                BinaryStat::Beta if enough && cyy > 0.0 => cxy / cyy,
                _ => f64::NAN,
            };
            check(got, want, 1e-9, 1e-9 * scale * scale, case);
        }
    }
});
