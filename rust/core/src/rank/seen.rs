//! The slots seen so far in a sweep through one bucket of the expanding rank (the bucket's
//! places in time), counted below any slot in constant time.
//!
//! [`FewSeenSlots`], for a bucket of up to [`FEW_SLOTS`]: a bitset with per word the count in the
//! earlier words of its block of 512 slots, and per block the count in the earlier blocks.
//! Counting below is two loads and a popcount; marking adds one to the later entries of two short
//! rows.
//!
//! [`SeenSlots`], for any size: a bitset with a count per block of 512 slots, a count per group
//! of 64 blocks, and the running total of the groups before each group. Counting below a slot
//! adds the groups' total, the earlier blocks of its group (a masked sum of 64 counts) and the
//! earlier bits of its block (a masked popcount of 8 words). Keeping the groups' running totals
//! would touch every later group on each insert. New slots wait instead in a batch of 64, which
//! a count compares one by one (a few vector compares), and go in together; the totals are then
//! summed afresh once per batch.
//!
//! Either way the work is fixed, wherever the slot is, so values that jump about cost what
//! trending ones do.

use super::step::{add, step};

/// Slots per block: its count is a u16.
const BLOCK: usize = 512;

/// Blocks per group.
const GROUP_BLOCKS: usize = 64;

/// Slots per group.
const GROUP: usize = BLOCK * GROUP_BLOCKS;

/// Slots waiting to go in together.
const BATCH: usize = 64;

pub(crate) struct SeenSlots {
    /// Bit `s % 64` of word `s / 64` is set once slot `s` went in.
    words: Vec<u64>,
    /// Slots in per block.
    blocks: Vec<u16>,
    /// Slots in per group.
    groups: Vec<u32>,
    /// Slots in the groups before each group.
    groups_below: Vec<u32>,
    /// Slots seen but not in yet; `u32::MAX` (never below a slot) where empty.
    waiting: [u32; BATCH],
    waiting_len: usize,
}

impl SeenSlots {
    /// An empty set over slots `0..slots` (`slots` < 2^32).
    pub(crate) fn new(slots: usize) -> Self {
        let groups = slots.div_ceil(GROUP).max(1);
        Self {
            words: vec![0; groups * GROUP / 64],
            blocks: vec![0; groups * GROUP_BLOCKS],
            groups: vec![0; groups],
            groups_below: vec![0; groups],
            waiting: [u32::MAX; BATCH],
            waiting_len: 0,
        }
    }

    #[inline(always)]
    fn put(&mut self, slot: usize) {
        self.words[slot / 64] |= 1u64 << (slot % 64);
        self.blocks[slot / BLOCK] += 1;
        self.groups[slot / GROUP] += 1;
    }

    fn flush(&mut self) {
        for k in 0..self.waiting_len {
            let s = self.waiting[k] as usize;
            self.put(s);
            self.waiting[k] = u32::MAX;
        }
        self.waiting_len = 0;
        self.sum_groups();
    }

    fn sum_groups(&mut self) {
        let mut total = 0;
        for (below, &n) in self.groups_below.iter_mut().zip(&self.groups) {
            (*below, total) = (total, total + n);
        }
    }
}

/// Counting below and marking, for the sweep through one bucket.
pub(crate) trait Seen {
    /// Seen slots below `slot`.
    fn below(&self, slot: usize) -> usize;
    /// Marks `slot` seen.
    fn insert(&mut self, slot: usize);
}

impl Seen for SeenSlots {
    /// Seen slots below `slot`.
    #[inline(always)]
    fn below(&self, slot: usize) -> usize {
        let group = slot / GROUP;
        let block = slot / BLOCK;
        let mut n = self.groups_below[group];
        // Earlier blocks of the group.
        let counts = &self.blocks[group * GROUP_BLOCKS..(group + 1) * GROUP_BLOCKS];
        let upto = (block % GROUP_BLOCKS) as u16;
        let mut sum = 0u16; // < 64 blocks x 512 slots
        for (j, &c) in (0u16..).zip(counts) {
            sum = sum.wrapping_add(c & u16::from(j < upto).wrapping_neg());
        }
        n += u32::from(sum);
        // Earlier bits of the block.
        let words = &self.words[block * (BLOCK / 64)..(block + 1) * (BLOCK / 64)];
        let bit = (slot % BLOCK) as u32;
        for (w, &word) in (0u32..).zip(words) {
            let keep = bit.saturating_sub(64 * w).min(64);
            let mask = if keep == 64 {
                u64::MAX
            } else {
                (1u64 << keep) - 1
            };
            n += (word & mask).count_ones();
        }
        let slot = slot as u32;
        let mut waiting = 0u32;
        for &s in &self.waiting {
            waiting += u32::from(s < slot);
        }
        (n + waiting) as usize
    }

