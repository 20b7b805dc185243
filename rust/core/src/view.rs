use std::borrow::Cow;
use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::error::KernelError;
use crate::pages;
use crate::threads::install;

/// An Arrow-style validity bitmap (bit set = value present), borrowed from its owner.
#[derive(Clone, Copy, Debug)]
pub struct Validity<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Validity<'a> {
    /// A bitmap of at least `offset + len` bits.
    pub fn new(bytes: &'a [u8], offset: usize, len: usize) -> Result<Self, KernelError> {
        if bytes.len() * 8 < offset + len {
            return Err(KernelError::invalid(
                "x",
                format!(
                    "validity bitmap holds {} bits, needs offset {offset} + length {len}",
                    bytes.len() * 8
                ),
            ));
        }
        Ok(Self { bytes, offset })
    }

    /// Bits `i..i + 64` as one word, bit `j` for value `i + j` (0 past the end of the bitmap).
    #[inline]
    fn word(&self, i: usize) -> u64 {
        let bit = i + self.offset;
        let mut buf = [0u8; 16];
        let tail = self.bytes.get(bit >> 3..).unwrap_or_default();
        let n = tail.len().min(9);
        buf[..n].copy_from_slice(&tail[..n]);
        (u128::from_le_bytes(buf) >> (bit & 7)) as u64
    }
}

/// A column of f64 values with an optional validity bitmap: the one input view every kernel reads.
#[derive(Clone, Copy, Debug)]
pub struct Column<'a> {
    values: &'a [f64],
    validity: Option<Validity<'a>>,
}

impl<'a> Column<'a> {
    pub fn new(values: &'a [f64]) -> Self {
        Self {
            values,
            validity: None,
        }
    }

    pub fn with_validity(values: &'a [f64], validity: Option<Validity<'a>>) -> Self {
        Self { values, validity }
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Value `i`, NaN when it is null.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> f64 {
        let valid = self.validity.is_none_or(|v| {
            let bit = i + v.offset;
            v.bytes
                .get(bit >> 3)
                .is_some_and(|b| (b >> (bit & 7)) & 1 == 1)
        });
        if valid { self.values[i] } else { f64::NAN }
    }

    /// The chunks of one series as one slice with nulls written as NaN: borrowed when it is a
    /// single chunk without a validity bitmap, else copied once.
    pub fn join_nan_marked(
        chunks: impl IntoIterator<Item = Result<Self, KernelError>>,
    ) -> Result<Cow<'a, [f64]>, KernelError> {
        let chunks = chunks.into_iter().collect::<Result<Vec<_>, _>>()?;
        if let [one] = chunks.as_slice() {
            return Ok(one.to_nan_marked());
        }
        let mut all = pages::uninit(chunks.iter().map(|c| c.values.len()).sum());
        let mut rest = &mut all[..];
        for c in &chunks {
            let (head, tail) = rest.split_at_mut(c.values.len());
            c.write_nan_marked(head);
            rest = tail;
        }
        // SAFETY: the chunks' lengths add up to `all`'s, and each wrote its whole range.
        Ok(Cow::Owned(unsafe { pages::assume_init(all) }))
    }

    /// The values with nulls written as NaN: borrowed when there is no validity bitmap.
    pub fn to_nan_marked(&self) -> Cow<'a, [f64]> {
        match self.validity {
            None => Cow::Borrowed(self.values),
            Some(_) => {
                let mut all = pages::uninit(self.values.len());
                self.write_nan_marked(&mut all);
                // SAFETY: `write_nan_marked` writes every value of `all`.
                Cow::Owned(unsafe { pages::assume_init(all) })
            }
        }
    }

    /// Writes the values into `out` (as long) with NaN for nulls, long columns in slices on the
    /// pool.
    fn write_nan_marked(&self, out: &mut [MaybeUninit<f64>]) {
        let parallel = out.len() >= 2 * SLICE
            && install(|| {
                out.par_chunks_mut(SLICE)
                    .enumerate()
                    .for_each(|(s, out)| self.slice(s * SLICE, out.len()).write_serial(out))
            })
            .is_ok();
        if !parallel {
            self.write_serial(out);
        }
    }

    /// Values `start..start + len` (a multiple of 64 from the start of a slice).
    fn slice(&self, start: usize, len: usize) -> Self {
        Self {
            values: &self.values[start..start + len],
            validity: self.validity.map(|v| Validity {
                bytes: v.bytes,
                offset: v.offset + start,
            }),
        }
    }

    /// 64 values at a time: a word of the bitmap with every bit set copies its values whole.
    fn write_serial(&self, out: &mut [MaybeUninit<f64>]) {
        for (c, (chunk, out)) in self.values.chunks(64).zip(out.chunks_mut(64)).enumerate() {
            let bits = self.validity.map_or(u64::MAX, |v| v.word(c * 64));
            for (j, (&x, o)) in chunk.iter().zip(out).enumerate() {
                let valid = bits == u64::MAX || (bits >> j) & 1 == 1;
                *o = MaybeUninit::new(if valid { x } else { f64::NAN });
            }
        }
    }
}

/// Values per slice when a long column is converted on the pool (a multiple of 64).
const SLICE: usize = 1 << 16;

