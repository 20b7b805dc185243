//! `by=` keys: the rows of each key (in time order), the kernel run on every key's rows on the
//! pool, and every result written back at its row.

use rayon::prelude::*;

use crate::error::{KernelError, same_length};
use std::mem::MaybeUninit;

use crate::grouped::run_series;
use crate::kernel::Kernel;
use crate::pages;
use crate::scattered::ScatteredOut;
use crate::threads::{current_num_threads, install};
use crate::view::Column;

/// Rows grouped by key: group `g` holds rows `order[offsets[g]..offsets[g + 1]]` in that order,
/// or, for a table already sorted by key, rows `offsets[g]..offsets[g + 1]` in place. Each row is
/// in one group at most (what [`run_groups`] relies on to write in parallel).
#[derive(Clone, Debug)]
pub struct Groups {
    /// `None`: every row in place, the groups consecutive runs.
    order: Option<Vec<usize>>,
    offsets: Vec<usize>,
}

impl Groups {
    /// From dense key codes `0..k`; `-1` marks a missing key, whose rows get NaN.
    pub fn from_codes(codes: &[i64]) -> Result<Self, KernelError> {
        let n = codes.len();
        let mut k = 0usize;
        for &c in codes {
            if c < -1 {
                return Err(KernelError::invalid(
                    "by",
                    format!("key codes must be >= -1, got {c}"),
                ));
            }
            if let Ok(g) = usize::try_from(c) {
                if g >= n {
                    return Err(KernelError::invalid(
                        "by",
                        format!("key codes must be < the number of rows ({n}), got {c}"),
                    ));
                }
                k = k.max(g + 1);
            }
        }
        Self::from_dense(codes, k, |c| usize::try_from(c).ok())
    }

    /// From one key per row and `code(key)`, its group in `0..groups` (`None`: the row is in no
    /// group and gets NaN). Each group keeps its rows in row order.
    pub fn from_dense<T: Copy + Sync>(
        keys: &[T],
        groups: usize,
        code: impl Fn(T) -> Option<usize> + Sync,
    ) -> Result<Self, KernelError> {
        let places = Places::count(keys, groups, &code)?;
        let mut order = pages::uninit(places.total());
        let rows = ScatteredOut::new(&mut order);
        // SAFETY: `place` hands out every position of `order` once.
        let offsets = places.place(keys, &code, |at, i| unsafe {
            rows.write(at, MaybeUninit::new(i))
        })?;
        // SAFETY: `place` succeeded, so it wrote every position.
        let order = unsafe { pages::assume_init(order) };
        let in_place = order.len() == keys.len() && order.iter().enumerate().all(|(k, &i)| k == i);
        Ok(Self {
            order: (!in_place).then_some(order),
            offsets,
        })
    }

    /// The rows of a table sorted by key: group `g` is rows `offsets[g]..offsets[g + 1]`, in
    /// place. `offsets` runs from 0 to the number of rows and does not decrease.
    pub fn runs(offsets: Vec<usize>) -> Result<Self, KernelError> {
        if offsets.first() != Some(&0) || offsets.windows(2).any(|w| w[0] > w[1]) {
            return Err(KernelError::invalid(
                "by",
                "group runs must start at row 0 and not decrease",
            ));
        }
        Ok(Self {
            order: None,
            offsets,
        })
    }

    /// From explicit parts: group `g` holds rows `order[offsets[g]..offsets[g + 1]]`, in that
    /// order (a key's rows sorted by time, say). Every row `< rows` appears at most once.
    pub fn from_parts(
        order: Vec<usize>,
        offsets: Vec<usize>,
        rows: usize,
    ) -> Result<Self, KernelError> {
        let bad = |msg: &str| KernelError::invalid("by", msg.to_string());
        if offsets.first() != Some(&0) || offsets.last() != Some(&order.len()) {
            return Err(bad(
                "group offsets must run from 0 to the number of grouped rows",
            ));
        }
        if offsets.windows(2).any(|w| w[0] > w[1]) {
            return Err(bad("group offsets must not decrease"));
        }
        let mut seen = vec![false; rows];
        for &i in &order {
            match seen.get_mut(i) {
                Some(s) if !*s => *s = true,
                _ => return Err(bad("each row must be in one group at most, and exist")),
            }
        }
        Ok(Self {
            order: Some(order),
            offsets,
        })
    }

