//! Adding one to the entries of a short row of counts after a given entry, as one vector add of
//! a fixed step read from a table: no compares, which LLVM would widen to 64-bit lanes.

use std::ops::AddAssign;

/// Sixteen zeros, then sixteen ones.
static STEP: [u8; 32] = {
    let mut s = [0; 32];
    let mut j = 16;
    while j < 32 {
        s[j] = 1;
        j += 1;
    }
    s
};

/// `N` entries (at most 16) of the step from `from` (at most 16): zeros, then ones from entry
/// `16 - from` on. `from = 15 - k` is one exactly after entry `k`; 0 is all zeros, 16 all ones.
#[inline(always)]
pub(crate) fn step<T: From<u8>, const N: usize>(from: usize) -> [T; N] {
    let from = from.min(16);
    std::array::from_fn(|i| T::from(STEP[from + i]))
}

/// Adds `step` to `row`, entry by entry.
#[inline(always)]
pub(crate) fn add<T: AddAssign + Copy, const N: usize>(row: &mut [T], step: [T; N]) {
    for (e, a) in row.iter_mut().zip(step) {
        *e += a;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_exactly_after_an_entry() {
        for k in 0..16 {
            let s: [u32; 16] = step(15 - k);
            for (i, &v) in s.iter().enumerate() {
                assert_eq!(v, u32::from(i > k), "k={k} i={i}");
            }
        }
        assert_eq!(step::<u16, 8>(0), [0; 8]);
        assert_eq!(step::<u16, 8>(16), [1; 8]);
        assert_eq!(step::<u16, 8>(99), [1; 8]);
        let mut row = [5u16; 8];
        add(&mut row, step::<u16, 8>(15 - 2));
        assert_eq!(row, [5, 5, 5, 6, 6, 6, 6, 6]);
    }
}
