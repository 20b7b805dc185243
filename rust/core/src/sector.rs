//! Stock bars to sector totals in one pass: returns weighted by the previous bar, amounts, caps,
//! members and breadth per (day, group).
//!
//! Rows may come in any order in which each symbol's days strictly increase (date-major or
//! symbol-major tables both qualify); the pass keeps each symbol's previous bar and reports the
//! first row that breaks the order. A row counts in its sector's groups (the sector itself and any
//! composite holding it) and in the market group, which is the last one.

use crate::error::KernelError;

/// Long-format stock bars; every slice has one value per row. Missing values are NaN.
#[derive(Clone, Copy, Debug)]
pub struct StockBars<'a> {
    /// Days since 1970-01-01.
    pub day: &'a [i32],
    /// Symbol codes (small integers: state is kept per code).
    pub symbol: &'a [u32],
    /// Sector codes, each below the number of sectors given to [`sector_totals`].
    pub sector: &'a [u32],
    pub close: &'a [f64],
    pub volume: &'a [f64],
    pub amount: &'a [f64],
    pub float_mcap: &'a [f64],
    /// Return weights (taken from each symbol's previous bar); `None` weighs members equally.
    pub weight: Option<&'a [f64]>,
}

/// Why [`sector_totals`] refused the bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BarsError {
    /// Row `row` has the same symbol as row `previous` and a day that is not later
    /// (`duplicate` when the day is the same).
    OutOfOrder {
        row: usize,
        previous: usize,
        duplicate: bool,
    },
    Invalid(KernelError),
}

impl From<KernelError> for BarsError {
    fn from(e: KernelError) -> Self {
        Self::Invalid(e)
    }
}

/// Totals per cell `day_index * groups + group`, `day_index = day - first_day`.
#[derive(Debug, Clone, Default)]
pub struct SectorTotals {
    pub first_day: i32,
    pub days: usize,
    pub groups: usize,
    /// Σ w·r / Σ w over members with a previous bar; NaN when none.
    pub ret: Vec<f64>,
    /// The group's index level: `base` on its first day with members, then `level·(1 + ret)`;
    /// NaN on days without members.
    pub level: Vec<f64>,
    pub amount: Vec<f64>,
    pub volume: Vec<f64>,
    pub float_mcap: Vec<f64>,
    /// Members with a bar that day.
    pub members: Vec<u32>,
    /// Members with a return that day (a previous bar) and, of those, how many rose.
    pub with_return: Vec<u32>,
    pub risers: Vec<u32>,
}

impl SectorTotals {
    fn new(first_day: i32, days: usize, groups: usize) -> Self {
        let cells = days * groups;
        Self {
            first_day,
            days,
            groups,
            ret: vec![0.0; cells],
            level: vec![f64::NAN; cells],
            amount: vec![0.0; cells],
            volume: vec![0.0; cells],
            float_mcap: vec![0.0; cells],
            members: vec![0; cells],
            with_return: vec![0; cells],
            risers: vec![0; cells],
        }
    }
}

/// A symbol's previous bar.
#[derive(Clone, Copy, Debug)]
struct Previous {
    row: usize,
    day: i32,
    close: f64,
    weight: f64,
}

/// Sector totals built from bars fed in parts (e.g. the chunks of a column or the partitions of
/// a file), in order: each symbol's rows must come in increasing days across all parts.
#[derive(Debug, Clone)]
pub struct SectorAccumulator {
    groups_of: Vec<Vec<usize>>,
    /// The market's group (one past the sectors and composites).
    market: usize,
    totals: SectorTotals,
    weights: Vec<f64>,
    previous: Vec<Option<Previous>>,
    rows: usize,
}

impl SectorAccumulator {
    /// `groups_of[s]` lists the groups sector code `s` counts in (its own, then composites);
    /// `groups` is one more than the largest of them, and group `groups` is the market. Every
    /// bar's day must lie in `first_day..=last_day`.
    pub fn new(
        groups_of: Vec<Vec<usize>>,
        groups: usize,
        first_day: i32,
        last_day: i32,
    ) -> Result<Self, KernelError> {
        if let Some(g) = groups_of.iter().flatten().find(|&&g| g >= groups) {
            return Err(KernelError::invalid(
                "sectors",
                format!("group {g} is not below the number of groups {groups}"),
            ));
        }
        let days = usize::try_from(i64::from(last_day) - i64::from(first_day) + 1)
            .map_err(|_| KernelError::invalid("date", "the last date precedes the first"))?;
        let total = groups + 1;
        let cells = days
            .checked_mul(total)
            .ok_or_else(|| KernelError::invalid("date", "too many dates x sectors"))?;
        Ok(Self {
            groups_of,
            market: groups,
            totals: SectorTotals::new(first_day, days, total),
            weights: vec![0.0; cells],
            previous: Vec::new(),
            rows: 0,
        })
    }

