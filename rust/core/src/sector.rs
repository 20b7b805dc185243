//! Stock bars to sector totals in one pass: returns weighted by the previous bar, amounts, caps,
//! members and breadth per (day, group).
//!
//! Rows may come in any order in which each symbol's days strictly increase (date-major or
//! symbol-major tables both qualify); the pass keeps each symbol's previous bar and reports the
//! first row that breaks the order. Each row adds to one cell, (its day, its sector); groups
//! (a sector, a composite of sectors, the market) are sums of sector cells, taken at the end:
//! every total, including the numerator and denominator of the weighted return, is a sum.

use crate::error::KernelError;

/// Long-format stock bars; every slice has one value per row. Missing values are NaN.
#[derive(Clone, Copy, Debug)]
pub struct StockBars<'a> {
    /// Days since 1970-01-01.
    pub day: &'a [i32],
    /// Symbol codes, dense in first-seen order (see [`crate::Codes`]): a new code is at most
    /// one more than the largest seen so far.
    pub symbol: &'a [u32],
    /// Sector codes, dense in first-seen order like `symbol`.
    pub sector: &'a [u32],
    pub close: &'a [f64],
    pub volume: &'a [f64],
    pub amount: &'a [f64],
    pub float_mcap: &'a [f64],
    /// Return weights (taken from each symbol's previous bar); `None` weighs members equally.
    pub weight: Option<&'a [f64]>,
}

/// Why the accumulator refused the bars.
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

/// Totals per cell `day_index * groups + group`, `day_index = day - first_day`; the market is
/// the last group.
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

/// The raw sums of every (sector code, day) cell of an accumulator, for adding into another
/// that was fed other symbols (the parts of a table split by symbol, summed on other
/// machines). Sector-major: cell `sector * days + d`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SectorCells {
    pub first_day: i32,
    pub days: usize,
    /// Per cell, [`SECTOR_CELL_SUMS`] in order.
    pub sums: Vec<f64>,
    /// Per cell, [`SECTOR_CELL_COUNTS`] in order.
    pub counts: Vec<u32>,
}

/// What [`SectorCells::sums`] holds per cell: `Σ w·r`, `Σ w`, and the summed values.
pub const SECTOR_CELL_SUMS: [&str; 5] = ["weighted", "weight", "amount", "volume", "float_mcap"];
/// What [`SectorCells::counts`] holds per cell.
pub const SECTOR_CELL_COUNTS: [&str; 3] = ["members", "with_return", "risers"];

/// The sums of one (day, sector): one cache line per row touched.
#[derive(Clone, Copy, Debug, Default)]
struct Cell {
    weighted: f64,
    weight: f64,
    amount: f64,
    volume: f64,
    float_mcap: f64,
    members: u32,
    with_return: u32,
    risers: u32,
}

impl Cell {
    fn add(&mut self, other: &Self) {
        self.weighted += other.weighted;
        self.weight += other.weight;
        self.amount += other.amount;
        self.volume += other.volume;
        self.float_mcap += other.float_mcap;
        self.members += other.members;
        self.with_return += other.with_return;
        self.risers += other.risers;
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
    first_day: i32,
    days: usize,
    /// Per sector code, its cells by day index.
    sectors: Vec<Vec<Cell>>,
    /// Per symbol code, its previous bar.
    previous: Vec<Option<Previous>>,
    rows: usize,
}

/// Checks that `code` is known or the next new one; returns it as an index.
fn dense(code: u32, seen: usize, name: &'static str, row: usize) -> Result<usize, KernelError> {
    let c = code as usize;
    if c > seen {
        return Err(KernelError::invalid(
            name,
            format!("row {row}: {name} code {code} skips codes (codes must be dense, first-seen)"),
        ));
    }
    Ok(c)
}

impl SectorAccumulator {
    /// Every bar's day must lie in `first_day..=last_day`.
    pub fn new(first_day: i32, last_day: i32) -> Result<Self, KernelError> {
        let days = usize::try_from(i64::from(last_day) - i64::from(first_day) + 1)
            .map_err(|_| KernelError::invalid("date", "the last date precedes the first"))?;
        Ok(Self {
            first_day,
            days,
            sectors: Vec::new(),
            previous: Vec::new(),
            rows: 0,
        })
    }

