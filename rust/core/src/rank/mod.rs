//! Ranks and order statistics: rolling rank and quantile of the latest value, expanding rank,
//! cross-sectional rank / z-score / demean. Results equal pandas' for the same options.

mod bitset;
mod buckets;
pub(crate) mod cross_section;
mod expanding;
mod fenwick;
mod order_window;
mod quantile;
mod rolling;
mod seen;
mod step;

use std::str::FromStr;

use crate::error::KernelError;

pub use cross_section::{CrossSection, CsStat, cs_demean, cs_rank, cs_zscore};
pub use expanding::{ExpandingRank, expanding_rank};
pub use quantile::Interpolation;
pub use rolling::{RollingQuantile, RollingRank, rolling_quantile, rolling_rank};

/// How tied values share ranks (pandas' names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankMethod {
    /// The mean of the tied ranks.
    Average,
    /// The lowest of the tied ranks.
    Min,
    /// The highest of the tied ranks.
    Max,
}

impl FromStr for RankMethod {
    type Err = KernelError;
    fn from_str(s: &str) -> Result<Self, KernelError> {
        match s {
            "average" => Ok(Self::Average),
            "min" => Ok(Self::Min),
            "max" => Ok(Self::Max),
            other => Err(KernelError::invalid(
                "method",
                format!("method must be one of 'average', 'min', 'max', got {other:?}"),
            )),
        }
    }
}

/// Options of a rank: tie method, percentile (divide by the count) and direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RankOptions {
    pub method: RankMethod,
    pub pct: bool,
    pub ascending: bool,
}

impl RankOptions {
    /// Options from pandas' names: `method` in {"average", "min", "max"}.
    pub fn parse(method: &str, pct: bool, ascending: bool) -> Result<Self, KernelError> {
        Ok(Self {
            method: method.parse()?,
            pct,
            ascending,
        })
    }

    /// The rank of a value with `less` smaller and `eq` equal values (itself included) among `n`.
    #[inline(always)]
    pub(crate) fn rank(&self, less: usize, eq: usize, n: usize) -> f64 {
        // Descending ranks count the greater values instead of the smaller ones.
        let below = if self.ascending { less } else { n - less - eq };
        let r = match self.method {
            RankMethod::Average => count(below) + (count(eq) + 1.0) / 2.0,
            RankMethod::Min => count(below + 1),
            RankMethod::Max => count(below + eq),
        };
        if self.pct { r / count(n) } else { r }
    }
}

/// A count as f64, through i64: one instruction, where usize -> f64 takes several on x86-64
/// (counts of values in memory are far below 2^63).
#[inline(always)]
pub(crate) fn count(n: usize) -> f64 {
    n as i64 as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_of_the_worked_example() {
        // window [3, 3, 1, 3], last value 3: less = 1, eq = 3, n = 4 (peers.md section 1.1)
        let opt = |method, pct, ascending| RankOptions {
            method,
            pct,
            ascending,
        };
        assert_eq!(opt(RankMethod::Average, true, true).rank(1, 3, 4), 0.75);
        assert_eq!(opt(RankMethod::Max, true, true).rank(1, 3, 4), 1.0);
        assert_eq!(opt(RankMethod::Min, true, true).rank(1, 3, 4), 0.5);
        assert_eq!(opt(RankMethod::Min, false, false).rank(1, 3, 4), 1.0);
        assert_eq!(opt(RankMethod::Max, false, false).rank(1, 3, 4), 3.0);
        assert_eq!(
            "dense".parse::<RankMethod>().unwrap_err().argument(),
            "method"
        );
    }
}
