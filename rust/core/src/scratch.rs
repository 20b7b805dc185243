//! A large scratch buffer, kept for the next call.
//!
//! A fresh 40 MB buffer costs a page fault and the zeroing of every page as a kernel first
//! writes it. A buffer handed back with [`give_back`] serves the next [`take`] of at most its
//! length, its pages already mapped, as an allocator reuses its free blocks. One buffer of at
//! most [`KEEP_BYTES`] is kept.

use std::sync::Mutex;

/// The largest buffer kept between calls.
const KEEP_BYTES: usize = 256 << 20;

/// The buffer kept from an earlier call (empty when none).
static KEPT: Mutex<Vec<u64>> = Mutex::new(Vec::new());

/// A buffer of at least `n` values, each zero or left from an earlier call: its user writes
/// every value it reads.
pub(crate) fn take(n: usize) -> Vec<u64> {
    let kept = KEPT
        .lock()
        .map(|mut kept| std::mem::take(&mut *kept))
        .unwrap_or_default();
    if kept.len() >= n { kept } else { vec![0; n] }
}

/// Keeps `buffer` for a later [`take`], unless a longer one is kept already.
pub(crate) fn give_back(buffer: Vec<u64>) {
    if buffer.len() * size_of::<u64>() > KEEP_BYTES {
        return;
    }
    if let Ok(mut kept) = KEPT.lock()
        && buffer.len() > kept.len()
    {
        *kept = buffer;
    }
}