    /// The number of rows the groups cover (the last row they refer to, plus one).
    fn rows_needed(&self) -> usize {
        match &self.order {
            None => self.offsets.last().copied().unwrap_or(0),
            Some(order) => order.iter().max().map_or(0, |m| m + 1),
        }
    }

    /// Each group's rows put in the order of `key` (indexed by row), ties in their current
    /// order. Groups already in order are left as they are (checked side by side on the pool,
    /// in place for runs); the others are sorted on the pool. A `key` shorter than a row refers
    /// to is refused.
    pub fn order_by<K: OrderKey>(&mut self, key: &[K]) -> Result<(), KernelError> {
        let needed = self.rows_needed();
        if needed > key.len() {
            return Err(KernelError::LengthMismatch {
                name: "order_by",
                expected: needed,
                got: key.len(),
            });
        }
        let offsets = &self.offsets;
        let in_order = match &self.order {
            None => install(|| {
                offsets
                    .par_windows(2)
                    .all(|w| ascending(key[w[0]..w[1]].iter().copied()))
            })?,
            Some(_) => false,
        };
        if in_order {
            return Ok(());
        }
        let order = self
            .order
            .get_or_insert_with(|| (0..offsets.last().copied().unwrap_or(0)).collect());
        let mut pieces = Vec::with_capacity(offsets.len().saturating_sub(1));
        let mut rest = order.as_mut_slice();
        for w in offsets.windows(2) {
            let (head, tail) = rest.split_at_mut(w[1] - w[0]);
            pieces.push(head);
            rest = tail;
        }
        install(|| {
            pieces.into_par_iter().for_each_init(
                || (Vec::new(), Scratch::default()),
                |(keys, sc), rows| {
                    keys.clear();
                    keys.extend(rows.iter().map(|&i| key[i]));
                    if !ascending(keys.iter().copied()) {
                        sort_order(keys, &mut sc.counts, &mut sc.perm);
                        permute(rows, &sc.perm, &mut sc.rows);
                    }
                },
            );
        })
    }

    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A counting sort by group code: each thread counts the codes of its slice of rows, and the
/// counts give every slice its place in every group (so each group keeps its rows in row order).
struct Places {
    /// Rows per slice.
    per: usize,
    /// Group `g` takes positions `offsets[g]..offsets[g + 1]`.
    offsets: Vec<usize>,
    /// Slice `s` writes its next row of group `g` at `cursors[s][g]`, up to `ends[s][g]`.
    cursors: Vec<Vec<usize>>,
    ends: Vec<Vec<usize>>,
}

impl Places {
    fn count<T: Copy + Sync>(
        keys: &[T],
        groups: usize,
        code: &(impl Fn(T) -> Option<usize> + Sync),
    ) -> Result<Self, KernelError> {
        let n = keys.len();
        // One slice per thread, unless the counts of every slice would outweigh the rows.
        let slices = current_num_threads()
            .min(n / groups.max(1) / 4)
            .clamp(1, n.max(1));
        let per = n.div_ceil(slices).max(1);
        let out_of_range = |g: usize| {
            KernelError::invalid(
                "by",
                format!("key codes must be < the number of groups ({groups}), got {g}"),
            )
        };
        let counts: Vec<Vec<usize>> = install(|| {
            keys.par_chunks(per)
                .map(|slice| {
                    let mut count = vec![0usize; groups];
                    for &key in slice {
                        if let Some(g) = code(key) {
                            *count.get_mut(g).ok_or_else(|| out_of_range(g))? += 1;
                        }
                    }
                    Ok(count)
                })
                .collect::<Result<_, KernelError>>()
        })??;
        // Slice s writes group g after the earlier groups, and after group g's rows in the
        // earlier slices.
        let mut offsets = Vec::with_capacity(groups + 1);
        let mut cursors = vec![vec![0usize; groups]; counts.len()];
        let mut at = 0usize;
        for g in 0..groups {
            offsets.push(at);
            for (cursor, count) in cursors.iter_mut().zip(&counts) {
                cursor[g] = at;
                at += count[g];
            }
        }
        offsets.push(at);
        let ends = cursors
            .iter()
            .zip(&counts)
            .map(|(cursor, count)| cursor.iter().zip(count).map(|(c, k)| c + k).collect())
            .collect();
        Ok(Self {
            per,
            offsets,
            cursors,
            ends,
        })
    }

