//! Top-N rotation backtests on a dense panel, many configurations side by side on the pool.
//!
//! Bars `0..t`, series `0..s`, bar by bar (`x[bar * s + j]`) or series by series
//! (`x[j * t + bar]`). Scores and tradability are needed on rebalance bars only: their panels
//! hold the rows of the bars `score_bars` (every bar, or just the rebalance bars of a stock
//! universe, five times fewer for weekly rebalances). At each rebalance bar `d` the
//! `top_n` series with a finite score on `d` and a price on `d` (ties: the lower column, i.e.
//! the key that sorts first) are bought from bar `d + lag`; holdings drift with their returns
//! (a missing return keeps the value); costs are charged on the traded weight:
//!
//! ```text
//! turnover = (sum_j |w_j - w~_j| + |invested - invested~|) / 2,   nav *= 1 - cost * sum_j |dw_j|
//! ```

use rayon::prelude::*;

use crate::error::KernelError;
use crate::threads::install;

/// One configuration: which score panel, how many to hold, which rebalance bars.
#[derive(Clone, Copy, Debug)]
pub struct RotationConfig {
    pub score: usize,
    pub top_n: usize,
    pub rebalance: usize,
}

/// What every configuration shares: prices' presence, returns, the shape and the rules.
#[derive(Clone, Copy, Debug)]
pub struct RotationPanel<'a> {
    /// `t * s` bar returns (NaN: none; the holding keeps its value).
    pub returns: &'a [f64],
    /// The bar of each row of the score panels and of `tradable` (ascending); every rebalance
    /// bar must be one of them.
    pub score_bars: &'a [usize],
    /// `score_bars.len() * s`: whether the series has a price on the bar (only those are bought).
    pub tradable: &'a [bool],
    pub bars: usize,
    pub series: usize,
    /// Whether the panels are stored series by series (`x[j * rows + row]`) rather than row by
    /// row (`x[row * series + j]`); scores and `tradable` share the layout.
    pub column_major: bool,
    pub lag: usize,
    pub score_weighted: bool,
    /// Cost per unit of traded weight (basis points / 1e4).
    pub cost: f64,
}

/// The path of one configuration: NAV on every bar (NaN before the first rebalance bar, 1 on
/// it) and the one-way turnover of each rebalance that traded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RotationPath {
    pub nav: Vec<f64>,
    pub first: usize,
    pub starts: Vec<usize>,
    pub turnover: Vec<f64>,
    /// The cost of each rebalance as a share of the NAV before it (`cost * sum_j |dw_j|`).
    pub costs: Vec<f64>,
    /// The columns bought at each start, best first, `held[held_from[k]..held_from[k + 1]]`.
    pub held: Vec<usize>,
    pub weights: Vec<f64>,
    pub held_from: Vec<usize>,
}

/// Runs every configuration (in parallel) on `scores` (`k` panels of `score_bars.len() * s`,
/// one after the other) and the rebalance bar lists `rebalances` (each ascending).
pub fn top_n_rotations(
    panel: &RotationPanel<'_>,
    scores: &[f64],
    rebalances: &[Vec<usize>],
    configs: &[RotationConfig],
) -> Result<Vec<RotationPath>, KernelError> {
    let cells = panel.bars * panel.series;
    if panel.returns.len() != cells {
        return Err(KernelError::invalid(
            "returns",
            format!("returns must hold bars x series = {cells} values"),
        ));
    }
    let rows = panel.score_bars.len();
    if panel.score_bars.windows(2).any(|w| w[0] >= w[1])
        || panel.score_bars.last().is_some_and(|&b| b >= panel.bars)
    {
        return Err(KernelError::invalid(
            "score_bars",
            "score_bars must be ascending bars of the returns",
        ));
    }
    let score_cells = rows * panel.series;
    if panel.tradable.len() != score_cells {
        return Err(KernelError::invalid(
            "tradable",
            format!("tradable must hold score rows x series = {score_cells} values"),
        ));
    }
    if score_cells == 0 || !scores.len().is_multiple_of(score_cells) {
        return Err(KernelError::invalid(
            "scores",
            format!("scores must hold whole panels of {score_cells} values"),
        ));
    }
    let panels = scores.len() / score_cells;
    if panel.lag == 0 {
        return Err(KernelError::invalid("lag", "lag must be >= 1"));
    }
    if !(panel.cost.is_finite() && panel.cost >= 0.0) {
        return Err(KernelError::invalid(
            "cost_bps",
            "cost must be finite and >= 0",
        ));
    }
    for c in configs {
        if c.score >= panels || c.rebalance >= rebalances.len() || c.top_n == 0 {
            return Err(KernelError::invalid(
                "configs",
                format!(
                    "configs: one refers to score panel {} of {panels}, rebalance list {} of {}, top_n {}",
                    c.score,
                    c.rebalance,
                    rebalances.len(),
                    c.top_n
                ),
            ));
        }
    }
    let rebalance_rows = rebalances
        .iter()
        .map(|bars| {
            bars.iter()
                .map(|d| {
                    panel.score_bars.binary_search(d).map_err(|_| {
                        KernelError::invalid(
                            "rebalance",
                            format!("rebalance bar {d} has no row of scores"),
                        )
                    })
                })
                .collect::<Result<Vec<usize>, KernelError>>()
        })
        .collect::<Result<Vec<_>, KernelError>>()?;
    install(|| {
        configs
            .par_iter()
            .map(|c| {
                let s = &scores[c.score * score_cells..(c.score + 1) * score_cells];
                rotate(panel, s, &rebalance_rows[c.rebalance], c.top_n)
            })
            .collect()
    })
}

