use std::borrow::Cow;

use crate::error::KernelError;

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

    /// The chunks of one series as one slice with nulls written as NaN: borrowed when it is a
    /// single chunk without a validity bitmap, else copied once.
    pub fn join_nan_marked(
        chunks: impl IntoIterator<Item = Result<Self, KernelError>>,
    ) -> Result<Cow<'a, [f64]>, KernelError> {
        let chunks = chunks.into_iter().collect::<Result<Vec<_>, _>>()?;
        if let [one] = chunks.as_slice() {
            return Ok(one.to_nan_marked());
        }
        let mut all = crate::pages::with_capacity(chunks.iter().map(|c| c.values.len()).sum());
        for c in &chunks {
            c.extend_nan_marked(&mut all);
        }
        Ok(Cow::Owned(all))
    }

    /// Appends the values to `out` with NaN for nulls, 64 at a time: a word of the bitmap with
    /// every bit set copies its values whole.
    fn extend_nan_marked(&self, out: &mut Vec<f64>) {
        let Some(validity) = self.validity else {
            out.extend_from_slice(self.values);
            return;
        };
        for (c, chunk) in self.values.chunks(64).enumerate() {
            let bits = validity.word(c * 64);
            if bits == u64::MAX {
                out.extend_from_slice(chunk);
            } else {
                out.extend(
                    chunk.iter().enumerate().map(
                        |(j, &x)| {
                            if (bits >> j) & 1 == 1 { x } else { f64::NAN }
                        },
                    ),
                );
            }
        }
    }

    /// The values with nulls written as NaN: borrowed when there is no validity bitmap.
    pub fn to_nan_marked(&self) -> Cow<'a, [f64]> {
        match self.validity {
            None => Cow::Borrowed(self.values),
            Some(_) => {
                let mut all = crate::pages::with_capacity(self.values.len());
                self.extend_nan_marked(&mut all);
                Cow::Owned(all)
            }
        }
    }
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
    fn short_bitmap_is_refused() {
        assert!(Validity::new(&[0u8], 4, 5).is_err());
    }
}