    /// The number of rows with a group.
    fn total(&self) -> usize {
        self.offsets.last().copied().unwrap_or(0)
    }

    /// Calls `put(position, row)` for every row with a group, the slices in parallel, and
    /// returns the group offsets. Every position in `0..total()` is handed out exactly once: a
    /// `code` that changes its answer between counting and placing is refused (never a position
    /// twice, or outside a slice's share of its group).
    fn place<T: Copy + Sync>(
        self,
        keys: &[T],
        code: &(impl Fn(T) -> Option<usize> + Sync),
        put: impl Fn(usize, usize) + Sync,
    ) -> Result<Vec<usize>, KernelError> {
        let per = self.per;
        let ends = &self.ends;
        let all_placed = install(|| {
            keys.par_chunks(per)
                .zip(self.cursors.into_par_iter())
                .enumerate()
                .map(|(s, (slice, mut cursor))| {
                    let end = &ends[s];
                    for (i, &key) in slice.iter().enumerate() {
                        if let Some(g) = code(key) {
                            match (cursor.get_mut(g), end.get(g)) {
                                (Some(at), Some(&stop)) if *at < stop => {
                                    put(*at, s * per + i);
                                    *at += 1;
                                }
                                _ => return false,
                            }
                        }
                    }
                    cursor == *end
                })
                .all(|placed| placed)
        })?;
        if !all_placed {
            return Err(KernelError::invalid(
                "by",
                "the key codes changed between counting and placing the rows",
            ));
        }
        Ok(self.offsets)
    }
}

/// Runs `kernel` on the rows of every group code (`code(keys[i])`, in `0..groups`; `None`: the
/// row gets NaN), each group in the order of `order_key` (ties in row order), and writes every
/// result at its row: [`Groups::from_dense`], [`Groups::order_by`] and [`run_groups`] in one.
///
/// The counting sort that groups the rows also carries their values (nulls read as NaN on the
/// way) and order keys, so each group arrives contiguous (read in row order, never gathered at
/// random); a group out of order is sorted in cache, and each row reads its result back.
#[allow(clippy::too_many_arguments)]
pub fn run_coded<T: Copy + Sync, K: OrderKey>(
    x: Column<'_>,
    y: Option<Column<'_>>,
    keys: &[T],
    groups: usize,
    code: impl Fn(T) -> Option<usize> + Sync,
    order_key: Option<&[K]>,
    out: &mut [f64],
    kernel: &impl Kernel,
) -> Result<(), KernelError> {
    let n = x.len();
    same_length("out", n, out.len())?;
    same_length("by", n, keys.len())?;
    if let Some(y) = y {
        same_length("y", n, y.len())?;
    }
    if let Some(k) = order_key {
        same_length("order_by", n, k.len())?;
    }
    let places = Places::count(keys, groups, &code)?;
    let total = places.total();
    // Where each row's value went (`NO_GROUP`: nowhere). Every row is placed when all are in
    // a group, so the buffer is only filled when some are not.
    let mut at_of = if total < n {
        pages::filled(n, MaybeUninit::new(NO_GROUP))
    } else {
        pages::uninit(n)
    };
    let mut xs = pages::uninit(total);
    let mut ys = pages::uninit(if y.is_some() { total } else { 0 });
    let mut ks = pages::uninit(if order_key.is_some() { total } else { 0 });
    let offsets = {
        let (aw, xw, yw, kw) = (
            ScatteredOut::new(&mut at_of),
            ScatteredOut::new(&mut xs),
            ScatteredOut::new(&mut ys),
            ScatteredOut::new(&mut ks),
        );
        places.place(keys, &code, |at, i| {
            // SAFETY: every position < total is handed out once, and every row i < n once;
            // ys and ks have `total` positions exactly when y and order_key are given.
            unsafe {
                aw.write(i, MaybeUninit::new(at));
                xw.write(at, MaybeUninit::new(x.get(i)));
                if let Some(y) = y {
                    yw.write(at, MaybeUninit::new(y.get(i)));
                }
                if let Some(k) = order_key {
                    kw.write(at, MaybeUninit::new(k[i]));
                }
            }
        })?
    };
    // SAFETY: `place` succeeded, so it wrote every position of xs (ys and ks when given) and,
    // when every row is in a group, every row of `at_of`; the rest was filled above.
    let (at_of, mut xs, mut ys, mut ks) = unsafe {
        (
            pages::assume_init(at_of),
            pages::assume_init(xs),
            pages::assume_init(ys),
            pages::assume_init(ks),
        )
    };
    let mut pieces = Vec::with_capacity(groups);
    let (mut xr, mut yr, mut kr) = (&mut xs[..], &mut ys[..], &mut ks[..]);
    for w in offsets.windows(2) {
        let len = w[1] - w[0];
        let piece = (cut(&mut xr, len), cut(&mut yr, len), cut(&mut kr, len));
        if len > 0 {
            pieces.push(piece);
        }
    }
    // Each group's results replace its values, in the order the rows were placed.
    install(|| {
        pieces.into_par_iter().try_for_each_init(
            Scratch::default,
            |sc, (xs, ys, ks): (&mut [f64], &mut [f64], &mut [K])| {
                sc.out.clear();
                sc.out.resize(xs.len(), f64::NAN);
                if !ks.is_empty() && !ascending(ks.iter().copied()) {
                    sort_order(ks, &mut sc.counts, &mut sc.perm);
                    sc.values.clear();
                    sc.values.extend(sc.perm.iter().map(|&p| xs[p]));
                    sc.other.clear();
                    if y.is_some() {
                        sc.other.extend(sc.perm.iter().map(|&p| ys[p]));
                    }
                    run_series(
                        &sc.values,
                        y.map(|_| &sc.other[..]),
                        &mut sc.out,
                        kernel,
                        false,
                    )?;
                    for (&p, &v) in sc.perm.iter().zip(&sc.out) {
                        xs[p] = v;
                    }
                } else {
                    run_series(xs, y.map(|_| &ys[..]), &mut sc.out, kernel, false)?;
                    xs.copy_from_slice(&sc.out);
                }
                Ok(())
            },
        )
    })??;
    // Every row reads its result where its value was placed: reads at random, writes in order.
    let chunk = 1 << 16;
    install(|| {
        out.par_chunks_mut(chunk)
            .zip(at_of.par_chunks(chunk))
            .for_each(|(out, at_of)| {
                for (o, &at) in out.iter_mut().zip(at_of) {
                    *o = xs.get(at).copied().unwrap_or(f64::NAN);
                }
            });
    })?;
    Ok(())
}

/// Where a row without a group was placed.
const NO_GROUP: usize = usize::MAX;

/// The first `len` values of `v` (all of them if fewer), `v` left with the rest.
fn cut<'a, V>(v: &mut &'a mut [V], len: usize) -> &'a mut [V] {
    let len = len.min(v.len());
    let (head, tail) = std::mem::take(v).split_at_mut(len);
    *v = tail;
    head
}

