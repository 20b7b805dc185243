//! The thread pool the 2-D and grouped paths run on: `set_num_threads(n)` or `SECTORFLOW_NUM_THREADS`.

use std::cell::Cell;
use std::sync::{Arc, RwLock};

use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::error::KernelError;

static POOL: RwLock<Option<Arc<ThreadPool>>> = RwLock::new(None);

/// More threads than this is a typo, not a machine (and would exhaust memory starting them).
const MAX_THREADS: usize = 1024;

fn build(n: usize) -> Result<Arc<ThreadPool>, KernelError> {
    ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("sectorflow-{i}"))
        .build()
        .map(Arc::new)
        .map_err(|e| KernelError::invalid("n", format!("could not start {n} threads: {e}")))
}

/// Sets how many threads the 2-D and grouped kernels use.
pub fn set_num_threads(n: i64) -> Result<(), KernelError> {
    let n = usize::try_from(n)
        .ok()
        .filter(|&n| (1..=MAX_THREADS).contains(&n))
        .ok_or_else(|| {
            KernelError::invalid(
                "n",
                format!("n must be between 1 and {MAX_THREADS}, got {n}"),
            )
        })?;
    let pool = build(n)?;
    *POOL.write().unwrap_or_else(|p| p.into_inner()) = Some(pool);
    Ok(())
}

fn pool() -> Result<Arc<ThreadPool>, KernelError> {
    if let Some(p) = POOL.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
        return Ok(Arc::clone(p));
    }
    let mut guard = POOL.write().unwrap_or_else(|p| p.into_inner());
    if let Some(p) = guard.as_ref() {
        return Ok(Arc::clone(p));
    }
    let from_env = std::env::var("SECTORFLOW_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| (1..=MAX_THREADS).contains(&n));
    let n = from_env.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let p = build(n).or_else(|_| build(1))?;
    *guard = Some(Arc::clone(&p));
    Ok(p)
}

/// The number of threads the kernels use now.
pub fn current_num_threads() -> usize {
    pool().map_or(1, |p| p.current_num_threads())
}

/// Runs `f` inside the sectorflow pool.
pub(crate) fn install<R: Send>(f: impl FnOnce() -> R + Send) -> Result<R, KernelError> {
    Ok(pool()?.install(f))
}

thread_local! {
    /// Set while this thread runs kernels single-threaded (see [`serial`]).
    static SERIAL: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with every kernel it calls on this thread alone, never on a pool: a Polars plugin
/// call, where Polars already runs the groups in parallel.
pub fn serial<R>(f: impl FnOnce() -> R) -> R {
    /// Restores the previous mode, also when `f` unwinds.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SERIAL.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SERIAL.with(|s| s.replace(true)));
    f()
}

/// Runs `a` and `b`, on two threads of the pool when it has them (one after the other inside
/// [`serial`] or on a one-thread pool).
pub fn join<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> Result<(A, B), KernelError> {
    if parallelism() == 1 || current_num_threads() == 1 {
        return Ok((a(), b()));
    }
    install(|| rayon::join(a, b))
}

/// The least number of items a parallel iterator hands to one task: all of them (no split, no
/// pool) inside [`serial`].
pub(crate) fn min_len() -> usize {
    if SERIAL.with(Cell::get) {
        usize::MAX
    } else {
        1
    }
}

/// How many tasks the pool running this code can take at once: 1 inside [`serial`] (without
/// starting rayon's global pool, as asking rayon would).
pub(crate) fn parallelism() -> usize {
    if SERIAL.with(Cell::get) {
        1
    } else {
        rayon::current_num_threads()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_mode_is_scoped_and_survives_a_panic() {
        assert_eq!(min_len(), 1);
        assert_eq!(serial(min_len), usize::MAX);
        assert_eq!(serial(parallelism), 1);
        assert_eq!(min_len(), 1);
        let caught = std::panic::catch_unwind(|| serial(|| panic!("inside")));
        assert!(caught.is_err());
        assert_eq!(min_len(), 1);
        // Inside serial, a parallel iterator runs on the calling thread only.
        let me = std::thread::current().id();
        let seen = serial(|| {
            use rayon::prelude::*;
            (0..10_000)
                .into_par_iter()
                .with_min_len(min_len())
                .map(|_| std::thread::current().id())
                .collect::<Vec<_>>()
        });
        assert!(seen.iter().all(|&t| t == me));
    }
}