    /// Marks `slot` seen.
    #[inline(always)]
    fn insert(&mut self, slot: usize) {
        self.waiting[self.waiting_len] = slot as u32;
        self.waiting_len += 1;
        if self.waiting_len == BATCH {
            self.flush();
        }
    }
}

/// Most slots a [`FewSeenSlots`] covers: its counts are u16.
pub(crate) const FEW_SLOTS: usize = 1 << 15;

/// The seen slots of a bucket of at most `ROWS * 16` blocks of 512 ([`FEW_SLOTS`] at most).
/// Marking a slot adds to the later entries of its block (8 counts, one 16-byte add) and to the
/// later blocks: `ROWS` rows of 16 counts, few enough to stay in registers through a sweep (one
/// vector for the usual bucket of up to 8,192 values), so no mark waits for the last one's store
/// to come back from memory. Both adds are fixed steps ([`step`]), with no compares.
pub(crate) struct FewSeenSlots<const ROWS: usize> {
    words: Vec<u64>,
    in_block: Vec<u16>,
    blocks: [[u16; 16]; ROWS],
}

impl<const ROWS: usize> FewSeenSlots<ROWS> {
    /// An empty set over slots `0..slots` (at most `ROWS * 16 * 512`).
    pub(crate) fn new(slots: usize) -> Self {
        debug_assert!(slots <= (ROWS * 16 * BLOCK).min(FEW_SLOTS));
        let blocks = slots.div_ceil(BLOCK).max(1);
        Self {
            words: vec![0; blocks * (BLOCK / 64)],
            in_block: vec![0; blocks * (BLOCK / 64)],
            blocks: [[0; 16]; ROWS],
        }
    }
}

impl<const ROWS: usize> Seen for FewSeenSlots<ROWS> {
    #[inline(always)]
    fn below(&self, slot: usize) -> usize {
        let w = slot / 64;
        let earlier = self.words[w] & !(u64::MAX << (slot % 64));
        let block = slot / BLOCK;
        usize::from(self.blocks[block / 16][block % 16])
            + usize::from(self.in_block[w])
            + earlier.count_ones() as usize
    }

    #[inline(always)]
    fn insert(&mut self, slot: usize) {
        let w = slot / 64;
        self.words[w] |= 1 << (slot % 64);
        let first = w & !7;
        if let Some(row) = self.in_block.get_mut(first..first + 8) {
            add(row, step::<u16, 8>(15 - (w & 7)));
        }
        let block = slot / BLOCK; // < 64
        for (r, row) in self.blocks.iter_mut().enumerate() {
            add(row, step::<u16, 16>((15 + 16 * r).saturating_sub(block)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_counts_below_match_a_sorted_list() {
        for slots in [1, 63, 64, 513, 5000, 8192, 8193, 16384, 16385, FEW_SLOTS] {
            if slots <= 8192 {
                few_counts_below(FewSeenSlots::<1>::new(slots), slots);
            }
            if slots <= 16384 {
                few_counts_below(FewSeenSlots::<2>::new(slots), slots);
            }
            few_counts_below(FewSeenSlots::<4>::new(slots), slots);
        }
    }

    fn few_counts_below<const ROWS: usize>(mut set: FewSeenSlots<ROWS>, slots: usize) {
        {
            let mut seen = vec![false; slots];
            for i in 0..slots.min(3000) {
                let s = (i * 7919 + 13) % slots;
                if !seen[s] {
                    set.insert(s);
                    seen[s] = true;
                }
                for p in [0, 1, 63, 64, 511, 512, 513, s, s + 1, slots - 1] {
                    let p = p.min(slots - 1);
                    let want = seen[..p].iter().filter(|&&b| b).count();
                    assert_eq!(Seen::below(&set, p), want, "slots={slots} i={i} p={p}");
                }
            }
        }
    }

    #[test]
    fn counts_below_match_a_sorted_list() {
        // Slots over three groups, visited in a scrambled order; counts checked at every step
        // against the slots inserted so far, just below, at and above group and block edges.
        let slots = 2 * GROUP + 777;
        let mut set = SeenSlots::new(slots);
        let mut seen: Vec<usize> = Vec::new();
        let probes = [
            0,
            1,
            63,
            64,
            511,
            512,
            513,
            GROUP - 1,
            GROUP,
            GROUP + 1,
            slots - 1,
        ];
        for i in 0..3000usize {
            let s = (i * 7919 + 13) % slots;
            if !seen.contains(&s) {
                set.insert(s);
                seen.push(s);
            }
            for p in probes
                .iter()
                .copied()
                .chain([s, s.saturating_sub(1), (s + 1) % slots])
            {
                let want = seen.iter().filter(|&&v| v < p).count();
                assert_eq!(Seen::below(&set, p), want, "i={i} p={p}");
            }
        }
    }
}