/// Buffers a task reuses from group to group.
#[derive(Default)]
struct Scratch {
    counts: Vec<usize>,
    perm: Vec<usize>,
    values: Vec<f64>,
    other: Vec<f64>,
    rows: Vec<usize>,
    out: Vec<f64>,
}

/// `v` rearranged so that `v[j]` is the old `v[perm[j]]` (no-op on an empty `v`).
fn permute<V: Copy>(v: &mut [V], perm: &[usize], buf: &mut Vec<V>) {
    if v.is_empty() {
        return;
    }
    buf.clear();
    buf.extend(perm.iter().map(|&p| v[p]));
    v.copy_from_slice(buf);
}

/// A key that orders the rows of a group: integers (dates, times) or floats without NaN.
pub trait OrderKey: PartialOrd + Copy + Send + Sync {
    /// The key as an integer, for keys that are integers (they can be counting-sorted).
    fn integer(self) -> Option<i64> {
        None
    }
}

impl OrderKey for i32 {
    fn integer(self) -> Option<i64> {
        Some(self.into())
    }
}

impl OrderKey for i64 {
    fn integer(self) -> Option<i64> {
        Some(self)
    }
}

impl OrderKey for usize {
    fn integer(self) -> Option<i64> {
        i64::try_from(self).ok()
    }
}

impl OrderKey for f64 {}