    /// The number of sector codes seen so far.
    pub fn sectors(&self) -> usize {
        self.sectors.len()
    }

    /// Adds `bars`; its rows are numbered after those of the earlier parts.
    pub fn feed(&mut self, bars: &StockBars<'_>) -> Result<(), BarsError> {
        let n = bars.day.len();
        KernelError::same_lengths(
            n,
            &[
                ("symbol", bars.symbol.len()),
                ("sector", bars.sector.len()),
                ("close", bars.close.len()),
                ("volume", bars.volume.len()),
                ("amount", bars.amount.len()),
                ("float_mcap", bars.float_mcap.len()),
                ("weight", bars.weight.map_or(n, <[f64]>::len)),
            ],
        )?;
        for i in 0..n {
            let close = bars.close[i];
            if !(close.is_finite() && close > 0.0) {
                continue;
            }
            let row = self.rows + i;
            let sym = dense(bars.symbol[i], self.previous.len(), "symbol", row)?;
            let sector = dense(bars.sector[i], self.sectors.len(), "sector", row)?;
            let day = bars.day[i];
            let d = usize::try_from(i64::from(day) - i64::from(self.first_day))
                .ok()
                .filter(|&d| d < self.days)
                .ok_or_else(|| {
                    KernelError::invalid("date", format!("row {row}: date outside the range given"))
                })?;
            if sym == self.previous.len() {
                self.previous.push(None);
            }
            if sector == self.sectors.len() {
                self.sectors.push(vec![Cell::default(); self.days]);
            }
            let weight = bars.weight.map_or(1.0, |w| w[i]);
            let prior = self.previous[sym].replace(Previous {
                row,
                day,
                close,
                weight,
            });
            let cell = &mut self.sectors[sector][d];
            if let Some(p) = prior {
                if day <= p.day {
                    return Err(BarsError::OutOfOrder {
                        row,
                        previous: p.row,
                        duplicate: day == p.day,
                    });
                }
                let r = close / p.close - 1.0;
                cell.with_return += 1;
                cell.risers += u32::from(r > 0.0);
                if p.weight.is_finite() && p.weight > 0.0 {
                    cell.weighted += p.weight * r;
                    cell.weight += p.weight;
                }
            }
            cell.members += 1;
            cell.amount += finite_or_zero(bars.amount[i]);
            cell.volume += finite_or_zero(bars.volume[i]);
            cell.float_mcap += finite_or_zero(bars.float_mcap[i]);
        }
        self.rows += n;
        Ok(())
    }

    /// The raw sums of every cell (see [`SectorCells`]).
    pub fn cells(&self) -> SectorCells {
        let n = self.sectors.len() * self.days;
        let mut sums = Vec::with_capacity(n * SECTOR_CELL_SUMS.len());
        let mut counts = Vec::with_capacity(n * SECTOR_CELL_COUNTS.len());
        for c in self.sectors.iter().flatten() {
            sums.extend([c.weighted, c.weight, c.amount, c.volume, c.float_mcap]);
            counts.extend([c.members, c.with_return, c.risers]);
        }
        SectorCells {
            first_day: self.first_day,
            days: self.days,
            sums,
            counts,
        }
    }

    /// Adds the cells of an accumulator fed other symbols over the same dates: its sector `i`
    /// into this one's sector `code_of[i]` (a code seen here, or the next new one).
    pub fn add_cells(&mut self, cells: &SectorCells, code_of: &[u32]) -> Result<(), KernelError> {
        if cells.first_day != self.first_day || cells.days != self.days {
            return Err(KernelError::invalid(
                "cells",
                "the cells cover other dates than this accumulator",
            ));
        }
        if !cells.sums.len().is_multiple_of(SECTOR_CELL_SUMS.len())
            || !cells.counts.len().is_multiple_of(SECTOR_CELL_COUNTS.len())
        {
            return Err(KernelError::invalid(
                "cells",
                "sums or counts of a partial cell",
            ));
        }
        let n = code_of.len() * self.days;
        KernelError::same_lengths(
            n,
            &[
                ("sums", cells.sums.len() / SECTOR_CELL_SUMS.len()),
                ("counts", cells.counts.len() / SECTOR_CELL_COUNTS.len()),
            ],
        )?;
        for (i, &code) in code_of.iter().enumerate() {
            let sector = dense(code, self.sectors.len(), "sector", i)?;
            if sector == self.sectors.len() {
                self.sectors.push(vec![Cell::default(); self.days]);
            }
            for (d, cell) in self.sectors[sector].iter_mut().enumerate() {
                let at = i * self.days + d;
                let s = &cells.sums[at * 5..at * 5 + 5];
                let c = &cells.counts[at * 3..at * 3 + 3];
                cell.add(&Cell {
                    weighted: s[0],
                    weight: s[1],
                    amount: s[2],
                    volume: s[3],
                    float_mcap: s[4],
                    members: c[0],
                    with_return: c[1],
                    risers: c[2],
                });
            }
        }
        Ok(())
    }