/// One configuration, bar by bar: only the held series are touched between rebalances.
/// `rebalance`: the score rows of its rebalance bars.
fn rotate(
    panel: &RotationPanel<'_>,
    scores: &[f64],
    rebalance: &[usize],
    top_n: usize,
) -> RotationPath {
    let (t, n, rows) = (panel.bars, panel.series, panel.score_bars.len());
    let index = |bars: usize| {
        move |bar: usize, j: usize| {
            if panel.column_major {
                j * bars + bar
            } else {
                bar * n + j
            }
        }
    };
    let (at, at_row) = (index(t), index(rows));
    // Rebalance bars with a score on them and a bar to trade after them, as (bar, row).
    let plan: Vec<(usize, usize)> = rebalance
        .iter()
        .map(|&row| (panel.score_bars[row], row))
        .filter(|&(d, row)| d + panel.lag < t && (0..n).any(|j| scores[at_row(row, j)].is_finite()))
        .collect();
    let mut path = RotationPath {
        nav: vec![f64::NAN; t],
        ..RotationPath::default()
    };
    let Some(&(first, _)) = plan.first() else {
        return path;
    };
    path.first = first;
    path.nav[first] = 1.0;
    path.held_from.push(0);
    let mut values = vec![0.0; n];
    let mut cash = 1.0;
    let mut next = plan.iter().peekable();
    let mut order: Vec<usize> = Vec::with_capacity(n);
    let mut held: Vec<usize> = Vec::new();
    let mut weights = vec![0.0; n];
    let (mut row, mut tradable) = (vec![0.0; n], vec![false; n]);
    for bar in first + 1..t {
        if let Some(&&(d, score_row)) = next.peek()
            && d + panel.lag == bar
        {
            next.next();
            for j in 0..n {
                row[j] = scores[at_row(score_row, j)];
                tradable[j] = panel.tradable[at_row(score_row, j)];
            }
            pick(
                &row,
                &tradable,
                top_n,
                panel.score_weighted,
                &mut order,
                &mut weights,
            );
            let total = cash + held.iter().map(|&j| values[j]).sum::<f64>();
            let (mut traded, mut old_in, mut new_in) = (0.0, 0.0, 0.0);
            for &j in held
                .iter()
                .chain(order.iter().filter(|j| !held.contains(j)))
            {
                let old = values[j] / total;
                traded += (weights[j] - old).abs();
                old_in += old;
                new_in += weights[j];
            }
            path.starts.push(bar);
            path.turnover.push((traded + (new_in - old_in).abs()) / 2.0);
            path.costs.push(panel.cost * traded);
            path.held.extend_from_slice(&order);
            path.weights.extend(order.iter().map(|&j| weights[j]));
            path.held_from.push(path.held.len());
            let after = total * (1.0 - panel.cost * traded);
            for &j in &held {
                values[j] = 0.0;
            }
            for &j in &order {
                values[j] = weights[j] * after;
            }
            held.clone_from(&order);
            cash = after * (1.0 - new_in);
        }
        for &j in &held {
            let r = panel.returns[at(bar, j)];
            if !r.is_nan() {
                values[j] *= 1.0 + r;
            }
        }
        path.nav[bar] = cash + held.iter().map(|&j| values[j]).sum::<f64>();
    }
    path
}

