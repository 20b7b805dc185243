//! The thread pool the 2-D and grouped paths run on: `set_num_threads(n)` or `SECTORFLOW_NUM_THREADS`.

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