/// The Arrow validity bitmap of `values` (bit set = not NaN), bytes in order and the last
/// padded with zeros; `None` when no value is NaN. Long columns are scanned in slices on the
/// pool.
pub fn validity_of_non_nan(values: &[f64]) -> Option<Vec<u8>> {
    let pack = |(bytes, values): (&mut [u8], &[f64])| -> bool {
        let mut all = true;
        for (byte, eight) in bytes.iter_mut().zip(values.chunks(8)) {
            *byte = eight
                .iter()
                .enumerate()
                .fold(0u8, |b, (j, v)| b | (u8::from(!v.is_nan()) << j));
            all &= *byte == u8::MAX >> (8 - eight.len());
        }
        all
    };
    let mut bytes = vec![0u8; values.len().div_ceil(8)];
    let all_valid = if values.len() >= 2 * SLICE {
        install(|| {
            bytes
                .par_chunks_mut(SLICE / 8)
                .zip(values.par_chunks(SLICE))
                .map(pack)
                .reduce(|| true, |a, b| a && b)
        })
        .unwrap_or_else(|_| pack((&mut bytes, values)))
    } else {
        pack((&mut bytes, values))
    };
    (!all_valid).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_join_into_one_series() {
        let (a, b) = ([1.0, 2.0], [3.0, 4.0, 5.0]);
        let bytes = [0b0000_0101u8]; // b: valid, missing, valid
        let one = Column::join_nan_marked([Ok(Column::new(&a))]).unwrap();
        assert!(matches!(one, Cow::Borrowed(_)));
        let chunks = [
            Ok(Column::new(&a)),
            Ok(Column::with_validity(
                &b,
                Some(Validity::new(&bytes, 0, 3).unwrap()),
            )),
        ];
        let all = Column::join_nan_marked(chunks).unwrap();
        assert_eq!(all.len(), 5);
        assert_eq!(all[..3], [1.0, 2.0, 3.0]);
        assert!(all[3].is_nan());
        assert_eq!(all[4], 5.0);
        assert!(Column::join_nan_marked([]).unwrap().is_empty());
    }

    #[test]
    fn nulls_become_nan_and_offsets_count() {
        let values = [1.0, 2.0, 3.0, 4.0];
        // bits (offset 1): positions 0..4 map to bits 1..5 of 0b0001_0110 -> valid, valid, invalid, valid
        let bytes = [0b0001_0110u8];
        let col = Column::with_validity(&values, Some(Validity::new(&bytes, 1, 4).unwrap()));
        let got = col.to_nan_marked();
        assert_eq!(got[0], 1.0);
        assert_eq!(got[1], 2.0);
        assert!(got[2].is_nan());
        assert_eq!(got[3], 4.0);
    }

    #[test]
    fn nulls_land_right_across_words_at_every_offset() {
        let values: Vec<f64> = (0..300).map(f64::from).collect();
        let bytes: Vec<u8> = (0..40u32).map(|b| (b * 37 % 251) as u8 | 0x80).collect();
        for offset in [0, 1, 7, 8, 13] {
            let validity = Validity::new(&bytes, offset, 300).unwrap();
            let got = Column::with_validity(&values, Some(validity)).to_nan_marked();
            for (i, g) in got.iter().enumerate() {
                let j = i + offset;
                let set = (bytes[j / 8] >> (j % 8)) & 1 == 1;
                assert_eq!(g.is_nan(), !set, "offset {offset} i {i}");
                assert!(!set || *g == values[i]);
            }
        }
    }

    #[test]
    fn long_columns_convert_in_slices_as_one_pass_would() {
        // Longer than two slices, with a ragged end, so both the pool and the tail are used.
        let n = 2 * SLICE + 1000 + 3;
        let values: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let bytes: Vec<u8> = (0..n.div_ceil(8) + 1)
            .map(|b| (b * 97 % 256) as u8)
            .collect();
        let validity = Validity::new(&bytes, 5, n).unwrap();
        let got = Column::with_validity(&values, Some(validity)).to_nan_marked();
        for (i, g) in got.iter().enumerate() {
            let j = i + 5;
            let set = (bytes[j / 8] >> (j % 8)) & 1 == 1;
            assert_eq!(g.is_nan(), !set, "row {i}");
            assert!(!set || *g == values[i]);
        }
        let column = Column::with_validity(&values, Some(validity));
        for (i, g) in got.iter().enumerate() {
            assert_eq!(column.get(i).to_bits(), g.to_bits(), "get({i})");
        }
        let back = validity_of_non_nan(&got).unwrap();
        assert_eq!(back.len(), n.div_ceil(8));
        for (i, g) in got.iter().enumerate() {
            assert_eq!((back[i / 8] >> (i % 8)) & 1 == 1, !g.is_nan(), "row {i}");
        }
        assert_eq!(back[n / 8] >> (n % 8), 0, "padding bits are zero");
    }

    #[test]
    fn validity_is_none_without_nan() {
        for n in [0, 1, 8, 9, 2 * SLICE + 7] {
            let values: Vec<f64> = (0..n).map(|i| i as f64).collect();
            assert!(validity_of_non_nan(&values).is_none(), "n {n}");
        }
        let mut values = vec![1.0; 2 * SLICE + 7];
        values[2 * SLICE + 6] = f64::NAN;
        let bytes = validity_of_non_nan(&values).unwrap();
        assert_eq!(bytes.last(), Some(&0b0011_1111));
    }

    #[test]
    fn short_bitmap_is_refused() {
        assert!(Validity::new(&[0u8], 4, 5).is_err());
    }
}