/// The weights of the top `top_n` of `row` (finite score, tradable; score descending, then
/// column), equal or in proportion to the score; 0 elsewhere.
fn pick(
    row: &[f64],
    tradable: &[bool],
    top_n: usize,
    score_weighted: bool,
    order: &mut Vec<usize>,
    weights: &mut [f64],
) {
    order.clear();
    order.extend((0..row.len()).filter(|&j| row[j].is_finite() && tradable[j]));
    let best_first = |a: &usize, b: &usize| row[*b].total_cmp(&row[*a]).then(a.cmp(b));
    // The top `top_n` by selection (linear), then only those sorted: a stock universe holds
    // 50 of 5,000.
    if order.len() > top_n {
        order.select_nth_unstable_by(top_n, best_first);
        order.truncate(top_n);
    }
    order.sort_unstable_by(best_first);
    weights.fill(0.0);
    let total: f64 = order.iter().map(|&j| row[j]).sum();
    for &j in order.iter() {
        weights[j] = if score_weighted {
            row[j] / total
        } else {
            1.0 / order.len() as f64
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_series_one_held_earns_its_returns_and_pays_costs() {
        // Bars 0..4, series a, b. Score favours a on bar 0, b on bar 2.
        let returns = [f64::NAN, f64::NAN, 0.1, -0.1, 0.2, 0.0, 0.5, 0.5];
        let scores = [2.0, 1.0, 0.0, 0.0, 1.0, 3.0, 0.0, 0.0];
        let tradable = [true; 8];
        let panel = RotationPanel {
            returns: &returns,
            score_bars: &[0, 1, 2, 3],
            tradable: &tradable,
            bars: 4,
            series: 2,
            column_major: false,
            lag: 1,
            score_weighted: false,
            cost: 0.001,
        };
        let config = RotationConfig {
            score: 0,
            top_n: 1,
            rebalance: 0,
        };
        let paths = top_n_rotations(&panel, &scores, &[vec![0, 2]], &[config]).unwrap();
        let p = &paths[0];
        assert_eq!((p.first, p.nav[0]), (0, 1.0));
        let nav1 = 1.0 * (1.0 - 0.001) * 1.1; // buy a (traded 1), a +10%
        let nav2 = nav1 * 1.2; // a +20%
        let nav3 = nav2 * (1.0 - 0.002) * 1.5; // switch to b (traded 2), b +50%
        for (got, want) in p.nav[1..].iter().zip([nav1, nav2, nav3]) {
            assert!((got - want).abs() < 1e-15, "{got} {want}");
        }
        assert_eq!(p.starts, [1, 3]);
        assert_eq!(p.turnover, [1.0, 1.0]);
        assert_eq!(
            (p.held.as_slice(), p.held_from.as_slice()),
            ([0, 1].as_slice(), [0, 1, 2].as_slice())
        );
        assert_eq!(p.weights, [1.0, 1.0]);
    }

    #[test]
    fn series_by_series_panels_give_the_bar_by_bar_paths() {
        let (t, n) = (60, 7);
        let cell = |b: usize, j: usize| ((b * 31 + j * 17) % 23) as f64;
        let ret = |b: usize, j: usize| {
            if (b + j).is_multiple_of(11) {
                f64::NAN
            } else {
                (cell(b, j) - 11.0) / 200.0
            }
        };
        let score = |b: usize, j: usize| {
            if (b * j) % 5 == 1 {
                f64::NAN
            } else {
                cell(b, j)
            }
        };
        let rows = |f: &dyn Fn(usize, usize) -> f64| -> Vec<f64> {
            (0..t)
                .flat_map(|b| (0..n).map(move |j| (b, j)))
                .map(|(b, j)| f(b, j))
                .collect()
        };
        let cols = |f: &dyn Fn(usize, usize) -> f64| -> Vec<f64> {
            (0..n)
                .flat_map(|j| (0..t).map(move |b| (b, j)))
                .map(|(b, j)| f(b, j))
                .collect()
        };
        let trade = |b: usize, j: usize| {
            if (b + 2 * j).is_multiple_of(13) {
                0.0
            } else {
                1.0
            }
        };
        let (tr_r, tr_c): (Vec<bool>, Vec<bool>) = (
            rows(&trade).iter().map(|&v| v > 0.0).collect(),
            cols(&trade).iter().map(|&v| v > 0.0).collect(),
        );
        let (ret_r, ret_c) = (rows(&ret), cols(&ret));
        let every_bar: Vec<usize> = (0..t).collect();
        let bar_major = RotationPanel {
            returns: &ret_r,
            score_bars: &every_bar,
            tradable: &tr_r,
            bars: t,
            series: n,
            column_major: false,
            lag: 2,
            score_weighted: false,
            cost: 0.0005,
        };
        let series_major = RotationPanel {
            returns: &ret_c,
            tradable: &tr_c,
            column_major: true,
            ..bar_major
        };
        let rebalance = [vec![3, 10, 17, 30, 44, 58]];
        let configs = [1, 3, 7].map(|k| RotationConfig {
            score: 0,
            top_n: k,
            rebalance: 0,
        });
        let a = top_n_rotations(&bar_major, &rows(&score), &rebalance, &configs).unwrap();
        let b = top_n_rotations(&series_major, &cols(&score), &rebalance, &configs).unwrap();
        for (p, q) in a.iter().zip(&b) {
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&p.nav), bits(&q.nav));
            assert_eq!(
                (&p.starts, &p.turnover, &p.held),
                (&q.starts, &q.turnover, &q.held)
            );
        }
        assert!(
            a.iter()
                .all(|p| p.starts.len() == 5 && p.nav[t - 1].is_finite())
        );
        // Scores and tradability on the rebalance bars only give the same paths.
        let rebalance_rows = &rebalance[0];
        let keep = |v: &[f64]| -> Vec<f64> {
            (0..n)
                .flat_map(|j| rebalance_rows.iter().map(move |&b| v[j * t + b]))
                .collect()
        };
        let tr_rows: Vec<bool> = (0..n)
            .flat_map(|j| rebalance_rows.iter().map(move |&b| (j, b)))
            .map(|(j, b)| tr_c[j * t + b])
            .collect();
        let sparse = RotationPanel {
            score_bars: rebalance_rows,
            tradable: &tr_rows,
            ..series_major
        };
        let c = top_n_rotations(&sparse, &keep(&cols(&score)), &rebalance, &configs).unwrap();
        for (p, q) in b.iter().zip(&c) {
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&p.nav), bits(&q.nav));
            assert_eq!(
                (&p.starts, &p.held, &p.weights),
                (&q.starts, &q.held, &q.weights)
            );
        }
        let e = top_n_rotations(&sparse, &keep(&cols(&score)), &[vec![4]], &configs).unwrap_err();
        assert_eq!(e.argument(), "rebalance");
    }

    #[test]
    fn bad_shapes_and_lag_are_refused_by_name() {
        let tradable = [true; 4];
        let panel = RotationPanel {
            returns: &[0.0; 4],
            score_bars: &[0, 1],
            tradable: &tradable,
            bars: 2,
            series: 2,
            column_major: false,
            lag: 1,
            score_weighted: false,
            cost: 0.0,
        };
        let config = RotationConfig {
            score: 0,
            top_n: 1,
            rebalance: 0,
        };
        let e = top_n_rotations(&panel, &[0.0; 3], &[vec![0]], &[config]).unwrap_err();
        assert_eq!(e.argument(), "scores");
        let e = top_n_rotations(&panel, &[0.0; 4], &[vec![5]], &[config]).unwrap_err();
        assert_eq!(e.argument(), "rebalance");
        let lagless = RotationPanel { lag: 0, ..panel };
        assert_eq!(
            top_n_rotations(&lagless, &[0.0; 4], &[vec![0]], &[config])
                .unwrap_err()
                .argument(),
            "lag"
        );
    }
}
