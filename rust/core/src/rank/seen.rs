//! The slots seen so far in a sweep through time, counted below any slot in constant time.
//!
//! A bitset over the slots with a count per block of 512 slots, a count per group of 64 blocks,
//! and the running total of the groups before each group. Counting below a slot adds the groups'
//! total, the earlier blocks of its group (a masked sum of 64 counts) and the earlier bits of its
//! block (a masked popcount of 8 words): a fixed amount of work, wherever the slot is, so a series
//! that jumps about costs what a trending one does.
//!
//! Keeping the groups' running totals would touch every later group on each insert. New slots
//! wait instead in a batch of 64, which a count compares one by one (a few vector compares), and
//! go in together; the totals are then summed afresh once per batch.

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

    /// Seen slots below `slot`.
    #[inline(always)]
    pub(crate) fn below(&self, slot: usize) -> usize {
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
    pub(crate) fn insert(&mut self, slot: usize) {
        self.waiting[self.waiting_len] = slot as u32;
        self.waiting_len += 1;
        if self.waiting_len == BATCH {
            self.flush();
        }
    }

    /// Marks every slot of `slots` seen at once; returns how many.
    pub(crate) fn extend(&mut self, slots: impl Iterator<Item = usize>) -> usize {
        let mut marked = 0;
        for s in slots {
            self.put(s);
            marked += 1;
        }
        self.sum_groups();
        marked
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

#[cfg(test)]
mod tests {
    use super::*;

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
            if i % 5 == 0 {
                let batch: Vec<usize> = (0..7).map(|k| (s + k * 4099) % slots).collect();
                let fresh: Vec<usize> = batch
                    .into_iter()
                    .filter(|b| !seen.contains(b))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                if set.waiting_len == 0 {
                    set.extend(fresh.iter().copied());
                    seen.extend(fresh);
                }
            } else if !seen.contains(&s) {
                set.insert(s);
                seen.push(s);
            }
            for p in probes
                .iter()
                .copied()
                .chain([s, s.saturating_sub(1), (s + 1) % slots])
            {
                let want = seen.iter().filter(|&&v| v < p).count();
                assert_eq!(set.below(p), want, "i={i} p={p}");
            }
        }
    }
}
