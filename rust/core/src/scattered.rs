//! A buffer that many tasks write at once, each at its own positions.

use std::marker::PhantomData;

/// `out` shared by parallel tasks that write disjoint positions and read none.
pub(crate) struct ScatteredOut<'a, T> {
    ptr: *mut T,
    _out: PhantomData<&'a mut [T]>,
}

// SAFETY: tasks write disjoint positions (see `write`); nothing reads through the pointer.
unsafe impl<T: Send> Sync for ScatteredOut<'_, T> {}

impl<'a, T> ScatteredOut<'a, T> {
    pub(crate) fn new(out: &'a mut [T]) -> Self {
        Self {
            ptr: out.as_mut_ptr(),
            _out: PhantomData,
        }
    }

    /// Writes `value` at position `at`.
    ///
    /// # Safety
    /// `at` is in bounds of `out`, and no other task writes it.
    pub(crate) unsafe fn write(&self, at: usize, value: T) {
        // SAFETY: by the caller's contract.
        unsafe { self.ptr.add(at).write(value) }
    }
}