    /// Adds `bars`; its rows are numbered after those of the earlier parts.
    pub fn feed(&mut self, bars: &StockBars<'_>) -> Result<(), BarsError> {
        let n = bars.day.len();
        for (name, len) in [
            ("symbol", bars.symbol.len()),
            ("sector", bars.sector.len()),
            ("close", bars.close.len()),
            ("volume", bars.volume.len()),
            ("amount", bars.amount.len()),
            ("float_mcap", bars.float_mcap.len()),
            ("weight", bars.weight.map_or(n, <[f64]>::len)),
        ] {
            if len != n {
                return Err(KernelError::LengthMismatch {
                    name,
                    expected: n,
                    got: len,
                }
                .into());
            }
        }
        let t = &mut self.totals;
        let total = t.groups;
        for i in 0..n {
            let close = bars.close[i];
            if !(close.is_finite() && close > 0.0) {
                continue;
            }
            let row = self.rows + i;
            let sym = bars.symbol[i] as usize;
            let Some(own) = self.groups_of.get(bars.sector[i] as usize) else {
                return Err(KernelError::invalid(
                    "sector",
                    format!("sector code {} out of range", bars.sector[i]),
                )
                .into());
            };
            let day = bars.day[i];
            let d = usize::try_from(i64::from(day) - i64::from(t.first_day))
                .ok()
                .filter(|&d| d < t.days)
                .ok_or_else(|| {
                    KernelError::invalid("date", format!("row {row}: date outside the range given"))
                })?;
            if sym >= self.previous.len() {
                self.previous.resize(sym + 1, None);
            }
            let weight = bars.weight.map_or(1.0, |w| w[i]);
            let prior = self.previous[sym].replace(Previous {
                row,
                day,
                close,
                weight,
            });
            let mut rose = None;
            let mut weighted = None;
            if let Some(p) = prior {
                if day <= p.day {
                    return Err(BarsError::OutOfOrder {
                        row,
                        previous: p.row,
                        duplicate: day == p.day,
                    });
                }
                let r = close / p.close - 1.0;
                rose = Some(r > 0.0);
                if p.weight.is_finite() && p.weight > 0.0 {
                    weighted = Some((p.weight * r, p.weight));
                }
            }
            let (amount, volume, cap) = (
                finite_or_zero(bars.amount[i]),
                finite_or_zero(bars.volume[i]),
                finite_or_zero(bars.float_mcap[i]),
            );
            for &g in own.iter().chain(std::iter::once(&self.market)) {
                let c = d * total + g;
                t.members[c] += 1;
                t.amount[c] += amount;
                t.volume[c] += volume;
                t.float_mcap[c] += cap;
                if let Some(up) = rose {
                    t.with_return[c] += 1;
                    t.risers[c] += u32::from(up);
                }
                if let Some((wr, w)) = weighted {
                    t.ret[c] += wr;
                    self.weights[c] += w;
                }
            }
        }
        self.rows += n;
        Ok(())
    }

    /// Returns and index levels (starting at `base`) from the sums fed.
    pub fn finish(self, base: f64) -> SectorTotals {
        let mut t = self.totals;
        let total = t.groups;
        for g in 0..total {
            let mut level = f64::NAN;
            for d in 0..t.days {
                let c = d * total + g;
                t.ret[c] = if self.weights[c] > 0.0 {
                    t.ret[c] / self.weights[c]
                } else {
                    f64::NAN
                };
                if t.members[c] == 0 {
                    continue;
                }
                if level.is_nan() {
                    level = base;
                } else if t.ret[c].is_finite() {
                    level *= 1.0 + t.ret[c];
                }
                t.level[c] = level;
            }
        }
        t
    }
}

/// Sector totals of `bars` in one part; see [`SectorAccumulator`]. Index levels start at `base`.
pub fn sector_totals(
    bars: &StockBars<'_>,
    groups_of: &[Vec<usize>],
    groups: usize,
    base: f64,
) -> Result<SectorTotals, BarsError> {
    let (Some(&lo), Some(&hi)) = (bars.day.iter().min(), bars.day.iter().max()) else {
        return Ok(SectorTotals::new(0, 0, groups + 1));
    };
    let mut acc = SectorAccumulator::new(groups_of.to_vec(), groups, lo, hi)?;
    acc.feed(bars)?;
    Ok(acc.finish(base))
}

