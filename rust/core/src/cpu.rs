//! Kernels compiled for instructions beyond baseline x86-64, chosen at run time.
//!
//! `f` takes the features only where its code is inlined into the compiled-for-the-feature
//! frame, so the kernels it calls are `#[inline(always)]` all the way down. No FMA is enabled
//! and Rust never contracts `a * b + c`, so results are bit-identical with or without.

/// Runs `f` compiled for AVX2 when the CPU has it: 4 f64 lanes per instruction instead of SSE2's
/// 2, three-operand forms, a shorter NaN-aware min/max.
#[inline(always)]
pub(crate) fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { avx2(f) };
    }
    f()
}

/// Runs `f` compiled with POPCNT and BMI1 when the CPU has them: without POPCNT, `count_ones`
/// is a dozen shifts and masks.
#[inline(always)]
pub(crate) fn with_bit_counting<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") && std::arch::is_x86_feature_detected!("bmi1")
    {
        // SAFETY: the CPU has POPCNT and BMI1, checked just above.
        return unsafe { bit_counting(f) };
    }
    f()
}

/// Runs `f` compiled for AVX2 with POPCNT and BMI1 when the CPU has them all: vector masked
/// sums next to single-instruction bit counts.
#[inline(always)]
pub(crate) fn with_avx2_bit_counting<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("popcnt")
        && std::arch::is_x86_feature_detected!("bmi1")
    {
        // SAFETY: the CPU has AVX2, POPCNT and BMI1, checked just above.
        return unsafe { avx2_bit_counting(f) };
    }
    with_bit_counting(f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt,bmi1")]
fn avx2_bit_counting<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt,bmi1")]
fn bit_counting<R>(f: impl FnOnce() -> R) -> R {
    f()
}
