//! Dense codes for string keys (symbols, sectors) in first-seen order, kept across parts.
//!
//! Long tables repeat their keys in patterns: a symbol-major table repeats each symbol row after
//! row, a date-major one lists them in the same order every day. [`Codes`] guesses the next code
//! from the last one and confirms with one integer compare; a wrong guess pays for a hash lookup.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::error::KernelError;
use crate::threads::{current_num_threads, install, min_len};

type Map<K> = HashMap<K, u32, foldhash::fast::RandomState>;

/// The packed form of a key too long to pack (no packed key has a length of `u32::MAX`).
const LONG: u128 = u128::MAX;

/// Keys of at most this many bytes are packed into one `u128`.
pub const INLINE: usize = 12;

/// Maps each distinct key to `0, 1, 2, ...` in the order keys are first seen.
///
/// Keys of up to [`INLINE`] bytes (tickers, sector names in ASCII or short CJK) are compared
/// packed into one `u128` laid out as an Arrow string view: the length in the low 4 bytes, then
/// the bytes, zero-padded. A view column hands over that key as it is, with no work per row.
#[derive(Debug, Clone, Default)]
pub struct Codes {
    short: Map<u128>,
    long: Map<Box<str>>,
    names: Vec<Box<str>>,
    /// Per code, its packed key (`LONG` if it does not pack).
    packed: Vec<u128>,
    /// Per code, the code that came right after it last time.
    after: Vec<u32>,
    last: Option<u32>,
}

/// `key` packed as an inline Arrow string view, if it is at most [`INLINE`] bytes long.
#[inline]
pub fn pack(key: &str) -> Option<u128> {
    let bytes = key.as_bytes();
    if bytes.len() > INLINE {
        return None;
    }
    let mut buf = [0u8; 16];
    buf[4..4 + bytes.len()].copy_from_slice(bytes);
    Some(u128::from_le_bytes(buf) | bytes.len() as u128)
}

impl Codes {
    pub fn new() -> Self {
        Self::default()
    }

    /// The code of `key`, assigning the next one if it is new. `name` is the argument reported
    /// if there are more than `u32::MAX` distinct keys.
    #[inline]
    pub fn code(&mut self, key: &str, name: &'static str) -> Result<u32, KernelError> {
        self.code_packed(pack(key), key, name)
    }

    /// [`Codes::code`] with the key already packed (`packed` must equal `pack(key)`).
    ///
    /// Guesses, in turn: the last code (a symbol-major table); the code after it (a
    /// date-major table lists symbols in the order they were first seen); the code that followed
    /// the last one last time (the same order as yesterday, with listings in between). The first
    /// guesses are computed, not loaded, so rows do not wait on each other; a right guess costs a
    /// compare.
    #[inline]
    pub fn code_packed(
        &mut self,
        packed: Option<u128>,
        key: &str,
        name: &'static str,
    ) -> Result<u32, KernelError> {
        let last = self.last;
        let guesses = [last, last.and_then(|l| l.checked_add(1))];
        let found = guesses
            .into_iter()
            .flatten()
            .find(|&c| self.is(c, packed, key));
        let code = match found.or_else(|| {
            last.map(|l| self.after[l as usize])
                .filter(|&c| self.is(c, packed, key))
        }) {
            Some(c) => c,
            None => self.look_up(packed, key, name)?,
        };
        if let Some(l) = last {
            self.after[l as usize] = code;
        }
        self.last = Some(code);
        Ok(code)
    }

    /// Whether `code` is the code of `key`.
    #[inline]
    fn is(&self, code: u32, packed: Option<u128>, key: &str) -> bool {
        match (self.packed.get(code as usize), packed) {
            (Some(&p), Some(k)) => p == k,
            (Some(&LONG), None) => *self.names[code as usize] == *key,
            _ => false,
        }
    }

    fn look_up(
        &mut self,
        packed: Option<u128>,
        key: &str,
        name: &'static str,
    ) -> Result<u32, KernelError> {
        if let Some(p) = packed {
            if let Some(&c) = self.short.get(&p) {
                return Ok(c);
            }
            let c = self.push(key, p, name)?;
            self.short.insert(p, c);
            return Ok(c);
        }
        if let Some(&c) = self.long.get(key) {
            return Ok(c);
        }
        let c = self.push(key, LONG, name)?;
        self.long.insert(key.into(), c);
        Ok(c)
    }

    fn push(&mut self, key: &str, packed: u128, name: &'static str) -> Result<u32, KernelError> {
        let c = u32::try_from(self.names.len())
            .map_err(|_| KernelError::invalid(name, format!("{name}: too many keys")))?;
        self.names.push(key.into());
        self.packed.push(packed);
        self.after.push(c);
        Ok(c)
    }

