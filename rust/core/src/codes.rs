//! Dense codes for string keys (symbols, sectors) in first-seen order, kept across parts.
//!
//! Long tables repeat their keys in patterns: a symbol-major table repeats each symbol row after
//! row, a date-major one lists them in the same order every day. [`Codes`] guesses the next code
//! from the last one and confirms with one integer compare; a wrong guess pays for a hash lookup.

use std::collections::HashMap;

use crate::error::KernelError;

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

#[cfg(test)]
mod tests {
    use super::*;

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
