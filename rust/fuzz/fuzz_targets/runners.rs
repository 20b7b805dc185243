//! The runners against running each series alone: `by=` keys (any codes, missing ones too),
//! 2-D input in both memory orders, and a long series cut into segments, each bit-identical.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use reference::{Value, same, values};
use sectorflow_core::{
    BinaryStat, CrossSection, CsStat, Ewm, EwmSpec, Groups, Interpolation, Kernel, Layout, Matrix,
    PctChange, RankMethod, RankOptions, Rolling, RollingPair, RollingQuantile, RollingRank,
    RollingSpec, UnaryStat, run_columns, run_groups, run_series,
};

#[derive(Arbitrary, Debug)]
struct Input {
    x: Vec<Value>,
    keys: Vec<i8>,
    kernel: u8,
    window: u8,
    min_periods: u8,
    cols: u8,
    repeat: u8,
    threads: bool,
}

fn check_kernel(kernel: &impl Kernel, input: &Input, two: bool) {
    let base = values(&input.x);
    let copies = usize::from(input.repeat % 32).max(1);
    let x: Vec<f64> = base
        .iter()
        .copied()
        .cycle()
        .take((base.len() * copies).min(20_000))
        .collect();
    let y: Vec<f64> = x.iter().rev().copied().collect();
    let y = two.then_some(y.as_slice());
    let n = x.len();
    let alone = |xs: &[f64], ys: Option<&[f64]>| {
        let mut out = vec![0.0; xs.len()];
        kernel.series(xs, ys, &mut out).expect("a valid call");
        out
    };
    let plain = alone(&x, y);

    // A long series cut into block-aligned segments side by side (and in parallel).
    let mut out = vec![0.0; n];
    run_series(&x, y, &mut out, kernel, input.threads).expect("a valid call");
    same(&out, &plain, "run_series");

    // by= codes: -1 is a missing key; others dense 0..k in any order.
    if !input.keys.is_empty() {
        let raw: Vec<i64> = (0..n)
            .map(|i| i64::from(input.keys[i % input.keys.len()] % 5))
            .collect();
        let mut dense = std::collections::HashMap::new();
        let codes: Vec<i64> = raw
            .iter()
            .map(|&c| {
                if c < 0 {
                    -1
                } else {
                    let k = dense.len() as i64;
                    *dense.entry(c).or_insert(k)
                }
            })
            .collect();
        let groups = Groups::from_codes(&codes).expect("valid codes");
        run_groups(&x, y, &groups, &mut out, kernel).expect("a valid call");
        let mut want = vec![f64::NAN; n];
        for code in 0..dense.len() as i64 {
            let rows: Vec<usize> = (0..n).filter(|&i| codes[i] == code).collect();
            let xs: Vec<f64> = rows.iter().map(|&i| x[i]).collect();
            let ys: Option<Vec<f64>> = y.map(|y| rows.iter().map(|&i| y[i]).collect());
            for (r, v) in rows.iter().zip(alone(&xs, ys.as_deref())) {
                want[*r] = v;
            }
        }
        same(&out, &want, "run_groups");
    }

    // 2-D: `cols` columns of `rows` rows, in C and Fortran order.
    let cols = usize::from(input.cols % 20).max(1);
    let rows = n / cols;
    let cm: Vec<f64> = x[..rows * cols].to_vec(); // column-major: column j is cm[j*rows..]
    let ycm: Option<Vec<f64>> = y.map(|y| y[..rows * cols].to_vec());
    let mut want = vec![0.0; rows * cols];
    for j in 0..cols {
        let col = j * rows..(j + 1) * rows;
        let r = alone(&cm[col.clone()], ycm.as_ref().map(|y| &y[col.clone()]));
        want[col].copy_from_slice(&r);
    }
    let m = Matrix::new(&cm, rows, cols, Layout::ColMajor).expect("shape");
    let ym = ycm
        .as_ref()
        .map(|y| Matrix::new(y, rows, cols, Layout::ColMajor).expect("shape"));
    let mut out = vec![0.0; rows * cols];
    run_columns(&m, ym.as_ref(), &mut out, kernel).expect("a valid call");
    same(&out, &want, "run_columns, Fortran order");
    let to_rm = |c: &[f64]| -> Vec<f64> {
        (0..rows * cols)
            .map(|k| c[(k % cols) * rows + k / cols])
            .collect()
    };
    let rm = to_rm(&cm);
    let yrm = ycm.as_ref().map(|y| to_rm(y));
    let m = Matrix::new(&rm, rows, cols, Layout::RowMajor).expect("shape");
    let ym = yrm
        .as_ref()
        .map(|y| Matrix::new(y, rows, cols, Layout::RowMajor).expect("shape"));
    run_columns(&m, ym.as_ref(), &mut out, kernel).expect("a valid call");
    same(&out, &to_rm(&want), "run_columns, C order");
}

fuzz_target!(|input: Input| {
    let w = i64::from(input.window.max(1));
    let minp = i64::from(input.min_periods) % (w + 1);
    let spec = RollingSpec::new(w, Some(minp), 1).expect("valid arguments");
    let options = RankOptions {
        method: RankMethod::Average,
        pct: true,
        ascending: true,
    };
    match input.kernel % 10 {
        0 => check_kernel(
            &Rolling {
                stat: UnaryStat::Mean,
                spec,
            },
            &input,
            false,
        ),
        1 => check_kernel(
            &Rolling {
                stat: UnaryStat::Std,
                spec,
            },
            &input,
            false,
        ),
        2 => check_kernel(
            &Rolling {
                stat: UnaryStat::Kurt,
                spec,
            },
            &input,
            false,
        ),
        3 => check_kernel(
            &Rolling {
                stat: UnaryStat::Max,
                spec,
            },
            &input,
            false,
        ),
        4 => check_kernel(
            &RollingPair {
                stat: BinaryStat::Corr,
                spec,
            },
            &input,
            true,
        ),
        5 => check_kernel(&RollingRank { spec, options }, &input, false),
        6 => {
            let kernel = RollingQuantile::new(spec, 0.3, Interpolation::Linear).expect("valid q");
            check_kernel(&kernel, &input, false);
        }
        7 => {
            let ewm = EwmSpec::new(None, Some(w as f64), None, None, minp % 2 == 0, minp)
                .expect("valid span");
            check_kernel(&Ewm(ewm), &input, false);
        }
        8 => check_kernel(&PctChange(minp - 3), &input, false),
        _ => check_kernel(&CrossSection(CsStat::Rank(options)), &input, false),
    }
});
