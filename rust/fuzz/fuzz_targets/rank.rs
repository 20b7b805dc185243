//! Rolling and expanding ranks and rolling quantiles against counting and sorting each window.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use reference::{Value, check, quantile, rank_of, values, window};
use sectorflow_core::{
    Interpolation, RankMethod, RankOptions, RollingSpec, expanding_rank, rolling_quantile,
    rolling_rank,
};

#[derive(Arbitrary, Debug)]
struct Input {
    x: Vec<Value>,
    /// Windows up to 2^16: past the bitset's 16,384, into the Fenwick tree.
    window: u16,
    min_periods: u16,
    method: u8,
    pct: bool,
    ascending: bool,
    q: u8,
    interpolation: u8,
    /// Repeat `x` this many times (long series cross the chunk and bucket boundaries).
    repeat: u8,
}

const METHODS: [RankMethod; 3] = [RankMethod::Average, RankMethod::Min, RankMethod::Max];
const INTERPOLATIONS: [Interpolation; 5] = [
    Interpolation::Linear,
    Interpolation::Lower,
    Interpolation::Higher,
    Interpolation::Nearest,
    Interpolation::Midpoint,
];

fuzz_target!(|input: Input| {
    let mut x = values(&input.x);
    let copies = usize::from(input.repeat % 64).max(1);
    x = x
        .iter()
        .copied()
        .cycle()
        .take((x.len() * copies).min(2048))
        .collect();
    let w = usize::from(input.window.max(1));
    let minp = usize::from(input.min_periods) % (w + 1);
    let method = input.method % 3;
    let options = RankOptions {
        method: METHODS[usize::from(method)],
        pct: input.pct,
        ascending: input.ascending,
    };
    let spec = RollingSpec::new(w as i64, Some(minp as i64), 0).expect("valid arguments");
    let mut out = vec![0.0; x.len()];

    rolling_rank(&x, &spec, &options, &mut out).expect("a valid call");
    for (i, &got) in out.iter().enumerate() {
        let v = window(&x, i, w);
        let want = if x[i].is_finite() && v.len() >= minp.max(1) {
            rank_of(x[i], &v, method, input.pct, input.ascending)
        } else {
            f64::NAN
        };
        check(got, want, 1e-15, 0.0, ("rolling_rank", i, w, minp, options));
    }

    let q = f64::from(input.q) / 255.0;
    let interpolation = input.interpolation % 5;
    let kind = INTERPOLATIONS[usize::from(interpolation)];
    rolling_quantile(&x, &spec, q, kind, &mut out).expect("a valid call");
    for (i, &got) in out.iter().enumerate() {
        let v = window(&x, i, w);
        let want = if v.len() >= minp.max(1) {
            quantile(&v, q, interpolation)
        } else {
            f64::NAN
        };
        check(
            got,
            want,
            1e-15,
            1e-300,
            ("rolling_quantile", i, w, minp, q, kind),
        );
    }

    expanding_rank(&x, minp, &options, &mut out).expect("a valid call");
    let mut seen = Vec::new();
    for (i, &got) in out.iter().enumerate() {
        if x[i].is_finite() {
            seen.push(x[i]);
        }
        let want = if x[i].is_finite() && seen.len() >= minp.max(1) {
            rank_of(x[i], &seen, method, input.pct, input.ascending)
        } else {
            f64::NAN
        };
        check(got, want, 1e-15, 0.0, ("expanding_rank", i, minp, options));
    }
});
