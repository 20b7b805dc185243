//! Cross-sectional rank, z-score and demeaning against counting and two-pass sums.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use reference::{Value, check, mean, rank_of, tame, values, var};
use sectorflow_core::{CrossSection, CsStat, Kernel, RankMethod, RankOptions};

#[derive(Arbitrary, Debug)]
struct Input {
    x: Vec<Value>,
    method: u8,
    pct: bool,
    ascending: bool,
    ddof: u8,
}

const METHODS: [RankMethod; 3] = [RankMethod::Average, RankMethod::Min, RankMethod::Max];

fuzz_target!(|input: Input| {
    let x = values(&input.x);
    let method = input.method % 3;
    let options = RankOptions {
        method: METHODS[usize::from(method)],
        pct: input.pct,
        ascending: input.ascending,
    };
    let mut out = vec![0.0; x.len()];
    CrossSection(CsStat::Rank(options))
        .series(&x, None, &mut out)
        .expect("a valid call");
    // NaN is missing; ±inf are ranked (pandas' groupby rank); -0.0 ties with 0.0.
    let ranked: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
    for (i, &got) in out.iter().enumerate() {
        let want = if x[i].is_nan() {
            f64::NAN
        } else {
            rank_of(x[i], &ranked, method, input.pct, input.ascending)
        };
        check(got, want, 1e-15, 0.0, ("cs_rank", i, options));
    }

    let ddof = usize::from(input.ddof % 3);
    let finite: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    let exact = tame(&input.x);
    let scale = 1.0 + finite.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for stat in [CsStat::Zscore { ddof }, CsStat::Demean] {
        CrossSection(stat)
            .series(&x, None, &mut out)
            .expect("a valid call");
        for (i, &got) in out.iter().enumerate() {
            if !x[i].is_finite() || finite.is_empty() {
                assert!(got.is_nan(), "{stat:?} row {i}: {got} for {}", x[i]);
                continue;
            }
            if let CsStat::Zscore { .. } = stat {
                assert!(got.is_nan() || got.is_finite(), "{stat:?} row {i}: {got}");
            }
            if !exact {
                continue;
            }
            let want = match stat {
                CsStat::Demean => x[i] - mean(&finite),
                _ => {
                    let sd = var(&finite, ddof).sqrt();
                    if sd > 0.0 {
                        (x[i] - mean(&finite)) / sd
                    } else {
                        f64::NAN
                    }
                }
            };
            check(got, want, 1e-9, 1e-12 * scale, (stat, i));
        }
    }
});
