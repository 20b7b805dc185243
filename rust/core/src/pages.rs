//! Large buffers asked to be backed by huge pages.
//!
//! A fresh buffer's pages are faulted in one at a time on first write: 10,000 faults for 40 MB
//! of 4 KiB pages, measured at 14 ms here against 3 ms with 2 MiB pages (what numpy asks for on
//! its large arrays too). Where the OS ignores the advice, nothing changes.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::threads::install;

/// Bytes from which a buffer asks for huge pages (numpy's threshold).
const HUGE_FROM: usize = 4 << 20;

/// An empty `Vec` with room for `len` values, its pages asked to be huge.
pub fn with_capacity<T>(len: usize) -> Vec<T> {
    let v: Vec<T> = Vec::with_capacity(len);
    advise_huge(v.as_ptr().cast(), len.saturating_mul(size_of::<T>()));
    v
}

/// `len` copies of `value` in a buffer whose pages are asked to be huge, written by the
/// pool's threads when large (so its pages are also faulted in side by side).
pub fn filled<T: Copy + Send + Sync>(len: usize, value: T) -> Vec<T> {
    let mut v = uninit(len);
    let fill = |chunk: &mut [MaybeUninit<T>]| chunk.fill(MaybeUninit::new(value));
    let parallel = len.saturating_mul(size_of::<T>()) >= HUGE_FROM
        && install(|| {
            v.par_chunks_mut(HUGE_FROM / size_of::<T>().max(1))
                .for_each(fill)
        })
        .is_ok();
    if !parallel {
        fill(&mut v);
    }
    // SAFETY: every value was written just above.
    unsafe { assume_init(v) }
}

/// `len` values not yet written, in a buffer whose pages are asked to be huge.
pub(crate) fn uninit<T>(len: usize) -> Vec<MaybeUninit<T>> {
    let mut v = with_capacity(len);
    // SAFETY: the capacity is `len`, and `MaybeUninit` needs no initialisation.
    unsafe { v.set_len(len) };
    v
}

/// The values of `v`, every one of them written.
///
/// # Safety
/// Every value of `v` has been written.
pub(crate) unsafe fn assume_init<T>(v: Vec<MaybeUninit<T>>) -> Vec<T> {
    let mut v = std::mem::ManuallyDrop::new(v);
    let (ptr, len, cap) = (v.as_mut_ptr(), v.len(), v.capacity());
    // SAFETY: same allocation, layout and length; `MaybeUninit<T>` has `T`'s layout and the
    // caller promises every value is initialised.
    unsafe { Vec::from_raw_parts(ptr.cast::<T>(), len, cap) }
}

#[cfg(target_os = "linux")]
fn advise_huge(ptr: *const u8, bytes: usize) {
    const HUGE: usize = 2 << 20;
    if bytes < HUGE_FROM {
        return;
    }
    // The whole huge pages inside the allocation.
    let start = (ptr as usize).next_multiple_of(HUGE);
    let end = (ptr as usize).saturating_add(bytes) / HUGE * HUGE;
    if end > start {
        // SAFETY: the range lies inside one live allocation of ours; MADV_HUGEPAGE changes how
        // its pages are backed, never their contents. A failure only means no huge pages.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_: *const u8, _: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_and_small_buffers_hold_their_values() {
        for len in [0, 1, 1000, (HUGE_FROM / 8) * 3 + 5] {
            let v = filled(len, 7.5f64);
            assert_eq!(v.len(), len);
            assert!(v.iter().all(|&x| x == 7.5));
            assert!(with_capacity::<u32>(len).capacity() >= len);
        }
    }
}