/// The positions of `keys` in ascending order, ties in position order (`perm[j]` is the
/// position of the `j`-th smallest): a counting sort when the keys are integers spanning at
/// most a few times their number (the dates of a daily series), else a stable comparison sort.
fn sort_order<K: OrderKey>(keys: &[K], counts: &mut Vec<usize>, perm: &mut Vec<usize>) {
    let span = keys
        .iter()
        .try_fold((i64::MAX, i64::MIN), |(lo, hi), k| {
            k.integer().map(|k| (lo.min(k), hi.max(k)))
        })
        .and_then(|(lo, hi)| Some((lo, usize::try_from(hi.checked_sub(lo)?).ok()? + 1)))
        .filter(|&(_, span)| span <= 4 * keys.len() + 64);
    perm.clear();
    if let Some((lo, span)) = span {
        let slot = |k: K| k.integer().map_or(0, |k| (k - lo) as usize);
        counts.clear();
        counts.resize(span + 1, 0);
        for &k in keys {
            counts[slot(k) + 1] += 1;
        }
        for s in 0..span {
            counts[s + 1] += counts[s];
        }
        perm.resize(keys.len(), 0);
        for (j, &k) in keys.iter().enumerate() {
            let at = &mut counts[slot(k)];
            perm[*at] = j;
            *at += 1;
        }
    } else {
        perm.extend(0..keys.len());
        perm.sort_by(|&a, &b| {
            keys[a]
                .partial_cmp(&keys[b])
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
}

/// Whether `keys` never decrease.
fn ascending<K: PartialOrd + Copy>(mut keys: impl Iterator<Item = K>) -> bool {
    let Some(mut prev) = keys.next() else {
        return true;
    };
    keys.all(|k| {
        let ok = prev <= k;
        prev = k;
        ok
    })
}

/// Runs `kernel` on every key's rows; rows without a key get NaN.
pub fn run_groups(
    x: &[f64],
    y: Option<&[f64]>,
    groups: &Groups,
    out: &mut [f64],
    kernel: &impl Kernel,
) -> Result<(), KernelError> {
    same_length("out", x.len(), out.len())?;
    if let Some(y) = y {
        same_length("y", x.len(), y.len())?;
    }
    if groups.rows_needed() > x.len() {
        return Err(KernelError::LengthMismatch {
            name: "by",
            expected: x.len(),
            got: groups.rows_needed(),
        });
    }
    let Some(order) = &groups.order else {
        // Rows already sorted by key (each key's rows contiguous): run in place, no copies.
        let grouped = groups.offsets.last().copied().unwrap_or(0);
        out[grouped..].fill(f64::NAN);
        return run_pieces(x, y, &groups.offsets, out, kernel);
    };
    if order.len() < x.len() {
        out.fill(f64::NAN); // rows without a key
    }
    // Each group is gathered into scratch buffers kept per task, run, and written back to its
    // rows: no full-length copies (their pages are what a long, interleaved input pays for).
    let rows_out = ScatteredOut::new(out);
    install(|| {
        (0..groups.len()).into_par_iter().try_for_each_init(
            || (Vec::new(), Vec::new(), Vec::new()),
            |(xs, ys, os): &mut (Vec<f64>, Vec<f64>, Vec<f64>), g| {
                let rows = &order[groups.offsets[g]..groups.offsets[g + 1]];
                if rows.is_empty() {
                    return Ok(()); // a code no row has
                }
                xs.clear();
                xs.extend(rows.iter().map(|&i| x[i]));
                if let Some(y) = y {
                    ys.clear();
                    ys.extend(rows.iter().map(|&i| y[i]));
                }
                os.clear();
                os.resize(rows.len(), f64::NAN);
                run_series(xs, y.map(|_| &ys[..]), os, kernel, false)?;
                for (&i, &v) in rows.iter().zip(os.iter()) {
                    // SAFETY: `order` lists each row at most once (every constructor ensures
                    // it), all checked < x.len() == out.len() above, so groups write disjoint
                    // rows.
                    unsafe { rows_out.write(i, v) };
                }
                Ok(())
            },
        )
    })?
}

/// Runs `kernel` on `x[offsets[g]..offsets[g + 1]]` for every `g`, in parallel.
fn run_pieces(
    x: &[f64],
    y: Option<&[f64]>,
    offsets: &[usize],
    out: &mut [f64],
    kernel: &impl Kernel,
) -> Result<(), KernelError> {
    let mut pieces = Vec::with_capacity(offsets.len().saturating_sub(1));
    let mut rest = out;
    for w in offsets.windows(2) {
        let (head, tail) = rest.split_at_mut(w[1] - w[0]);
        if w[1] > w[0] {
            pieces.push((w[0], w[1], head));
        }
        rest = tail;
    }
    install(|| {
        pieces
            .into_par_iter()
            .try_for_each(|(a, b, o)| run_series(&x[a..b], y.map(|v| &v[a..b]), o, kernel, false))
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::grouped::tests::CumSum;

    #[test]
    fn groups_from_parts_run_in_the_given_order_and_refuse_a_row_twice() {
        // Group 0 takes rows 4, 0, 2 in that order; group 1 rows 3, 1; row 5 in none.
        let x = [1.0, 10.0, 2.0, 20.0, 3.0, 5.0];
        let groups = Groups::from_parts(vec![4, 0, 2, 3, 1], vec![0, 3, 5], 6).unwrap();
        let mut out = [0.0; 6];
        run_groups(&x, None, &groups, &mut out, &CumSum).unwrap();
        assert_eq!(out[..5], [4.0, 30.0, 6.0, 20.0, 3.0]);
        assert!(out[5].is_nan());
        let mut ordered = Groups::from_parts(vec![4, 0, 2, 3, 1], vec![0, 3, 5], 6).unwrap();
        ordered.order_by(&[5, 9, 5, 1, 0, 7]).unwrap();
        // Group 0 by key 0, 5, 5 (rows 4, 0, 2: the tie keeps 0 before 2); group 1 by 1, 9.
        assert_eq!(ordered.order, Some(vec![4, 0, 2, 3, 1]));
        ordered.order_by(&[3, 9, 1, 1, 2, 7]).unwrap();
        assert_eq!(ordered.order, Some(vec![2, 4, 0, 3, 1]));
        assert!(ordered.order_by(&[1, 2]).is_err());
        assert!(Groups::from_parts(vec![0, 0], vec![0, 2], 2).is_err());
        assert!(Groups::from_parts(vec![0, 2], vec![0, 2], 2).is_err());
        assert!(Groups::from_parts(vec![0, 1], vec![0, 1], 2).is_err());
    }

    #[test]
    fn groups_restart_and_land_in_place() {
        let x = [1.0, 10.0, 2.0, 20.0, 3.0, 5.0];
        let codes = [0, 1, 0, 1, 0, -1];
        let groups = Groups::from_codes(&codes).unwrap();
        let mut out = [0.0; 6];
        run_groups(&x, None, &groups, &mut out, &CumSum).unwrap();
        assert_eq!(out[..5], [1.0, 10.0, 3.0, 30.0, 6.0]);
        assert!(out[5].is_nan());
    }

    #[test]
    fn sorted_keys_run_in_place() {
        let x = [1.0, 2.0, 3.0, 10.0, 20.0];
        let groups = Groups::from_codes(&[0, 0, 0, 1, 1]).unwrap();
        assert!(groups.order.is_none());
        let mut out = [0.0; 5];
        run_groups(&x, None, &groups, &mut out, &CumSum).unwrap();
        assert_eq!(out, [1.0, 3.0, 6.0, 10.0, 30.0]);
    }

    #[test]
    fn runs_sort_only_when_a_run_is_out_of_order_and_leave_rows_past_them_missing() {
        let x = [1.0, 2.0, 3.0, 10.0, 20.0, 7.0];
        let mut groups = Groups::runs(vec![0, 3, 5]).unwrap();
        groups.order_by(&[1, 2, 2, 0, 5, 9]).unwrap();
        assert!(groups.order.is_none(), "every run already in order");
        let mut out = [0.0; 6];
        run_groups(&x, None, &groups, &mut out, &CumSum).unwrap();
        assert_eq!(out[..5], [1.0, 3.0, 6.0, 10.0, 30.0]);
        assert!(out[5].is_nan());
        groups.order_by(&[1, 2, 2, 6, 5, 9]).unwrap();
        assert_eq!(groups.order, Some(vec![0, 1, 2, 4, 3]));
        run_groups(&x, None, &groups, &mut out, &CumSum).unwrap();
        assert_eq!(out[..5], [1.0, 3.0, 6.0, 30.0, 20.0]);
        assert!(Groups::runs(vec![1, 3]).is_err());
        assert!(Groups::runs(vec![0, 3, 2]).is_err());
    }

    /// The counting sort on several threads puts each group's rows in row order, as one pass.
    #[test]
    fn dense_codes_on_threads_equal_one_pass() {
        let n = 100_003;
        let codes: Vec<i64> = (0..n)
            .map(|i| {
                if i % 97 == 0 {
                    -1
                } else {
                    ((i * 7919) % 31) as i64
                }
            })
            .collect();
        let groups = Groups::from_codes(&codes).unwrap();
        let order = groups.order.clone().unwrap();
        for g in 0..groups.len() {
            let want: Vec<usize> = (0..n).filter(|&i| codes[i] == g as i64).collect();
            assert_eq!(order[groups.offsets[g]..groups.offsets[g + 1]], want[..]);
        }
        let err = Groups::from_dense(&[0u8, 3], 2, |k| Some(usize::from(k))).unwrap_err();
        assert_eq!(err.argument(), "by");
        // A code that answers differently when placing than when counting is refused, never
        // written out of its place (rows 0..5 count as groups 0,1,0,1,0 and place as 1,0,1,0,1).
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let flaky = |_: u8| Some(calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 2);
        let err = Groups::from_dense(&[0u8; 5], 2, flaky).unwrap_err();
        assert!(err.to_string().contains("changed"), "{err}");
    }

    /// The fused run equals grouping, ordering and running one step at a time.
    #[test]
    fn run_coded_equals_groups_ordered_then_run() {
        let n = 50_000;
        let codes: Vec<i64> = (0..n).map(|i| ((i * 7919) % 37) as i64 - 1).collect();
        let x: Vec<f64> = (0..n).map(|i| ((i * 31) % 101) as f64).collect();
        let day: Vec<i32> = (0..n).map(|i| ((i * 104_729) % 5003) as i32).collect();
        let code = |c: i64| usize::try_from(c).ok();
        // The 36 groups of `codes` (-1: no group), each in the order of `key`.
        let coded = |x: Column, key: Option<&[_]>| {
            let mut got = vec![0.0; n];
            run_coded(x, None, &codes, 36, code, key, &mut got, &CumSum).unwrap();
            got
        };
        let same = |a: &[f64], b: &[f64]| {
            a.iter()
                .zip(b)
                .all(|(p, q)| p == q || (p.is_nan() && q.is_nan()))
        };
        let mut groups = Groups::from_codes(&codes).unwrap();
        let mut want = vec![0.0; n];
        run_groups(&x, None, &groups, &mut want, &CumSum).unwrap();
        assert!(same(&want, &coded(Column::new(&x), None::<&[i32]>)));
        let mut o = [0.0; 3];
        let small = [0i64, 1, 0];
        let three = Column::new(&[1.0, 2.0, 3.0]);
        run_coded(
            three,
            None,
            &small,
            2,
            code,
            None::<&[i64]>,
            &mut o,
            &CumSum,
        )
        .unwrap();
        assert_eq!(o, [1.0, 2.0, 4.0]);
        groups.order_by(&day).unwrap();
        run_groups(&x, None, &groups, &mut want, &CumSum).unwrap();
        assert!(same(&want, &coded(Column::new(&x), Some(&day))));
        // Float keys take the comparison sort.
        let t: Vec<f64> = day.iter().map(|&d| f64::from(d) * 1e9).collect();
        let mut got = vec![0.0; n];
        run_coded(
            Column::new(&x),
            None,
            &codes,
            36,
            code,
            Some(&t[..]),
            &mut got,
            &CumSum,
        )
        .unwrap();
        assert!(same(&want, &got));
        // Nulls of a validity bitmap are read as NaN on the way in.
        let bytes: Vec<u8> = (0..n.div_ceil(8) + 1)
            .map(|b| (b * 89 % 256) as u8)
            .collect();
        let valid = |i: usize| (bytes[(i + 3) / 8] >> ((i + 3) % 8)) & 1 == 1;
        let marked: Vec<f64> = (0..n)
            .map(|i| if valid(i) { x[i] } else { f64::NAN })
            .collect();
        run_groups(&marked, None, &groups, &mut want, &CumSum).unwrap();
        let validity = crate::Validity::new(&bytes, 3, n).unwrap();
        let got = coded(Column::with_validity(&x, Some(validity)), Some(&day));
        assert!(same(&want, &got));
        assert!(got.iter().any(|v| v.is_nan()));
    }

    #[test]
    fn bad_codes_are_refused() {
        assert_eq!(Groups::from_codes(&[0, -2]).unwrap_err().argument(), "by");
        assert_eq!(Groups::from_codes(&[0, 5]).unwrap_err().argument(), "by");
    }
}
