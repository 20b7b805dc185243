//! EWMA (adjust=True) against its definition as a weighted mean, and pct_change against a loop.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use reference::{Value, check, tame, values};
use sectorflow_core::{EwmSpec, ewm_mean, pct_change};

#[derive(Arbitrary, Debug)]
struct Input {
    x: Vec<Value>,
    /// alpha = (k + 1) / 257, below 1 (at 1 the weights of a missing row's elders are 0^k)
    alpha: u8,
    min_periods: u8,
    periods: i8,
}

fuzz_target!(|input: Input| {
    let x = values(&input.x);
    let alpha = (f64::from(input.alpha) + 1.0) / 257.0;
    let minp = i64::from(input.min_periods % 8);
    let spec = EwmSpec::new(None, None, None, Some(alpha), true, minp).expect("valid alpha");
    let mut out = vec![0.0; x.len()];
    ewm_mean(&x, &spec, &mut out).expect("a valid call");
    let exact = tame(&input.x);
    let mut seen = 0usize;
    for (i, &got) in out.iter().enumerate() {
        seen += usize::from(x[i].is_finite());
        if seen < (minp.max(1) as usize) {
            assert!(got.is_nan(), "ewm row {i}: {got} after {seen} observations");
            continue;
        }
        if !exact {
            continue;
        }
        // pandas, ignore_na=False: weight (1 - alpha)^(i - j) on each observed x_j, j <= i.
        let (mut num, mut den) = (0.0, 0.0);
        for j in 0..=i {
            if x[j].is_finite() {
                let wgt = (1.0 - alpha).powi((i - j) as i32);
                num += wgt * x[j];
                den += wgt;
            }
        }
        if den < 1e-250 {
            continue; // the elders' weights underflowed: the definition reads 0 / 0
        }
        let scale = 1.0
            + x[..=i]
                .iter()
                .filter(|v| v.is_finite())
                .fold(0.0f64, |m, v| m.max(v.abs()));
        check(got, num / den, 1e-9, 1e-9 * scale, ("ewm", i, alpha));
    }

    let periods = i64::from(input.periods);
    pct_change(&x, periods, &mut out).expect("a valid call");
    for (i, &got) in out.iter().enumerate() {
        let j = i as i64 - periods;
        let want = if (0..x.len() as i64).contains(&j) {
            x[i] / x[j as usize] - 1.0
        } else {
            f64::NAN
        };
        check(got, want, 0.0, 0.0, ("pct_change", i, periods));
    }
});