    /// The keys, indexed by code.
    pub fn names(&self) -> &[Box<str>] {
        &self.names
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// A string column in parts (Arrow chunks), read row by row: what [`code_rows`] codes.
pub trait KeyColumn: Sync {
    /// The number of parts.
    fn parts(&self) -> usize;
    /// The number of rows of part `p`.
    fn part_len(&self, p: usize) -> usize;
    /// Row `i` of part `p` and its packed key (`pack(key)`), or `None` for a null.
    fn key(&self, p: usize, i: usize) -> Option<(&str, Option<u128>)>;
}

/// The codes of a whole column: one per row (`-1` for a null), the keys by code, and the first
/// row of each code.
#[derive(Debug)]
pub struct RowCodes {
    pub codes: Vec<i64>,
    pub keys: Codes,
    pub first_rows: Vec<usize>,
}

/// Rows per piece below which a column is coded in one pass.
const PIECE_MIN: usize = 1 << 16;

/// Dense codes of every row of `column`: in first-seen order, the same as one [`Codes`] pass
/// over it, or with `sorted` in the keys' sorted order (bytewise: Python's order of `str`).
///
/// The rows are cut into one piece per thread; each piece is coded on its own, then the pieces'
/// keys are coded in piece order (so a key's code is still the order in which it was first seen)
/// and each piece's local codes are rewritten as global ones.
pub fn code_rows<C: KeyColumn>(
    column: &C,
    name: &'static str,
    sorted: bool,
) -> Result<RowCodes, KernelError> {
    let total: usize = (0..column.parts()).map(|p| column.part_len(p)).sum();
    let wanted = if min_len() == 1 {
        current_num_threads()
    } else {
        1
    };
    let size = total.div_ceil(wanted.max(1)).max(PIECE_MIN);
    // (part, start, end, first row of the piece in the column)
    let mut pieces = Vec::new();
    let mut offset = 0;
    for p in 0..column.parts() {
        let len = column.part_len(p);
        let mut start = 0;
        while start < len {
            let end = len.min(start + size);
            pieces.push((p, start, end, offset + start));
            start = end;
        }
        offset += len;
    }
    // Each piece writes its local codes into its own rows of the result, then rewrites them as
    // global ones; the first piece's local codes are already global.
    let mut codes = crate::pages::filled(total, 0i64);
    let mut outs = Vec::with_capacity(pieces.len());
    let mut rest = codes.as_mut_slice();
    for &(_, start, end, _) in &pieces {
        let (head, tail) = rest.split_at_mut(end - start);
        outs.push(head);
        rest = tail;
    }
    let mut work: Vec<_> = pieces.iter().zip(outs).collect();
    let local = install(|| {
        work.par_iter_mut()
            .with_min_len(min_len())
            .map(|(piece, out)| {
                let &(p, start, _, _) = *piece;
                let mut keys = Codes::new();
                let mut first = Vec::new();
                for (o, i) in out.iter_mut().zip(start..) {
                    *o = match column.key(p, i) {
                        Some((key, packed)) => {
                            let c = keys.code_packed(packed, key, name)?;
                            if c as usize == first.len() {
                                first.push(i - start);
                            }
                            i64::from(c)
                        }
                        None => -1,
                    };
                }
                Ok((keys, first))
            })
            .collect::<Result<Vec<_>, KernelError>>()
    })??;
    let mut keys = Codes::new();
    let mut first_rows = Vec::new();
    let mut global = Vec::with_capacity(local.len());
    for ((piece, first), &(_, _, _, at)) in local.iter().zip(&pieces) {
        let mut map = Vec::with_capacity(piece.len());
        for (key, &row) in piece.names().iter().zip(first) {
            let c = keys.code(key, name)?;
            if c as usize == first_rows.len() {
                first_rows.push(at + row);
            }
            map.push(i64::from(c));
        }
        global.push(map);
    }
    let skip = if sorted {
        // The rank of each first-seen code among the sorted keys, composed into every map.
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_unstable_by(|&a, &b| keys.names()[a].cmp(&keys.names()[b]));
        let mut rank = vec![0i64; order.len()];
        for (r, &c) in order.iter().enumerate() {
            rank[c] = i64::try_from(r).unwrap_or(i64::MAX);
        }
        for map in &mut global {
            for c in map.iter_mut() {
                *c = rank[usize::try_from(*c).unwrap_or(0)];
            }
        }
        let mut by_rank = Codes::new();
        for &c in &order {
            by_rank.code(&keys.names()[c], name)?;
        }
        keys = by_rank;
        first_rows = order.iter().map(|&c| first_rows[c]).collect();
        0
    } else {
        1 // the first piece's local codes are already the global ones
    };
    install(|| {
        work.par_iter_mut()
            .zip(global.par_iter())
            .skip(skip)
            .with_min_len(min_len())
            .for_each(|((_, out), map)| {
                for o in out.iter_mut() {
                    if let Ok(c) = usize::try_from(*o) {
                        *o = map.get(c).copied().unwrap_or(-1);
                    }
                }
            });
    })?;
    drop(work);
    Ok(RowCodes {
        codes,
        keys,
        first_rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A column of `Option<String>` parts.
    struct Parts(Vec<Vec<Option<String>>>);

    impl KeyColumn for Parts {
        fn parts(&self) -> usize {
            self.0.len()
        }
        fn part_len(&self, p: usize) -> usize {
            self.0[p].len()
        }
        fn key(&self, p: usize, i: usize) -> Option<(&str, Option<u128>)> {
            self.0[p][i].as_deref().map(|k| (k, pack(k)))
        }
    }

    #[test]
    fn rows_coded_in_pieces_equal_one_pass() {
        // Three parts, the middle one long enough to be cut; keys first seen in later pieces,
        // long keys and nulls.
        let mut state = 7u64;
        let mut part = |n: usize, pool: usize| -> Vec<Option<String>> {
            (0..n)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let k = (state >> 33) as usize % pool;
                    (k != 0).then(|| {
                        if k.is_multiple_of(7) {
                            format!("a long key, number {k}")
                        } else {
                            format!("k{k}")
                        }
                    })
                })
                .collect()
        };
        let column = Parts(vec![
            part(1000, 50),
            part(3 * PIECE_MIN + 11, 400),
            part(5000, 900),
        ]);
        for threads in [1, 2, 3] {
            crate::set_num_threads(threads).unwrap();
            let got = code_rows(&column, "key", false).unwrap();
            let mut one = Codes::new();
            let mut first = Vec::new();
            let mut want = Vec::new();
            for (row, key) in column.0.iter().flatten().enumerate() {
                want.push(key.as_deref().map_or(-1, |k| {
                    let c = one.code(k, "key").unwrap();
                    if c as usize == first.len() {
                        first.push(row);
                    }
                    i64::from(c)
                }));
            }
            assert_eq!(got.codes, want);
            assert_eq!(got.keys.names(), one.names());
            assert_eq!(got.first_rows, first);
            // Sorted: the same partition of rows, codes in the keys' order.
            let by_name = code_rows(&column, "key", true).unwrap();
            let names = by_name.keys.names();
            assert!(names.windows(2).all(|w| w[0] < w[1]));
            for (row, (&s, &f)) in by_name.codes.iter().zip(&want).enumerate() {
                assert_eq!(s < 0, f < 0);
                if f >= 0 {
                    assert_eq!(names[s as usize], one.names()[f as usize]);
                    assert!(by_name.first_rows[s as usize] <= row);
                }
            }
            for (c, &r) in by_name.first_rows.iter().enumerate() {
                assert_eq!(by_name.codes[r], c as i64);
            }
        }
    }

    #[test]
    fn packed_keys_are_arrow_inline_views() {
        // Length 3 in the low 4 bytes, then "abc".
        assert_eq!(pack("abc"), Some(3 | (0x63_62_61 << 32)));
        assert_eq!(pack(""), Some(0));
        assert!(pack("twelve bytes").is_some() && pack("thirteen byte").is_none());
    }

    fn codes(keys: &[&str]) -> (Vec<u32>, Codes) {
        let mut c = Codes::new();
        let got = keys.iter().map(|k| c.code(k, "key").unwrap()).collect();
        (got, c)
    }

    #[test]
    fn codes_are_dense_in_first_seen_order() {
        let (got, c) = codes(&["b", "a", "b", "b", "c", "a"]);
        assert_eq!(got, [0, 1, 0, 0, 2, 1]);
        assert_eq!(c.names(), ["b".into(), "a".into(), "c".into()]);
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn long_keys_and_keys_that_pack_alike_stay_apart() {
        let long = "a sector name longer than twelve bytes";
        let keys = [
            "a",
            "a\0",
            "",
            long,
            "电子",
            long,
            "a\0",
            "电子电子电子",
            "",
            "a",
        ];
        let (got, c) = codes(&keys);
        assert_eq!(got, [0, 1, 2, 3, 4, 3, 1, 5, 2, 0]);
        assert_eq!(&*c.names()[3], long);
    }

    #[test]
    fn wrong_guesses_cost_time_not_answers() {
        // Yesterday's order, then a changed one: the guesses (last, last + 1, what followed
        // last time) are wrong on several rows.
        let day = ["X", "Y", "Z", "X", "Y", "Z", "Z", "X", "W", "Y"];
        let (got, mut c) = codes(&day);
        assert_eq!(got, [0, 1, 2, 0, 1, 2, 2, 0, 3, 1]);
        assert_eq!(c.code("Y", "key").unwrap(), 1);
    }

    #[test]
    fn codes_equal_a_plain_first_seen_map_on_mixed_sequences() {
        let keys: Vec<String> = (0..40)
            .map(|i| match i % 4 {
                0 => format!("S{i:05}"),
                1 => format!("{i} a key longer than twelve bytes"),
                2 => "x".repeat(i % 13),
                _ => format!("行业{i}"),
            })
            .collect();
        let mut c = Codes::new();
        let mut reference: HashMap<&str, u32> = HashMap::new();
        let mut state = 7u64;
        for step in 0..20_000 {
            // Runs, ascending sweeps and random jumps, as tables of each layout produce.
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let i = match step % 3 {
                0 => (step / 3) % keys.len(),
                1 => (step / 30) % keys.len(),
                _ => (state >> 33) as usize % keys.len(),
            };
            let key = keys[i].as_str();
            let next = u32::try_from(reference.len()).unwrap();
            let want = *reference.entry(key).or_insert(next);
            assert_eq!(c.code(key, "key").unwrap(), want, "step {step}");
        }
        assert_eq!(c.len(), reference.len());
    }
}