    /// Totals of each group in `groups` (a list of sector codes: one sector, or the members of
    /// a composite) and, last, of the market (every sector); index levels start at `base`.
    pub fn finish(self, groups: &[Vec<u32>], base: f64) -> Result<SectorTotals, KernelError> {
        if let Some(&c) = groups
            .iter()
            .flatten()
            .find(|&&c| c as usize >= self.sectors.len())
        {
            return Err(KernelError::invalid(
                "sectors",
                format!("sector code {c} was never fed"),
            ));
        }
        let days = self.days;
        let total = groups.len() + 1;
        let cells = days
            .checked_mul(total)
            .ok_or_else(|| KernelError::invalid("date", "too many dates x sectors"))?;
        let mut t = SectorTotals {
            first_day: self.first_day,
            days,
            groups: total,
            ret: vec![f64::NAN; cells],
            level: vec![f64::NAN; cells],
            amount: vec![0.0; cells],
            volume: vec![0.0; cells],
            float_mcap: vec![0.0; cells],
            members: vec![0; cells],
            with_return: vec![0; cells],
            risers: vec![0; cells],
        };
        let market: Vec<u32> = (0..self.sectors.len() as u32).collect();
        for (g, members) in groups.iter().chain(std::iter::once(&market)).enumerate() {
            let mut level = f64::NAN;
            for d in 0..days {
                let mut sum = Cell::default();
                for &s in members {
                    sum.add(&self.sectors[s as usize][d]);
                }
                let c = d * total + g;
                t.amount[c] = sum.amount;
                t.volume[c] = sum.volume;
                t.float_mcap[c] = sum.float_mcap;
                t.members[c] = sum.members;
                t.with_return[c] = sum.with_return;
                t.risers[c] = sum.risers;
                if sum.weight > 0.0 {
                    t.ret[c] = sum.weighted / sum.weight;
                }
                if sum.members == 0 {
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
        Ok(t)
    }
}

/// Sector totals of `bars` in one part; see [`SectorAccumulator`]. Index levels start at `base`.
pub fn sector_totals(
    bars: &StockBars<'_>,
    groups: &[Vec<u32>],
    base: f64,
) -> Result<SectorTotals, BarsError> {
    let (Some(&lo), Some(&hi)) = (bars.day.iter().min(), bars.day.iter().max()) else {
        return Ok(SectorTotals {
            groups: groups.len() + 1,
            ..SectorTotals::default()
        });
    };
    let mut acc = SectorAccumulator::new(lo, hi)?;
    acc.feed(bars)?;
    Ok(acc.finish(groups, base)?)
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
        let out = sector_totals(&t.bars(), &[vec![0], vec![1], vec![0, 1]], 1000.0).unwrap();
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
        let err = sector_totals(&t.bars(), &[vec![0], vec![1]], 1.0).unwrap_err();
        assert_eq!(
            err,
            BarsError::OutOfOrder {
                row: 6,
                previous: 3,
                duplicate: true
            }
        );
        t.day[6] = 9;
        let err = sector_totals(&t.bars(), &[vec![0], vec![1]], 1.0).unwrap_err();
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
        let out = sector_totals(&t.bars(), &[vec![0], vec![1]], 1.0).unwrap();
        // Day 11 (cells 3..6): sector 0 is symbol 1 alone.
        assert_eq!(out.members[3], 1);
        assert_eq!(out.ret[3], 19.0 / 20.0 - 1.0);
        // Day 13 (cells 9..12): symbol 0's return spans from day 10.
        assert_eq!(out.ret[9], 12.1 / 10.0 - 1.0);
    }

    #[test]
    fn parts_fed_in_turn_equal_one_part() {
        let t = table();
        let groups = [vec![0], vec![1], vec![0, 1]];
        let whole = sector_totals(&t.bars(), &groups, 1000.0).unwrap();
        let mut acc = SectorAccumulator::new(10, 13).unwrap();
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
        let parts = acc.finish(&groups, 1000.0).unwrap();
        assert_eq!(format!("{parts:?}"), format!("{whole:?}"));
    }

    #[test]
    fn bad_codes_are_refused() {
        let mut t = table();
        t.sector[0] = 7;
        assert!(sector_totals(&t.bars(), &[vec![0], vec![1]], 1.0).is_err());
        let t = table();
        assert!(sector_totals(&t.bars(), &[vec![5]], 1.0).is_err());
        let mut t = table();
        t.symbol[1] = 9;
        assert!(sector_totals(&t.bars(), &[vec![0]], 1.0).is_err());
    }

    #[test]
    fn accumulators_of_other_symbols_add_up_to_the_whole() {
        let t = Table {
            day: vec![0, 0, 0, 1, 1, 1, 2, 2],
            symbol: vec![0, 1, 2, 0, 1, 2, 0, 2],
            sector: vec![0, 1, 0, 0, 1, 0, 0, 0],
            close: vec![10.0, 20.0, 5.0, 11.0, 19.0, 5.5, 12.0, 6.0],
            cap: vec![100.0, 50.0, 30.0, 110.0, 45.0, 33.0, 120.0, 36.0],
        };
        let mut whole = SectorAccumulator::new(0, 2).unwrap();
        whole.feed(&t.bars()).unwrap();
        // Symbols 0 and 2 (sector 0) in one part; symbol 1 (sector 1) in another.
        let pick = |keep: &dyn Fn(u32) -> bool| {
            let rows: Vec<usize> = (0..t.day.len()).filter(|&i| keep(t.symbol[i])).collect();
            let first_seen = |v: &[u32]| {
                let mut seen: Vec<u32> = Vec::new();
                v.iter()
                    .map(|x| match seen.iter().position(|s| s == x) {
                        Some(p) => p as u32,
                        None => {
                            seen.push(*x);
                            (seen.len() - 1) as u32
                        }
                    })
                    .collect::<Vec<u32>>()
            };
            Table {
                day: rows.iter().map(|&i| t.day[i]).collect(),
                symbol: first_seen(&rows.iter().map(|&i| t.symbol[i]).collect::<Vec<_>>()),
                sector: first_seen(&rows.iter().map(|&i| t.sector[i]).collect::<Vec<_>>()),
                close: rows.iter().map(|&i| t.close[i]).collect(),
                cap: rows.iter().map(|&i| t.cap[i]).collect(),
            }
        };
        let (a, b) = (pick(&|s| s != 1), pick(&|s| s == 1));
        let mut merged = SectorAccumulator::new(0, 2).unwrap();
        for (part, code_of) in [(&a, vec![0u32]), (&b, vec![1u32])] {
            let mut acc = SectorAccumulator::new(0, 2).unwrap();
            acc.feed(&part.bars()).unwrap();
            merged.add_cells(&acc.cells(), &code_of).unwrap();
        }
        assert_eq!(merged.cells(), whole.cells());
        let groups = vec![vec![0], vec![1]];
        let (x, y) = (
            merged.finish(&groups, 1000.0).unwrap(),
            whole.finish(&groups, 1000.0).unwrap(),
        );
        assert_eq!(x.level.len(), y.level.len());
        for (p, q) in x.level.iter().zip(&y.level) {
            assert!(p == q || (p.is_nan() && q.is_nan()));
        }
        let mut other = SectorAccumulator::new(1, 2).unwrap();
        assert!(
            other
                .add_cells(&SectorAccumulator::new(0, 2).unwrap().cells(), &[])
                .is_err()
        );
    }
}