#[inline]
fn finite_or_zero(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Table {
        day: Vec<i32>,
        symbol: Vec<u32>,
        sector: Vec<u32>,
        close: Vec<f64>,
        cap: Vec<f64>,
    }

    impl Table {
        fn bars(&self) -> StockBars<'_> {
            StockBars {
                day: &self.day,
                symbol: &self.symbol,
                sector: &self.sector,
                close: &self.close,
                volume: &self.cap,
                amount: &self.cap,
                float_mcap: &self.cap,
                weight: Some(&self.cap),
            }
        }
    }

    /// Two symbols in sector 0, one in sector 1; composite group 2 holds both sectors.
    fn table() -> Table {
        Table {
            day: vec![10, 10, 10, 11, 11, 11, 13, 13],
            symbol: vec![0, 1, 2, 0, 1, 2, 0, 2],
            sector: vec![0, 0, 1, 0, 0, 1, 0, 1],
            close: vec![10.0, 20.0, 5.0, 11.0, 19.0, 5.0, 12.1, 5.5],
            cap: vec![100.0, 300.0, 50.0, 110.0, 285.0, 50.0, 121.0, 55.0],
        }
    }

    #[test]
    fn weights_come_from_the_previous_bar() {
        let t = table();
        let out = sector_totals(&t.bars(), &[vec![0, 2], vec![1, 2]], 3, 1000.0).unwrap();
        assert_eq!((out.first_day, out.days, out.groups), (10, 4, 4));
        // Day 11, sector 0: (100·0.1 + 300·(-0.05)) / 400.
        assert_eq!(
            out.ret[4],
            (100.0 * (11.0 / 10.0 - 1.0) + 300.0 * (19.0 / 20.0 - 1.0)) / 400.0
        );
        assert_eq!(out.level[4], 1000.0 * (1.0 + out.ret[4]));
        assert!(out.ret[0].is_nan() && out.level[0] == 1000.0);
        // Day 12 has no bars; day 13: symbol 1 is missing, sector 0 is symbol 0 alone.
        assert_eq!(out.members[8..12], [0, 0, 0, 0]);
        assert!(out.level[8].is_nan());
        assert_eq!(out.ret[12], 12.1 / 11.0 - 1.0);
        assert_eq!(out.level[12], out.level[4] * (12.1 / 11.0));
        assert_eq!(
            (out.members[12], out.with_return[12], out.risers[12]),
            (1, 1, 1)
        );
        // The composite and the market hold all three symbols.
        for g in [2, 3] {
            assert_eq!(out.members[4 + g], 3);
            assert_eq!(out.risers[4 + g], 1);
            assert_eq!(out.amount[4 + g], 445.0);
        }
    }

    #[test]
    fn a_repeated_or_earlier_day_is_reported_with_its_rows() {
        let mut t = table();
        t.day[6] = 11;
        let err = sector_totals(&t.bars(), &[vec![0], vec![1]], 2, 1.0).unwrap_err();
        assert_eq!(
            err,
            BarsError::OutOfOrder {
                row: 6,
                previous: 3,
                duplicate: true
            }
        );
        t.day[6] = 9;
        let err = sector_totals(&t.bars(), &[vec![0], vec![1]], 2, 1.0).unwrap_err();
        assert!(matches!(
            err,
            BarsError::OutOfOrder {
                duplicate: false,
                ..
            }
        ));
    }

    #[test]
    fn missing_closes_are_absent_bars() {
        let mut t = table();
        t.close[3] = f64::NAN;
        let out = sector_totals(&t.bars(), &[vec![0], vec![1]], 2, 1.0).unwrap();
        // Day 11 (cells 3..6): sector 0 is symbol 1 alone.
        assert_eq!(out.members[3], 1);
        assert_eq!(out.ret[3], 19.0 / 20.0 - 1.0);
        // Day 13 (cells 9..12): symbol 0's return spans from day 10.
        assert_eq!(out.ret[9], 12.1 / 10.0 - 1.0);
    }

    #[test]
    fn parts_fed_in_turn_equal_one_part() {
        let t = table();
        let groups = [vec![0, 2], vec![1, 2]];
        let whole = sector_totals(&t.bars(), &groups, 3, 1000.0).unwrap();
        let mut acc = SectorAccumulator::new(groups.to_vec(), 3, 10, 13).unwrap();
        let b = t.bars();
        for (lo, hi) in [(0, 2), (2, 5), (5, 8)] {
            let part = StockBars {
                day: &b.day[lo..hi],
                symbol: &b.symbol[lo..hi],
                sector: &b.sector[lo..hi],
                close: &b.close[lo..hi],
                volume: &b.volume[lo..hi],
                amount: &b.amount[lo..hi],
                float_mcap: &b.float_mcap[lo..hi],
                weight: b.weight.map(|w| &w[lo..hi]),
            };
            acc.feed(&part).unwrap();
        }
        let parts = acc.finish(1000.0);
        assert_eq!(format!("{parts:?}"), format!("{whole:?}"));
    }

    #[test]
    fn bad_codes_are_refused() {
        let mut t = table();
        t.sector[0] = 7;
        assert!(sector_totals(&t.bars(), &[vec![0], vec![1]], 2, 1.0).is_err());
        assert!(sector_totals(&t.bars(), &[vec![5]], 2, 1.0).is_err());
    }
}
